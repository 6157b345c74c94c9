"""What a crash run reads and copies: a data folder's library, and where its vectors live.

The crash suite (:mod:`tests.hardening.crash_consistency`) runs in both index modes.
Embedded, a data folder holds everything (``library.db`` and the ``chroma/`` folder), so
a reference state is copied with the folder. With a Chroma server the vectors live in a
collection on the server, so a :class:`ServerPlace` gives every data folder a collection
of its own and copies (or drops) the collection with the folder. Everything the checks
read goes through the same adapter the app uses (:class:`~tutor.index.vector_store.ChromaIndex`).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.settings import Settings


@dataclass(frozen=True)
class Library:
    """What a data folder holds: chunk ids and per-document chunk counts in the registry."""

    chunk_ids: frozenset[str]
    n_chunks: dict[str, int]  # source -> n_chunks
    counted: dict[str, int]  # source -> chunk rows actually stored

    @staticmethod
    def read(library_db: Path) -> Library:
        with closing(sqlite3.connect(library_db)) as conn:
            ids = [r[0] for r in conn.execute("select chunk_id from chunks")]
            n_chunks = dict(conn.execute("select source, n_chunks from documents"))
            counted = dict(conn.execute(
                "select d.source, count(c.chunk_id) from documents d left join chunks c on c.doc_id = d.doc_id "
                "group by d.doc_id"))
        return Library(frozenset(ids), n_chunks, counted)


def integrity(folder: Path, label: str = "") -> dict[str, str]:
    """``PRAGMA integrity_check`` of every SQLite file under ``folder``: path -> verdict."""
    verdicts = {}
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".db", ".sqlite3") and p.is_file()):
        name = label + str(path.relative_to(folder))
        try:
            with closing(sqlite3.connect(path)) as conn:
                verdicts[name] = "; ".join(r[0] for r in conn.execute("pragma integrity_check"))
        except sqlite3.Error as exc:
            verdicts[name] = f"{type(exc).__name__}: {exc}"
    return verdicts


def duplicates(library_db: Path) -> int:
    """Rows that repeat a passage: the same (document, position) or the same source twice."""
    with closing(sqlite3.connect(library_db)) as conn:
        by_position = conn.execute(
            "select coalesce(sum(n - 1), 0) from (select count(*) n from chunks group by doc_id, ordinal)").fetchone()[0]
        by_source = conn.execute(
            "select coalesce(sum(n - 1), 0) from (select count(*) n from documents group by source)").fetchone()[0]
    return by_position + by_source


class EmbeddedPlace:
    """The default: a data folder's vectors are in its own ``chroma/`` folder."""

    mode = "embedded"

    def settings(self, data_dir: Path, curriculum: Path) -> Settings:
        return Settings(data_dir=data_dir, content_dir=curriculum)

    def env(self, data_dir: Path) -> dict[str, str]:
        return {}

    def copy(self, source: Path, target: Path, embedder: Any) -> None:
        shutil.copytree(source, target)

    def discard(self, data_dir: Path) -> None:
        shutil.rmtree(data_dir, ignore_errors=True)

    def integrity(self) -> dict[str, str]:
        return {}  # the index's SQLite file is inside the data folder, checked with it


class ServerPlace:
    """Vectors on a ``chroma run`` server (:class:`tests.chroma_server.ChromaServer`): a collection per data folder."""

    mode = "server"

    def __init__(self, server: Any, workdir: Path):
        self.server = server
        self.workdir = Path(workdir)
        self._tag = uuid.uuid4().hex[:8]  # two harnesses on one server never share a collection

    def collection(self, data_dir: Path) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", str(Path(data_dir).relative_to(self.workdir))).strip("-")
        return f"crash-{self._tag}-{slug}"

    def settings(self, data_dir: Path, curriculum: Path) -> Settings:
        return Settings(data_dir=data_dir, content_dir=curriculum, chroma_url=self.server.url,
                        collection=self.collection(data_dir))

    def env(self, data_dir: Path) -> dict[str, str]:
        return {"TUTOR_CHROMA_URL": self.server.url, "TUTOR_COLLECTION": self.collection(data_dir)}

    def copy(self, source: Path, target: Path, embedder: Any) -> None:
        """The folder (registry) and the collection (vectors, documents, metadata) both."""
        from tutor.index.chroma_client import chroma_link
        from tutor.index.vector_store import ChromaIndex, TutorEmbeddingFunction

        shutil.copytree(source, target)
        link = chroma_link(self.settings(target, target))
        self._drop(link, self.collection(target))
        ChromaIndex(link, self.collection(target), embedder).count()  # created as the app creates it
        function = TutorEmbeddingFunction(embedder)
        stored = link.client().get_collection(self.collection(source), embedding_function=function).get(
            include=["embeddings", "documents", "metadatas"])
        if stored["ids"]:
            link.client().get_collection(self.collection(target), embedding_function=function).add(
                ids=stored["ids"], embeddings=stored["embeddings"], documents=stored["documents"],
                metadatas=stored["metadatas"])

    def discard(self, data_dir: Path) -> None:
        from tutor.index.chroma_client import chroma_link

        shutil.rmtree(data_dir, ignore_errors=True)
        self._drop(chroma_link(self.settings(data_dir, data_dir)), self.collection(data_dir))

    @staticmethod
    def _drop(link: Any, name: str) -> None:
        from chromadb.errors import NotFoundError

        try:
            link.client().delete_collection(name)
        except NotFoundError:
            pass  # nothing to drop

    def integrity(self) -> dict[str, str]:
        """The server's own SQLite file, read while it runs (a reader never blocks it for long)."""
        return integrity(self.server.folder, label="server:")
