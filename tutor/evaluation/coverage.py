"""Calibrating the coverage threshold per question, with real retrieval over a library.

Each question gives the best score its search returned and whether the library really
holds its answer. The threshold is the highest cut that wrongly declines at most
``max_false_not_covered`` of the answerable questions (a tutor that declines a covered
question fails the student; the budget says how often that may happen), and the curve
shows what every cut would have cost, so the choice can be checked.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def coverage_curve(scored: Iterable[tuple[float, bool]], cuts: Iterable[float] | None = None) -> list[dict]:
    """For each cut: the share of out-of-scope questions declined and of in-scope ones wrongly declined."""
    pairs = list(scored)
    inside = np.array([s for s, covered in pairs if covered])
    outside = np.array([s for s, covered in pairs if not covered])
    cuts = list(cuts) if cuts is not None else [round(c, 2) for c in np.arange(0.05, 1.0, 0.05)]
    return [
        {"threshold": cut,
         "not_covered_out_of_scope": round(float((outside < cut).mean()), 3) if len(outside) else None,
         "false_not_covered_in_scope": round(float((inside < cut).mean()), 3) if len(inside) else None}
        for cut in cuts
    ]


def choose_threshold(scored: Iterable[tuple[float, bool]], *, max_false_not_covered: float = 0.05) -> float:
    """The highest threshold that declines at most ``max_false_not_covered`` of the in-scope questions."""
    inside = np.sort(np.array([s for s, covered in scored if covered]))
    if not len(inside):
        raise ValueError("calibration needs in-scope questions")
    allowed = int(np.floor(max_false_not_covered * len(inside)))  # in-scope questions that may fall below the cut
    return float(inside[allowed]) - 1e-4 if allowed < len(inside) else float(inside[-1])
