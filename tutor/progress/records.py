"""The values the progress store accepts and returns.

Frozen pydantic models, like :mod:`tutor.domain`: no connection or cursor ever leaves
the store, and modes, analytics and dashboards only see these. Enumerated fields are
``Literal`` types that mirror the ``CHECK`` constraints in
:mod:`tutor.progress.migrations`, so a bad value fails in Python, where it is made,
before it reaches SQL. Every time is a timezone-aware datetime (``AwareDatetime``);
the store keeps them as UTC ISO-8601 text.

Records a client may retry (:class:`Attempt`, :class:`ChatTurn`) carry their own id,
generated when the record is built; the store ignores a second write with the same id,
so "retry on failure" can never double-count. Their timestamp may be left ``None``
on input: the store then stamps it from its injected clock, and the record it returns
always carries one.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tutor.domain import Citation, EvidenceQuote, Quote

LearnerRole = Literal["student", "instructor", "admin"]
CourseRole = Literal["student", "instructor"]
AttemptMode = Literal["tutor", "exam", "review"]
BlockMode = Literal["tutor", "exam"]
BlockStatus = Literal["active", "finished"]
CaseStatus = Literal["active", "completed", "abandoned"]
TurnRole = Literal["student", "tutor", "system"]
ChatMode = Literal["explain", "socratic"]
ChatStatus = Literal["complete", "interrupted", "error"]


def new_id() -> str:
    """A fresh client-side id (a random UUID as text)."""
    return str(uuid.uuid4())


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Learner(_Record):
    id: int
    username: str
    display_name: str
    role: LearnerRole
    created_at: AwareDatetime
    active: bool = True
    last_login_at: AwareDatetime | None = None


class Course(_Record):
    id: str
    title: str
    created_at: AwareDatetime


class Enrollment(_Record):
    learner_id: int
    course_id: str
    role: CourseRole
    enrolled_at: AwareDatetime


class Attempt(_Record):
    """One answer to one single-best-answer question."""

    attempt_id: str = Field(default_factory=new_id, min_length=1)
    learner_id: int
    course_id: str = Field(min_length=1)
    question_id: str = Field(min_length=1)
    question_version: int | None = Field(default=None, ge=1, description="The bank's version of the question answered")
    chosen_option: str | None = Field(default=None, description="None when the question was left unanswered")
    correct: bool
    time_taken_ms: int | None = Field(default=None, ge=0)
    mode: AttemptMode = "tutor"
    block_id: str | None = Field(default=None, description="The timed exam block, if any")
    prompt_version: str | None = None
    answered_at: AwareDatetime | None = Field(default=None, description="None on input: stamped by the store")


class BlockAnswer(_Record):
    position: int = Field(ge=0)
    question_id: str
    chosen_option: str | None = None
    time_taken_ms: int | None = Field(default=None, ge=0)
    graded: bool = False
    answered_at: AwareDatetime


class QuizBlock(_Record):
    """A practice set (tutor mode) or a timed exam block: its questions are fixed when it starts."""

    block_id: str
    learner_id: int
    course_id: str
    mode: BlockMode
    question_ids: tuple[str, ...]
    spec: dict[str, Any] = Field(default_factory=dict, description="How the questions were chosen, for display")
    time_limit_s: int | None = None
    started_at: AwareDatetime
    deadline: AwareDatetime | None = None
    status: BlockStatus = "active"
    finished_at: AwareDatetime | None = None
    answers: tuple[BlockAnswer, ...] = ()

    def answer_at(self, position: int) -> BlockAnswer | None:
        return next((answer for answer in self.answers if answer.position == position), None)


class ReviewCard(_Record):
    """A learner's spaced-repetition state for one question.

    ``card`` is the scheduler's own serialised card (py-fsrs ``Card.to_dict()``);
    ``due``, ``state`` and ``last_review`` are copied out of it into columns so the
    database can find due cards without parsing JSON.
    """

    learner_id: int
    question_id: str = Field(min_length=1)
    card: dict[str, Any]
    due: AwareDatetime
    state: int
    last_review: AwareDatetime | None = None
    updated_at: AwareDatetime | None = Field(default=None, description="Set by the store when saved")


class CaseSession(_Record):
    """One learner working through one clinical case; ``state`` belongs to the case mode."""

    session_id: str
    learner_id: int
    case_id: str
    stage: str
    state: dict[str, Any]
    status: CaseStatus
    score: float | None = None
    started_at: AwareDatetime
    updated_at: AwareDatetime
    completed_at: AwareDatetime | None = Field(default=None, description="Set exactly when status is 'completed'")
    score_override: float | None = Field(default=None, ge=0, le=1, description="An instructor's score, replacing the rubric's")
    override_reason: str | None = None
    override_by: str | None = None
    overridden_at: AwareDatetime | None = None

    @property
    def final_score(self) -> float | None:
        """The instructor's score when overridden, else the rubric score."""
        return self.score if self.score_override is None else self.score_override


class CaseTurn(_Record):
    session_id: str
    turn_index: int = Field(ge=0, description="0, 1, 2, ... within the session, allocated by the store")
    role: TurnRole
    content: str
    meta: dict[str, Any] | None = None
    created_at: AwareDatetime


class CaseObjectiveScore(_Record):
    """What one completed case session earned toward one learning objective of its case."""

    session_id: str
    learner_id: int
    case_id: str
    objective: str
    earned: float = Field(ge=0)
    possible: float = Field(ge=0)
    recorded_at: AwareDatetime


class ChatTurn(_Record):
    """One question to the grounded tutor and its answer (possibly partial or failed)."""

    turn_id: str = Field(default_factory=new_id, min_length=1)
    learner_id: int
    course_id: str = Field(min_length=1)
    conversation_id: str = Field(min_length=1)
    question: str
    answer: str = ""
    citations: tuple[Citation, ...] = ()
    quotes: tuple[Quote, ...] = ()
    kind: str = Field(default="answer", description="answer | hint | not_covered | general_knowledge | referral | unsupported | interrupted")
    grounded: bool
    mode: ChatMode = "explain"
    status: ChatStatus = "complete"
    prompt_version: str | None = None
    model: str | None = None
    latency_ms: int | None = Field(default=None, ge=0)
    created_at: AwareDatetime | None = Field(default=None, description="None on input: stamped by the store")
    claims_checked: int = Field(default=0, ge=0, description="Statements of the answer the judge checked against the material")
    unsupported: tuple[str, ...] = Field(default=(), description="Statements the material does not support (marked for the student)")
    related: tuple[Citation, ...] = Field(default=(), description="Nearest passages offered as related reading when the tutor declined")
    evidence: tuple[EvidenceQuote, ...] = Field(default=(), description="Sentences of the material shown first, verbatim")
    first_text_ms: int | None = Field(default=None, ge=0, description="Milliseconds to the model's first words on screen")
