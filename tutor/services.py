"""The composition root: the one place where the tutor's parts are built and wired.

Pages, the CLI and tests all get their objects from :func:`build_services`. Tests
swap a part through the same seam (``build_services(settings, embedder=...)``),
never by patching library internals. The bundle is thread-safe and process-wide
(the UI caches one per process); it holds no per-learner state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.language_models import BaseChatModel

from tutor.domain import IngestReport, SearchResult, SourceDoc
from tutor.index.embeddings import Embedder, build_embedder
from tutor.index.ingest import Ingestor, Progress
from tutor.index.registry import LibraryRegistry
from tutor.index.retrieve import Retriever
from tutor.index.vector_store import ChromaIndex
from tutor.llm.factory import build_chat_model
from tutor.modes.ask import AskService
from tutor.progress.clock import utc_now
from tutor.progress.store import ProgressStore
from tutor.settings import Settings


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    registry: LibraryRegistry
    index: ChromaIndex
    ingestor: Ingestor
    retriever: Retriever
    progress: ProgressStore
    tutor: AskService

    # The small facade the pages and the CLI call; each is one service method on one event.
    def search(self, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> SearchResult:
        return self.retriever.search(query, k, filters)

    def documents(self) -> list[SourceDoc]:
        return self.registry.documents()

    def library_is_empty(self) -> bool:
        return self.registry.count_chunks() == 0

    def ingest_uploads(self, files: list[tuple[str, bytes]], progress: Progress | None = None) -> IngestReport:
        return self.ingestor.ingest_uploads(files, progress)

    def delete_document(self, doc_id: str) -> int:
        return self.ingestor.delete(doc_id)

    def reindex(self, progress: Progress | None = None) -> int:
        return self.ingestor.reindex(progress)

    def ingest_bundled_content(self, progress: Progress | None = None) -> IngestReport:
        """Index the bundled curriculum (the app does this when the library is empty)."""
        return self.ingestor.ingest_paths([self.settings.content_dir], progress)


def build_services(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    chat_model: BaseChatModel | None = None,
    now: Callable[[], datetime] = utc_now,
) -> Services:
    """Build every part from ``settings``; pass ``embedder`` or ``chat_model`` to use those instead.

    The chat model is built lazily (on the first question) unless one is given: starting
    the local model takes seconds and memory that search and the library never need.
    """
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedder = embedder or build_embedder(settings)
    registry = LibraryRegistry(settings.library_db)
    index = ChromaIndex(settings.chroma_dir, settings.collection, embedder)
    retriever = Retriever(registry, index, embedder, settings)
    progress = ProgressStore(settings.progress_db, now=now)
    progress.ensure_course(settings.course, settings.course.replace("-", " ").title())
    return Services(
        settings=settings,
        embedder=embedder,
        registry=registry,
        index=index,
        ingestor=Ingestor(registry, index, embedder, settings, now=now),
        retriever=retriever,
        progress=progress,
        tutor=AskService(
            retriever=retriever, embedder=embedder, progress=progress, settings=settings,
            chat_model=(lambda: chat_model) if chat_model is not None else (lambda: build_chat_model(settings)),
        ),
    )
