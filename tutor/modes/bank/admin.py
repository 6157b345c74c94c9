"""The instructor's side of the question bank: import, export, drafts and the review queue.

Imports check the upload size before parsing, parse with the format's parser (every
bad question reported, the good ones kept) and store through :class:`QuestionBank`,
whose rules decide what goes straight to students and what waits for review. The bundled
bank (``content/questions``) is loaded the same way with origin ``bundled``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tutor.bank.store import BankFilter, BankQuestion, ImportOutcome, QuestionBank, Status
from tutor.content.questions.formats import export_questions, parse_question_file
from tutor.content.questions.model import Question
from tutor.content.questions.parsed import QuestionProblem
from tutor.errors import DocumentError, FileTooLarge
from tutor.modes.bank.drafting import DraftReport, Progress, QuestionDrafter
from tutor.modes.access import Actor
from tutor.modes.curriculum_links import CurriculumLinks

ExportFormat = Literal["yaml", "gift", "csv"]


@dataclass
class QuestionImport:
    """One file's import: what was stored and what could not be read."""

    source: str
    format: str = ""
    outcome: ImportOutcome = field(default_factory=ImportOutcome)
    problems: list[QuestionProblem] = field(default_factory=list)
    error: str | None = None  # the whole file was unreadable

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems


class BankAdmin:
    def __init__(self, *, bank: QuestionBank, drafter: QuestionDrafter, links: CurriculumLinks, course_id: str, max_upload_bytes: int):
        self._bank = bank
        self._drafter = drafter
        self._links = links
        self._course = course_id
        self._max_bytes = max_upload_bytes

    def import_file(self, actor: Actor, name: str, data: bytes) -> QuestionImport:
        """An instructor's upload: every question stored or every problem listed."""
        actor.require_staff()
        return self._import(name, data, origin="imported")

    def _import(self, name: str, data: bytes, *, origin: Literal["imported", "bundled"]) -> QuestionImport:
        result = QuestionImport(source=name)
        try:
            FileTooLarge.check(name, len(data), self._max_bytes)
            parsed = parse_question_file(name, data)
        except DocumentError as exc:
            result.error = exc.user_message
            return result
        result.format, result.problems = parsed.format, parsed.problems
        result.outcome = self._bank.import_questions(parsed.questions, course_id=self._course, origin=origin, source_file=name)
        return result

    def load_bundled(self, folder: Path) -> list[QuestionImport]:
        """Load every bank file of the bundled folder (unchanged files change nothing)."""
        if not folder.is_dir():
            return []
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in {".yaml", ".yml", ".json"})
        return [self._import(path.relative_to(folder).as_posix(), path.read_bytes(), origin="bundled") for path in files]

    def export(self, actor: Actor, fmt: ExportFormat, status: Status = "approved") -> tuple[str, str]:
        """(text, file extension) of every question with ``status`` in the chosen format."""
        actor.require_staff()
        questions = [item.question for item in self._bank.questions(self._course, BankFilter(status=status))]
        return export_questions(questions, fmt)

    def draft(self, actor: Actor, source: str, n: int = 3, progress: Progress | None = None) -> DraftReport:
        actor.require_staff()
        return self._drafter.draft(source, n, progress)

    def discarded(self, actor: Actor) -> list[BankQuestion]:
        """Generated drafts the automatic checks discarded, newest first, with why."""
        actor.require_staff()
        return self._bank.discarded(self._course)

    def rescue(self, actor: Actor, question_id: str) -> BankQuestion:
        """The instructor disagrees with the checks: a discarded draft goes into the review queue."""
        actor.require_staff()
        return self._bank.rescue(question_id, reviewer=actor.username)

    def queue(self, actor: Actor) -> list[BankQuestion]:
        """Drafts waiting for review, oldest first."""
        actor.require_staff()
        items = self._bank.questions(self._course, BankFilter(status="draft"))
        return sorted(items, key=lambda item: item.created_at)

    def browse(self, actor: Actor, status: Status = "approved") -> list[BankQuestion]:
        actor.require_staff()
        return self._bank.questions(self._course, BankFilter(status=status))

    def counts(self, actor: Actor) -> dict[str, int]:
        actor.require_staff()
        return self._bank.status_counts(self._course)

    def approve(self, actor: Actor, question_id: str, *, edited: Question | None = None) -> BankQuestion:
        actor.require_staff()
        return self._bank.approve(question_id, reviewer=actor.username, edited=edited)

    def reject(self, actor: Actor, question_id: str, *, reason: str) -> BankQuestion:
        actor.require_staff()
        return self._bank.reject(question_id, reviewer=actor.username, reason=reason)

    def citations(self, question: Question):
        """The passages a question cites, for the reviewer to check against."""
        return self._links.for_question(question)
