"""Drafting new questions from the curriculum with the configured model, behind code gates.

The code picks the passages (the chosen source, its longest sections first, one draft
per passage), the model writes a draft as structured output, the code runs the gates of
:mod:`tutor.modes.bank.gates`, and only drafts that pass every gate go to the review
queue as ``draft``: nothing a model wrote reaches a student before an instructor
approves it. Each kept draft cites the exact passage it was written from and carries its
gate report, so the reviewer sees why it was kept.

What the small local model is asked for is kept to what it does reliably. The code picks
the kind of question from the passage's heading (a "Management" section asks for a
treatment, an "Investigations" one for a test; :func:`kind_for`), writes the lead-in
(:data:`LEAD_INS`) and tells the model what its five options must be; the model writes
the vignette, the options and their explanations. A stem therefore always ends with its
question (measured before: 3 of 3 drafts from an uploaded PDF discarded for a missing
lead-in), and the options are of one kind (when the model chose the kind itself, it
often wrote the kinds' names as the options).
Faithfulness is checked by the project's support judge where it is on (the keyed
option and its explanation must be supported by the passage), which also saves the
second model pass that answers the draft from the passage; without the judge that
second pass decides, as before.

A draft that parsed but failed a gate is kept in the bank as ``rejected`` with the
reason (never shown to students), so the instructor can read it and rescue it into the
review queue (:meth:`QuestionBank.rescue`).
"""

from __future__ import annotations

import re
import time
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
from tutor.inference_lane import background_inference
from tutor.llm import prompts
from tutor.llm.model_queue import ModelQueue
from tutor.llm.structured import StructuredReplyInvalid, ask_structured
from tutor.judge.model import RelevanceJudge, passage_text
from tutor.modes.bank import gates

Progress = Callable[[float, str], None]
MAX_DRAFTS = 20
MIN_PASSAGE_WORDS = 40
DRAFT_MAX_TOKENS = 1200
VERIFY_MAX_TOKENS = 300


class DraftOption(BaseModel):
    text: str = Field(min_length=1, max_length=200)
    explanation: str = Field(min_length=1, max_length=min(400, MAX_EXPLANATION_CHARS))


LEAD_INS = {
    "diagnosis": "What is the most likely diagnosis?",
    "treatment": "What is the most appropriate treatment?",
    "investigation": "Which investigation is most appropriate next?",
    "mechanism": "What is the most likely underlying mechanism?",
    "complication": "Which complication is this patient most at risk of?",
    "cause": "What is the most likely cause?",
}
OPTION_KINDS = {  # what the five options must be, in the model's instructions
    "diagnosis": "five diagnoses", "treatment": "five treatments (drugs, doses or procedures)",
    "investigation": "five tests or investigations", "mechanism": "five mechanisms",
    "complication": "five complications", "cause": "five causes",
}
_KIND_WORDS = (  # heading words -> kind of question, first match wins
    ("treatment", ("management", "treatment", "therapy", "drug", "prescrib", "dose", "emergenc")),
    ("investigation", ("investigation", "test", "diagnosis", "diagnostic", "imaging", "screening", "monitoring")),
    ("complication", ("complication", "prognosis")),
    ("cause", ("cause", "aetiology", "etiology", "risk factor", "precipitant")),
    ("mechanism", ("mechanism", "pathophysiology", "pharmacology", "physiology", "pharmacokinetic")),
)
_TRAILING_QUESTION = re.compile(r"(?:(?<=[.!])|^)\s*[^.!?]*\?\s*$")


def kind_for(section: str) -> str:
    """The kind of question a passage suits, from its heading path (default: a diagnosis)."""
    heading = section.lower()
    return next((kind for kind, words in _KIND_WORDS if any(word in heading for word in words)), "diagnosis")


def stem_of(vignette: str, kind: str) -> str:
    """The vignette (any question the model wrote at its end removed) and the lead-in for ``kind``."""
    vignette = _TRAILING_QUESTION.sub("", vignette.strip()).strip() or vignette.strip()
    return f"{vignette} {LEAD_INS[kind]}"


