"""Dashboard arithmetic, every number worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from tutor.progress.analytics import (
    CaseObjectiveResult, QuestionStat, QuestionTags, StudentActivity, by_week, class_mastery, mastery, students_at_risk,
)
from tutor.progress.item_analysis import ItemKey
from tutor.progress.item_analysis import analyse_items as item_analysis

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def stat(learner: int, qid: str, *, last: bool, first: bool | None = None, chosen: str | None = None, version: int = 1,
         at: datetime = T0) -> QuestionStat:
    first = last if first is None else first
    return QuestionStat(learner, qid, version, 1, int(last), chosen, first, last, at)


TAGS = {
    "q1": QuestionTags("Heart failure", "Cardiovascular", "Treat HFrEF", "q1 stem"),
    "q2": QuestionTags("Heart failure", "Cardiovascular", "Treat HFrEF", "q2 stem"),
    "q3": QuestionTags("Hyperkalaemia", "Renal", "Treat hyperkalaemia", "q3 stem"),
    "q4": QuestionTags(None, "Renal", None, "untagged topic"),
}


def test_mastery_counts_the_latest_answer_per_question_weakest_first():
    stats = [
        stat(1, "q1", last=True),
        stat(1, "q2", last=False),
        stat(1, "q3", last=False, at=T0),
        stat(1, "q3", last=True, version=2, at=T0 + timedelta(days=1)),  # a later answer to the new version wins
        stat(1, "q4", last=False),
        stat(1, "gone", last=False),  # no longer in the bank: left out
    ]
    topics = mastery(stats, TAGS, (), "topic")
    assert [(m.name, m.earned, m.possible) for m in topics] == [("Heart failure", 1.0, 2.0), ("Hyperkalaemia", 1.0, 1.0)]
    systems = mastery(stats, TAGS, (), "system")
    assert [(m.name, m.earned, m.possible) for m in systems] == [("Cardiovascular", 1.0, 2.0), ("Renal", 1.0, 2.0)]
    assert [e.ref for e in topics[0].evidence] == ["q1", "q2"] and topics[0].questions == 2


def test_objective_mastery_adds_the_latest_case_session_per_case():
    case = lambda session, earned, at: CaseObjectiveResult(1, session, "c1", "Hyperkalaemia case", "Treat hyperkalaemia",
                                                          earned, 3.0, at)
    cases = [case("old", 0.0, T0), case("new", 2.0, T0 + timedelta(days=2))]
    [hf, k] = sorted(mastery([stat(1, "q1", last=True), stat(1, "q3", last=False)], TAGS, cases, "objective"),
                     key=lambda m: m.name)
    # q3 wrong (0 of 1) + latest case session 2 of 3 -> 2 of 4; the older session does not count.
    assert (k.name, k.earned, k.possible, k.share) == ("Treat hyperkalaemia", 2.0, 4.0, 0.5)
    assert [(e.kind, e.ref) for e in k.evidence] == [("case", "new"), ("question", "q3")]
    assert (hf.earned, hf.possible, k.cases) == (1.0, 1.0, 1)
    assert mastery([], TAGS, cases, "topic") == []  # cases count toward objectives only


def test_accuracy_by_week_folds_days_into_monday_weeks():
    today = date(2026, 11, 19)  # Thursday
    days = [(date(2026, 11, 2), 4, 1), (date(2026, 11, 8), 6, 5), (date(2026, 11, 16), 10, 8), (date(2026, 1, 1), 9, 9)]
    weeks = by_week(days, today, weeks=3)
    assert [(w.start, w.answered, w.correct) for w in weeks] == [
        (date(2026, 11, 2), 10, 6), (date(2026, 11, 9), 0, 0), (date(2026, 11, 16), 10, 8)]
    assert weeks[0].accuracy == 0.6 and weeks[1].accuracy is None


def _class_for_item(item_correct: list[bool], rest_correct: list[int], chosen: list[str]) -> list[QuestionStat]:
    """Learner i answers item "q" (first response) and ``rest_correct[i]`` of two other items right."""
    stats = []
    for i, (right, rest, letter) in enumerate(zip(item_correct, rest_correct, chosen)):
        stats.append(stat(i, "q", last=right, chosen=letter))
        stats.append(stat(i, "r1", last=rest >= 1, chosen="A" if rest >= 1 else "B"))
        stats.append(stat(i, "r2", last=rest >= 2, chosen="A" if rest >= 2 else "B"))
    return stats


KEYS = {"q": ItemKey("q", 1, "A", ("A", "B", "C")), "r1": ItemKey("r1", 1, "A", ("A", "B")),
        "r2": ItemKey("r2", 1, "A", ("A", "B"))}


def test_difficulty_point_biserial_and_option_rates_by_hand():
    item = [True, True, False, False]
    rest = [2, 1, 1, 0]  # rest share: 1.0, 0.5, 0.5, 0.0
    stats = _class_for_item(item, rest, ["A", "A", "B", "C"])
    [q] = [s for s in item_analysis(stats, KEYS, min_responses=4) if s.question_id == "q"]
    assert q.difficulty == 0.5 and q.responses == 4
    # x = 1,1,0,0 (mean .5); y = 1,.5,.5,0 (mean .5): sxy = .5*.5+.5*0-.5*0-.5*-.5 = .5; sxx = 1; syy = .5
    assert q.point_biserial == pytest.approx(0.5 / math.sqrt(1 * 0.5))
    assert q.option_rates == {"A": 0.5, "B": 0.25, "C": 0.25} and q.blank_rate == 0.0
    assert q.upper_lower is None  # 27% of 4 responders is 1: too few for groups


def test_upper_lower_index_and_the_flags_of_a_miskeyed_item():
    # 20 responders ranked by rest score; the top ones get it wrong choosing B: a key that looks wrong.
    n = 20
    rest = [0] * 7 + [1] * 6 + [2] * 7
    item = [True] * 7 + [True, False, True, False, True, False] + [False] * 7
    chosen = ["A" if right else "B" for right in item]
    [q] = [s for s in item_analysis(_class_for_item(item, rest, chosen), KEYS, min_responses=n) if s.question_id == "q"]
    # groups of floor(20 * .27) = 5: lowest five rest scores all right, top five all wrong -> D = 0 - 1
    assert q.upper_lower == -1.0
    assert q.point_biserial < 0
    assert q.upper_rates == {"A": 0.0, "B": 1.0, "C": 0.0}
    assert any(f.startswith("Negative discrimination") for f in q.flags)
    assert any("Strong students choose B (100%) more than the key A (0%)" in f for f in q.flags)
    assert q.dubious


def test_item_analysis_uses_first_responses_to_the_current_version_only():
    stats = [stat(i, "q", last=True, first=False, chosen="B") for i in range(5)]  # first wrong, later right
    stats += [stat(i, "q", last=True, chosen="A", version=2) for i in range(5, 7)]  # the new version: 2 responses
    assert item_analysis(stats, {"q": ItemKey("q", 1, "A", ("A", "B"))}, min_responses=5)[0].difficulty == 0.0
    assert item_analysis(stats, {"q": ItemKey("q", 2, "A", ("A", "B"))}, min_responses=5) == []  # too few yet


def test_an_easy_item_everyone_gets_right_is_flagged_and_has_no_correlation():
    stats = [stat(i, "q", last=True, chosen="A") for i in range(20)]
    [q] = item_analysis(stats, {"q": ItemKey("q", 1, "A", ("A", "B", "C"))}, min_responses=20)
    assert q.difficulty == 1.0 and q.point_biserial is None
    assert q.flags == ("Very easy: 100% answer it right; it tells little.",)


def test_students_at_risk_give_their_reasons():
    now = T0
    student = lambda lid, questions, right, last, overdue=0, case=None: StudentActivity(
        lid, f"s{lid}", f"S{lid}", questions, right, last, overdue, 1 if case is not None else 0, case)
    found = students_at_risk([
        student(1, 20, 18, now),  # fine
        student(2, 20, 6, now - timedelta(days=20), overdue=25),  # three reasons
        student(3, 5, 0, now),  # too few questions to judge the share
        student(4, 0, 0, None),  # never started
        student(5, 12, 10, now, case=0.3),
    ], now)
    assert [(r.student.learner_id, r.reasons) for r in found] == [
        (2, ("30% right on latest answers (20 questions)", "inactive for 20 days", "25 reviews overdue")),
        (4, ("no activity yet",)),
        (5, ("case average 30%",)),
    ]


def test_class_mastery_has_a_cell_per_learner_and_name():
    stats = [stat(1, "q1", last=True), stat(1, "q3", last=False), stat(2, "q2", last=False)]
    cells = class_mastery(stats, TAGS, (), "topic")
    assert [(c.learner_id, c.name, c.share, c.possible) for c in cells] == [
        (1, "Hyperkalaemia", 0.0, 1.0), (1, "Heart failure", 1.0, 1.0), (2, "Heart failure", 0.0, 1.0)]
