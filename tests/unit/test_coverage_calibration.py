"""Fitting the coverage rule per question, with the false "not covered" budget held on every corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tutor.evaluation.coverage import fit_rule, question_scores
from tutor.judge.coverage import CoverageRule, candidate_features, content_terms, unseen_share


def _question(inside: bool, probabilities, cosines, unseen: float = 0.0):
    return inside, candidate_features(probabilities, cosines, unseen)


def test_the_budget_holds_on_each_corpus_not_only_on_the_pool():
    rng = np.random.default_rng(1)
    # Corpus a (templated pages): every neighbour scores high on the judge; only the answer stands out.
    a = [_question(True, [0.999, *rng.uniform(0.6, 0.9, 9)], [0.7, *rng.uniform(0.5, 0.6, 9)]) for _ in range(40)]
    a += [_question(False, rng.uniform(0.6, 0.95, 10), rng.uniform(0.5, 0.65, 10)) for _ in range(40)]
    # Corpus b (paraphrased questions): answers score low on the judge but the embedding finds them.
    b = [_question(True, [0.3, *rng.uniform(0.01, 0.05, 9)], [0.65, *rng.uniform(0.2, 0.4, 9)]) for _ in range(20)]
    b += [_question(False, rng.uniform(0.01, 0.1, 10), rng.uniform(0.1, 0.35, 10), 0.6) for _ in range(20)]
    fitted = fit_rule({"a": a, "b": b}, max_false_not_covered=0.05)
    for corpus in ("a", "b"):
        assert fitted["corpora"][corpus]["false_not_covered_in_scope"] <= 0.05
    # a single judge cut could not decline a's neighbours without declining b's answers; the rule does
    assert fitted["corpora"]["a"]["not_covered_out_of_scope"] >= 0.9
    assert fitted["corpora"]["b"]["not_covered_out_of_scope"] >= 0.9
    # the card as shipped (six decimals) reaches exactly the figures reported with it
    rule = CoverageRule.from_card(json.loads(json.dumps(fitted["rule"])))
    for name, questions in (("a", a), ("b", b)):
        covered = question_scores(rule, questions) >= rule.threshold
        wrong = np.mean([not c for c, (inside, _) in zip(covered, questions) if inside])
        assert round(float(wrong), 3) == fitted["corpora"][name]["false_not_covered_in_scope"]


def test_a_question_whose_search_found_nothing_is_declined_and_does_not_loosen_the_rule():
    answerable = [_question(True, [0.95, 0.2], [0.7, 0.4]) for _ in range(19)] + [(True, np.zeros((0, 4)))]
    outside = [_question(False, [0.1, 0.05], [0.3, 0.2]) for _ in range(20)]
    fitted = fit_rule({"a": answerable + outside}, max_false_not_covered=0.05)
    rule = CoverageRule.from_card(fitted["rule"])
    assert question_scores(rule, [(True, np.zeros((0, 4)))])[0] == -np.inf
    assert fitted["corpora"]["a"] == {"not_covered_out_of_scope": 1.0, "false_not_covered_in_scope": 0.05,
                                      "in_scope": 20, "out_of_scope": 20}


def test_calibration_without_answerable_questions_is_refused():
    with pytest.raises(ValueError):
        fit_rule({"a": [_question(False, [0.2], [0.3])]})


def test_words_no_passage_contains_carry_their_rare_weight():
    assert content_terms("What are the symptoms of Fabry disease?") == ["disease", "fabry", "symptoms"]
    # 'fabry' is in no passage, 'disease' in most: nearly all the rare weight is unseen
    share = unseen_share({"disease": 900, "fabry": 0, "symptoms": 300}, passages=1000)
    assert 0.6 < share < 1.0
    assert unseen_share({"disease": 900}, passages=1000) == 0.0
    # a word missing from a five-passage upload says little: most words are missing there
    assert unseen_share({"scabies": 0, "potassium": 3}, passages=5) < 0.1
    # an everyday English word the library happens not to use is no sign of a missing topic
    assert unseen_share({"dangerously": 0, "smith": 0, "potassium": 30}, passages=1000) == 0.0
    assert unseen_share({"glaucoma": 0, "potassium": 30}, passages=1000) > 0.5
    # nor is a number of the vignette ("BP 180/110")
    assert unseen_share({"180": 0, "110": 0, "potassium": 30}, passages=1000) == 0.0


def test_the_lead_is_measured_against_the_calibrated_depth():
    ten = [0.9, *[0.1] * 9]
    more = candidate_features([*ten, *[0.001] * 10], [0.5] * 20, 0.0, lead_over=10)
    assert np.allclose(more[:10], candidate_features(ten, [0.5] * 10, 0.0))
    assert unseen_share({}, passages=0) == 0.0


def test_a_malformed_rule_is_refused():
    good = {"features": ["judge_logit", "cosine", "judge_lead", "unseen"], "weights": [1, 0, 0, 0], "bias": 0,
            "mean": [0, 0, 0, 0], "scale": [1, 1, 1, 1], "threshold": 0}
    CoverageRule.from_card(good)
    with pytest.raises(ValueError):
        CoverageRule.from_card({**good, "features": ["cosine"]})
    with pytest.raises(ValueError):
        CoverageRule.from_card({**good, "weights": [1, 0]})
    with pytest.raises(ValueError):
        CoverageRule.from_card({**good, "scale": [1, 0, 1, 1]})
