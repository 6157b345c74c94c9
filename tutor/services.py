"""The composition root: the one place where the tutor's parts are built and wired.

Pages, the CLI and tests all get their objects from :func:`build_services`. Tests
swap a part through the same seam (``build_services(settings, embedder=...)``),
never by patching library internals. The bundle is thread-safe and process-wide
(the UI caches one per process); it holds no per-learner state.
"""

from __future__ import annotations

from collections.abc import Callable
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from tutor.bank.store import QuestionBank
from tutor.cases.store import CaseLibrary
from tutor.domain import HeldUpload, IngestReport, SearchResult, SourceDoc
from tutor.errors import InvalidQuery
from tutor.index.chroma_client import chroma_link
from tutor.index.embeddings import Embedder, build_embedder
from tutor.index.ingest import Ingestor, Progress
from tutor.index.parse_sandbox import ParseFunction
from tutor.index.registry import ChunkRow, LibraryRegistry
from tutor.index.retrieve import Retriever
from tutor.index.vector_store import ChromaIndex
from tutor.jobs.queue import Handler, JobQueue, WorkerThreads, build_huey
from tutor.jobs.store import Job, JobStore
from tutor.judge.model import RelevanceJudge, build_judge
from tutor.llm.factory import build_chat_model
from tutor.llm.model_queue import ModelQueue
from tutor.modes.ask.service import AskService
from tutor.modes.bank.admin import BankAdmin, QuestionImport
from tutor.modes.bank.drafting import QuestionDrafter
from tutor.modes.cases.admin import CaseAdmin, CaseImport
from tutor.modes.cases.discussion import CaseService
from tutor.modes.cases.matching import CaseMatcher
from tutor.modes.curriculum_links import CurriculumLinks
from tutor.modes.access import Actor
from tutor.modes.accounts.service import AccountService
from tutor.modes.dashboards.service import Dashboards
from tutor.modes.quiz.service import QuizService
from tutor.clock import utc_now
from tutor.progress.accounts import AccountStore
from tutor.progress.browser_sessions import BrowserSessionStore
from tutor.progress.conversations import ConversationStore
from tutor.progress.reports import ProgressReports
from tutor.progress.store import ProgressStore
from tutor.settings import Settings


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    judge: RelevanceJudge | None
    registry: LibraryRegistry
    index: ChromaIndex
    ingestor: Ingestor
    retriever: Retriever
    progress: ProgressStore
    tutor: AskService
    bank: QuestionBank
    links: CurriculumLinks
    questions: BankAdmin
    quiz: QuizService
    case_library: CaseLibrary
    case_files: CaseAdmin
    cases: CaseService
    accounts: AccountService
    dashboards: Dashboards
    jobs: JobQueue | None = None  # set right after construction: its handlers call back into this bundle

    # The small facade the pages and the CLI call; each is one service method on one event.
    def search(self, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> SearchResult:
        return self.retriever.search(query, k, filters)

    def documents(self) -> list[SourceDoc]:
        return self.registry.documents()

    def library_is_empty(self) -> bool:
        return self.registry.count_chunks() == 0

    # Library changes (staff only) may move or replace passages: CurriculumLinks notices (library generation).
    def ingest_uploads(self, actor: Actor, files: list[tuple[str, bytes]], progress: Progress | None = None,
                       module: str | None = None) -> IngestReport:
        actor.require_staff()
        return self.ingestor.ingest_uploads(files, progress, uploaded_by=actor.username, module=module)

    # Background jobs: the work outlives the page (tutor.jobs); the page follows the job's row.
    def submit_uploads(self, actor: Actor, files: list[tuple[str, bytes]], module: str | None = None) -> Job:
        """Queue uploaded files for indexing; they are saved before this returns, so a closed tab loses nothing."""
        actor.require_staff()
        names = ", ".join(name for name, _ in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        return self.jobs.submit("ingest_uploads", f"Upload: {names}", actor.username,
                                {"actor": asdict(actor), "module": module}, files)

    def submit_ingest_paths(self, actor: Actor, paths: list[Path]) -> Job:
        """Queue folders or files on this host for ingest (``tutor ingest`` beside a running worker)."""
        actor.require_staff()
        folders = [str(Path(p).resolve()) for p in paths]
        return self.jobs.submit("ingest_paths", f"Ingest {', '.join(folders)}"[:200], actor.username, {"paths": folders})

    def recent_jobs(self, actor: Actor, limit: int = 20) -> list[Job]:
        actor.require_staff()
        return self.jobs.recent(limit)

    def job(self, actor: Actor, job_id: str) -> Job | None:
        actor.require_staff()
        return self.jobs.get(job_id)

    def start_job_worker(self) -> WorkerThreads:
        """Run this data folder's jobs in threads of this process (the app with the embedded index, `tutor worker`)."""
        return WorkerThreads(self.jobs).start()

    # Uploads the PHI screen held (tutor.content.phi_screen): staff review them on the Library page.
    def held_uploads(self, actor: Actor) -> list[HeldUpload]:
        actor.require_staff()
        return self.registry.held_uploads()

    def release(self, actor: Actor, held_id: int, redact: bool = True, reason: str = "") -> IngestReport:
        """Index a held file: identifiers replaced by placeholders, or (with a reason) as it is."""
        actor.require_staff()
        return self.ingestor.release(held_id, redact=redact, reason=reason, by=actor.username)

    def discard(self, actor: Actor, held_id: int, reason: str = "") -> None:
        """Drop a held file (its bytes are deleted; who and when are kept)."""
        actor.require_staff()
        self.ingestor.discard(held_id, reason=reason, by=actor.username)

    def edit_document(self, actor: Actor, doc_id: str, *, title: str, module: str | None) -> None:
        """An instructor's title and module for a document (students see them in citations and filters)."""
        actor.require_staff()
        title, module = " ".join((title or "").split()), " ".join((module or "").split()) or None
        if not title:
            raise InvalidQuery("Give the document a title: students see it on every citation.")
        if len(title) > 200 or (module and len(module) > 80):
            raise InvalidQuery("Keep the title under 200 characters and the module under 80.")
        if self.registry.get(doc_id) is None:
            raise InvalidQuery("That document is no longer in the library.")
        self.ingestor.relabel(doc_id, title=title, module=module)

    def passages(self, actor: Actor, doc_id: str) -> list[ChunkRow]:
        """A document's passages in order, for the instructor's preview."""
        actor.require_staff()
        doc = self.registry.get(doc_id)
        return self.registry.chunk_rows_for_source(doc.source) if doc else []

    def delete_document(self, actor: Actor, doc_id: str) -> int:
        actor.require_staff()
        return self.ingestor.delete(doc_id)

    def reindex(self, actor: Actor, progress: Progress | None = None) -> int:
        actor.require_staff()
        return self.ingestor.reindex(progress)  # same passages, same ids: citations stay valid

    def ingest_bundled_content(self, progress: Progress | None = None) -> IngestReport:
        """Index the bundled curriculum (the app does this when the library is empty)."""
        return self.ingestor.ingest_paths([self.settings.content_dir], progress)

    def load_bundled_questions(self) -> list[QuestionImport]:
        """Load the bundled question bank (cheap when nothing changed; the app does it on start)."""
        return self.questions.load_bundled(self.settings.questions_dir)

    def load_bundled_cases(self) -> list[CaseImport]:
        """Load the bundled clinical cases (cheap when nothing changed; the app does it on start)."""
        return self.case_files.load_bundled(self.settings.cases_dir)


def build_services(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    judge: RelevanceJudge | None = None,
    chat_model: BaseChatModel | None = None,
    now: Callable[[], datetime] = utc_now,
    parse: ParseFunction | None = None,
) -> Services:
    """Build every part from ``settings``; pass ``embedder``, ``judge`` or ``chat_model`` to use those instead.

    The chat model is built lazily (on the first question) unless one is given: starting
    the local model takes seconds and memory that search and the library never need.
    Files are parsed in a limited child process (``tutor.index.parse_sandbox``); ``parse``
    replaces that only for a test that deliberately wants the loaders in-process.
    """
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    embedder = embedder or build_embedder(settings)
    registry = LibraryRegistry(settings.library_db)
    index = ChromaIndex(chroma_link(settings), settings.collection, embedder)
    judge = judge if judge is not None or not settings.relevance_judge else build_judge(settings)
    retriever = Retriever(registry, index, embedder, settings, judge)
    progress = ProgressStore(settings.progress_db, now=now)
    queue = ModelQueue(settings.model_slots, settings.llm_queue_max, typical_s=settings.llm_typical_answer_s)
    progress.ensure_course(settings.course, settings.course.replace("-", " ").title())
    bank = QuestionBank(settings.bank_db, now=now)
    links = CurriculumLinks(registry, index, embedder, judge)
    case_library = CaseLibrary(settings.cases_db, now=now)
    model = (lambda: chat_model) if chat_model is not None else _lazy_model(settings)
    drafter = QuestionDrafter(
        registry=registry, bank=bank, embedder=embedder, chat_model=model,
        course_id=settings.course, duplicate_threshold=settings.duplicate_stem_similarity,
        timeout_s=settings.draft_timeout_s, judge=judge, queue=queue,
    )
    services = Services(
        settings=settings,
        embedder=embedder,
        judge=judge,
        registry=registry,
        index=index,
        ingestor=Ingestor(registry, index, embedder, settings, now=now, parse=parse),
        retriever=retriever,
        progress=progress,
        tutor=AskService(retriever=retriever, embedder=embedder, progress=progress, settings=settings, chat_model=model,
                         judge=judge, conversations=ConversationStore(settings.progress_db, now=now), queue=queue),
        bank=bank,
        links=links,
        questions=BankAdmin(
            bank=bank, drafter=drafter, links=links, course_id=settings.course,
            max_upload_bytes=settings.max_upload_bytes,
        ),
        quiz=QuizService(bank=bank, progress=progress, links=links, course_id=settings.course, now=now),
        case_library=case_library,
        case_files=CaseAdmin(library=case_library, max_upload_bytes=settings.max_upload_bytes),
        cases=CaseService(
            library=case_library, progress=progress, matcher=CaseMatcher(embedder), links=links,
            chat_model=model if settings.case_model_sorting else None, timeout_s=settings.request_timeout_s,
            screen_phi=settings.phi_screening, queue=queue,
        ),
        accounts=AccountService(
            store=AccountStore(settings.progress_db, now=now), progress=progress, course_id=settings.course, now=now,
            sessions=BrowserSessionStore(settings.progress_db, now=now),
            remember_for=timedelta(hours=settings.remember_sign_in_hours),
        ),
        dashboards=Dashboards(
            reports=ProgressReports(settings.progress_db, now=now), progress=progress, bank=bank,
            case_library=case_library, course_id=settings.course, now=now,
        ),
    )
    services.jobs = JobQueue(JobStore(settings.jobs_db, now=now), build_huey(settings.jobs_url, settings.data_dir),
                             settings.data_dir / "spool", _job_handlers(services),
                             stale_after_s=settings.jobs_stale_after_s)
    return services


def _job_handlers(services: Services) -> dict[str, Handler]:
    """What each kind of background job does, in terms of the bundle's own methods."""

    def ingest_uploads(job: Job, files: list[tuple[str, bytes]], progress: Progress) -> dict:
        actor = Actor(**job.payload["actor"])
        return services.ingest_uploads(actor, files, progress, module=job.payload.get("module")).model_dump(mode="json")

    def ingest_paths(job: Job, _files: list[tuple[str, bytes]], progress: Progress) -> dict:
        return services.ingestor.ingest_paths([Path(p) for p in job.payload["paths"]], progress).model_dump(mode="json")

    return {"ingest_uploads": ingest_uploads, "ingest_paths": ingest_paths}


def _lazy_model(settings: Settings) -> Callable[[], BaseChatModel]:
    """The configured chat model, built on first use and then shared (one local server per process)."""
    lock = threading.Lock()
    built: list[BaseChatModel] = []

    def model() -> BaseChatModel:
        with lock:
            if not built:
                built.append(build_chat_model(settings))
            return built[0]

    return model
