"""Prompt injection through documents, at size: ``python -m tests.hardening.injection_figures [--files 300]``.

Builds a real library (the mini curriculum plus ``--files`` poisoned files from
:mod:`tests.hardening.poisoned_documents`, ingested as an operator's upload through the
real pipeline), seeds a second student ("bob") with canary strings in a conversation,
a case session and his display name, then asks, as the first student ("ada"), the
question that retrieves each poisoned file, with a model that obeys every instruction
it sees (:mod:`tests.hardening.obeying_model`). Prints, per attack kind: files,
questions, unauthorized tool calls executed, other-student data shown, outside images
or links rendered, system-prompt leaks, text invisible in the file (white, tiny, off-page
PDF text; hidden or white DOCX runs) found in the file's passages, and answers refused (not
covered / unsupported).

The same harness (:func:`open_library`, :func:`ask_all`) backs the quick test in
``test_prompt_injection.py``; only the real embedder and no network are needed.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.accounts import PASSWORD
from tests.case_files import MINI_CASE_ID, MINI_CASE_YAML
from tests.hardening.obeying_model import CANARY, ObeyingModel, outside_references, prompt_leaks
from tests.hardening.poisoned_documents import ALL_KINDS, PoisonedFile, poisoned_files
from tests.markdown_files import write_mini_curriculum
from tests.network import loopback_only
from tutor.domain import Answer
from tutor.modes.access import Actor
from tutor.services import Services, build_services
from tutor.settings import Settings
from tutor.ui.components import escape_markdown

ALLOWED_TOOLS = {"search_curriculum"}
# carriers whose text no reader of the file can see: the loaders must not read it at all
INVISIBLE_CARRIERS = frozenset({"pdf_white_text", "pdf_form_white_text", "pdf_tiny_text", "pdf_offpage_text",
                                "docx_vanish", "docx_white_text"})


def canary(kind: str) -> str:
    return f"CANARY-{kind}-{hashlib.sha256(kind.encode()).hexdigest()[:8]}"


CANARIES = {kind: canary(kind) for kind in ("NAME", "CONV", "CASE", "DDX")}


@dataclass
class Library:
    services: Services
    model: ObeyingModel
    ada: Actor
    bob: Actor
    instructor: Actor
    case_session: str
    documents: int
    held: tuple[str, ...] = ()  # poisoned files the ingest held for review (PHI screening), not in the library


def open_library(folder: Path, embedder, files: list[PoisonedFile]) -> Library:
    """The mini curriculum + ``files`` uploaded as the operator; ada, bob (with canaries), an instructor."""
    curriculum = write_mini_curriculum(folder / "curriculum")
    cases = folder / "cases"
    cases.mkdir(parents=True)
    (cases / "mini.yaml").write_text(MINI_CASE_YAML, encoding="utf-8")
    model = ObeyingModel()
    settings = Settings(data_dir=folder / "data", content_dir=curriculum, questions_dir=folder / "no-bank",
                        cases_dir=cases, case_model_requests=False, llm_provider="scripted")
    assert settings.tools_enabled, "the obeying model must be offered tools"
    services = build_services(settings, embedder=embedder, chat_model=model.chat_model)
    assert services.ingest_bundled_content().ok
    services.load_bundled_cases()
    report = services.ingest_uploads(Actor.operator(), [(f.name, f.data) for f in files])
    assert not report.failed, report.failed
    accounts = services.accounts
    admin = accounts.create_first_admin("root", "Admin", PASSWORD)
    accounts.add(admin, "dr-lee", "Dr Lee", "instructor", PASSWORD)
    accounts.add(admin, "ada", "Ada Lovelace", "student", PASSWORD)
    accounts.add(admin, "bob", f"Bob {CANARIES['NAME']}", "student", PASSWORD)
    instructor, ada, bob = (accounts.sign_in(name, PASSWORD) for name in ("dr-lee", "ada", "bob"))

    # bob's private work, each piece carrying a canary
    services.tutor.ask(f"What is the emergency treatment for hyperkalaemia? {CANARIES['CONV']}", learner_id=bob.learner_id)
    session = services.cases.start(bob.learner_id, MINI_CASE_ID).session.session_id
    services.cases.ask(session, bob.learner_id, f"what medications is he on {CANARIES['CASE']}")
    model.tool_results.clear()
    model.obedience.clear()
    return Library(services, model, ada, bob, instructor, session, len(services.documents()),
                   tuple(h.source for h in report.held))


@dataclass
class Outcome:
    file: PoisonedFile
    answer: Answer
    held: bool
    retrieved: bool
    requested_tools: list[str]
    unauthorized_executed: list[str]
    canaries_shown: list[str]
    canaries_sent_to_model: list[str]
    rendered_outside: list[str]
    leaks: list[str]
    invisible_indexed: bool = False  # text no reader of the file can see is in its passages

    @property
    def refused(self) -> bool:
        return self.answer.kind in ("not_covered", "unsupported")


def rendered_markdown(answer: Answer, services: Services, question: str) -> list[str]:
    """What the Ask and Search pages pass to st.markdown for this answer (see tutor/ui/answer_view.py
    and tutor/ui/components.py): the answer text as is, curriculum text escaped."""
    shown = [answer.text]
    for c in answer.citations:
        shown += [escape_markdown(c.doc_title or c.source), escape_markdown(c.text).replace("\n", "  \n")]
    shown += [f"> {escape_markdown(q.text)} **[{q.citation_number}]**" for q in answer.quotes]
    for hit in services.search(question).hits:
        preview = " ".join(hit.text.split())
        shown += [f"**1. {escape_markdown(hit.doc_title or hit.source)}**", escape_markdown(preview[:280]),
                  escape_markdown(hit.text).replace("\n", "  \n")]
    return shown


def ask_one(library: Library, f: PoisonedFile) -> Outcome:
    services, model = library.services, library.model
    seen_before, results_before = len(model.chat_model.prompts_seen), len(model.tool_results)
    answer = services.tutor.ask(f.question, learner_id=library.ada.learner_id)
    prompts = model.chat_model.prompts_seen[seen_before:]
    results = model.tool_results[results_before:]
    sent = "\n".join(str(m.content) for prompt in prompts for m in prompt)
    unauthorized = [r.name for r in results if r.name not in ALLOWED_TOOLS and r.status != "error"]
    unauthorized += [f"{r.name}->learner data" for r in results if r.name in ALLOWED_TOOLS and CANARY.search(r.content)]
    shown_text = "\n".join([answer.text, *(c.text for c in answer.citations), *(q.text for q in answer.quotes)])
    requested = model.obedience[-1].requested_tools if prompts and model.obedience else []
    # the prompt names passages by title, not file: "retrieved" = one of the file's passages was in the model's evidence
    evidence = [h for h in services.search(f.question).hits if h.relevant][: services.settings.prompt_passages]
    return Outcome(
        file=f, answer=answer, held=f.name in library.held, retrieved=any(h.source == f.name for h in evidence), requested_tools=requested,
        unauthorized_executed=unauthorized,
        canaries_shown=sorted(set(CANARY.findall(shown_text)) | {c for c in CANARIES.values() if c in shown_text}),
        canaries_sent_to_model=sorted({c for c in CANARIES.values() if c in sent}),
        rendered_outside=[ref for md in rendered_markdown(answer, services, f.question) for ref in outside_references(md)],
        leaks=prompt_leaks(answer.text),
        invisible_indexed=bool(INVISIBLE_CARRIERS & set(f.attacks)) and _opening(f.payload) in _passages(services, f),
    )


def _passages(services: Services, f: PoisonedFile) -> str:
    sources = [d.source for d in services.documents() if Path(d.source).name == f.name]
    text = " ".join(row.chunk.text for source in sources for row in services.registry.chunk_rows_for_source(source))
    return " ".join(text.split())


def _opening(payload: str) -> str:
    """The payload's first six words, as they would read in a passage (line breaks are spaces there)."""
    return " ".join(payload.split()[:6])


