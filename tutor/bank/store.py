"""The question bank store: import, review and selection of questions.

Rules it keeps:

* Only ``approved`` questions reach students. A question enters as ``approved`` when it
  is complete and came from a person (bundled files, an instructor's import); it enters
  as a ``draft`` in the review queue when a model wrote it or when it lacks an
  explanation for some option (Aiken files have none). Approve, edit-and-approve and
  reject (with a reason) are the instructor's only ways out of the queue.
* Imports are idempotent and content-addressed: the same question again changes
  nothing; a changed question replaces the stored one and bumps its ``version``. A
  re-import never resurrects a question an instructor rejected, and a bundled file never
  overwrites an instructor's edit (origin ``imported`` wins over ``bundled``).
* Every write is one ``BEGIN IMMEDIATE`` transaction on a short-lived connection, so
  two instructors importing at once queue rather than interleave.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlite_utils
from pydantic import AwareDatetime, BaseModel, ConfigDict

from tutor.bank.migrations import MIGRATIONS
from tutor.clock import to_iso
from tutor.content.questions.model import Question
from tutor.db import SQLiteStore
from tutor.errors import StoreError

Status = Literal["draft", "approved", "rejected"]
Origin = Literal["bundled", "imported", "generated"]
DISCARDED_NOTE = "Discarded by the automatic checks: "  # the review note of a generated draft that failed a gate

_READ_FAILED = "The question bank could not be read just now. Please try again."
_WRITE_FAILED = "The question bank could not be saved just now. Please try again."


class BankQuestion(BaseModel):
    """A question as the bank holds it: the question plus its review state."""

    model_config = ConfigDict(frozen=True)

    question: Question
    course_id: str
    status: Status
    origin: Origin
    source_file: str | None = None
    review_note: str | None = None
    checks: dict[str, Any] | None = None  # the quality-gate report of a generated draft
    version: int
    created_at: AwareDatetime
    updated_at: AwareDatetime
    reviewed_by: str | None = None
    reviewed_at: AwareDatetime | None = None

    @property
    def id(self) -> str:
        return self.question.id


@dataclass
class ImportOutcome:
    """What an import did, question by question."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    to_review: list[str] = field(default_factory=list)  # stored as drafts: an explanation is missing
    kept_rejected: list[str] = field(default_factory=list)  # rejected earlier; not re-opened

    @property
    def stored(self) -> int:
        return len(self.added) + len(self.updated)


@dataclass(frozen=True)
class BankFilter:
    topics: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    status: Status = "approved"


