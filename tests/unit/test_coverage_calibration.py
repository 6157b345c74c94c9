"""Choosing the coverage rule per question, with the false "not covered" budget held on every corpus."""

from __future__ import annotations

import pytest

from tutor.evaluation.coverage import choose_rule


def test_the_budget_holds_on_each_corpus_not_only_on_the_pool():
    # Corpus a: the judge separates; corpus b: answerable questions score low on the judge but high on cosine.
    a = [(True, 0.9 + i / 1000, 0.6) for i in range(40)] + [(False, 0.1, 0.6) for _ in range(40)]
    b = [(True, 0.05, 0.8) for _ in range(20)] + [(False, 0.1, 0.3) for _ in range(20)]
    rule = choose_rule({"a": a, "b": b}, max_false_not_covered=0.05)
    assert rule["corpora"]["a"]["false_not_covered_in_scope"] <= 0.05
    assert rule["corpora"]["b"]["false_not_covered_in_scope"] <= 0.05
    assert rule["corpora"]["b"]["not_covered_out_of_scope"] == 1.0 and rule["cosine"] is not None


def test_a_judge_alone_is_chosen_when_it_separates_every_corpus():
    a = [(True, 0.95, 0.5) for _ in range(10)] + [(False, 0.05, 0.7) for _ in range(10)]
    rule = choose_rule({"a": a})
    assert rule["corpora"]["a"] == {"not_covered_out_of_scope": 1.0, "false_not_covered_in_scope": 0.0,
                                    "in_scope": 10, "out_of_scope": 10}


def test_calibration_without_a_possible_rule_is_refused():
    with pytest.raises(ValueError):
        choose_rule({"a": [(True, 0.0, -1.0)]}, max_false_not_covered=0.0)
