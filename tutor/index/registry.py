"""The library registry: documents and chunks in SQLite, the source of truth.

Everything a citation shows (source, section, page, the passage itself) is read
from here, never from the vector index, so a stale or orphaned vector can never
surface as a citation: retrieval joins every hit with this registry and drops what
it does not know. The Chroma collection is rebuilt from these rows by
``tutor reindex``.

An FTS5 table over the chunks (kept in sync by triggers) serves the optional lexical
half of hybrid search.

``held_uploads`` keeps files that the PHI screen flagged (:mod:`tutor.content.phi_screen`)
out of the library until an instructor releases or discards them. The original bytes
are kept only while a file is held; a decision clears them and keeps an audit row (who,
when, why, and the masked findings).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Migrations

from tutor.db import SQLiteFile
from tutor.domain import Chunk, HeldFinding, HeldUpload, SourceDoc

MIGRATIONS = Migrations("tutor.library")


@MIGRATIONS()
def m001_create_documents_and_chunks(db):
    db["documents"].create(
        {
            "doc_id": str,
            "course": str,
            "source": str,
            "root": str,  # the folder it was ingested from, or "upload"
            "kind": str,
            "title": str,
            "module": str,
            "topic": str,
            "objectives": str,  # JSON list
            "tags": str,  # JSON list
            "content_hash": str,
            "size_bytes": int,
            "n_chunks": int,
            "pipeline": str,  # chunker version + embedder name: a change forces re-ingest
            "ingested_at": str,
        },
        pk="doc_id",
        not_null={"course", "source", "kind", "title", "content_hash"},
    )
    # doc_id is derived from the source, so a source is unique within the library.
    db["documents"].create_index(["course", "module"])
    db["documents"].create_index(["root"])
    db["chunks"].create(
        {
            "chunk_id": str,
            "doc_id": str,
            "ordinal": int,
            "section": str,
            "page": int,
            "text": str,
        },
        pk="chunk_id",
        foreign_keys=[("doc_id", "documents", "doc_id")],
        not_null={"doc_id", "text"},
    )
    db["chunks"].create_index(["doc_id", "ordinal"])
    db["chunks"].enable_fts(["section", "text"], tokenize="porter", create_triggers=True)


@MIGRATIONS()
def m002_create_held_uploads(db):
    db["held_uploads"].create(
        {
            "held_id": int,
            "source": str,
            "root": str,
            "content_hash": str,
            "size_bytes": int,
            "data": bytes,  # the original file while held; cleared by a decision
            "findings": str,  # JSON list of HeldFinding (masked excerpts, never the identifier)
            "uploaded_by": str,
            "held_at": str,
            "status": str,  # held | released | released_as_is | discarded
            "decided_by": str,
            "decided_at": str,
            "reason": str,
        },
        pk="held_id",
        not_null={"source", "root", "content_hash", "status"},
    )
    db["held_uploads"].create_index(["status", "held_at"])


@MIGRATIONS()
def m003_add_instructor_labels(db):
    """An instructor's own title and module for a document: they survive a re-upload of the file."""
    db["documents"].add_column("title_set", str)
    db["documents"].add_column("module_set", str)


@MIGRATIONS()
def m004_add_library_generation(db):
    """A counter every change of the documents table bumps, whichever process made it.

    Several app processes and the ingest worker share library.db; a process that caches
    anything derived from the library (resolved quiz citations) compares this number
    instead of relying on being told. Triggers keep it right for every writer.
    """
    db.execute("create table library_state (id integer primary key check (id = 1), generation integer not null)")
    db.execute("insert into library_state (id, generation) values (1, 0)")
    for event in ("insert", "update", "delete"):
        db.execute(f"create trigger documents_{event}_generation after {event} on documents begin "
                   "update library_state set generation = generation + 1 where id = 1; end")


@dataclass(frozen=True)
class HeldBytes:
    """A held file's bytes and where it came from, for a release."""

    held_id: int
    source: str
    root: str
    data: bytes


def _held(row: dict) -> HeldUpload:
    return HeldUpload(
        held_id=row["held_id"], source=row["source"], size_bytes=row["size_bytes"] or 0,
        uploaded_by=row["uploaded_by"] or "", held_at=row["held_at"] or "",
        findings=tuple(HeldFinding(**f) for f in json.loads(row["findings"] or "[]")),
        status=row["status"], decided_by=row["decided_by"], decided_at=row["decided_at"], reason=row["reason"],
    )


_HELD_COLUMNS = "held_id, source, size_bytes, uploaded_by, held_at, findings, status, decided_by, decided_at, reason"


@dataclass(frozen=True)
class ChunkRow:
    """A chunk joined with its document: what a search hit needs to cite it."""

    chunk: Chunk
    doc_title: str
    module: str | None
    course: str


def _doc(row: dict) -> SourceDoc:
    return SourceDoc(
        doc_id=row["doc_id"],
        source=row["source"],
        course=row["course"],
        kind=row["kind"],
        title=row["title"],
        module=row["module"],
        topic=row["topic"],
        objectives=tuple(json.loads(row["objectives"] or "[]")),
        tags=tuple(json.loads(row["tags"] or "[]")),
        content_hash=row["content_hash"],
        size_bytes=row["size_bytes"],
        n_chunks=row["n_chunks"],
        ingested_at=row["ingested_at"],
    )