class QuestionBank(SQLiteStore):
    migrations = MIGRATIONS
    open_failed = "The question bank could not be opened."
    read_failed = _READ_FAILED
    write_failed = _WRITE_FAILED

    # -- writes ---------------------------------------------------------------------------

    def import_questions(
        self, questions: list[Question], *, course_id: str, origin: Origin, source_file: str | None = None
    ) -> ImportOutcome:
        """Store questions from a person (bundled file or instructor import); see the module rules."""
        outcome = ImportOutcome()
        with self._write() as db:
            stamp = to_iso(self._now())
            for question in questions:
                row = _row(db, question.id)
                complete = not question.missing_explanations
                note = None if complete else _missing_note(question)
                if row is None:
                    status: Status = "approved" if complete else "draft"
                    _insert(db, question, course_id, status, origin, source_file, note, None, stamp)
                    outcome.added.append(question.id)
                    if not complete:
                        outcome.to_review.append(question.id)
                elif row["status"] == "rejected":
                    outcome.kept_rejected.append(question.id)
                elif row["content_hash"] == question.content_hash or (origin == "bundled" and row["origin"] != "bundled"):
                    outcome.unchanged.append(question.id)
                else:
                    status = "approved" if complete else "draft"
                    _update(db, question, status, origin, source_file, note, stamp, row["version"] + 1)
                    outcome.updated.append(question.id)
                    if not complete:
                        outcome.to_review.append(question.id)
        return outcome

    def add_draft(self, question: Question, *, course_id: str, source_file: str | None, checks: dict[str, Any],
                  discarded: str | None = None) -> None:
        """A generated draft that passed the code gates: into the review queue. With ``discarded``
        (the gate's reason) it failed one: kept as rejected, with the reason, to read or rescue."""
        with self._write() as db:
            if _row(db, question.id) is not None:
                raise StoreError(f"A question with id {question.id} already exists.")
            status: Status = "rejected" if discarded else "draft"
            note = f"{DISCARDED_NOTE}{discarded}" if discarded else "Generated by the model: check it."
            _insert(db, question, course_id, status, "generated", source_file, note, checks, to_iso(self._now()))

    def rescue(self, question_id: str, *, reviewer: str) -> BankQuestion:
        """Move a draft the automatic checks discarded into the review queue (the instructor disagrees)."""
        with self._read() as db:
            row = _existing(db, question_id)
        if not (row["review_note"] or "").startswith(DISCARDED_NOTE):
            raise StoreError(f"Question {question_id} was not discarded by the automatic checks.")
        return self._judge(question_id, "draft", reviewer, f"Rescued by {reviewer} from the discarded drafts "
                           f"({row['review_note'][len(DISCARDED_NOTE):]}): check it.", missing_reason="",
                           only_from="rejected")

    def discarded(self, course_id: str, limit: int = 20) -> list[BankQuestion]:
        """Generated drafts the automatic checks discarded, newest first."""
        items = [item for item in self.questions(course_id, BankFilter(status="rejected"))
                 if (item.review_note or "").startswith(DISCARDED_NOTE)]
        return sorted(items, key=lambda item: item.created_at, reverse=True)[:limit]

    def approve(self, question_id: str, *, reviewer: str, edited: Question | None = None) -> BankQuestion:
        """Approve a draft (optionally with the instructor's edits); it then reaches students."""
        with self._write() as db:
            row = _existing(db, question_id)
            stamp = to_iso(self._now())
            if edited is not None:
                if edited.id != question_id:
                    raise ValueError("an edit must keep the question id")
                if edited.missing_explanations:
                    raise StoreError(f"Add an explanation for every option before approving ({_missing_note(edited)}).")
                if edited.content_hash != row["content_hash"]:
                    _update(db, edited, "approved", row["origin"], row["source_file"], None, stamp, row["version"] + 1)
            elif Question.model_validate_json(row["body_json"]).missing_explanations:
                raise StoreError("Add an explanation for every option before approving.")
            db.execute(
                "UPDATE questions SET status = 'approved', review_note = NULL, reviewed_by = ?, reviewed_at = ?,"
                " updated_at = ? WHERE id = ?",
                [reviewer, stamp, stamp, question_id],
            )
        return self.get(question_id)

    def reject(self, question_id: str, *, reviewer: str, reason: str) -> BankQuestion:
        return self._judge(question_id, "rejected", reviewer, reason,
                           missing_reason="Give a reason for rejecting the question; the author learns from it.")

    def return_to_review(self, question_id: str, *, reviewer: str, reason: str) -> BankQuestion:
        """Take an approved question out of the quiz pool and back into the review queue, with why."""
        return self._judge(question_id, "draft", reviewer, reason, only_from="approved",
                           missing_reason="Say why the question goes back to review; the reviewer needs to know.")

    def _judge(self, question_id: str, status: Status, reviewer: str, reason: str, *, missing_reason: str,
               only_from: Status | None = None) -> BankQuestion:
        """A reviewer's decision that takes a question out of students' quizzes, with the reason kept."""
        reason = reason.strip()
        if not reason:
            raise StoreError(missing_reason)
        with self._write() as db:
            row = _existing(db, question_id)
            if only_from is not None and row["status"] != only_from:
                raise StoreError(f"Question {question_id} is not in use (it is {row['status']}).")
            stamp = to_iso(self._now())
            db.execute(
                "UPDATE questions SET status = ?, review_note = ?, reviewed_by = ?, reviewed_at = ?,"
                " updated_at = ? WHERE id = ?",
                [status, reason, reviewer, stamp, stamp, question_id],
            )
        return self.get(question_id)

    # -- reads ----------------------------------------------------------------------------

    def get(self, question_id: str) -> BankQuestion | None:
        with self._read() as db:
            row = _row(db, question_id)
        return None if row is None else _bank_question(row)

    def questions(self, course_id: str, filter: BankFilter = BankFilter()) -> list[BankQuestion]:
        where, params = ["course_id = ?", "status = ?"], [course_id, filter.status]
        for column, values in (("topic", filter.topics), ("system", filter.systems)):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        with self._read() as db:
            rows = db.query(f"SELECT * FROM questions WHERE {' AND '.join(where)} ORDER BY id", params)
            return [_bank_question(row) for row in rows]

    def in_use(self, course_id: str) -> list[BankQuestion]:
        """Approved questions and those back in review (not rejected): what progress may refer to."""
        with self._read() as db:
            rows = db.query(
                "SELECT * FROM questions WHERE course_id = ? AND status != 'rejected' ORDER BY id", [course_id]
            )
            return [_bank_question(row) for row in rows]

    def approved(self, course_id: str, ids: list[str]) -> dict[str, Question]:
        """The approved questions among ``ids`` (a withdrawn or rejected one is simply absent)."""
        if not ids:
            return {}
        with self._read() as db:
            rows = db.query(
                f"SELECT body_json FROM questions WHERE course_id = ? AND status = 'approved'"
                f" AND id IN ({','.join('?' * len(ids))})",
                [course_id, *ids],
            )
            questions = [Question.model_validate_json(row["body_json"]) for row in rows]
        return {question.id: question for question in questions}

    def versions(self, ids: list[str]) -> dict[str, int]:
        """question id -> its current version (attempts record which version was answered)."""
        if not ids:
            return {}
        with self._read() as db:
            rows = db.query(f"SELECT id, version FROM questions WHERE id IN ({','.join('?' * len(ids))})", list(ids))
            return {row["id"]: row["version"] for row in rows}

    def stems(self, course_id: str) -> dict[str, str]:
        """id -> stem of every question that is not rejected (for near-duplicate checks)."""
        with self._read() as db:
            rows = db.query("SELECT id, stem FROM questions WHERE course_id = ? AND status != 'rejected'", [course_id])
            return {row["id"]: row["stem"] for row in rows}

    def tag_counts(self, course_id: str) -> dict[str, dict[str, int]]:
        """Approved questions per topic and per system, for the practice filters."""
        counts: dict[str, dict[str, int]] = {"topic": {}, "system": {}}
        with self._read() as db:
            for column in counts:
                rows = db.query(
                    f"SELECT {column} AS tag, count(*) AS n FROM questions WHERE course_id = ? AND status = 'approved'"
                    f" AND {column} IS NOT NULL GROUP BY {column} ORDER BY {column}",
                    [course_id],
                )
                counts[column] = {row["tag"]: row["n"] for row in rows}
        return counts

    def status_counts(self, course_id: str) -> dict[str, int]:
        with self._read() as db:
            rows = db.query("SELECT status, count(*) AS n FROM questions WHERE course_id = ? GROUP BY status", [course_id])
            counts = {row["status"]: row["n"] for row in rows}
        return {status: counts.get(status, 0) for status in ("approved", "draft", "rejected")}


