"""The Socratic hint ladder, as a state machine in code.

In Socratic mode a question opens a ladder at rung 0 (a guiding question). Each
attempt by the student, or a press of "next hint", climbs one rung; "show answer"
jumps to the top. Only the top rung (:data:`REVEAL`) may state the answer; below it
the tutor's reply is checked by code and replaced if it gives the answer away. The
model never decides the rung.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from tutor.llm.prompts import SOCRATIC_REVEAL_TASK, SOCRATIC_TASKS

REVEAL = len(SOCRATIC_TASKS)  # rungs 0..REVEAL-1 are hints; REVEAL answers


class Ladder(BaseModel):
    """One Socratic thread: the question it started from and the current rung."""

    model_config = ConfigDict(frozen=True)

    question: str
    rung: int = 0
    attempts: tuple[str, ...] = ()

    @classmethod
    def start(cls, question: str) -> Ladder:
        return cls(question=question)

    def attempt(self, text: str) -> Ladder:
        """The student answered the tutor's question: record it and climb one rung."""
        return self.model_copy(update={"attempts": (*self.attempts, text), "rung": min(self.rung + 1, REVEAL)})

    def next_hint(self) -> Ladder:
        return self.model_copy(update={"rung": min(self.rung + 1, REVEAL)})

    def reveal(self) -> Ladder:
        return self.model_copy(update={"rung": REVEAL})

    @property
    def revealed(self) -> bool:
        return self.rung >= REVEAL

    @property
    def task(self) -> str:
        return SOCRATIC_REVEAL_TASK if self.revealed else SOCRATIC_TASKS[self.rung]
