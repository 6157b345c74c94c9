"""The Chroma adapter: with ``chroma_client``, the only code that talks to chromadb.

Chroma holds curriculum chunks and nothing about learners. It is a derived index:
the library registry in SQLite is the source of truth and ``tutor reindex``
rebuilds this collection from it. One writer process per embedded Chroma path;
several app processes share a Chroma server instead (``tutor.index.chroma_client``
chooses; this adapter works the same on both).

Vectors are computed by our :class:`~tutor.index.embeddings.Embedder` and handed to
Chroma explicitly. The collection is still created with our registered embedding
function, never Chroma's default one (which downloads a model at first use), and
its name is pinned in the collection so that an index built with one model is not
silently queried with another.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from tutor.domain import Chunk
from tutor.errors import IndexUnavailable
from tutor.index.chroma_client import ChromaLink
from tutor.index.embeddings import Embedder, MiniLMOnnxEmbedder

_UPSERT_BATCH = 2000


@register_embedding_function
class TutorEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of our embedder; registered so a reopened collection can rebuild it."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return [self._embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "tutor-embedder"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> TutorEmbeddingFunction:
        if config.get("embedder") == MiniLMOnnxEmbedder.name:
            return TutorEmbeddingFunction(MiniLMOnnxEmbedder())
        raise IndexUnavailable(detail=f"cannot rebuild embedder {config!r} without the tutor's settings")

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]


def _metadata(chunk: Chunk, extra: dict[str, Any]) -> dict[str, Any]:
    meta = {"doc_id": chunk.doc_id, "source": chunk.source, "section": chunk.section, "ordinal": chunk.ordinal}
    if chunk.page is not None:
        meta["page"] = chunk.page
    meta.update({k: v for k, v in extra.items() if v is not None})
    return meta


def _guarded(method):
    """Run a method against the collection, with a server that went away reported as IndexUnavailable."""

    @functools.wraps(method)
    def call(self: ChromaIndex, *args, **kwargs):
        with self.link.guard():
            return method(self, *args, **kwargs)

    return call


class ChromaIndex:
    """A Chroma collection of curriculum chunks, cosine space, embedded or on a server.

    The collection is opened on first use, and again after a failed open, so an app
    started while the Chroma server is away serves its other pages and recovers when
    the server returns.
    """

    def __init__(self, link: ChromaLink, collection: str, embedder: Embedder):
        self.link = link
        self.embedder = embedder
        self._name = collection
        self._opened = None
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        return self.link.location

    @property
    def _collection(self):  # used only inside guarded methods
        with self._lock:
            if self._opened is None:
                self._opened = self._open()
            return self._opened

    def _open(self):
        collection = self.link.client().get_or_create_collection(
            self._name,
            embedding_function=TutorEmbeddingFunction(self.embedder),
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedder": self.embedder.name},
        )
        built_with = (collection.metadata or {}).get("embedder")
        if built_with != self.embedder.name:
            raise IndexUnavailable(
                "The curriculum index was built with a different embedding model. "
                "Run `tutor reindex` to rebuild it for the current one.",
                detail=f"collection {self._name!r} embedder={built_with!r}, configured {self.embedder.name!r}",
            )
        return collection

    @_guarded
    def count(self) -> int:
        return self._collection.count()

    @_guarded
    def ids(self) -> set[str]:
        found: set[str] = set()
        offset = 0
        while True:
            page = self._collection.get(include=[], limit=5000, offset=offset)
            found.update(page["ids"])
            if len(page["ids"]) < 5000:
                return found
            offset += 5000

    @_guarded
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, extra: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(chunks), _UPSERT_BATCH):
            part = chunks[start : start + _UPSERT_BATCH]
            self._collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[start : start + _UPSERT_BATCH],
                documents=[c.text for c in part],
                metadatas=[_metadata(c, e) for c, e in zip(part, extra[start : start + _UPSERT_BATCH])],
            )

    @_guarded
    def relabel(self, ids: Iterable[str], labels: dict[str, Any]) -> None:
        """Change metadata (a document's module) of stored chunks without re-embedding them."""
        ids = list(ids)
        for start in range(0, len(ids), _UPSERT_BATCH):
            part = ids[start : start + _UPSERT_BATCH]
            found = self._collection.get(ids=part, include=["metadatas"])
            metadatas = []
            for meta in found["metadatas"]:
                merged = {**(meta or {}), **{k: v for k, v in labels.items() if v is not None}}
                for key in [k for k, v in labels.items() if v is None]:
                    merged.pop(key, None)
                metadatas.append(merged)
            if found["ids"]:
                self._collection.update(ids=found["ids"], metadatas=metadatas)

    @_guarded
    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), _UPSERT_BATCH):
            self._collection.delete(ids=ids[start : start + _UPSERT_BATCH])

    @_guarded
    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) pairs, best first."""
        if k <= 0 or self.count() == 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector], n_results=k, where=where or None, include=["distances"]
        )
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0])]

    @_guarded
    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (no re-embedding)."""
        if not ids:
            return {}
        found = self._collection.get(ids=ids, include=["embeddings"])
        return {cid: np.asarray(vec, dtype=np.float32) for cid, vec in zip(found["ids"], found["embeddings"])}

    @_guarded
    def drop(self) -> None:
        """Delete the collection and start an empty one (reindex)."""
        self.link.client().delete_collection(self._name)
        with self._lock:
            self._opened = self._open()
