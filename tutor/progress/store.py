"""The progress store: every learner's attempts, review cards, case sessions and chat turns.

One :class:`ProgressStore` per process (it is in the cached Services bundle) serves
every Streamlit session and thread. It holds no connection: each method is one unit of
work on its own short-lived connection from :class:`tutor.db.SQLiteFile`, so it is
safe to call from any thread, and several processes may share the file.

Concurrency rules this module keeps:

* Every write, and every read-modify-write, runs inside one ``SQLiteFile.write()``,
  which is a ``BEGIN IMMEDIATE`` transaction: the write lock is taken before the read,
  so two writers queue on the busy timeout instead of both reading the same old value
  and one losing its update (``save_review``, ``save_case_step``,
  ``update_case_session`` depend on this).
* Retried writes are idempotent where a client can retry: attempts and chat turns
  carry a client-generated id and a second insert of the same id is ignored
  (``ON CONFLICT DO NOTHING``; not ``INSERT OR IGNORE``, which would also swallow
  ``CHECK`` and ``NOT NULL`` violations).
* Lists come back oldest-first; with a ``limit`` they are the *latest* ``limit`` rows,
  still oldest-first, which is what a transcript or a recent-activity view wants.
  Rows with equal timestamps keep their insertion order.

Time comes only from the injected ``now`` (timezone-aware; see :mod:`tutor.clock`),
read while the write lock is held, so stored times follow commit order.

Failures: a write that cannot complete (the file stays locked past the busy timeout,
an unknown learner, course or session, a full disk) raises :class:`StoreError` with a
``user_message`` fit for the learner and the SQLite detail in ``str(error)``. Calling
the store with a malformed argument (an empty username, an unknown role, a naive
datetime) is a programming error and raises ``ValueError`` before any SQL runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, get_args

import sqlite_utils

from tutor.db import SQLiteStore
from tutor.domain import Citation, Quote
from tutor.errors import StoreError
from tutor.clock import from_iso, to_iso
from tutor.progress.migrations import MIGRATIONS
from tutor.progress.rows import one as _one, record as _record
from tutor.progress.records import (
    Attempt,
    BlockAnswer,
    BlockMode,
    BlockStatus,
    CaseObjectiveScore,
    CaseSession,
    CaseStatus,
    CaseTurn,
    ChatTurn,
    Course,
    CourseRole,
    Enrollment,
    Learner,
    LearnerRole,
    QuizBlock,
    ReviewCard,
    TurnRole,
    new_id,
)

BlockReview = Callable[[ReviewCard | None, Attempt, datetime], tuple[ReviewCard, dict[str, Any]]]
"""Given the current card, the new attempt and the time, return the new card and a review log."""

ReviewUpdate = Callable[[ReviewCard | None], tuple[ReviewCard, dict[str, Any]]]
"""Given the current card (None for a question never reviewed), return the new card and a review log."""


@dataclass(frozen=True)
class CaseCompletion:
    """How a case session ended: its rubric score (0-1) and objective id -> (earned, possible)."""

    score: float
    by_objective: dict[str, tuple[float, float]]

_UNKNOWN_LEARNER_OR_COURSE = "This could not be saved because the learner or the course is not registered."
_UNKNOWN_LEARNER = "This could not be saved because the learner is not registered."
_UNKNOWN_SESSION = "This case discussion could not be found. Please start the case again."
_SESSION_CLOSED = "This case discussion is already finished."
_SESSION_MOVED = "This case moved on in another tab or window. Reload the page to continue from there."
_UNKNOWN_BLOCK = "This practice block could not be found. Please start a new one."
_READ_FAILED = "Your progress could not be loaded just now. Please try again."


class ProgressStore(SQLiteStore):
    """The learner progress database. See the module docstring for the rules it keeps."""

    migrations = MIGRATIONS
    open_failed = "The progress database could not be opened."
    read_failed = _READ_FAILED
    write_failed = None

    # -- learners and courses -------------------------------------------------------------

    def ensure_learner(
        self, username: str, display_name: str | None = None, role: LearnerRole = "student"
    ) -> Learner:
        """The learner with this username, created if new.

        Idempotent: an existing learner is returned unchanged, whatever ``display_name``
        and ``role`` say, so that a login can never rename a learner or change a role.
        Usernames are matched case-insensitively (ASCII) and stripped of surrounding blanks.
        """
        username = _required_text(username, "username")
        _check_choice(role, LearnerRole, "role")
        display_name = (display_name or "").strip() or username
        with self._write() as db:
            db.execute(
                "INSERT INTO learners (username, display_name, role, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(username) DO NOTHING",
                [username, display_name, role, self._stamp()],
            )
            row = _one(db, "SELECT * FROM learners WHERE username = ?", [username])
        return _record(Learner, row)

    def get_learner(self, username: str) -> Learner | None:
        with self._read() as db:
            row = _one(db, "SELECT * FROM learners WHERE username = ?", [username.strip()])
        return None if row is None else _record(Learner, row)

    def get_learner_by_id(self, learner_id: int) -> Learner | None:
        with self._read() as db:
            row = _one(db, "SELECT * FROM learners WHERE id = ?", [learner_id])
        return None if row is None else _record(Learner, row)

    def ensure_course(self, course_id: str, title: str) -> Course:
        """The course, created if new. The title follows the curriculum: a changed title is updated."""
        course_id = _required_text(course_id, "course_id")
        title = _required_text(title, "title")
        with self._write() as db:
            db.execute(
                "INSERT INTO courses (id, title, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET title = excluded.title WHERE title != excluded.title",
                [course_id, title, self._stamp()],
            )
            row = _one(db, "SELECT * FROM courses WHERE id = ?", [course_id])
        return _record(Course, row)

    def enroll(self, learner_id: int, course_id: str, role: CourseRole = "student") -> Enrollment:
        """Enrol a learner in a course, or change their role in it; idempotent."""
        _check_choice(role, CourseRole, "role")
        with self._write(fk_message=_UNKNOWN_LEARNER_OR_COURSE) as db:
            db.execute(
                "INSERT INTO enrollments (learner_id, course_id, role, enrolled_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(learner_id, course_id) DO UPDATE SET role = excluded.role",
                [learner_id, course_id, role, self._stamp()],
            )
            row = _one(
                db, "SELECT * FROM enrollments WHERE learner_id = ? AND course_id = ?", [learner_id, course_id]
            )
        return _record(Enrollment, row)

    def enrollments_for(self, learner_id: int) -> list[Enrollment]:
        """The courses a learner is enrolled in, in the order they were enrolled."""
        with self._read() as db:
            rows = db.query(
                "SELECT * FROM enrollments WHERE learner_id = ? ORDER BY enrolled_at, rowid", [learner_id]
            )
            return [_record(Enrollment, row) for row in rows]

    # -- quiz attempts --------------------------------------------------------------------

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

    # -- spaced repetition ----------------------------------------------------------------

    def load_card(self, learner_id: int, question_id: str) -> ReviewCard | None:
        with self._read() as db:
            return _card(db, learner_id, question_id)

    def save_review(self, learner_id: int, question_id: str, *, update: ReviewUpdate) -> ReviewCard:
        """Apply one review: read the card, let ``update`` compute the next one, write card and log.

        All of it happens in one ``BEGIN IMMEDIATE`` transaction, so concurrent reviews of the
        same card serialise and none is lost. ``update`` runs while the write lock is held:
        it must be pure and quick (the FSRS scheduler is), and if it raises nothing is written.
        The log must carry ``rating`` (1-4, FSRS Again..Easy); the whole dict is kept as JSON
        and stamped with the store's clock. Returns the card as saved.
        """
        with self._write(fk_message=_UNKNOWN_LEARNER) as db:
            current = _card(db, learner_id, question_id)
            new, log = update(current)
            if not isinstance(new, ReviewCard):
                raise TypeError(f"update must return a ReviewCard and a dict, got {type(new).__name__}")
            if (new.learner_id, new.question_id) != (learner_id, question_id):
                raise ValueError(
                    f"update returned the card of ({new.learner_id}, {new.question_id!r}),"
                    f" not ({learner_id}, {question_id!r})"
                )
            stamp = self._stamp()
            _write_review(db, new, log, stamp)
        return new.model_copy(update={"updated_at": from_iso(stamp)})

    # -- quiz blocks ----------------------------------------------------------------------

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

    def due_cards(self, learner_id: int, *, until: datetime, limit: int | None = None) -> list[ReviewCard]:
        """Cards due at or before ``until``, most overdue first."""
        with self._read() as db:
            rows = db.query(
                "SELECT * FROM review_cards WHERE learner_id = ? AND due <= ?"
                " ORDER BY due, question_id LIMIT ?",
                [learner_id, to_iso(until), _sql_limit(limit)],
            )
            return [_card_from_row(row) for row in rows]

    # -- clinical case sessions -----------------------------------------------------------

    def start_case_session(self, learner_id: int, case_id: str, stage: str, state: dict[str, Any]) -> CaseSession:
        """Open a new, active session of a case for a learner."""
        case_id = _required_text(case_id, "case_id")
        session_id = new_id()
        with self._write(fk_message=_UNKNOWN_LEARNER) as db:
            stamp = self._stamp()
            db.execute(
                "INSERT INTO case_sessions (session_id, learner_id, case_id, stage, state_json, status,"
                " started_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
                [session_id, learner_id, case_id, stage, _dumps(state), stamp, stamp],
            )
            row = _one(db, "SELECT * FROM case_sessions WHERE session_id = ?", [session_id])
        return _session_from_row(row)

    def update_case_session(
        self,
        session_id: str,
        *,
        stage: str,
        state: dict[str, Any],
        status: CaseStatus | None = None,
        score: float | None = None,
    ) -> CaseSession:
        """Save the case mode's new stage and state; ``status``/``score`` change only when given.

        ``completed_at`` is stamped when the status becomes 'completed' and is kept while it stays so.
        """
        if status is not None:
            _check_choice(status, CaseStatus, "status")
        with self._write() as db:
            stamp = self._stamp()
            row = _one(db, "SELECT status, score, completed_at FROM case_sessions WHERE session_id = ?", [session_id])
            if row is None:
                raise StoreError(_UNKNOWN_SESSION, detail=f"no case session {session_id!r}")
            new_status = status or row["status"]
            if new_status != "completed":
                completed_at = None
            else:
                completed_at = row["completed_at"] or stamp
            db.execute(
                "UPDATE case_sessions SET stage = ?, state_json = ?, status = ?, score = ?, updated_at = ?,"
                " completed_at = ? WHERE session_id = ?",
                [
                    stage,
                    _dumps(state),
                    new_status,
                    row["score"] if score is None else score,
                    stamp,
                    completed_at,
                    session_id,
                ],
            )
            row = _one(db, "SELECT * FROM case_sessions WHERE session_id = ?", [session_id])
        return _session_from_row(row)

    def case_turns(self, session_id: str) -> list[CaseTurn]:
        """A session's transcript in turn order."""
        with self._read() as db:
            rows = db.query("SELECT * FROM case_turns WHERE session_id = ? ORDER BY turn_index", [session_id])
            return [_turn_from_row(row) for row in rows]

    def get_case_session(self, session_id: str) -> CaseSession | None:
        with self._read() as db:
            row = _one(db, "SELECT * FROM case_sessions WHERE session_id = ?", [session_id])
        return None if row is None else _session_from_row(row)

    def case_sessions_for(
        self, learner_id: int, *, case_id: str | None = None, status: CaseStatus | None = None
    ) -> list[CaseSession]:
        """A learner's case sessions, oldest-first (e.g. the active one to resume)."""
        where, params = ["learner_id = ?"], [learner_id]
        if case_id is not None:
            where.append("case_id = ?")
            params.append(case_id)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        with self._read() as db:
            rows = _latest_oldest_first(db, "case_sessions", where, params, "started_at", None)
            return [_session_from_row(row) for row in rows]

    def save_case_step(
        self,
        session_id: str,
        *,
        learner_id: int,
        expected_step: int,
        stage: str,
        state: dict[str, Any],
        turns: Sequence[tuple[TurnRole, str, dict[str, Any] | None]] = (),
        completion: CaseCompletion | None = None,
    ) -> CaseSession:
        """One step of a case discussion, all or nothing: the new state, its transcript turns,
        and, when the case ends, the score and the per-objective scores.

        Refused with :class:`StoreError` when the session is not this learner's, is no
        longer active, or has moved past ``expected_step`` (the same case open in two tabs:
        the second write must not overwrite the first).
        """
        for role, _, _ in turns:
            _check_choice(role, TurnRole, "role")
        with self._write() as db:
            stamp = self._stamp()
            row = _one(db, "SELECT learner_id, status, state_json, case_id FROM case_sessions WHERE session_id = ?", [session_id])
            if row is None or row["learner_id"] != learner_id:
                raise StoreError(_UNKNOWN_SESSION, detail=f"no case session {session_id!r} for learner {learner_id}")
            if row["status"] != "active":
                raise StoreError(_SESSION_CLOSED, detail=f"case session {session_id!r} is {row['status']}")
            if json.loads(row["state_json"]).get("step") != expected_step:
                raise StoreError(_SESSION_MOVED, detail=f"case session {session_id!r} is past step {expected_step}")
            status, score, completed_at = "active", None, None
            if completion is not None:
                status, score, completed_at = "completed", completion.score, stamp
                db["case_scores"].insert_all(
                    {"session_id": session_id, "learner_id": learner_id, "case_id": row["case_id"], "objective": objective,
                     "earned": earned, "possible": possible, "recorded_at": stamp}
                    for objective, (earned, possible) in completion.by_objective.items()
                )
            db.execute(
                "UPDATE case_sessions SET stage = ?, state_json = ?, status = ?, score = ?, updated_at = ?, completed_at = ?"
                " WHERE session_id = ?",
                [stage, _dumps(state), status, score, stamp, completed_at, session_id],
            )
            (next_index,) = db.execute(
                "SELECT COALESCE(MAX(turn_index) + 1, 0) FROM case_turns WHERE session_id = ?", [session_id]
            ).fetchone()
            for offset, (role, content, meta) in enumerate(turns):
                db.execute(
                    "INSERT INTO case_turns (session_id, turn_index, role, content, meta_json, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [session_id, next_index + offset, role, content, None if meta is None else _dumps(meta), stamp],
                )
            row = _one(db, "SELECT * FROM case_sessions WHERE session_id = ?", [session_id])
        return _session_from_row(row)

    def override_case_score(self, session_id: str, *, score: float, reason: str, by: str) -> CaseSession:
        """An instructor's score for a completed session (the rubric score is kept beside it)."""
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score must be between 0 and 1, got {score}")
        reason, by = _required_text(reason, "reason"), _required_text(by, "by")
        with self._write() as db:
            row = _one(db, "SELECT status FROM case_sessions WHERE session_id = ?", [session_id])
            if row is None:
                raise StoreError(_UNKNOWN_SESSION, detail=f"no case session {session_id!r}")
            if row["status"] != "completed":
                raise StoreError("Only a completed case can be re-scored.", detail=f"session {session_id!r} is {row['status']}")
            db.execute(
                "UPDATE case_sessions SET score_override = ?, override_reason = ?, override_by = ?, overridden_at = ?"
                " WHERE session_id = ?",
                [score, reason, by, self._stamp(), session_id],
            )
            row = _one(db, "SELECT * FROM case_sessions WHERE session_id = ?", [session_id])
        return _session_from_row(row)

    def completed_case_sessions(self, *, case_id: str | None = None, limit: int = 200) -> list[CaseSession]:
        """The latest completed sessions of every learner (of one case if given), newest first."""
        where, params = "status = 'completed'", []
        if case_id is not None:
            where, params = where + " AND case_id = ?", [case_id]
        with self._read() as db:
            rows = db.query(
                f"SELECT * FROM case_sessions WHERE {where} ORDER BY completed_at DESC, rowid DESC LIMIT ?",
                [*params, _sql_limit(limit)],
            )
            return [_session_from_row(row) for row in rows]

    def case_objective_scores(self, learner_id: int) -> list[CaseObjectiveScore]:
        """Every per-objective case score of a learner, oldest first (the evidence behind case mastery)."""
        with self._read() as db:
            rows = db.query("SELECT * FROM case_scores WHERE learner_id = ? ORDER BY recorded_at, rowid", [learner_id])
            return [_record(CaseObjectiveScore, row) for row in rows]

    # -- tutor chat -----------------------------------------------------------------------

    def record_chat_turn(self, turn: ChatTurn) -> bool:
        """Store a chat turn; False when its ``turn_id`` was already stored (the first write wins)."""
        with self._write(fk_message=_UNKNOWN_LEARNER_OR_COURSE) as db:
            created_at = to_iso(turn.created_at) if turn.created_at else self._stamp()
            cursor = db.execute(
                "INSERT INTO chat_turns (turn_id, learner_id, course_id, conversation_id, question, answer,"
                " citations_json, quotes_json, kind, grounded, mode, status, prompt_version, model, latency_ms,"
                " created_at, claims_checked, unsupported_json, related_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(turn_id) DO NOTHING",
                [
                    turn.turn_id,
                    turn.learner_id,
                    turn.course_id,
                    turn.conversation_id,
                    turn.question,
                    turn.answer,
                    _dumps([c.model_dump() for c in turn.citations]),
                    _dumps([q.model_dump() for q in turn.quotes]),
                    turn.kind,
                    int(turn.grounded),
                    turn.mode,
                    turn.status,
                    turn.prompt_version,
                    turn.model,
                    turn.latency_ms,
                    created_at,
                    turn.claims_checked,
                    _dumps(list(turn.unsupported)),
                    _dumps([c.model_dump() for c in turn.related]),
                ],
            )
            return cursor.rowcount == 1

    def chat_history(
        self, learner_id: int, conversation_id: str | None = None, limit: int | None = 50
    ) -> list[ChatTurn]:
        """The latest ``limit`` chat turns of a learner (of one conversation if given), oldest-first."""
        where, params = ["learner_id = ?"], [learner_id]
        if conversation_id is not None:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        with self._read() as db:
            rows = _latest_oldest_first(db, "chat_turns", where, params, "created_at", limit)
            return [_chat_from_row(row) for row in rows]

    # -- plumbing -------------------------------------------------------------------------

    def _stamp(self) -> str:
        return to_iso(self._now())


