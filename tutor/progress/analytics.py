"""Dashboard arithmetic: mastery with its evidence, accuracy over time, the class and its risks.

Pure functions over plain values (no database, no clock: ``today`` and ``now`` are
arguments), so every number on a dashboard can be checked by hand in a unit test.
:mod:`tutor.progress.reports` fetches the inputs with a few aggregate queries;
:mod:`tutor.modes.dashboards.service` adds the curriculum (question tags, case objectives) and
the access checks.

Definitions, as the dashboards explain them to their readers:

* **Mastery** of a topic, system or objective = points earned / points possible over
  its evidence: each question the learner has answered counts one point, earned when
  their *latest* answer to it was right; each completed case counts the rubric points
  tied to the objective in the learner's *latest* completed session of that case.
* **Item analysis** lives in :mod:`tutor.progress.item_analysis`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

Dimension = Literal["topic", "system", "objective"]

# -- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionTags:
    topic: str | None
    system: str | None
    objective: str | None
    label: str  # a short excerpt of the stem, to name the evidence


@dataclass(frozen=True)
class QuestionStat:
    """One learner's record on one question version (a row of ``question_stats``)."""

    learner_id: int
    question_id: str
    version: int
    attempts: int
    correct: int
    first_chosen: str | None
    first_correct: bool
    last_correct: bool
    last_at: datetime


@dataclass(frozen=True)
class CaseObjectiveResult:
    """What one completed case session earned toward one objective (objective as text)."""

    learner_id: int
    session_id: str
    case_id: str
    case_title: str
    objective: str
    earned: float
    possible: float
    at: datetime


# -- mastery --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    kind: Literal["question", "case"]
    ref: str  # question id, or case session id
    label: str
    earned: float
    possible: float
    at: datetime


@dataclass(frozen=True)
class Mastery:
    name: str
    earned: float
    possible: float
    evidence: tuple[Evidence, ...] = ()

    @property
    def share(self) -> float:
        return self.earned / self.possible if self.possible else 0.0

    @property
    def questions(self) -> int:
        return sum(e.kind == "question" for e in self.evidence)

    @property
    def cases(self) -> int:
        return sum(e.kind == "case" for e in self.evidence)


def mastery(
    stats: Iterable[QuestionStat],
    tags: Mapping[str, QuestionTags],
    cases: Iterable[CaseObjectiveResult],
    dimension: Dimension,
) -> list[Mastery]:
    """One learner's mastery per topic / system / objective, weakest first (then least evidence).

    Questions without a tag for ``dimension``, or no longer in the bank (``tags`` lacks
    them), are left out. Cases count only toward objectives.
    """
    groups: dict[str, list[Evidence]] = defaultdict(list)
    for stat in latest_per_question(stats).values():
        tag = tags.get(stat.question_id)
        name = getattr(tag, dimension) if tag else None
        if name:
            groups[name].append(Evidence("question", stat.question_id, tag.label, float(stat.last_correct), 1.0, stat.last_at))
    if dimension == "objective":
        for result in latest_per_case(cases):
            groups[result.objective].append(
                Evidence("case", result.session_id, result.case_title, result.earned, result.possible, result.at)
            )
    found = [
        Mastery(name, sum(e.earned for e in evidence), sum(e.possible for e in evidence),
                tuple(sorted(evidence, key=lambda e: e.at, reverse=True)))
        for name, evidence in groups.items()
    ]
    return sorted(found, key=lambda m: (m.share, -m.possible, m.name))


def latest_per_question(stats: Iterable[QuestionStat]) -> dict[str, QuestionStat]:
    """A learner's latest answer per question, whichever version it was."""
    latest: dict[str, QuestionStat] = {}
    for stat in stats:
        if stat.question_id not in latest or stat.last_at > latest[stat.question_id].last_at:
            latest[stat.question_id] = stat
    return latest


def latest_per_case(results: Iterable[CaseObjectiveResult]) -> list[CaseObjectiveResult]:
    """Per case, only the objective scores of the learner's latest completed session."""
    newest: dict[str, tuple[datetime, str]] = {}
    rows = list(results)
    for r in rows:
        if r.case_id not in newest or (r.at, r.session_id) > newest[r.case_id]:
            newest[r.case_id] = (r.at, r.session_id)
    return [r for r in rows if newest[r.case_id][1] == r.session_id]


# -- accuracy over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    answered: int
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