class DraftedQuestion(BaseModel):
    """The schema the model writes to (kept small so a small model can fill it); the code writes the lead-in."""

    vignette: str = Field(min_length=20, max_length=800)
    options: list[DraftOption] = Field(min_length=4, max_length=5)
    answer: str = Field(pattern=r"^[A-Ea-e]$")
    supporting_quote: str = Field(max_length=400)


@dataclass(frozen=True)
class RejectedDraft:
    section: str
    stem: str
    failed: gates.Gate
    question_id: str | None = None  # kept in the bank as rejected, to read and rescue (None: it did not parse)


@dataclass
class DraftReport:
    source: str
    kept: list[Question] = field(default_factory=list)
    rejected: list[RejectedDraft] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def seconds_per_kept(self) -> float | None:
        return self.seconds / len(self.kept) if self.kept else None


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
        queue: ModelQueue,
        timeout_s: float | None = None,
        judge: RelevanceJudge | None = None,
    ):
        self._judge = judge
        self._queue = queue
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
        started = time.monotonic()
        model = self._chat_model()
        stems = self._bank.stems(self._course)
        with background_inference():  # drafting waits on the model anyway: clicks go first (tutor.inference_lane)
            existing = dict(zip(stems, self._embedder.embed_documents(list(stems.values())))) if stems else {}
        failures: list[ModelUnavailableError] = []
        for i in range(n):
            row = passages[i % len(passages)]
            progress(i / n, f"Drafting question {i + 1} of {n} from {row.chunk.section or source}"
                     + _time_left(time.monotonic() - started, i, n))
            try:  # one draft at a time takes a model slot, between the students' questions
                with self._queue.slot(self._timeout or 300.0):
                    question, failed = self._one(model, row, existing)
            except ModelUnavailableError as exc:  # one slow or failed request costs one draft, not the run
                failures.append(exc)
                question, failed = None, gates.Gate("model", False, exc.user_message)
                if len(failures) == i + 1 and i + 1 >= min(n, 2):
                    raise  # the model is not answering at all: say so instead of a list of failures
            if failed is not None:
                kept_id = self._discard(question, row, failed) if question is not None else None
                report.rejected.append(RejectedDraft(row.chunk.section, question.stem if question else "", failed, kept_id))
                continue
            report.kept.append(question)
        report.seconds = time.monotonic() - started
        progress(1.0, f"{len(report.kept)} of {n} drafts passed the checks")
        return report

    def _discard(self, question: Question, row: ChunkRow, failed: gates.Gate) -> str | None:
        """Keep a draft that failed a gate as rejected, with why, for the instructor to read or rescue."""
        if failed.name == "not_duplicate":
            return None  # the bank already has it
        self._bank.add_draft(question, course_id=self._course, source_file=row.chunk.source, discarded=failed.detail,
                             checks={"prompt_version": prompts.QUESTION_PROMPT_VERSION, "gates": [failed.as_dict()]})
        return question.id

    def _one(self, model: BaseChatModel, row: ChunkRow, existing: dict[str, np.ndarray]) -> tuple[Question | None, gates.Gate | None]:
        chunk = row.chunk
        label = f"{chunk.source} > {chunk.section}" if chunk.section else chunk.source
        try:
            kind = kind_for(chunk.section or "")
            draft = ask_structured(model, DraftedQuestion,
                                   prompts.draft_question_prompt(label, chunk.text, LEAD_INS[kind], OPTION_KINDS[kind]),
                                   "Write the question now.", max_tokens=DRAFT_MAX_TOKENS, timeout_s=self._timeout)
        except StructuredReplyInvalid as exc:
            return None, gates.Gate("schema", False, f"the model's draft was not valid: {exc}")
        texts = [_unlettered(option.text) for option in draft.options]
        stem = stem_of(draft.vignette, kind)
        early = [gates.distinct_options(texts), gates.real_options(texts, set(LEAD_INS)), gates.lead_in(stem)]
        if failed := next((gate for gate in early if not gate.passed), None):
            return None, failed
        try:
            question = _question(draft, stem, row)
        except ValueError as exc:
            return None, gates.Gate("schema", False, f"the draft is not a valid question: {exc}")
        key = question.options[question.letters.index(question.answer)].text
        checks = [gates.Gate("schema", True, "valid single-best-answer question"), *early,
                  gates.answer_not_in_stem(draft.vignette, key)]
        if not checks[-1].passed:
            return question, checks[-1]
        vector = self._embedder.embed_query(question.stem)
        gate = gates.not_duplicate(vector, existing, self._threshold)
        checks.append(gate)
        if not gate.passed:
            return question, gate
        for gate in self._faithful(model, question, row, label, draft.supporting_quote):
            checks.append(gate)
            if not gate.passed:
                return question, gate
        self._bank.add_draft(question, course_id=self._course, source_file=chunk.source, checks={
            "prompt_version": prompts.QUESTION_PROMPT_VERSION,
            "gates": [check.as_dict() for check in checks],
        })
        existing[question.id] = vector
        return question, None


    def _faithful(self, model: BaseChatModel, question: Question, row: ChunkRow, label: str, quote: str) -> list[gates.Gate]:
        """The gates that the draft says what the passage says: the judge's, or a second model pass."""
        chunk = row.chunk
        if self._judge is not None:
            key = question.options[question.letters.index(question.answer)]
            with background_inference():
                probability = float(self._judge.support([f"{key.text}. {key.explanation}"],
                                                        [passage_text(chunk.section, chunk.text)])[0])
            return [gates.judged_supported(probability, self._judge.support_threshold,
                                           quote if gates.quote_in_passage(quote, chunk.text) else None)]
        try:
            verdict = ask_structured(model, gates.Verdict, prompts.verify_answer_prompt(label, chunk.text),
                                     _as_exam(question), max_tokens=VERIFY_MAX_TOKENS, timeout_s=self._timeout)
        except StructuredReplyInvalid as exc:
            return [gates.Gate("supported", False, f"the checking pass gave no valid verdict: {exc}")]
        return [gates.one_best_answer(question, verdict), gates.supported(question, verdict, chunk.text, quote)]