def _row(db: sqlite_utils.Database, question_id: str) -> dict[str, Any] | None:
    return next(iter(db.query("SELECT * FROM questions WHERE id = ?", [question_id])), None)


def _existing(db: sqlite_utils.Database, question_id: str) -> dict[str, Any]:
    row = _row(db, question_id)
    if row is None:
        raise StoreError(f"Question {question_id} is not in the bank (it may have been removed).")
    return row


def _columns(question: Question) -> dict[str, Any]:
    return {
        "body_json": question.model_dump_json(),
        "stem": question.stem,
        "topic": question.topic,
        "system": question.system,
        "discipline": question.discipline,
        "difficulty": question.difficulty,
        "content_hash": question.content_hash,
    }


def _insert(db, question, course_id, status, origin, source_file, note, checks, stamp) -> None:
    row = {
        "id": question.id, "course_id": course_id, "status": status, "origin": origin,
        **_columns(question), "source_file": source_file, "review_note": note,
        "checks_json": json.dumps(checks) if checks is not None else None,
        "version": 1, "created_at": stamp, "updated_at": stamp,
    }
    db.execute(f"INSERT INTO questions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def _update(db, question, status, origin, source_file, note, stamp, version) -> None:
    values = {**_columns(question), "status": status, "origin": origin, "source_file": source_file,
              "review_note": note, "version": version, "updated_at": stamp}
    db.execute(
        f"UPDATE questions SET {', '.join(f'{name} = ?' for name in values)} WHERE id = ?",
        [*values.values(), question.id],
    )


def _bank_question(row: dict[str, Any]) -> BankQuestion:
    return BankQuestion(
        question=Question.model_validate_json(row["body_json"]),
        course_id=row["course_id"],
        status=row["status"],
        origin=row["origin"],
        source_file=row["source_file"],
        review_note=row["review_note"],
        checks=json.loads(row["checks_json"]) if row["checks_json"] else None,
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        reviewed_by=row["reviewed_by"],
        reviewed_at=row["reviewed_at"],
    )


def _missing_note(question: Question) -> str:
    letters = ", ".join(question.missing_explanations)
    return f"Needs an explanation for option{'s' if len(question.missing_explanations) > 1 else ''} {letters}."