# -- row <-> record -------------------------------------------------------------------------


def _sql_limit(limit: int | None) -> int:
    """SQLite's ``LIMIT -1`` means no limit."""
    if limit is None:
        return -1
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return limit


def _latest_oldest_first(
    db: sqlite_utils.Database, table: str, where: list[str], params: list[Any], time_column: str, limit: int | None
) -> list[dict[str, Any]]:
    """The latest ``limit`` matching rows, returned oldest-first; rowid breaks timestamp ties."""
    sql = (
        f"SELECT * FROM (SELECT rowid AS _seq, * FROM {table} WHERE {' AND '.join(where)}"
        f" ORDER BY {time_column} DESC, rowid DESC LIMIT ?) ORDER BY {time_column}, _seq"
    )
    rows = []
    for row in db.query(sql, [*params, _sql_limit(limit)]):
        row.pop("_seq")
        rows.append(row)
    return rows


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


def _write_review(db: sqlite_utils.Database, new: ReviewCard, log: dict[str, Any], stamp: str) -> None:
    """Upsert the card and append its log (an UPSERT: INSERT OR REPLACE would cascade-delete the logs)."""
    rating = _rating(log)
    db.execute(
        "INSERT INTO review_cards (learner_id, question_id, card_json, due, state, last_review, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(learner_id, question_id) DO UPDATE SET card_json = excluded.card_json,"
        " due = excluded.due, state = excluded.state, last_review = excluded.last_review,"
        " updated_at = excluded.updated_at",
        [
            new.learner_id,
            new.question_id,
            _dumps(new.card),
            to_iso(new.due),
            new.state,
            to_iso(new.last_review) if new.last_review else None,
            stamp,
        ],
    )
    db.execute(
        "INSERT INTO review_logs (learner_id, question_id, rating, reviewed_at, log_json) VALUES (?, ?, ?, ?, ?)",
        [new.learner_id, new.question_id, rating, stamp, _dumps(log)],
    )


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


