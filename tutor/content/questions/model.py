"""The single-best-answer question: the one shape every bank format becomes.

A question is what a student sees (a vignette stem and 3-6 options), what teaches
(an explanation for *every* option, not just the key), and what lets a learner check
the claim (references into the curriculum: a source path, optionally a section heading
and the exact chunk a generated question was drafted from). Tags (topic, system,
discipline) drive custom blocks and item analysis.

Validation is strict and complete: pydantic reports every problem of a question at
once, and :func:`question_problems` turns them into sentences an instructor can act on.

Options are keyed by position (A, B, C, ...) in every format, so "the answer is C" means
the same thing in YAML, GIFT, CSV and the attempt log.
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tutor.content.references import Reference

LETTERS = string.ascii_uppercase[:6]
MIN_OPTIONS, MAX_OPTIONS = 3, 6
MAX_STEM_CHARS = 4000
MAX_OPTION_CHARS = 500
MAX_EXPLANATION_CHARS = 2000

Difficulty = Literal["easy", "medium", "hard"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Option(_Model):
    text: str = Field(min_length=1, max_length=MAX_OPTION_CHARS)
    explanation: str = Field(default="", max_length=MAX_EXPLANATION_CHARS, description="Why this option is right or wrong")


class Question(_Model):
    id: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    stem: str = Field(min_length=10, max_length=MAX_STEM_CHARS)
    options: tuple[Option, ...]
    answer: str = Field(pattern=r"^[A-F]$", description="Letter of the single best answer (A = first option)")
    topic: str | None = None
    system: str | None = None
    discipline: str | None = None
    objective: str | None = Field(default=None, description="The learning objective the question tests")
    difficulty: Difficulty = "medium"
    references: tuple[Reference, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("answer", mode="before")
    @classmethod
    def _letter(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("topic", "system", "discipline", "objective", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, options: tuple[Option, ...]) -> tuple[Option, ...]:
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise ValueError(f"needs {MIN_OPTIONS} to {MAX_OPTIONS} options, has {len(options)}")
        seen: dict[str, str] = {}
        for letter, option in zip(LETTERS, options):
            key = normalise_text(option.text)
            if key in seen:
                raise ValueError(f"options {seen[key]} and {letter} are the same text")
            seen[key] = letter
        return options

    @model_validator(mode="after")
    def _one_best_answer(self) -> Question:
        if self.answer not in self.letters:
            raise ValueError(f"answer must be one of {', '.join(self.letters)} (the option letters), got {self.answer!r}")
        return self

    # -- reading helpers ------------------------------------------------------------------

    @property
    def letters(self) -> str:
        return LETTERS[: len(self.options)]

    @property
    def correct_option(self) -> Option:
        return self.options[LETTERS.index(self.answer)]

    def option(self, letter: str) -> Option:
        return self.options[LETTERS.index(letter)]

    @property
    def missing_explanations(self) -> tuple[str, ...]:
        """Letters of options without an explanation (imported formats often lack them)."""
        return tuple(letter for letter, option in zip(LETTERS, self.options) if not option.explanation)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a student sees or is graded on changes."""
        return hashlib.sha256(self.model_dump_json(exclude={"id"}).encode()).hexdigest()[:16]


def normalise_text(text: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive form, for duplicate checks."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def question_id_for(stem: str, prefix: str = "q") -> str:
    """A stable id for a question that arrived without one: a hash of its normalised stem."""
    return f"{prefix}-{hashlib.sha256(normalise_text(stem).encode()).hexdigest()[:10]}"


def question_problems(error: ValidationError) -> list[str]:
    """Every problem in a question's validation error, as short readable sentences."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if where.startswith("options.") and where.split(".")[1].isdigit():
            index = int(where.split(".")[1])
            rest = where.split(".", 2)[2] if where.count(".") >= 2 else ""
            where = f"option {LETTERS[index] if index < len(LETTERS) else index + 1}" + (f" {rest}" if rest else "")
        problems.append(f"{where}: {message}" if where else message)
    return problems
