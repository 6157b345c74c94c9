"""What a parser returns: the questions it could build and a problem per question it could not.

A file-level failure (not YAML at all, not XML, an unknown format) raises
:class:`tutor.errors.MalformedDocument` instead: there is nothing to keep. A question-level
failure never stops the file: its problems are listed with the question's position and
whatever label it has (id, GIFT title, first words of the stem), and parsing goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tutor.content.questions.model import Question, question_problems
from tutor.content.text_cleaning import clean_text


@dataclass(frozen=True)
class QuestionProblem:
    position: int  # 1-based position of the question in the file
    label: str  # the question's id, title or first words, so an instructor can find it
    messages: tuple[str, ...]

    def __str__(self) -> str:
        return f"question {self.position} ({self.label}): " + "; ".join(self.messages)


@dataclass
class ParsedBank:
    source: str
    format: str
    questions: list[Question] = field(default_factory=list)
    problems: list[QuestionProblem] = field(default_factory=list)

    def add(self, position: int, label: str, build: Callable[[], dict[str, Any]]) -> None:
        """Validate one question's fields (``build`` may itself raise ValueError) and keep it or its problems.

        Every string is cleaned like curriculum text first (:func:`clean_text`): a question
        is shown to students and read by models, so it must not smuggle invisible characters.
        """
        try:
            self.questions.append(Question.model_validate(_cleaned(build())))
        except ValidationError as exc:
            self.problems.append(QuestionProblem(position, label, tuple(question_problems(exc))))
        except ValueError as exc:
            self.problems.append(QuestionProblem(position, label, (str(exc),)))

    def reject(self, position: int, label: str, *messages: str) -> None:
        self.problems.append(QuestionProblem(position, label, tuple(messages)))


def label_for(raw_id: object, stem: object, position: int) -> str:
    if isinstance(raw_id, str) and raw_id.strip():
        return raw_id.strip()
    if isinstance(stem, str) and stem.strip():
        words = stem.split()
        return " ".join(words[:8]) + (" ..." if len(words) > 8 else "")
    return f"#{position}"


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: _cleaned(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(item) for item in value]
    return value
