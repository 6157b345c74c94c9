"""The learner and instructor dashboards, item analysis and the CSV exports.

Joins what progress records (:mod:`tutor.progress.reports`) with what the curriculum
says it means (question tags from the bank, case titles and objective texts from the
case library) and applies the access rules of :mod:`tutor.modes.access`:

* a learner's dashboard is readable by that learner and by staff;
* the class view, item analysis, sending an item back to review and the exports are
  for staff only.

The arithmetic lives in :mod:`tutor.progress.analytics` (pure, tested by hand).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from tutor.bank.store import BankQuestion, QuestionBank
from tutor.cases.store import CaseLibrary
from tutor.clock import Clock
from tutor.content.cases.model import Case
from tutor.content.questions.model import LETTERS
from tutor.errors import AccessDenied
from tutor.modes.access import Actor
from tutor.progress import analytics
from tutor.progress.analytics import (
    AtRisk, CaseObjectiveResult, Cell, Dimension, Mastery, Period, QuestionTags, StudentActivity,
)
from tutor.progress.item_analysis import MIN_RESPONSES, ItemKey, ItemStats, analyse_items
from tutor.progress.records import CaseSession, Learner
from tutor.progress.reports import CaseScoreRow, ProgressReports, UsageDay
from tutor.progress.store import ProgressStore

WEEKS = 12
USAGE_DAYS = 90
WEAKEST = 3


@dataclass(frozen=True)
class CaseScore:
    session: CaseSession
    title: str


@dataclass(frozen=True)
class LearnerDashboard:
    learner: Learner
    topics: list[Mastery]
    systems: list[Mastery]
    objectives: list[Mastery]
    weeks: list[Period]
    due_today: int
    due_week: int
    recent_cases: list[CaseScore]
    answered: int  # distinct questions answered (any version)
    latest_right: int  # of those, the latest answer was right

    @property
    def weakest_topics(self) -> list[Mastery]:
        """Topics with room to improve, weakest first (the dashboard offers practice on them)."""
        return [m for m in self.topics if m.share < 1.0][:WEAKEST]


@dataclass(frozen=True)
class CaseReport:
    case_id: str
    title: str
    completed: int
    mean_score: float
    scores: tuple[float, ...]
    objectives: tuple[tuple[str, float], ...]  # objective text -> class mean share


@dataclass(frozen=True)
class ClassOverview:
    students: list[StudentActivity]
    at_risk: list[AtRisk]
    dimension: Dimension
    cells: list[Cell]
    usage: list[UsageDay]
    cases: list[CaseReport]
    active_last_week: int
    heatmap_order: tuple[int, ...]  # the learners the heatmap maps, weakest first


@dataclass(frozen=True)
class ItemReport:
    stats: ItemStats
    question: BankQuestion


class Dashboards:
    def __init__(self, *, reports: ProgressReports, progress: ProgressStore, bank: QuestionBank,
                 case_library: CaseLibrary, course_id: str, now: Clock):
        self._reports = reports
        self._progress = progress
        self._bank = bank
        self._cases = case_library
        self._course = course_id
        self._now = now

    # -- a learner ------------------------------------------------------------------------

    def learner(self, actor: Actor, learner_id: int | None = None) -> LearnerDashboard:
        """A learner's own dashboard (``learner_id`` None: the actor's); staff may open any student's."""
        learner_id = actor.learner_id if learner_id is None else learner_id
        actor.require_self_or_staff(learner_id)
        learner = self._progress.get_learner_by_id(learner_id)
        if learner is None:
            raise AccessDenied()
        now = self._now()
        stats = self._reports.question_stats(self._course, learner_id)
        latest = analytics.latest_per_question(stats)
        tags = self._tags()
        cases = self._case_results(self._reports.case_scores(learner_id))
        end_of_today = now.replace(hour=23, minute=59, second=59, microsecond=0)
        since = now - timedelta(weeks=WEEKS)
        sessions = self._progress.case_sessions_for(learner_id, status="completed")[-5:]
        return LearnerDashboard(
            learner=learner,
            topics=analytics.mastery(stats, tags, (), "topic"),
            systems=analytics.mastery(stats, tags, (), "system"),
            objectives=analytics.mastery(stats, tags, cases, "objective"),
            weeks=analytics.by_week(self._reports.daily_answers(learner_id, self._course, since), now.date(), WEEKS),
            due_today=self._reports.due_count(learner_id, end_of_today),
            due_week=self._reports.due_count(learner_id, end_of_today + timedelta(days=6)),
            recent_cases=[CaseScore(s, self._title(s.case_id)) for s in reversed(sessions)],
            answered=len(latest),
            latest_right=sum(stat.last_correct for stat in latest.values()),
        )

    # -- the class ------------------------------------------------------------------------

    def class_overview(
        self, actor: Actor, dimension: Dimension = "objective", *, heatmap_rows: int | None = None
    ) -> ClassOverview:
        """The class at a glance; the heatmap maps the ``heatmap_rows`` weakest students (None: everyone).

        Mapping only the rows a chart can show keeps the view fast in a class of thousands
        (0.5 s instead of 1.5 s at 2,000 students; see docs/measurements.md).
        """
        actor.require_staff()
        now = self._now()
        students = self._reports.students(self._course, now)
        enrolled = {s.learner_id for s in students}
        weakest = [s.learner_id for s in sorted(students, key=lambda s: (s.share if s.share is not None else 2.0, s.username))]
        order = tuple(weakest if heatmap_rows is None else weakest[:heatmap_rows])
        mapped = set(order)
        stats = self._reports.question_stats(self._course, learner_ids=mapped)
        case_rows = [r for r in self._reports.case_scores() if r.learner_id in enrolled]
        cases = self._case_results(case_rows)
        mapped_cases = [c for c in cases if c.learner_id in mapped]
        return ClassOverview(
            students=students,
            at_risk=analytics.students_at_risk(students, now),
            dimension=dimension,
            cells=analytics.class_mastery(stats, self._tags(), mapped_cases if dimension == "objective" else (), dimension),
            usage=self._reports.usage(self._course, now - timedelta(days=USAGE_DAYS)),
            cases=self._case_reports(cases),
            active_last_week=sum(1 for s in students if s.last_active and now - s.last_active <= timedelta(days=7)),
            heatmap_order=order,
        )

    def item_analysis(self, actor: Actor, min_responses: int = MIN_RESPONSES) -> list[ItemReport]:
        """Every question in use with at least ``min_responses`` first responses, dubious first."""
        actor.require_staff()
        questions = {q.id: q for q in self._bank.in_use(self._course)}
        keys = {
            qid: ItemKey(qid, q.version, q.question.answer, tuple(LETTERS[: len(q.question.options)]))
            for qid, q in questions.items()
        }
        items = analyse_items(self._reports.first_responses(self._course), keys, min_responses=min_responses)
        reports = [ItemReport(item, questions[item.question_id]) for item in items]
        return sorted(reports, key=lambda r: (not r.stats.dubious, r.stats.point_biserial or 0.0, r.stats.question_id))

    def send_back_to_review(self, actor: Actor, question_id: str, reason: str) -> BankQuestion:
        """Take a dubious item out of the quiz pool and into the review queue, saying why."""
        actor.require_staff()
        return self._bank.return_to_review(question_id, reviewer=actor.username, reason=reason)

    # -- exports --------------------------------------------------------------------------

    def attempts_csv(self, actor: Actor) -> Iterator[str]:
        """Every attempt in the course as CSV text, a page of rows at a time (header first)."""
        actor.require_staff()
        columns = ["username", "display_name", "question_id", "question_version", "chosen_option", "correct",
                   "time_taken_ms", "mode", "block_id", "answered_at"]
        yield _csv_text([columns])
        for page in self._reports.attempt_pages(self._course):
            yield _csv_text([[row[c] for c in columns] for row in page])

    def items_csv(self, actor: Actor, min_responses: int = MIN_RESPONSES) -> str:
        rows = [["question_id", "version", "status", "topic", "responses", "difficulty", "point_biserial",
                 "upper_lower", *[f"chose_{letter}" for letter in LETTERS], "blank", "flags"]]
        for report in self.item_analysis(actor, min_responses):
            s, q = report.stats, report.question
            rows.append([
                s.question_id, s.version, q.status, q.question.topic or "", s.responses, f"{s.difficulty:.3f}",
                _number(s.point_biserial), _number(s.upper_lower),
                *[_number(s.option_rates.get(letter)) for letter in LETTERS], f"{s.blank_rate:.3f}",
                " | ".join(s.flags),
            ])
        return _csv_text(rows)

    # -- plumbing -------------------------------------------------------------------------

    def _tags(self) -> dict[str, QuestionTags]:
        return {
            q.id: QuestionTags(q.question.topic, q.question.system, q.question.objective, _excerpt(q.question.stem))
            for q in self._bank.in_use(self._course)
        }

    def _case_results(self, rows: list[CaseScoreRow]) -> list[CaseObjectiveResult]:
        """Case-local objective ids become the objective's text, from the version the learner worked on."""
        versions: dict[tuple[str, str | None], Case | None] = {}
        results = []
        for row in rows:
            key = (row.case_id, row.case_version)
            if key not in versions:
                versions[key] = self._cases.get(row.case_id, row.case_version)
            case = versions[key]
            text = next((o.text for o in case.objectives if o.id == row.objective), row.objective) if case else row.objective
            results.append(CaseObjectiveResult(row.learner_id, row.session_id, row.case_id,
                                               case.title if case else row.case_id, text, row.earned, row.possible, row.at))
        return results

    def _case_reports(self, cases: list[CaseObjectiveResult]) -> list[CaseReport]:
        by_case: dict[str, dict[str, list[float]]] = {}
        for r in cases:
            if r.possible:
                by_case.setdefault(r.case_id, {}).setdefault(r.objective, []).append(r.earned / r.possible)
        reports = []
        for summary in self._reports.case_summaries():
            objectives = by_case.get(summary.case_id, {})
            reports.append(CaseReport(
                summary.case_id, self._title(summary.case_id), summary.completed, summary.mean_score, summary.scores,
                tuple((text, sum(v) / len(v)) for text, v in sorted(objectives.items())),
            ))
        return reports

    def _title(self, case_id: str) -> str:
        entry = self._cases.entry(case_id)
        return entry.title if entry else case_id


def _excerpt(stem: str, limit: int = 90) -> str:
    stem = " ".join(stem.split())
    return stem if len(stem) <= limit else stem[: limit - 1].rstrip() + "…"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()