def _time_left(elapsed: float, done: int, n: int) -> str:
    """ " (about 3 min left)" once one draft has given the pace."""
    if done == 0:
        return ""
    left = elapsed / done * (n - done)
    return f" (about {max(1, round(left / 60))} min left)" if left >= 60 else f" (about {int(left)} s left)"


def _passages(rows: list[ChunkRow]) -> list[ChunkRow]:
    """Passages long enough to test something, longest first (they teach the most)."""
    long_enough = [row for row in rows if len(row.chunk.text.split()) >= MIN_PASSAGE_WORDS]
    return sorted(long_enough, key=lambda row: -len(row.chunk.text))


def _question(draft: DraftedQuestion, stem: str, row: ChunkRow) -> Question:
    try:
        stem = safe_markdown(stem)  # a passage can talk the model into links and images: never store them
        return Question(
            id=question_id_for(stem, prefix="gen"),
            stem=stem,
            options=tuple({"text": safe_markdown(_unlettered(o.text)), "explanation": safe_markdown(o.explanation)}
                          for o in draft.options),
            answer=draft.answer,
            topic=row.doc_title,
            system=row.module,
            difficulty="medium",
            references=(Reference(source=row.chunk.source, section=row.chunk.section or None, chunk_id=row.chunk.chunk_id),),
        )
    except ValidationError as exc:
        raise ValueError("; ".join(question_problems(exc))) from exc


def _unlettered(text: str) -> str:
    """"A. Diuretics" -> "Diuretics": the letters are the app's to draw."""
    return re.sub(r"^\s*[A-Ea-e][.)]\s+", "", text).strip() or text


def _as_exam(question: Question) -> str:
    lines = [question.stem, ""]
    lines += [f"{letter}. {option.text}" for letter, option in zip(question.letters, question.options)]
    return "\n".join(lines)