def by_week(days: Iterable[tuple[date, int, int]], today: date, weeks: int = 12) -> list[Period]:
    """(day, answered, correct) rows folded into the last ``weeks`` Monday-based weeks, oldest first."""
    this_monday = today - timedelta(days=today.weekday())
    starts = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    totals = {start: [0, 0] for start in starts}
    for day, answered, correct in days:
        monday = day - timedelta(days=day.weekday())
        if monday in totals:
            totals[monday][0] += answered
            totals[monday][1] += correct
    return [Period(start, *totals[start]) for start in starts]


# -- the class ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentActivity:
    learner_id: int
    username: str
    display_name: str
    questions: int  # distinct questions answered
    latest_correct: int  # of those, latest answer right
    last_active: datetime | None
    overdue_reviews: int
    cases_completed: int
    case_mean: float | None

    @property
    def share(self) -> float | None:
        return self.latest_correct / self.questions if self.questions else None


@dataclass(frozen=True)
class AtRisk:
    student: StudentActivity
    reasons: tuple[str, ...]


def students_at_risk(
    students: Iterable[StudentActivity],
    now: datetime,
    *,
    low_share: float = 0.5,
    min_questions: int = 10,
    inactive_days: int = 14,
    overdue: int = 20,
    low_case: float = 0.5,
) -> list[AtRisk]:
    """Students with a reason for concern, most reasons first, then weakest."""
    found = []
    for s in students:
        reasons = []
        if s.share is not None and s.questions >= min_questions and s.share < low_share:
            reasons.append(f"{s.share:.0%} right on latest answers ({s.questions} questions)")
        if s.last_active is None:
            reasons.append("no activity yet")
        elif now - s.last_active > timedelta(days=inactive_days):
            reasons.append(f"inactive for {(now - s.last_active).days} days")
        if s.overdue_reviews >= overdue:
            reasons.append(f"{s.overdue_reviews} reviews overdue")
        if s.case_mean is not None and s.case_mean < low_case:
            reasons.append(f"case average {s.case_mean:.0%}")
        if reasons:
            found.append(AtRisk(s, tuple(reasons)))
    return sorted(found, key=lambda r: (-len(r.reasons), r.student.share if r.student.share is not None else -1))


@dataclass(frozen=True)
class Cell:
    learner_id: int
    name: str
    share: float
    possible: float


def class_mastery(
    stats: Iterable[QuestionStat],
    tags: Mapping[str, QuestionTags],
    cases: Iterable[CaseObjectiveResult],
    dimension: Dimension,
) -> list[Cell]:
    """Every learner's mastery per topic / system / objective (the heatmap's cells).

    The same numbers, in the same order, as :func:`mastery` per learner, without building
    the evidence a cell does not show: a class is ~130,000 question rows, and allocating
    an ``Evidence`` and a ``Mastery`` for each (and the garbage collector's passes over
    them) took most of the class view's time. Questions count as whole numbers here;
    mastery() adds the same points as floats 1.0 / 0.0, which sum exactly.
    """
    latest: dict[int, dict[str, QuestionStat]] = defaultdict(dict)  # learner -> latest_per_question
    for stat in stats:
        mine = latest[stat.learner_id]
        seen = mine.get(stat.question_id)
        if seen is None or stat.last_at > seen.last_at:
            mine[stat.question_id] = stat
    names = {qid: getattr(tag, dimension) for qid, tag in tags.items()}
    cases_by_learner: dict[int, list[CaseObjectiveResult]] = defaultdict(list)
    for result in cases:
        cases_by_learner[result.learner_id].append(result)
    cells = []
    for learner in sorted(set(latest) | set(cases_by_learner)):
        right: dict[str, int] = {}
        answered: dict[str, int] = {}
        for stat in latest.get(learner, {}).values():
            name = names.get(stat.question_id)
            if name:
                right[name] = right.get(name, 0) + stat.last_correct
                answered[name] = answered.get(name, 0) + 1
        case_points: dict[str, tuple[list[float], list[float]]] = {}
        if dimension == "objective":
            for result in latest_per_case(cases_by_learner.get(learner, ())):
                earned, possible = case_points.setdefault(result.objective, ([], []))
                earned.append(result.earned)
                possible.append(result.possible)
        found = []
        for name in {**answered, **case_points}:  # mastery() adds questions first, then cases
            earned, possible = case_points.get(name, ((), ()))
            total = sum([float(right.get(name, 0)), *earned])
            out_of = sum([float(answered.get(name, 0)), *possible])
            found.append((total / out_of if out_of else 0.0, -out_of, name))  # mastery()'s order
        found.sort()
        cells.extend(Cell(learner, name, share, -minus_possible) for share, minus_possible, name in found)
    return cells
