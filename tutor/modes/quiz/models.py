"""What the quiz mode takes and gives back: block specs, feedback and results.

Values only (frozen pydantic models). A page renders these; it never sees the bank or
the store.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutor.content.questions.model import Question
from tutor.content.references import Reference
from tutor.domain import Citation
from tutor.modes.quiz.selection import Pool
from tutor.progress.records import QuizBlock

MAX_BLOCK_SIZE = 100
MAX_TIME_LIMIT_S = 6 * 3600


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class BlockSpec(_Value):
    """What the student asked for on the Quiz page (or the CLI)."""

    mode: Literal["tutor", "exam"] = "tutor"
    size: int = Field(default=10, ge=1, le=MAX_BLOCK_SIZE)
    topics: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    pool: Pool = "all"
    time_limit_s: int | None = Field(default=None, ge=30, le=MAX_TIME_LIMIT_S)

    @model_validator(mode="after")
    def _exam_is_timed(self) -> BlockSpec:
        if self.mode == "tutor" and self.time_limit_s is not None:
            raise ValueError("only exam blocks have a time limit")
        return self


class OptionFeedback(_Value):
    letter: str
    text: str
    explanation: str
    is_key: bool
    chosen: bool


class Feedback(_Value):
    """Everything a student sees after answering one question."""

    position: int
    question: Question
    chosen: str | None
    correct: bool
    options: tuple[OptionFeedback, ...]
    citations: tuple[Citation, ...] = ()
    unresolved: tuple[Reference, ...] = ()  # references the library does not hold (shown honestly)


class BlockResult(_Value):
    block: QuizBlock
    items: tuple[Feedback, ...]
    withdrawn: int = 0  # questions removed from the bank after the block started; not scored

    @property
    def correct(self) -> int:
        return sum(item.correct for item in self.items)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def score(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def by_topic(self) -> dict[str, tuple[int, int]]:
        """topic -> (correct, total), weakest first."""
        tally: dict[str, list[int]] = {}
        for item in self.items:
            counts = tally.setdefault(item.question.topic or "Untagged", [0, 0])
            counts[0] += item.correct
            counts[1] += 1
        return {topic: (c, n) for topic, (c, n) in sorted(tally.items(), key=lambda kv: kv[1][0] / kv[1][1])}
