"""Quiz attempts and practice blocks: every answer, once, and the blocks they belong to.

An attempt and its review-card update are one transaction (``grade``), and a retried
attempt id is stored once. Part of :class:`tutor.progress.store.ProgressStore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from tutor.clock import to_iso
from tutor.errors import StoreError
from tutor.progress.records import Attempt, BlockAnswer, BlockMode, BlockStatus, new_id, QuizBlock, ReviewCard
from tutor.progress.review_cards import card_of as _card, write_review as _write_review
from tutor.progress.rows import (
    dumps as _dumps,
    latest_oldest_first as _latest_oldest_first,
    one as _one,
    record as _record,
    sql_limit as _sql_limit,
    UNKNOWN_LEARNER_OR_COURSE as _UNKNOWN_LEARNER_OR_COURSE,
)

_UNKNOWN_BLOCK = "This practice block could not be found. Please start a new one."


BlockReview = Callable[[ReviewCard | None, Attempt, datetime], tuple[ReviewCard, dict[str, Any]]]
"""Given the current card, the new attempt and the time, return the new card and a review log."""


class AttemptRecords:
    """The attempts part of the progress store (a mixin of ``ProgressStore``)."""

    def record_attempt(self, attempt: Attempt) -> bool:
        """Store an attempt; False when its ``attempt_id`` was already stored (the first write wins)."""
        with self._write(fk_message=_UNKNOWN_LEARNER_OR_COURSE) as db:
            return _insert_attempt(db, attempt, self._stamp())

    def attempts_for(
        self,
        learner_id: int,
        *,
        course_id: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Attempt]:
        """A learner's attempts oldest-first; ``since`` is inclusive, ``limit`` keeps the latest."""
        where, params = ["learner_id = ?"], [learner_id]
        if course_id is not None:
            where.append("course_id = ?")
            params.append(course_id)
        if since is not None:
            where.append("answered_at >= ?")
            params.append(to_iso(since))
        with self._read() as db:
            rows = _latest_oldest_first(db, "attempts", where, params, "answered_at", limit)
            return [_record(Attempt, row) for row in rows]

    def last_answers(self, learner_id: int, course_id: str) -> dict[str, bool]:
        """question id -> whether the learner's latest attempt at it was correct (seen questions only)."""
        with self._read() as db:
            # SQLite takes a bare column from the row that holds the max() of its group.
            rows = db.query(
                "SELECT question_id, correct, max(answered_at) FROM attempts"
                " WHERE learner_id = ? AND course_id = ? GROUP BY question_id",
                [learner_id, course_id],
            )
            return {row["question_id"]: bool(row["correct"]) for row in rows}

    def start_block(
        self,
        learner_id: int,
        course_id: str,
        mode: BlockMode,
        question_ids: list[str],
        *,
        spec: dict[str, Any] | None = None,
        time_limit_s: int | None = None,
    ) -> QuizBlock:
        """Open a block with its questions fixed; an exam block's deadline is now + the time limit."""
        if not question_ids:
            raise ValueError("a block needs at least one question")
        block_id = new_id()
        with self._write(fk_message=_UNKNOWN_LEARNER_OR_COURSE) as db:
            started = self._now()
            deadline = started + timedelta(seconds=time_limit_s) if time_limit_s else None
            db.execute(
                "INSERT INTO quiz_blocks (block_id, learner_id, course_id, mode, question_ids_json, spec_json,"
                " time_limit_s, started_at, deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [block_id, learner_id, course_id, mode, _dumps(list(question_ids)), _dumps(spec or {}),
                 time_limit_s, to_iso(started), to_iso(deadline) if deadline else None],
            )
        return self.get_block(block_id)

    def get_block(self, block_id: str) -> QuizBlock | None:
        with self._read() as db:
            return _block(db, block_id)

    def blocks_for(self, learner_id: int, *, status: BlockStatus | None = None, limit: int | None = None) -> list[QuizBlock]:
        """A learner's blocks, newest first."""
        where, params = ["learner_id = ?"], [learner_id]
        if status is not None:
            where.append("status = ?")
            params.append(status)
        with self._read() as db:
            ids = [row["block_id"] for row in db.query(
                f"SELECT block_id FROM quiz_blocks WHERE {' AND '.join(where)}"
                " ORDER BY started_at DESC, rowid DESC LIMIT ?", [*params, _sql_limit(limit)])]
            return [_block(db, block_id) for block_id in ids]

    def save_block_answer(
        self, block_id: str, position: int, chosen_option: str | None, *, time_taken_ms: int | None = None
    ) -> QuizBlock:
        """Keep a provisional exam answer (replacing an earlier one); refused once the block is over."""
        with self._write() as db:
            block = _open_block(db, block_id, self._now())
            question_id = _question_at(block, position)
            current = block.answer_at(position)
            if current is not None and current.graded:
                raise StoreError("This question has already been marked; its answer cannot change.")
            db.execute(
                "INSERT INTO block_answers (block_id, position, question_id, chosen_option, time_taken_ms, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(block_id, position) DO UPDATE SET"
                " chosen_option = excluded.chosen_option, time_taken_ms = excluded.time_taken_ms,"
                " answered_at = excluded.answered_at",
                [block_id, position, question_id, chosen_option, time_taken_ms, self._stamp()],
            )
            return _block(db, block_id)

    def grade(
        self,
        block_id: str,
        attempts: list[Attempt],
        *,
        review: BlockReview,
        finish: bool = False,
        allow_late: bool = False,
    ) -> QuizBlock:
        """Turn answers of a block into attempts and card reviews, all in one transaction.

        Each attempt's ``block_id`` must be this block and its id is the caller's
        deterministic one (block id + position), so a retry after a failure stores
        nothing twice: an attempt already stored is skipped together with its review.
        ``review(current_card, attempt, now)`` computes the next card (pure, quick).
        ``finish`` closes the block; ``allow_late`` lets the closing of an exam block
        whose deadline has passed grade what was saved before the deadline.
        """
        with self._write(fk_message=_UNKNOWN_LEARNER_OR_COURSE) as db:
            now = self._now()
            block = _block(db, block_id)
            if block is None:
                raise StoreError(_UNKNOWN_BLOCK)
            if block.status == "finished":
                return block  # finished by an earlier (retried) call
            if not allow_late:
                _open_block(db, block_id, now)
            stamp = to_iso(now)
            for attempt in attempts:
                if attempt.block_id != block_id:
                    raise ValueError(f"attempt {attempt.attempt_id} belongs to block {attempt.block_id}, not {block_id}")
                if not _insert_attempt(db, attempt, stamp):
                    continue
                position = int(attempt.attempt_id.rsplit(":", 1)[1])
                db.execute(
                    "INSERT INTO block_answers (block_id, position, question_id, chosen_option, time_taken_ms, graded,"
                    " answered_at) VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(block_id, position) DO UPDATE SET"
                    " chosen_option = excluded.chosen_option, time_taken_ms = excluded.time_taken_ms, graded = 1",
                    [block_id, position, attempt.question_id, attempt.chosen_option, attempt.time_taken_ms, stamp],
                )
                new, log = review(_card(db, attempt.learner_id, attempt.question_id), attempt, now)
                _write_review(db, new, log, stamp)
            if finish:
                db.execute("UPDATE quiz_blocks SET status = 'finished', finished_at = ? WHERE block_id = ?", [stamp, block_id])
            return _block(db, block_id)


