"""Ingest: files in, chunks in the registry and vectors in the index out.

Content-addressed and idempotent:

* A document's id comes from its source name; a chunk's id from the document id,
  its heading path, page, normalised text and the chunker version.
* A file whose bytes and pipeline (chunker version + embedding model) are unchanged
  is skipped without parsing. A changed file is re-chunked, only chunks with new ids
  are embedded, and exactly its stale chunks are removed.
* Ingesting a folder removes the documents that earlier came from that folder and
  are gone from it now.

Order of writes, so a failure or a kill at any moment leaves a consistent library:
parse and embed (nothing written yet) -> upsert vectors -> replace the document's
rows in SQLite in one transaction (the commit point) -> delete stale vectors.
Vectors without a registry row are never shown (retrieval joins on the registry)
and :meth:`Ingestor.reconcile` sweeps them. A file that fails at any step is
reported with its reason and leaves no partial chunks; the rest of the batch goes on.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np

from tutor.content.chunking import CHUNKER_VERSION, chunk_document, make_doc_id
from tutor.content.loaders import SUPPORTED_SUFFIXES
from tutor.content import phi_screen
from tutor.domain import FailedFile, HeldFile, HeldFinding, IngestReport, LoadedDocument
from tutor.errors import DocumentError, FileTooLarge, TutorError, UnsupportedFileType
from tutor.index.embeddings import Embedder
from tutor.index.parse_sandbox import ParseFunction, SandboxedParser
from tutor.index.registry import LibraryRegistry
from tutor.index.vector_store import ChromaIndex
from tutor.inference_lane import background_inference
from tutor.settings import Settings

Progress = Callable[[float, str], None]
"""Called with (fraction done 0..1, what is happening) during long work."""

UPLOAD_ROOT = "upload"


def _no_progress(fraction: float, message: str) -> None:
    pass


@dataclass
class _Batch:
    """Mutable tallies for one run, frozen into an IngestReport at the end."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    held: list[HeldFile] = field(default_factory=list)
    chunks_added: int = 0
    chunks_removed: int = 0

    def report(self, seconds: float) -> IngestReport:
        return IngestReport(
            added=tuple(self.added), updated=tuple(self.updated), unchanged=tuple(self.unchanged),
            removed=tuple(self.removed), failed=tuple(self.failed), held=tuple(self.held), chunks_added=self.chunks_added,
            chunks_removed=self.chunks_removed, seconds=round(seconds, 3),
        )


@dataclass(frozen=True)
class _Item:
    """One file to ingest: where its bytes come from and what it will be called."""

    source: str
    root: str
    read: Callable[[], bytes]
    size: int
    uploaded_by: str = ""
    module: str | None = None  # the module an instructor chose for an upload
    release: str | None = None  # "redact" | "as_is": an instructor's decision on a held file (not screened again)


def upload_source_name(filename: str) -> str:
    """The source name for an uploaded file: its base name, never a path."""
    name = PurePosixPath(filename.replace("\\", "/")).name.strip()
    return name or "upload"


def index_gaps(index: ChromaIndex, registry: LibraryRegistry) -> tuple[set[str], set[str]]:
    """(vectors without a passage, passages without a vector): both empty when the index is in step.

    Ids, not counts: an orphan left by one interrupted run and a gap left by another balance out.
    """
    indexed, known = index.ids(), registry.chunk_ids()
    return indexed - known, known - indexed


