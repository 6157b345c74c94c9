"""Fitting the coverage rule (:mod:`tutor.judge.coverage`) per question, with real retrieval over a library.

Each calibration question brings the features of every candidate its search judged and
whether the library really holds its answer. Only the question's label is known, not
which candidate answers, so the weights are fitted as multiple-instance logistic
regression: start from the judge's favourite candidate of each question, fit, let the
fitted score pick each question's best candidate again, and refit until the picks settle.
Every corpus weighs the same however many questions it has.

The threshold is then the strictest one that wrongly declines at most
``max_false_not_covered`` of the answerable questions on *each* corpus (a tutor that
declines a covered question fails the student; the budget says how often that may happen,
and material written differently, templated NIH pages, abstracts, a textbook-like
curriculum, must each hold on its own).
"""

from __future__ import annotations

import math

import numpy as np

from tutor.judge.coverage import CoverageRule

Question = tuple[bool, np.ndarray]  # (in scope, candidate_features rows of its search)
L2 = 1e-2
NEWTON_STEPS = 50
MAX_ROUNDS = 10


def _logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted, L2-regularised logistic regression by Newton's method; the last coefficient is the bias."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(xb.shape[1])
    ridge = np.diag(np.r_[np.full(x.shape[1], L2), 0.0])
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(xb @ beta)))
        gradient = xb.T @ (weight * (p - y)) + ridge @ beta
        hessian = (xb.T * (weight * p * (1 - p))) @ xb + ridge
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def question_scores(rule: CoverageRule, questions: list[Question]) -> np.ndarray:
    """Each question's best candidate score (-inf when its search found nothing)."""
    return np.array([rule.scores(rows).max() if len(rows) else -math.inf for _, rows in questions])


def _rates(rule: CoverageRule, questions: list[Question]) -> tuple[float | None, float]:
    """(share of out-of-scope questions declined, share of in-scope ones wrongly declined)."""
    covered = question_scores(rule, questions) >= rule.threshold  # -inf (nothing found) is never covered
    inside = np.array([i for i, _ in questions], dtype=bool)
    outside_declined = float((~covered[~inside]).mean()) if (~inside).any() else None
    return outside_declined, float((~covered[inside]).mean()) if inside.any() else 0.0


def _strictest(scores: np.ndarray, budget: float) -> float:
    """The highest threshold that leaves at most ``budget`` of these answerable questions below it."""
    found = np.sort(scores[np.isfinite(scores)])  # a question whose search found nothing is declined anyway
    if not len(found):
        return math.inf
    allowed = max(int(math.floor(budget * len(scores) + 1e-9)) - (len(scores) - len(found)), 0)
    return float(found[min(allowed, len(found) - 1)])


def fit_rule(corpora: dict[str, list[Question]], *, max_false_not_covered: float = 0.05) -> dict:
    """Fit the rule on the calibration questions; return its card entry with the figures it reaches."""
    corpora = {name: questions for name, questions in corpora.items() if questions}
    questions = [q for qs in corpora.values() for q in qs if len(q[1])]
    if not any(inside for inside, _ in questions):
        raise ValueError("calibration needs answerable questions whose search found candidates")
    rows = np.vstack([r for _, r in questions])
    mean, scale = rows.mean(axis=0), rows.std(axis=0)
    scale[scale < 1e-3] = 1.0  # a feature constant over the calibration set carries nothing; no division by ~0
    sizes = {name: sum(1 for _, r in qs if len(r)) for name, qs in corpora.items()}
    weight = np.array([len(questions) / (len(sizes) * sizes[name]) for name, qs in corpora.items()
                       for _, r in qs if len(r)])
    labels = np.array([float(inside) for inside, _ in questions])
    standard = [(r - mean) / scale for _, r in questions]
    picks = [int(np.argmax(s[:, 0])) for s in standard]  # the judge's favourite candidate
    for _ in range(MAX_ROUNDS):
        beta = _logistic(np.array([s[i] for s, i in zip(standard, picks)]), labels, weight)
        repicked = [int(np.argmax(s @ beta[:-1])) for s in standard]
        if repicked == picks:
            break
        picks = repicked
    # The card stores six decimals: the cut is chosen with the rounded rule and rounded down,
    # so the shipped rule reaches exactly the figures reported below.
    rule = CoverageRule.from_card(CoverageRule(weights=tuple(beta[:-1]), bias=float(beta[-1]), mean=tuple(mean),
                                               scale=tuple(scale), threshold=0.0).to_card())
    cuts = [_strictest(question_scores(rule, [(True, r) for i, r in qs if i]), max_false_not_covered)
            for qs in corpora.values() if any(i for i, _ in qs)]
    cut = min(c for c in cuts if math.isfinite(c))  # a corpus whose answerable searches all found nothing has no say
    rule = CoverageRule(weights=rule.weights, bias=rule.bias, mean=rule.mean, scale=rule.scale,
                        threshold=math.floor(cut * 1e6) / 1e6)
    figures = {}
    for name, qs in corpora.items():
        declined, wrong = _rates(rule, qs)
        figures[name] = {"not_covered_out_of_scope": None if declined is None else round(declined, 3),
                         "false_not_covered_in_scope": round(wrong, 3),
                         "in_scope": sum(i for i, _ in qs), "out_of_scope": sum(not i for i, _ in qs)}
    declined = [f["not_covered_out_of_scope"] for f in figures.values() if f["not_covered_out_of_scope"] is not None]
    return {"rule": rule.to_card(), "mean_not_covered": round(float(np.mean(declined)), 3) if declined else None,
            "corpora": figures}
