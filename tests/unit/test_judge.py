"""The shipped relevance judge: hash-checked, total on any input, and it tells answers from neighbours."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tutor.errors import ModelUnavailableError
from tutor.judge.model import CARD_PATH, MODEL_PATH, JudgeCard, RelevanceJudge, build_judge, passage_text, sha256_of
from tutor.settings import Settings

HYPERKALAEMIA = passage_text(
    "Hyperkalaemia > Emergency treatment",
    "Calcium gluconate stabilises the cardiac membrane; insulin with glucose shifts potassium into cells.",
)
HEART_FAILURE = passage_text(
    "Heart failure > Loop diuretics",
    "Furosemide relieves congestion in acute heart failure; monitor potassium and creatinine.",
)


@pytest.fixture(scope="module")
def judge() -> RelevanceJudge:
    return build_judge(Settings())


def test_the_card_names_the_shipped_file_and_sane_thresholds():
    card = JudgeCard.load()
    assert sha256_of(MODEL_PATH) == card.sha256
    assert 0 < card.support_threshold < 1 and np.isfinite(card.coverage.threshold)
    data = json.loads(CARD_PATH.read_text())
    assert data["max_tokens"] <= 512 and data["hyperparameters"]["seed"] == 13
    # the shipped coverage rule was fitted per question for this very file, within the false "not covered" budget
    calibration = data["coverage_calibration"]
    assert calibration["model_sha256"] == card.sha256
    for corpus in ("medquad", "pubmedqa", "bundled"):
        assert calibration["corpora"][corpus]["false_not_covered_in_scope"] <= calibration["max_false_not_covered"]


def test_a_card_without_a_coverage_rule_is_a_clear_configuration_error(tmp_path):
    data = json.loads(CARD_PATH.read_text())
    del data["coverage_rule"]
    (tmp_path / "judge.json").write_text(json.dumps(data))
    with pytest.raises(ModelUnavailableError) as caught:
        JudgeCard.load(tmp_path / "judge.json")
    assert "tutor judge-calibrate" in caught.value.user_message


def test_a_passage_that_answers_beats_a_neighbouring_one(judge):
    relevant, neighbour = judge.relevance("How is a dangerously high potassium treated in an emergency?",
                                          [HYPERKALAEMIA, HEART_FAILURE])
    assert relevant > 0.5 > neighbour


def test_a_statement_with_the_wrong_drug_is_not_supported(judge):
    supported, swapped = judge.support(
        ["Calcium gluconate stabilises the cardiac membrane in hyperkalaemia.",
         "Amiodarone stabilises the cardiac membrane in hyperkalaemia."],
        [HYPERKALAEMIA, HYPERKALAEMIA],
    )
    assert supported > swapped


@pytest.mark.parametrize("first, passage", [
    ("", ""),
    ("?", "x" * 200_000),
    ("¿Cuál es el tratamiento de la hiperpotasemia?", "Die Behandlung der Hyperkaliämie beginnt mit Calcium."),
    ("<script>alert(1)</script> **bold** [link](http://x)", "| a | b |\n|---|---|\n" * 500),
    ("\u200b\u202e\x00 what", "\x00\x01\x02" * 100),
    ("word " * 5000, "short"),
    ("1.2 " * 300, "Potassium 6.8 mmol/L, creatinine 240 µmol/L. " * 20),  # a question longer than the token budget
    ("A 74-year-old man " + "with a long history " * 60 + "— which drug is first line?", HYPERKALAEMIA),
])
def test_any_input_gets_a_verdict(judge, first, passage):
    [probability] = judge.score([first], [passage])
    assert 0.0 <= float(probability) <= 1.0 and np.isfinite(probability)


def test_an_altered_model_file_is_a_clear_configuration_error(tmp_path):
    altered = tmp_path / "judge.onnx"
    shutil.copy(MODEL_PATH, altered)
    with open(altered, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01")
    with pytest.raises(ModelUnavailableError) as caught:
        RelevanceJudge(model_path=altered).relevance("q", ["p"])
    assert "does not match the hash in tutor/judge/judge.json" in caught.value.user_message


def test_a_missing_model_file_names_the_fix(tmp_path):
    with pytest.raises(ModelUnavailableError) as caught:
        RelevanceJudge(model_path=tmp_path / "absent.onnx").relevance("q", ["p"])
    assert "reinstall the tutor or rebuild it" in caught.value.user_message


def test_the_operator_can_turn_the_judge_off_but_nothing_else_does():
    assert build_judge(Settings(relevance_judge=False)) is None
    assert isinstance(build_judge(Settings()), RelevanceJudge)
