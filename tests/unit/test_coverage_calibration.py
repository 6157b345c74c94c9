"""Choosing the coverage threshold per question, and the curve that shows the choice."""

from __future__ import annotations

import pytest

from tutor.evaluation.coverage import choose_threshold, coverage_curve


def test_threshold_keeps_the_false_not_covered_budget_and_no_more():
    inside = [(s / 100, True) for s in range(60, 100)]  # 40 answerable questions scoring 0.60..0.99
    outside = [(s / 100, False) for s in range(0, 70)]
    threshold = choose_threshold(inside + outside, max_false_not_covered=0.05)
    declined_inside = sum(score < threshold for score, _ in inside)
    assert declined_inside == 2  # floor(0.05 * 40): the budget, spent in full
    assert 0.61 < threshold <= 0.62


def test_a_zero_budget_keeps_every_answerable_question():
    scored = [(0.3, True), (0.9, True), (0.5, False)]
    threshold = choose_threshold(scored, max_false_not_covered=0.0)
    assert all(score >= threshold for score, covered in scored if covered)


def test_calibration_without_answerable_questions_is_refused():
    with pytest.raises(ValueError):
        choose_threshold([(0.2, False)])


def test_curve_reports_both_errors_at_each_cut():
    [point] = coverage_curve([(0.2, True), (0.8, True), (0.1, False), (0.6, False)], [0.5])
    assert point == {"threshold": 0.5, "not_covered_out_of_scope": 0.5, "false_not_covered_in_scope": 0.5}
