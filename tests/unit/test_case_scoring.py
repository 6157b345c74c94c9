"""Rubric marking with fixed inputs: every score here is worked out by hand from the mini case.

Points (the defaults): key finding 1, leading diagnosis 3, expected diagnosis 1, must-not-miss 2,
next step 1, dangerous action -2. The mini case has 3 key findings, 2 expected diagnoses
(hyperkalaemia must-not-miss), 3 next steps: 3 + 3 + 2 + 2 + 3 = 13 points possible.
"""

from __future__ import annotations

import pytest

from tests.case_files import MINI_CASE_YAML, POSSIBLE_POINTS
from tutor.content.cases.parse import parse_case
from tutor.modes.cases.machine import Answer, CaseState, Revealed
from tutor.modes.cases.scoring import mark

CASE = parse_case(MINI_CASE_YAML.encode(), "mini.yaml")
HYPERK = Answer(text="raised potassium", group="differential", index=0)
AKI = Answer(text="AKI", group="differential", index=1)
MI = Answer(text="MI", group="alternatives", index=0)
CALCIUM = Answer(text="IV calcium", group="next_steps", index=0)
INSULIN = Answer(text="insulin dextrose", group="next_steps", index=1)
STOP = Answer(text="stop ramipril", group="next_steps", index=2)
POTASSIUM = Answer(text="give potassium", group="dangerous_actions", index=0)


def state(revealed=(), differential=None, plan=None) -> CaseState:
    return CaseState(case_hash=CASE.content_hash, revealed=tuple(Revealed(key=k, stage="x", how="words") for k in revealed),
                     differential=differential, plan=plan)


def test_a_perfect_session_scores_every_point():
    marks = mark(CASE, state(["medications", "potassium", "ecg", "creatinine"], (HYPERK, AKI, MI), (CALCIUM, INSULIN, STOP)))
    assert (marks.earned, marks.possible, marks.score) == (POSSIBLE_POINTS, POSSIBLE_POINTS, 1.0)
    assert marks.missed_must_not_miss == ()
    assert marks.by_objective == {"recognise-hyperkalaemia": (7.0, 7.0), "treat-hyperkalaemia": (3.0, 3.0)}  # 3 + 1 + 1 + 2; 3 steps


def test_ranking_the_expected_diagnosis_second_loses_only_the_leading_points():
    marks = mark(CASE, state(["medications", "potassium", "ecg"], (AKI, HYPERK), (CALCIUM, INSULIN, STOP)))
    assert marks.earned == POSSIBLE_POINTS - 3
    line = next(l for l in marks.lines if l.item == "Hyperkalaemia ranked first")
    assert line.status == "missed" and "Potassium 7.4" in line.note


def test_missing_the_must_not_miss_diagnosis_is_called_out():
    marks = mark(CASE, state(["potassium"], (AKI, MI), (CALCIUM,)))
    # key findings 1, leading 0, expected 1 (AKI), must-not-miss 0, steps 1
    assert marks.earned == 3 and marks.score == round(3 / POSSIBLE_POINTS, 4)
    assert marks.missed_must_not_miss == ("Hyperkalaemia",)


def test_a_dangerous_action_subtracts_and_the_total_never_goes_below_zero():
    assert mark(CASE, state(["potassium"], (HYPERK,), (CALCIUM, POTASSIUM))).earned == 1 + 3 + 1 + 2 + 1 - 2
    floor = mark(CASE, state([], (MI,), (POTASSIUM,)))
    assert floor.earned == 0 and floor.score == 0.0
    assert next(l for l in floor.lines if l.section == "Dangerous actions").earned == -2


def test_feedback_says_supported_argues_against_or_not_elicited_with_the_revealed_findings():
    unmatched = Answer(text="Addison's disease")
    marks = mark(CASE, state(["potassium", "ecg", "chest-pain"], (HYPERK, AKI, MI, unmatched, Answer(text="hyperkalemia", group="differential", index=0))))
    verdicts = [(f.rank, f.verdict) for f in marks.differential]
    assert verdicts == [(1, "supported"), (2, "not_elicited"), (3, "argues_against"), (4, "not_in_rubric"), (5, "repeated")]
    first, _, third = marks.differential[:3]
    assert first.supporting == ("Serum potassium", "ECG") and first.must_not_miss and first.references
    assert third.against == ("Chest pain", "ECG") and third.matched == "Myocardial infarction"


def test_plan_feedback_marks_expected_dangerous_and_unknown_lines():
    marks = mark(CASE, state([], (HYPERK,), (CALCIUM, POTASSIUM, Answer(text="salbutamol nebuliser"), CALCIUM)))
    assert [(f.verdict, f.matched) for f in marks.plan] == [
        ("expected", "Intravenous calcium gluconate"), ("dangerous", "Potassium supplements"),
        ("not_in_rubric", None), ("repeated", "Intravenous calcium gluconate"),
    ]


def test_before_the_differential_only_key_findings_can_score():
    marks = mark(CASE, state(["medications"]))
    assert marks.earned == 1 and marks.differential == () and marks.missed_must_not_miss == ()


@pytest.mark.parametrize("weights", [{"leading_diagnosis": 10}, {"key_finding": 0, "next_step": 5}])
def test_the_rubric_points_come_from_the_case_file(weights):
    import yaml

    document = yaml.safe_load(MINI_CASE_YAML)
    document["rubric"]["points"] = weights
    case = parse_case(yaml.safe_dump(document).encode(), "w.yaml")
    marks = mark(case, state(["medications", "potassium", "ecg"], (HYPERK, AKI), (CALCIUM, INSULIN, STOP)))
    points = case.rubric.points
    assert marks.possible == 3 * points.key_finding + points.leading_diagnosis + 2 * points.expected_diagnosis + points.must_not_miss + 3 * points.next_step
    assert marks.score == 1.0
