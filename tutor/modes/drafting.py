"""Drafting new questions from the curriculum with the configured model, behind code gates.

The code picks the passages (the chosen source, its longest sections first, one draft
per passage), the model writes a draft as structured output, the code runs the gates of
:mod:`tutor.modes.question_gates` (a second model pass answers the draft from the
passage alone), and only drafts that pass every gate go to the review queue as
``draft``: nothing a model wrote reaches a student before an instructor approves it.
Each kept draft cites the exact passage it was written from and carries its gate report,
so the reviewer sees why it was kept. Rejected drafts are reported with their reasons
and not stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field, ValidationError

from tutor.agent.output_filter import safe_markdown
from tutor.bank.store import QuestionBank
from tutor.content.questions.model import MAX_EXPLANATION_CHARS, Question, question_id_for, question_problems
from tutor.content.references import Reference
from tutor.errors import ModelUnavailableError, QuizError
from tutor.index.embeddings import Embedder
from tutor.index.registry import ChunkRow, LibraryRegistry
from tutor.llm import prompts
from tutor.llm.structured import StructuredReplyInvalid, ask_structured
from tutor.modes import question_gates as gates

Progress = Callable[[float, str], None]
MAX_DRAFTS = 20
MIN_PASSAGE_WORDS = 40
DRAFT_MAX_TOKENS = 1200
VERIFY_MAX_TOKENS = 300


class DraftOption(BaseModel):
    text: str = Field(min_length=1, max_length=200)
    explanation: str = Field(min_length=1, max_length=min(400, MAX_EXPLANATION_CHARS))


class DraftedQuestion(BaseModel):
    """The schema the model writes to (kept small so a small model can fill it)."""

    stem: str = Field(min_length=20, max_length=900)
    options: list[DraftOption] = Field(min_length=4, max_length=5)
    answer: str = Field(pattern=r"^[A-Ea-e]$")
    supporting_quote: str = Field(max_length=400)


@dataclass(frozen=True)
class RejectedDraft:
    section: str
    stem: str
    failed: gates.Gate


@dataclass
class DraftReport:
    source: str
    kept: list[Question] = field(default_factory=list)
    rejected: list[RejectedDraft] = field(default_factory=list)


class QuestionDrafter:
    def __init__(
        self,
        *,
        registry: LibraryRegistry,
        bank: QuestionBank,
        embedder: Embedder,
        chat_model: Callable[[], BaseChatModel],
        course_id: str,
        duplicate_threshold: float,
        timeout_s: float | None = None,
    ):
        self._registry = registry
        self._bank = bank
        self._embedder = embedder
        self._chat_model = chat_model
        self._course = course_id
        self._threshold = duplicate_threshold
        self._timeout = timeout_s

    def draft(self, source: str, n: int = 3, progress: Progress | None = None) -> DraftReport:
        """Up to ``n`` drafts from ``source`` into the review queue; see the module docstring."""
        if not 1 <= n <= MAX_DRAFTS:
            raise QuizError(f"Ask for 1 to {MAX_DRAFTS} drafts at a time.")
        passages = _passages(self._registry.chunk_rows_for_source(source))
        if not passages:
            raise QuizError(f"{source} is not in the library, or has no passage long enough to write a question from.")
        report = DraftReport(source=source)
        progress = progress or (lambda fraction, message: None)
        model = self._chat_model()
        stems = self._bank.stems(self._course)
        existing = dict(zip(stems, self._embedder.embed_documents(list(stems.values())))) if stems else {}
        failures: list[ModelUnavailableError] = []
        for i in range(n):
            row = passages[i % len(passages)]
            progress(i / n, f"Drafting question {i + 1} of {n} from {row.chunk.section or source}")
            try:
                question, failed = self._one(model, row, existing)
            except ModelUnavailableError as exc:  # one slow or failed request costs one draft, not the run
                failures.append(exc)
                question, failed = None, gates.Gate("model", False, exc.user_message)
                if len(failures) == i + 1 and i + 1 >= min(n, 2):
                    raise  # the model is not answering at all: say so instead of a list of failures
            if failed is not None:
                report.rejected.append(RejectedDraft(row.chunk.section, question.stem if question else "", failed))
                continue
            report.kept.append(question)
        progress(1.0, f"{len(report.kept)} of {n} drafts passed the checks")
        return report

    def _one(self, model: BaseChatModel, row: ChunkRow, existing: dict[str, np.ndarray]) -> tuple[Question | None, gates.Gate | None]:
        chunk = row.chunk
        label = f"{chunk.source} > {chunk.section}" if chunk.section else chunk.source
        try:
            draft = ask_structured(model, DraftedQuestion, prompts.draft_question_prompt(label, chunk.text),
                                   "Write the question now.", max_tokens=DRAFT_MAX_TOKENS, timeout_s=self._timeout)
        except StructuredReplyInvalid as exc:
            return None, gates.Gate("schema", False, f"the model's draft was not valid: {exc}")
        distinct = gates.distinct_options([option.text for option in draft.options])
        if not distinct.passed:
            return None, distinct
        lead_in = gates.lead_in(draft.stem)
        if not lead_in.passed:
            return None, lead_in
        try:
            question = _question(draft, row)
        except ValueError as exc:
            return None, gates.Gate("schema", False, f"the draft is not a valid question: {exc}")
        checks = [gates.Gate("schema", True, "valid single-best-answer question"), distinct, lead_in]
        vector = self._embedder.embed_query(question.stem)
        gate = gates.not_duplicate(vector, existing, self._threshold)
        checks.append(gate)
        if not gate.passed:
            return question, gate
        try:
            verdict = ask_structured(model, gates.Verdict, prompts.verify_answer_prompt(label, chunk.text),
                                     _as_exam(question), max_tokens=VERIFY_MAX_TOKENS, timeout_s=self._timeout)
        except StructuredReplyInvalid as exc:
            return question, gates.Gate("supported", False, f"the checking pass gave no valid verdict: {exc}")
        for gate in (gates.one_best_answer(question, verdict), gates.supported(question, verdict, chunk.text, draft.supporting_quote)):
            checks.append(gate)
            if not gate.passed:
                return question, gate
        self._bank.add_draft(question, course_id=self._course, source_file=chunk.source, checks={
            "prompt_version": prompts.QUESTION_PROMPT_VERSION,
            "gates": [check.as_dict() for check in checks],
        })
        existing[question.id] = vector
        return question, None


def _passages(rows: list[ChunkRow]) -> list[ChunkRow]:
    """Passages long enough to test something, longest first (they teach the most)."""
    long_enough = [row for row in rows if len(row.chunk.text.split()) >= MIN_PASSAGE_WORDS]
    return sorted(long_enough, key=lambda row: -len(row.chunk.text))


def _question(draft: DraftedQuestion, row: ChunkRow) -> Question:
    try:
        stem = safe_markdown(draft.stem)  # a passage can talk the model into links and images: never store them
        return Question(
            id=question_id_for(stem, prefix="gen"),
            stem=stem,
            options=tuple({"text": safe_markdown(o.text), "explanation": safe_markdown(o.explanation)}
                          for o in draft.options),
            answer=draft.answer,
            topic=row.doc_title,
            system=row.module,
            difficulty="medium",
            references=(Reference(source=row.chunk.source, section=row.chunk.section or None, chunk_id=row.chunk.chunk_id),),
        )
    except ValidationError as exc:
        raise ValueError("; ".join(question_problems(exc))) from exc


def _as_exam(question: Question) -> str:
    lines = [question.stem, ""]
    lines += [f"{letter}. {option.text}" for letter, option in zip(question.letters, question.options)]
    return "\n".join(lines)
