"""Health checks behind ``tutor doctor``: can this installation do its job?

Each check is independent and reports a plain sentence, so one broken part (a
missing model file, a corrupt database) does not hide the state of the others.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing

from pydantic import BaseModel

from tutor.errors import TutorError
from tutor.settings import Settings


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


def _run(name: str, probe: Callable[[], str]) -> Check:
    try:
        return Check(name=name, ok=True, detail=probe())
    except TutorError as exc:
        return Check(name=name, ok=False, detail=exc.user_message + (f" ({exc})" if str(exc) != exc.user_message else ""))
    except Exception as exc:  # a health check reports every failure instead of stopping
        return Check(name=name, ok=False, detail=f"{type(exc).__name__}: {exc}")


def run_checks(settings: Settings) -> list[Check]:
    from tutor.bank.store import QuestionBank
    from tutor.cases.store import CaseLibrary
    from tutor.index.chroma_client import chroma_link
    from tutor.index.embeddings import MiniLMOnnxEmbedder, build_embedder
    from tutor.index.ingest import index_gaps
    from tutor.index.registry import LibraryRegistry
    from tutor.index.vector_store import ChromaIndex
    from tutor.progress.store import ProgressStore

    checks: list[Check] = []
    state: dict = {}

    def data_dir() -> str:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        return f"{settings.data_dir} (writable)"

    def embedder() -> str:
        model = build_embedder(settings)
        if isinstance(model, MiniLMOnnxEmbedder):
            model.verify_files()
        started = time.perf_counter()
        vector = model.embed_query("Which drug reverses opioid overdose?")
        state["embedder"] = model
        return f"{model.name}, {len(vector)} dimensions, first embedding in {time.perf_counter() - started:.2f} s"

    def sqlite_file(path, opener) -> Callable[[], str]:
        def probe() -> str:
            store = opener(path)  # applies pending migrations
            with closing(sqlite3.connect(path)) as conn:
                verdict = conn.execute("pragma integrity_check").fetchone()[0]
            if verdict != "ok":
                raise RuntimeError(f"integrity check: {verdict}")
            state[path] = store
            return f"{path} ({len(store.applied_migrations())} migrations, integrity ok)"

        return probe

    def index() -> str:
        if "embedder" not in state or settings.library_db not in state:
            raise RuntimeError("skipped: the embedding model or the library database failed")
        chroma = ChromaIndex(chroma_link(settings), settings.collection, state["embedder"])
        orphans, missing = index_gaps(chroma, state[settings.library_db])
        if orphans or missing:
            raise RuntimeError(f"{len(missing)} passages without a vector, {len(orphans)} vectors without a passage;"
                               " run `tutor reindex`")
        return f"{chroma.count()} passages indexed in {chroma.location}"

    def chat_model() -> str:
        if settings.llm_provider != "local":
            return f"{settings.llm_provider} provider ({settings.llm_model if settings.llm_provider == 'openai' else settings.llm_script})"
        from tutor.llm.gguf import check_gguf_metadata
        from tutor.llm.local_model import ensure_model_file
        from tutor.llm.packaged_models import get_packaged_model

        model = get_packaged_model(settings.local_model)
        path = ensure_model_file(model, settings.data_dir / "models")
        problems = check_gguf_metadata(model, path)
        if problems:
            raise RuntimeError("; ".join(problems))
        return f"{settings.local_model}: {path} (hash and GGUF metadata verified)"

    def judge() -> str:
        from tutor.judge.model import build_judge

        model = build_judge(settings)
        if model is None:
            return "turned off (TUTOR_RELEVANCE_JUDGE=false): coverage falls back to the cosine threshold"
        model.verify()
        started = time.perf_counter()
        (probability,) = model.relevance("Which drug reverses opioid overdose?",
                                         ["Naloxone reverses opioid overdose; give it intravenously or intranasally."])
        return (f"{model.name}: {model.model_path.name} (hash verified), coverage rule over "
                f"{len(model.coverage.weights)} features, "
                f"support threshold {model.support_threshold:.2f}, first verdict {probability:.2f} in "
                f"{time.perf_counter() - started:.2f} s")

    def accounts() -> str:
        from tutor.progress.accounts import AccountStore

        store = AccountStore(settings.progress_db)
        everyone = store.accounts()
        admins = sum(1 for a in everyone if a.role == "admin" and a.active)
        if not store.can_sign_in_count():
            return "no account can sign in yet: the first visitor creates the administrator (or `tutor users add`)"
        return f"{len(everyone)} accounts, {admins} active admin(s)"

    def content() -> str:
        files = [p for p in settings.content_dir.rglob("*") if p.is_file()] if settings.content_dir.is_dir() else []
        if not files:
            raise RuntimeError(f"no bundled curriculum in {settings.content_dir}")
        banks = list(settings.questions_dir.glob("*.y*ml")) if settings.questions_dir.is_dir() else []
        cases = list(settings.cases_dir.glob("*.y*ml")) if settings.cases_dir.is_dir() else []
        return (f"{len(files)} files in {settings.content_dir}; {len(banks)} question files in {settings.questions_dir};"
                f" {len(cases)} case files in {settings.cases_dir}")

    checks.append(_run("data folder", data_dir))
    checks.append(_run("embedding model", embedder))
    checks.append(_run("relevance judge", judge))
    checks.append(_run("library database", sqlite_file(settings.library_db, LibraryRegistry)))
    checks.append(_run("progress database", sqlite_file(settings.progress_db, ProgressStore)))
    checks.append(_run("question bank", sqlite_file(settings.bank_db, QuestionBank)))
    checks.append(_run("case library", sqlite_file(settings.cases_db, CaseLibrary)))
    checks.append(_run("accounts", accounts))
    checks.append(_run("vector index", index))
    checks.append(_run("chat model", chat_model))
    checks.append(_run("bundled content", content))
    return checks
