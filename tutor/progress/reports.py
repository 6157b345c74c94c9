"""The dashboards' reads: a few aggregate queries, each sized for a large class.

No query here scans the attempts of a whole class: per-learner and class views read
``question_stats`` (one row per learner and question version, kept in step with every
attempt by the progress store), usage over time reads a covering index over a date
window, and the attempts export pages through the table in rowid order, one short
read at a time. ``tests/bench/dashboard_scale.py`` times each query on 2,000 learners
and 1,000,000 attempts.

Returns plain values from :mod:`tutor.progress.analytics`; access checks are the
caller's (:mod:`tutor.modes.dashboards.service`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tutor.clock import from_iso, to_iso
from tutor.db import SQLiteStore
from tutor.progress.analytics import QuestionStat, StudentActivity
from tutor.progress.item_analysis import FirstResponse
from tutor.progress.migrations import MIGRATIONS

EXPORT_PAGE = 5000


@dataclass(frozen=True)
class CaseScoreRow:
    learner_id: int
    session_id: str
    case_id: str
    case_version: str | None
    objective: str  # the case's own objective id
    earned: float
    possible: float
    at: datetime


@dataclass(frozen=True)
class UsageDay:
    day: date
    attempts: int
    active_learners: int
    cases_completed: int
    tutor_questions: int


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    completed: int
    mean_score: float
    scores: tuple[float, ...]  # every completed session's final score (for a distribution)


class ProgressReports(SQLiteStore):
    migrations = MIGRATIONS
    open_failed = "The progress database could not be opened."
    read_failed = "The dashboard could not be loaded just now. Please try again."

    def question_stats(
        self, course_id: str, learner_id: int | None = None, *, learner_ids: Collection[int] | None = None
    ) -> list[QuestionStat]:
        """Rows of ``question_stats``: the whole class, one learner's, or those of ``learner_ids``.

        A few learners (a heatmap of the weakest 40) cost milliseconds; the whole class of
        2,000 (126,000 rows) most of a second, in building the records as much as in SQLite.
        """
        # "+course_id": a deployment has one course, so the class is (nearly) the whole table and
        # one pass over it beats the course index, which would then look up every row in the
        # table on its own (2.3 times slower at 126,000 rows).
        where, params = "+course_id = ?", [course_id]
        if learner_id is not None:
            # "+course_id": search by learner (a few rows), not by course (the whole class).
            where, params = "learner_id = ? AND +course_id = ?", [learner_id, course_id]
        elif learner_ids is not None:
            # One JSON parameter, not one per learner: no limit on the number of variables.
            where = "learner_id IN (SELECT value FROM json_each(?)) AND +course_id = ?"
            params = [json.dumps(sorted(set(learner_ids))), course_id]
        with self._read() as db:
            cursor = db.execute(
                "SELECT learner_id, question_id, question_version, attempts, correct, first_chosen, first_correct,"
                f" last_correct, last_at FROM question_stats WHERE {where}",
                params,
            )
            return [
                QuestionStat(learner, qid, version, attempts, correct, first_chosen, bool(first_correct),
                             bool(last_correct), from_iso(last_at))
                for learner, qid, version, attempts, correct, first_chosen, first_correct, last_correct, last_at in cursor
            ]

    def first_responses(self, course_id: str) -> list[FirstResponse]:
        """Every learner's first answer to every question version: all item analysis reads.

        Narrower than :meth:`question_stats` (no timestamps to parse), which matters at
        126,000 rows.
        """
        with self._read() as db:
            cursor = db.execute(
                "SELECT learner_id, question_id, question_version, first_chosen, first_correct"
                " FROM question_stats WHERE +course_id = ?",
                [course_id],
            )
            return [FirstResponse(*row) for row in cursor]

    def daily_answers(self, learner_id: int, course_id: str, since: datetime) -> list[tuple[date, int, int]]:
        """(day, answered, correct) of one learner since ``since`` (UTC days)."""
        with self._read() as db:
            cursor = db.execute(
                "SELECT substr(answered_at, 1, 10), count(*), sum(correct) FROM attempts"
                " WHERE learner_id = ? AND course_id = ? AND answered_at >= ? GROUP BY 1 ORDER BY 1",
                [learner_id, course_id, to_iso(since)],
            )
            return [(date.fromisoformat(day), n, correct) for day, n, correct in cursor]

    def due_count(self, learner_id: int, until: datetime) -> int:
        with self._read() as db:
            (n,) = db.execute(
                "SELECT count(*) FROM review_cards WHERE learner_id = ? AND due <= ?", [learner_id, to_iso(until)]
            ).fetchone()
            return n

    def case_scores(self, learner_id: int | None = None) -> list[CaseScoreRow]:
        """Per-objective scores of completed sessions (one learner's, or everyone's)."""
        where, params = "", []
        if learner_id is not None:
            where, params = "WHERE cs.learner_id = ?", [learner_id]
        with self._read() as db:
            cursor = db.execute(
                "SELECT cs.learner_id, cs.session_id, cs.case_id, json_extract(s.state_json, '$.case_hash'),"
                " cs.objective, cs.earned, cs.possible, cs.recorded_at"
                f" FROM case_scores cs JOIN case_sessions s ON s.session_id = cs.session_id {where}",
                params,
            )
            return [CaseScoreRow(l, sid, cid, h, o, e, p, from_iso(at)) for l, sid, cid, h, o, e, p, at in cursor]

    def students(self, course_id: str, now: datetime) -> list[StudentActivity]:
        """Every student of the course with what the dashboards need to spot who struggles.

        The inner query reads ``question_stats`` in its primary-key order (``+course_id``
        keeps the course index out), so grouping by (learner, question) needs no sort;
        each question appears once per learner after it, so ``count(*)`` counts them.
        """
        sql = """
            SELECT l.id, l.username, l.display_name,
                   COALESCE(q.questions, 0), COALESCE(q.latest_correct, 0), q.last_at,
                   COALESCE(r.overdue, 0), COALESCE(c.completed, 0), c.mean, c.last_at, t.last_at
            FROM enrollments e JOIN learners l ON l.id = e.learner_id
            LEFT JOIN (
                SELECT learner_id, count(*) AS questions, max(last_at) AS last_at,
                       sum(last_correct) AS latest_correct
                FROM (SELECT learner_id, question_id, last_correct, max(last_at) AS last_at
                      FROM question_stats WHERE +course_id = :course GROUP BY learner_id, question_id)
                GROUP BY learner_id
            ) q ON q.learner_id = l.id
            LEFT JOIN (
                SELECT learner_id, count(*) AS overdue FROM review_cards WHERE due <= :now GROUP BY learner_id
            ) r ON r.learner_id = l.id
            LEFT JOIN (
                SELECT learner_id, count(*) AS completed, avg(COALESCE(score_override, score)) AS mean,
                       max(updated_at) AS last_at
                FROM case_sessions WHERE status = 'completed' GROUP BY learner_id
            ) c ON c.learner_id = l.id
            LEFT JOIN (
                SELECT learner_id, max(created_at) AS last_at FROM chat_turns WHERE course_id = :course GROUP BY learner_id
            ) t ON t.learner_id = l.id
            WHERE e.course_id = :course AND e.role = 'student' AND l.active = 1
            ORDER BY l.username
        """
        with self._read() as db:
            rows = db.execute(sql, {"course": course_id, "now": to_iso(now)}).fetchall()
        students = []
        for lid, username, name, questions, latest, q_last, overdue, completed, mean, c_last, t_last in rows:
            times = [from_iso(t) for t in (q_last, c_last, t_last) if t]
            students.append(StudentActivity(
                learner_id=lid, username=username, display_name=name, questions=questions, latest_correct=latest,
                last_active=max(times) if times else None, overdue_reviews=overdue,
                cases_completed=completed, case_mean=mean,
            ))
        return students

    def usage(self, course_id: str, since: datetime) -> list[UsageDay]:
        """Per UTC day since ``since``: attempts, learners who answered, cases completed, tutor questions."""
        start = to_iso(since)
        with self._read() as db:
            attempts = {day: (n, learners) for day, n, learners in db.execute(
                "SELECT substr(answered_at, 1, 10), count(*), count(DISTINCT learner_id) FROM attempts"
                " WHERE course_id = ? AND answered_at >= ? GROUP BY 1", [course_id, start])}
            cases = dict(db.execute(
                "SELECT substr(completed_at, 1, 10), count(*) FROM case_sessions"
                " WHERE status = 'completed' AND completed_at >= ? GROUP BY 1", [start]).fetchall())
            chats = dict(db.execute(
                "SELECT substr(created_at, 1, 10), count(*) FROM chat_turns"
                " WHERE course_id = ? AND created_at >= ? GROUP BY 1", [course_id, start]).fetchall())
        days = sorted(set(attempts) | set(cases) | set(chats))
        return [
            UsageDay(date.fromisoformat(d), attempts.get(d, (0, 0))[0], attempts.get(d, (0, 0))[1],
                     cases.get(d, 0), chats.get(d, 0))
            for d in days
        ]

    def case_summaries(self) -> list[CaseSummary]:
        with self._read() as db:
            rows = db.execute(
                "SELECT case_id, COALESCE(score_override, score) FROM case_sessions"
                " WHERE status = 'completed' ORDER BY case_id"
            ).fetchall()
        by_case: dict[str, list[float]] = {}
        for case_id, score in rows:
            by_case.setdefault(case_id, []).append(score or 0.0)
        return [CaseSummary(cid, len(s), sum(s) / len(s), tuple(s)) for cid, s in by_case.items()]

    def attempt_pages(self, course_id: str) -> Iterator[list[dict[str, Any]]]:
        """Every attempt of the course with the learner's username, a page at a time (rowid order).

        Each page walks the table from the previous page's last rowid (``+a.course_id``
        keeps SQLite off the course index: through it, every page read and sorted every
        attempt of the course again, 35 s for 1,000,000 attempts instead of one pass).
        """
        after = 0
        while True:
            with self._read() as db:
                rows = list(db.query(
                    "SELECT a.rowid AS _row, l.username, l.display_name, a.question_id, a.question_version,"
                    " a.chosen_option, a.correct, a.time_taken_ms, a.mode, a.block_id, a.answered_at"
                    " FROM attempts a JOIN learners l ON l.id = a.learner_id"
                    " WHERE a.rowid > ? AND +a.course_id = ? ORDER BY a.rowid LIMIT ?",
                    [after, course_id, EXPORT_PAGE],
                ))
            if not rows:
                return
            after = rows[-1]["_row"]
            for row in rows:
                row.pop("_row")
            yield rows