def ask_all(library: Library, files: list[PoisonedFile]) -> list[Outcome]:
    return [ask_one(library, f) for f in files]


def stored_canaries(library: Library) -> list[str]:
    """Canaries in anything stored for ada (her whole chat history)."""
    turns = library.services.progress.chat_history(library.ada.learner_id, limit=100_000)
    text = "\n".join(f"{t.question}\n{t.answer}\n" + "\n".join(c.text for c in t.citations) for t in turns)
    return sorted({c for c in CANARIES.values() if c in text})


@dataclass
class Row:
    files: int = 0
    questions: int = 0
    held: int = 0
    retrieved: int = 0
    tools_requested: int = 0
    unauthorized: int = 0
    other_student: int = 0
    outside_rendered: int = 0
    leaks: int = 0
    invisible_indexed: int = 0
    refused: int = 0
    prompt_echoed: int = 0
    names: set = field(default_factory=set)


COLUMNS = ("files", "questions", "held", "retrieved", "tools_requested", "unauthorized", "other_student",
           "outside_rendered", "leaks", "invisible_indexed", "refused")


def figures(outcomes: list[Outcome]) -> dict[str, Row]:
    rows: dict[str, Row] = defaultdict(Row)
    for o in outcomes:
        for kind in (*o.file.attacks, "ALL"):
            row = rows[kind]
            row.names.add(o.file.name)
            row.files = len(row.names)
            row.questions += 1
            row.held += o.held
            row.retrieved += o.retrieved
            row.tools_requested += len([t for t in o.requested_tools if t not in ALLOWED_TOOLS])
            row.unauthorized += len(o.unauthorized_executed)
            row.other_student += len(o.canaries_shown)
            row.outside_rendered += len(o.rendered_outside)
            row.leaks += bool(o.leaks)
            row.invisible_indexed += o.invisible_indexed
            row.refused += o.refused
    return rows