def _insert_attempt(db: sqlite_utils.Database, attempt: Attempt, stamp: str) -> bool:
    """Insert unless the id is already stored, and fold it into ``question_stats``; True when written."""
    answered_at = to_iso(attempt.answered_at) if attempt.answered_at else stamp
    cursor = db.execute(
        "INSERT INTO attempts (attempt_id, learner_id, course_id, question_id, question_version, chosen_option,"
        " correct, time_taken_ms, mode, block_id, prompt_version, answered_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(attempt_id) DO NOTHING",
        [
            attempt.attempt_id,
            attempt.learner_id,
            attempt.course_id,
            attempt.question_id,
            attempt.question_version,
            attempt.chosen_option,
            int(attempt.correct),
            attempt.time_taken_ms,
            attempt.mode,
            attempt.block_id,
            attempt.prompt_version,
            answered_at,
        ],
    )
    if cursor.rowcount != 1:
        return False
    # First and latest answers follow answered_at, so an attempt that arrives late (a retry
    # of an older answer) only replaces the "first" answer when it really came first.
    db.execute(
        "INSERT INTO question_stats (learner_id, course_id, question_id, question_version, attempts, correct,"
        " first_chosen, first_correct, first_at, last_chosen, last_correct, last_at)"
        " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(learner_id, question_id, question_version) DO UPDATE SET"
        " attempts = attempts + 1, correct = correct + excluded.correct,"
        " first_chosen = CASE WHEN excluded.first_at < first_at THEN excluded.first_chosen ELSE first_chosen END,"
        " first_correct = CASE WHEN excluded.first_at < first_at THEN excluded.first_correct ELSE first_correct END,"
        " first_at = min(first_at, excluded.first_at),"
        " last_chosen = CASE WHEN excluded.last_at >= last_at THEN excluded.last_chosen ELSE last_chosen END,"
        " last_correct = CASE WHEN excluded.last_at >= last_at THEN excluded.last_correct ELSE last_correct END,"
        " last_at = max(last_at, excluded.last_at)",
        [
            attempt.learner_id, attempt.course_id, attempt.question_id, attempt.question_version or 1,
            int(attempt.correct), attempt.chosen_option, int(attempt.correct), answered_at,
            attempt.chosen_option, int(attempt.correct), answered_at,
        ],
    )
    return True


def _block(db: sqlite_utils.Database, block_id: str) -> QuizBlock | None:
    row = _one(db, "SELECT * FROM quiz_blocks WHERE block_id = ?", [block_id])
    if row is None:
        return None
    answers = [_record(BlockAnswer, answer) for answer in db.query(
        "SELECT * FROM block_answers WHERE block_id = ? ORDER BY position", [block_id])]
    return _record(QuizBlock, {
        **row,
        "question_ids": tuple(json.loads(row["question_ids_json"])),
        "spec": json.loads(row["spec_json"]),
        "answers": tuple(answers),
    })


def _open_block(db: sqlite_utils.Database, block_id: str, now: datetime) -> QuizBlock:
    block = _block(db, block_id)
    if block is None:
        raise StoreError(_UNKNOWN_BLOCK)
    if block.status == "finished":
        raise StoreError("This block is already finished; start a new one to keep practising.")
    if block.deadline is not None and now > block.deadline:
        raise StoreError("Time is up for this block: answers given after the deadline are not counted.")
    return block


def _question_at(block: QuizBlock, position: int) -> str:
    if not 0 <= position < len(block.question_ids):
        raise ValueError(f"block {block.block_id} has no question at position {position}")
    return block.question_ids[position]
