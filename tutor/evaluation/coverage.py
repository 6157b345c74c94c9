"""Calibrating the coverage threshold per question, with real retrieval over a library.

Each question gives the best judge probability and the best cosine its search returned,
and whether the library really holds its answer. The rule is the one that declines the
most out-of-scope questions while wrongly declining at most ``max_false_not_covered`` of
the answerable ones on every corpus (a tutor that declines a covered question fails the
student; the budget says how often that may happen).
"""

from __future__ import annotations

import numpy as np


Scored = tuple[bool, float, float]  # (in scope, best judge probability, best cosine) of one question


def _rates(rows: list[Scored], judge_cut: float, cosine_cut: float | None) -> tuple[float | None, float]:
    """(share of out-of-scope questions declined, share of in-scope ones wrongly declined) under the rule."""
    covered = [(inside, j >= judge_cut or (cosine_cut is not None and c >= cosine_cut)) for inside, j, c in rows]
    outside = [not cov for inside, cov in covered if not inside]
    wrong = [not cov for inside, cov in covered if inside]
    return (float(np.mean(outside)) if outside else None), (float(np.mean(wrong)) if wrong else 0.0)


def choose_rule(corpora: dict[str, list[Scored]], *, max_false_not_covered: float = 0.05) -> dict:
    """The coverage rule "judge >= t, or cosine >= c" that declines the most out-of-scope questions
    on average over the corpora while wrongly declining at most the budget on *each* corpus.

    Each corpus must hold on its own: material written differently (templated NIH pages,
    abstracts, a textbook-like curriculum) gives the judge different score ranges, and a rule
    fitted to the pooled questions would fail the smallest one. ``c`` may be None (judge only).
    """
    judge_grid = np.round(np.arange(0.005, 1.0, 0.005), 3)
    best: dict | None = None
    for cosine_cut in [None, *np.round(np.arange(0.30, 0.95, 0.01), 2)]:
        allowed = [t for t in judge_grid
                   if all(_rates(rows, t, cosine_cut)[1] <= max_false_not_covered for rows in corpora.values())]
        if not allowed:
            continue
        judge_cut = float(max(allowed))
        declined = [_rates(rows, judge_cut, cosine_cut)[0] for rows in corpora.values()]
        mean = float(np.mean([d for d in declined if d is not None]))
        if best is None or mean > best["mean_not_covered"] + 1e-9:
            best = {"threshold": judge_cut, "cosine": None if cosine_cut is None else float(cosine_cut),
                    "mean_not_covered": round(mean, 3)}
    if best is None:
        raise ValueError("no rule keeps the false 'not covered' budget on every corpus")
    best["corpora"] = {
        name: dict(zip(("not_covered_out_of_scope", "false_not_covered_in_scope"),
                       (None if r is None else round(r, 3) for r in _rates(rows, best["threshold"], best["cosine"]))),
                   in_scope=sum(i for i, _, _ in rows), out_of_scope=sum(not i for i, _, _ in rows))
        for name, rows in corpora.items()
    }
    return best