class Ingestor:
    def __init__(
        self,
        registry: LibraryRegistry,
        index: ChromaIndex,
        embedder: Embedder,
        settings: Settings,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        parse: ParseFunction | None = None,
    ):
        self.registry = registry
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.now = now
        # Loaders run in a child with memory and time limits (tutor.index.parse_sandbox);
        # tests pass tutor.content.loaders.load_document only where they want it in-process.
        self.parse = parse or SandboxedParser(settings.parse_timeout_s, settings.parse_memory_mb)
        self.pipeline = f"chunker={CHUNKER_VERSION};embedder={embedder.name}"

    # -- entry points ----------------------------------------------------------
    def ingest_paths(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders (recursively). Sources are relative to each folder."""
        progress = progress or _no_progress
        started = time.perf_counter()
        batch = _Batch()
        items: list[_Item] = []
        folders: list[str] = []
        for path in map(Path, paths):
            if path.is_dir():
                root = str(path.resolve())
                folders.append(root)
                items.extend(self._folder_items(path, root, batch))
            elif path.is_file():
                items.append(self._file_item(path, path.name, str(path.resolve().parent)))
            else:
                batch.failed.append(FailedFile(source=str(path), reason="no such file or folder"))
        self._run(items, batch, progress)
        seen = {make_doc_id(self.settings.course, item.source) for item in items}
        for root in folders:
            for doc_id, source in self.registry.doc_ids_under(root).items():
                if doc_id not in seen:
                    batch.chunks_removed += self._remove(doc_id)
                    batch.removed.append(source)
        progress(1.0, "Done")
        return batch.report(time.perf_counter() - started)

    def ingest_upload(self, filename: str, data: bytes, progress: Progress | None = None) -> IngestReport:
        """Ingest one uploaded file held in memory; its source is the file's base name."""
        return self.ingest_uploads([(filename, data)], progress)

    def ingest_uploads(self, files: list[tuple[str, bytes]], progress: Progress | None = None,
                       *, uploaded_by: str = "", module: str | None = None) -> IngestReport:
        progress = progress or _no_progress
        started = time.perf_counter()
        batch = _Batch()
        items = [
            _Item(source=upload_source_name(name), root=UPLOAD_ROOT, read=(lambda d=data: d), size=len(data),
                  uploaded_by=uploaded_by, module=(module or "").strip() or None)
            for name, data in files
        ]
        self._run(items, batch, progress)
        progress(1.0, "Done")
        return batch.report(time.perf_counter() - started)

    def release(self, held_id: int, *, redact: bool, reason: str, by: str) -> IngestReport:
        """Ingest a held file a reviewer released: identifiers replaced by placeholders, or as it is.

        Releasing as it is needs a reason (the reviewer judges the flags false); both are recorded.
        The file stays held when its ingest fails, so the decision can be made again.
        """
        reason = " ".join(reason.split())
        if not redact and not reason:
            raise TutorError("Give a reason for releasing the file as it is (for example, the flags are false).")
        held = self.registry.held_file(held_id)
        if held is None:
            raise TutorError("That file is no longer waiting for review.", detail=f"held upload {held_id}")
        started = time.perf_counter()
        batch = _Batch()
        item = _Item(source=held.source, root=held.root, read=lambda: held.data, size=len(held.data),
                     release="redact" if redact else "as_is")
        self._run([item], batch, _no_progress)
        report = batch.report(time.perf_counter() - started)
        if report.ok:
            self.registry.decide_held(held_id, status="released" if redact else "released_as_is", by=by,
                                      at=self.now().isoformat(timespec="seconds"), reason=reason or None)
        return report

    def discard(self, held_id: int, *, reason: str, by: str) -> None:
        """Drop a held file: its bytes are deleted, who, when and why are kept."""
        if not self.registry.decide_held(held_id, status="discarded", by=by,
                                         at=self.now().isoformat(timespec="seconds"), reason=reason.strip() or None):
            raise TutorError("That file is no longer waiting for review.", detail=f"held upload {held_id}")

    def delete(self, doc_id: str) -> int:
        """Remove one document from registry and index; returns the number of chunks removed."""
        return self._remove(doc_id)

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the vector index from the registry (the source of truth)."""
        progress = progress or _no_progress
        self.index.drop()
        total = max(self.registry.count_chunks(), 1)
        done = 0
        for rows in self.registry.iter_chunk_rows():
            chunks = [r.chunk for r in rows]
            vectors = self._embed(chunks)
            self.index.upsert(chunks, vectors, [self._extra(r.course, r.module) for r in rows])
            done += len(rows)
            progress(done / total, f"Embedded {done} of {total} passages")
        return done

    def reconcile(self) -> tuple[int, int]:
        """Make the index match the registry: (vectors added, orphan vectors deleted)."""
        indexed = self.index.ids()
        known: set[str] = set()
        missing = []
        for rows in self.registry.iter_chunk_rows():
            for row in rows:
                known.add(row.chunk.chunk_id)
                if row.chunk.chunk_id not in indexed:
                    missing.append(row)
        orphans = indexed - known
        if orphans:
            self.index.delete(orphans)
        if missing:
            chunks = [r.chunk for r in missing]
            vectors = self._embed(chunks)
            self.index.upsert(chunks, vectors, [self._extra(r.course, r.module) for r in missing])
        return len(missing), len(orphans)

    # -- the work --------------------------------------------------------------
    def _folder_items(self, folder: Path, root: str, batch: _Batch) -> list[_Item]:
        items = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder)
            if any(part.startswith(".") for part in relative.parts):
                continue  # hidden files and folders (.git, .DS_Store) are not curriculum
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                batch.failed.append(FailedFile(source=relative.as_posix(), reason=UnsupportedFileType.reason))
                continue
            items.append(self._file_item(path, relative.as_posix(), root))
        return items

    @staticmethod
    def _file_item(path: Path, source: str, root: str) -> _Item:
        return _Item(source=source, root=root, read=path.read_bytes, size=path.stat().st_size)

    def _embed(self, chunks: list) -> np.ndarray:
        with background_inference():  # at a lower priority than the app's clicks (tutor.inference_lane)
            return self.embedder.embed_documents([c.embedding_text for c in chunks])

    def _run(self, items: list[_Item], batch: _Batch, progress: Progress) -> None:
        if any(index_gaps(self.index, self.registry)):
            progress(0.0, "Repairing the index after an interrupted run")
            self.reconcile()
        for number, item in enumerate(items):
            def step(fraction: float, message: str, _n=number) -> None:
                progress((_n + fraction) / max(len(items), 1), f"{item.source}: {message}")

            step(0.0, "reading")
            try:
                self._ingest_one(item, batch, step)
            except DocumentError as exc:
                batch.failed.append(FailedFile(source=item.source, reason=exc.reason))
            except TutorError as exc:
                batch.failed.append(FailedFile(source=item.source, reason=exc.user_message))

    def _ingest_one(self, item: _Item, batch: _Batch, step: Progress) -> None:
        FileTooLarge.check(item.source, item.size, self.settings.max_upload_bytes)
        if PurePosixPath(item.source).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise UnsupportedFileType(item.source)
        try:
            data = item.read()
        except OSError as exc:
            raise DocumentError(item.source, f"the file could not be read ({exc.strerror})") from exc
        content_hash = hashlib.sha256(data).hexdigest()
        doc_id = make_doc_id(self.settings.course, item.source)
        previous = self.registry.pipeline_of(doc_id)
        if previous == (content_hash, self.pipeline):
            batch.unchanged.append(item.source)
            return

        step(0.1, "parsing")
        document = self.parse(data, item.source)
        document = self._screened(document, item, data, content_hash, batch)
        if document is None:
            return  # held for an instructor's review: not chunked, not indexed
        chunks = chunk_document(
            document, doc_id,
            max_chars=self.settings.chunk_max_chars, overlap_chars=self.settings.chunk_overlap_chars,
        )
        doc_row = self._doc_row(document, doc_id, item, content_hash, len(data), len(chunks))
        stored = self.registry.get(doc_id)
        same_labels = stored is not None and (stored.course, stored.module) == (doc_row["course"], doc_row["module"])
        old_ids = self.registry.chunk_ids(doc_id) if same_labels else set()
        fresh = [c for c in chunks if c.chunk_id not in old_ids]

        step(0.3, f"embedding {len(fresh)} passages")
        vectors = self._embed(fresh)
        extra = self._extra(doc_row["course"], doc_row["module"])
        self.index.upsert(fresh, vectors, [extra] * len(fresh))
        step(0.9, "saving")
        stale = self.registry.replace_document(doc_row, chunks)
        self.index.delete(stale)

        batch.chunks_added += len(fresh)
        batch.chunks_removed += len(stale)
        (batch.updated if previous else batch.added).append(item.source)

    def _screened(
        self, document: LoadedDocument, item: _Item, data: bytes, content_hash: str, batch: _Batch
    ) -> LoadedDocument | None:
        """The document to index, redacted when so released; None when it is held for review.

        Held for the identifier kinds patterns find (``phi_screen.PATTERN_KINDS``); names are
        listed with them but do not hold a file on their own (teaching cases name fictional
        patients, and the name detector is best effort).
        """
        if item.release == "as_is" or not self.settings.phi_screening:
            return document
        if item.release == "redact":
            return _redacted(document)
        findings = _held_findings(document)
        counts = phi_screen.counts(findings)
        if not any(kind in phi_screen.PATTERN_KINDS for kind in counts):
            return document
        held_id = self.registry.hold(
            source=item.source, root=item.root, content_hash=content_hash, data=data, findings=findings,
            uploaded_by=item.uploaded_by, held_at=self.now().isoformat(timespec="seconds"),
        )
        batch.held.append(HeldFile(source=item.source, held_id=held_id, counts=counts))
        return None

    def _doc_row(
        self, document: LoadedDocument, doc_id: str, item: _Item, content_hash: str, size: int, n_chunks: int
    ) -> dict:
        meta = document.meta
        title_set, module_set = self.registry.labels_set(doc_id)  # an instructor's labels outlive a re-upload
        module = (module_set or None) if module_set is not None else (meta.module or item.module)
        return {
            "doc_id": doc_id,
            "course": meta.course or self.settings.course,
            "source": item.source,
            "root": item.root,
            "kind": document.kind,
            "title": title_set or meta.title or PurePosixPath(item.source).stem,
            "module": module,
            "topic": meta.topic,
            "objectives": json.dumps(list(meta.objectives)),
            "tags": json.dumps(list(meta.tags)),
            "content_hash": content_hash,
            "size_bytes": size,
            "n_chunks": n_chunks,
            "pipeline": self.pipeline,
            "ingested_at": self.now().isoformat(timespec="seconds"),
        }

    @staticmethod
    def _extra(course: str, module: str | None) -> dict:
        return {"course": course, "module": module}

    def relabel(self, doc_id: str, *, title: str, module: str | None) -> None:
        """An instructor's title and module for a document; its passages are re-labelled, not re-embedded."""
        self.index.relabel(self.registry.set_labels(doc_id, title=title, module=module), {"module": module})

    def _remove(self, doc_id: str) -> int:
        removed = self.registry.delete_document(doc_id)
        self.index.delete(removed)
        return len(removed)



def _held_findings(document: LoadedDocument) -> list[HeldFinding]:
    """Every identifier in the document's title and sections, masked, with page and line."""
    findings: list[HeldFinding] = []
    if document.meta.title:
        findings += [HeldFinding(kind=f.kind, label=f.label, excerpt=f.excerpt, line=0)
                     for f in phi_screen.screen(document.meta.title)]
    line = 1
    for section in document.sections:
        for part in (*section.heading_path, section.text):
            for f in phi_screen.screen(part):
                findings.append(HeldFinding(kind=f.kind, label=f.label, excerpt=f.excerpt, page=section.page,
                                            line=line + part.count("\n", 0, f.start)))
        line += section.text.count("\n") + 2
    return findings


def _redacted(document: LoadedDocument) -> LoadedDocument:
    """The document with every flagged identifier (names included) replaced by its placeholder."""
    meta = document.meta
    if meta.title:
        meta = meta.model_copy(update={"title": phi_screen.redact(meta.title)})
    sections = tuple(
        s.model_copy(update={"text": phi_screen.redact(s.text),
                             "heading_path": tuple(phi_screen.redact(h) for h in s.heading_path)})
        for s in document.sections
    )
    return document.model_copy(update={"meta": meta, "sections": sections})