def _card(db: sqlite_utils.Database, learner_id: int, question_id: str) -> ReviewCard | None:
    row = _one(db, "SELECT * FROM review_cards WHERE learner_id = ? AND question_id = ?", [learner_id, question_id])
    return None if row is None else _card_from_row(row)


def _card_from_row(row: dict[str, Any]) -> ReviewCard:
    return ReviewCard(
        learner_id=row["learner_id"],
        question_id=row["question_id"],
        card=json.loads(row["card_json"]),
        due=row["due"],
        state=row["state"],
        last_review=row["last_review"],
        updated_at=row["updated_at"],
    )


def _session_from_row(row: dict[str, Any]) -> CaseSession:
    state = json.loads(row.pop("state_json"))
    return _record(CaseSession, {**row, "state": state})


def _turn_from_row(row: dict[str, Any]) -> CaseTurn:
    meta = row["meta_json"]
    return CaseTurn(
        session_id=row["session_id"],
        turn_index=row["turn_index"],
        role=row["role"],
        content=row["content"],
        meta=None if meta is None else json.loads(meta),
        created_at=row["created_at"],
    )


def _chat_from_row(row: dict[str, Any]) -> ChatTurn:
    citations = tuple(Citation.model_validate(c) for c in json.loads(row.pop("citations_json")))
    quotes = tuple(Quote.model_validate(q) for q in json.loads(row.pop("quotes_json")))
    unsupported = tuple(json.loads(row.pop("unsupported_json", "[]")))
    related = tuple(Citation.model_validate(c) for c in json.loads(row.pop("related_json", "[]")))
    return _record(ChatTurn, {**row, "citations": citations, "quotes": quotes, "unsupported": unsupported,
                              "related": related})


def _dumps(value: Any) -> str:
    """JSON for a TEXT column; datetimes (as in scheduler logs) become stored-format ISO text."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _rating(log: dict[str, Any]) -> int:
    try:
        rating = int(log["rating"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the review log needs an integer 'rating' (1-4), got {log!r}") from exc
    if not 1 <= rating <= 4:
        raise ValueError(f"rating must be 1 (Again) to 4 (Easy), got {rating}")
    return rating


def _required_text(value: str, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def _check_choice(value: str, choices: Any, name: str) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
