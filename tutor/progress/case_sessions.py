"""Case sessions, their turns and per-objective scores.

A step (turn + state + stage) is one read-modify-write under the write lock, so two tabs
cannot both move a case on from the same stage. Part of
:class:`tutor.progress.store.ProgressStore`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor.errors import StoreError
from tutor.progress.records import CaseObjectiveScore, CaseSession, CaseStatus, CaseTurn, new_id, TurnRole
from tutor.progress.rows import (
    check_choice as _check_choice,
    dumps as _dumps,
    latest_oldest_first as _latest_oldest_first,
    one as _one,
    record as _record,
    required_text as _required_text,
    sql_limit as _sql_limit,
    UNKNOWN_LEARNER as _UNKNOWN_LEARNER,
)

_UNKNOWN_SESSION = "This case discussion could not be found. Please start the case again."
_SESSION_CLOSED = "This case discussion is already finished."
_SESSION_MOVED = "This case moved on in another tab or window. Reload the page to continue from there."


@dataclass(frozen=True)
class CaseCompletion:
    """How a case session ended: its rubric score (0-1) and objective id -> (earned, possible)."""

    score: float
    by_objective: dict[str, tuple[float, float]]


class CaseSessionRecords:
    """The case sessions part of the progress store (a mixin of ``ProgressStore``)."""

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