def _chunk_row(row: dict) -> ChunkRow:
    return ChunkRow(
        chunk=Chunk(
            chunk_id=row["chunk_id"],
            doc_id=row["doc_id"],
            source=row["source"],
            ordinal=row["ordinal"],
            section=row["section"] or "",
            page=row["page"],
            text=row["text"],
        ),
        doc_title=row["title"],
        module=row["module"],
        course=row["course"],
    )


_CHUNK_SELECT = """
    select c.chunk_id, c.doc_id, c.ordinal, c.section, c.page, c.text,
           d.source, d.title, d.module, d.course
    from chunks c join documents d on d.doc_id = c.doc_id
"""


class LibraryRegistry:
    def __init__(self, path: Path):
        self.file = SQLiteFile(path, MIGRATIONS)

    @property
    def path(self) -> Path:
        return self.file.path

    def applied_migrations(self) -> list[str]:
        return self.file.applied_migrations()

    def generation(self) -> int:
        """A number that changes whenever any process adds, replaces, relabels or deletes a document."""
        with self.file.read() as db:
            return db.execute("select generation from library_state where id = 1").fetchone()[0]

    # -- documents -------------------------------------------------------------
    def get(self, doc_id: str) -> SourceDoc | None:
        with self.file.read() as db:
            rows = list(db["documents"].rows_where("doc_id = ?", [doc_id]))
        return _doc(rows[0]) if rows else None

    def pipeline_of(self, doc_id: str) -> tuple[str, str] | None:
        """(content_hash, pipeline) of a stored document, to decide whether re-ingest is needed."""
        with self.file.read() as db:
            row = db.execute("select content_hash, pipeline from documents where doc_id = ?", [doc_id]).fetchone()
        return (row[0], row[1]) if row else None

    def documents(self, course: str | None = None) -> list[SourceDoc]:
        where, args = ("course = ?", [course]) if course else (None, [])
        with self.file.read() as db:
            return [_doc(r) for r in db["documents"].rows_where(where, args, order_by="source")]

    def doc_ids_under(self, root: str) -> dict[str, str]:
        """doc_id -> source for documents ingested from ``root``."""
        with self.file.read() as db:
            return {r["doc_id"]: r["source"] for r in db["documents"].rows_where("root = ?", [root])}

    def chunk_ids(self, doc_id: str | None = None) -> set[str]:
        """The chunk ids of one document, or of the whole library."""
        with self.file.read() as db:
            if doc_id is None:
                return {r[0] for r in db.execute("select chunk_id from chunks")}
            return {r[0] for r in db.execute("select chunk_id from chunks where doc_id = ?", [doc_id])}

    def count_chunks(self) -> int:
        with self.file.read() as db:
            return db.execute("select count(*) from chunks").fetchone()[0]

    def term_counts(self, terms: list[str]) -> tuple[int, dict[str, int]]:
        """(passages in the library, how many of them contain each term) from the FTS5 index
        (porter-stemmed, as the lexical search matches); the coverage rule's rare-word evidence."""
        with self.file.read() as db:
            passages = db.execute("select count(*) from chunks").fetchone()[0]
            counts = {t: db.execute("select count(*) from chunks_fts where chunks_fts match ?",
                                    ['"' + t.replace('"', "") + '"']).fetchone()[0]
                      for t in terms if t.replace('"', "")}
        return passages, counts

    def replace_document(self, doc: dict, chunks: list[Chunk]) -> set[str]:
        """Store ``doc`` with exactly ``chunks``; return the chunk ids that were dropped.

        One transaction: a failure leaves the previous version intact, never a mix.
        """
        new_ids = {c.chunk_id for c in chunks}
        with self.file.write() as db:
            old_ids = {r[0] for r in db.execute("select chunk_id from chunks where doc_id = ?", [doc["doc_id"]])}
            stale = old_ids - new_ids
            db["documents"].upsert(doc, pk="doc_id")
            if stale:
                db["chunks"].delete_where(
                    f"chunk_id in ({','.join('?' * len(stale))})", list(stale)
                )
            # Unchanged chunks are updated in place (ordinal may shift); new ones inserted.
            db["chunks"].upsert_all(
                (
                    {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "ordinal": c.ordinal,
                     "section": c.section, "page": c.page, "text": c.text}
                    for c in chunks
                ),
                pk="chunk_id",
            )
        return stale

    def labels_set(self, doc_id: str) -> tuple[str | None, str | None]:
        """(title, module) an instructor gave the document, each None when not set."""
        with self.file.read() as db:
            row = db.execute("select title_set, module_set from documents where doc_id = ?", [doc_id]).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def set_labels(self, doc_id: str, *, title: str, module: str | None) -> set[str]:
        """An instructor's title and module (None: no module); returns the document's chunk ids."""
        with self.file.write() as db:
            updated = db.execute(
                "update documents set title = ?, module = ?, title_set = ?, module_set = ? where doc_id = ?",
                [title, module, title, module or "", doc_id]).rowcount
            if not updated:
                return set()
            return {r[0] for r in db.execute("select chunk_id from chunks where doc_id = ?", [doc_id])}

    def delete_document(self, doc_id: str) -> set[str]:
        """Remove a document and its chunks; return the removed chunk ids."""
        with self.file.write() as db:
            ids = {r[0] for r in db.execute("select chunk_id from chunks where doc_id = ?", [doc_id])}
            db["chunks"].delete_where("doc_id = ?", [doc_id])
            db["documents"].delete_where("doc_id = ?", [doc_id])
        return ids

    # -- held uploads ----------------------------------------------------------
    def hold(self, *, source: str, root: str, content_hash: str, data: bytes, findings: list[HeldFinding],
             uploaded_by: str, held_at: str) -> int:
        """Keep a flagged file for review; the same bytes held again under the same name are one entry."""
        with self.file.write() as db:
            row = db.execute(
                "select held_id from held_uploads where status = 'held' and source = ? and content_hash = ?",
                [source, content_hash],
            ).fetchone()
            if row:
                return row[0]
            table = db["held_uploads"].insert({
                "source": source, "root": root, "content_hash": content_hash, "size_bytes": len(data), "data": data,
                "findings": json.dumps([f.model_dump() for f in findings]), "uploaded_by": uploaded_by,
                "held_at": held_at, "status": "held",
            })
            return table.last_pk

    def held_uploads(self, status: str | None = "held") -> list[HeldUpload]:
        """Held files (or every decision too, with ``status=None``), oldest first."""
        where, args = ("where status = ?", [status]) if status else ("", [])
        with self.file.read() as db:
            return [_held(row) for row in db.query(f"select {_HELD_COLUMNS} from held_uploads {where} order by held_id", args)]

    def held_file(self, held_id: int) -> HeldBytes | None:
        """A file still waiting for a decision, with its bytes; None when unknown or decided."""
        with self.file.read() as db:
            row = db.execute(
                "select held_id, source, root, data from held_uploads where held_id = ? and status = 'held'", [held_id],
            ).fetchone()
        return HeldBytes(held_id=row[0], source=row[1], root=row[2], data=row[3]) if row else None

    def decide_held(self, held_id: int, *, status: str, by: str, at: str, reason: str | None) -> bool:
        """Record the decision and drop the bytes; False when the file was not (or no longer) held."""
        with self.file.write() as db:
            cursor = db.execute(
                "update held_uploads set status = ?, decided_by = ?, decided_at = ?, reason = ?, data = null "
                "where held_id = ? and status = 'held'",
                [status, by, at, reason, held_id],
            )
            return cursor.rowcount == 1

    # -- chunks ----------------------------------------------------------------
    def chunk_rows(self, chunk_ids: list[str]) -> dict[str, ChunkRow]:
        if not chunk_ids:
            return {}
        with self.file.read() as db:
            sql = f"{_CHUNK_SELECT} where c.chunk_id in ({','.join('?' * len(chunk_ids))})"
            cursor = db.execute(sql, chunk_ids)
            names = [d[0] for d in cursor.description]
            return {row["chunk_id"]: _chunk_row(row) for row in (dict(zip(names, r)) for r in cursor)}

    def chunk_rows_for_source(self, source: str) -> list[ChunkRow]:
        """Every chunk of the document with this source path, in document order."""
        with self.file.read() as db:
            cursor = db.execute(f"{_CHUNK_SELECT} where d.source = ? order by c.ordinal", [source])
            names = [d[0] for d in cursor.description]
            return [_chunk_row(dict(zip(names, r))) for r in cursor]

    def iter_chunk_rows(self, batch: int = 1000) -> Iterator[list[ChunkRow]]:
        """All chunks in document order, in batches (for reindex)."""
        last = ("", -1)
        while True:
            with self.file.read() as db:
                cursor = db.execute(
                    f"{_CHUNK_SELECT} where (c.doc_id, c.ordinal) > (?, ?) order by c.doc_id, c.ordinal limit ?",
                    [last[0], last[1], batch],
                )
                names = [d[0] for d in cursor.description]
                rows = [_chunk_row(dict(zip(names, r))) for r in cursor]
            if not rows:
                return
            yield rows
            last = (rows[-1].chunk.doc_id, rows[-1].chunk.ordinal)

    def lexical_search(self, query: str, k: int) -> list[tuple[str, float]]:
        """BM25 ranking from FTS5: (chunk_id, bm25 score, lower is better) best first."""
        terms = [t for t in "".join(ch if ch.isalnum() else " " for ch in query.lower()).split() if len(t) > 1]
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        with self.file.read() as db:
            rows = db.execute(
                "select c.chunk_id, bm25(chunks_fts) as rank from chunks_fts "
                "join chunks c on c.rowid = chunks_fts.rowid where chunks_fts match ? order by rank limit ?",
                [match, k],
            ).fetchall()
        return [(r[0], float(r[1])) for r in rows]