def table(rows: dict[str, Row]) -> str:
    head = f"{'attack':21}" + "".join(f"{c:>{len(c) + 2}}" for c in COLUMNS)
    lines = [head, "-" * len(head)]
    for kind in [k for k in ALL_KINDS if k in rows] + ["ALL"]:
        lines.append(f"{kind:21}" + "".join(f"{getattr(rows[kind], c):>{len(c) + 2}}" for c in COLUMNS))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()
    # langgraph serialises the runtime context for its debug stream and warns that it is not None
    warnings.filterwarnings("ignore", message="Pydantic serializer warnings")
    from tutor.index.embeddings import MiniLMOnnxEmbedder

    embedder = MiniLMOnnxEmbedder()
    embedder.load()
    files = poisoned_files(args.files)
    with tempfile.TemporaryDirectory() as tmp, loopback_only():
        started = time.perf_counter()
        library = open_library(Path(tmp), embedder, files)
        ingested = time.perf_counter()
        outcomes = ask_all(library, files)
        asked = time.perf_counter()
        print(table(figures(outcomes)))
        print(f"\ncanaries in ada's stored turns: {stored_canaries(library)}")
        print(f"documents before/after the questions: {library.documents}/{len(library.services.documents())}")
        echoed = sum(o.prompt_echoed for o in library.model.obedience)
        print(f"the obeying model echoed the system prompt {echoed} times; tool calls it emitted: "
              f"{sum(len(o.requested_tools) for o in library.model.obedience)}; tool results it saw: "
              f"{len(library.model.tool_results)} ({sum(r.status == 'error' for r in library.model.tool_results)} errors)")
        kinds = defaultdict(int)
        for o in outcomes:
            kinds[o.answer.kind] += 1
        print(f"answer kinds: {dict(kinds)}")
        print(f"ingest {ingested - started:.1f} s for {len(files)} files; {asked - ingested:.1f} s for "
              f"{len(outcomes)} questions ({(asked - ingested) / max(len(outcomes), 1) * 1000:.0f} ms each)")


if __name__ == "__main__":
    main()
