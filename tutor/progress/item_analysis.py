"""Item analysis (classical test theory): difficulty, discrimination and option choice rates.

Pure functions over each learner's *first* response to the question's current version (no
database, no clock), so every figure can be checked by hand. Difficulty p = share correct;
discrimination is the point-biserial correlation between the item and the learner's score
on the *other* items (corrected item-total), and the upper-lower index D = p(top 27%) -
p(bottom 27%) of responders ranked by that same rest score. An item is flagged for review
when it discriminates negatively or barely, is answered right by almost nobody or almost
everybody, or when strong students prefer a distractor to the key.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tutor.progress.analytics import QuestionStat

# Item-analysis thresholds (common classical-test-theory rules of thumb).
MIN_RESPONSES = 20
GROUP_SHARE = 0.27
TOO_EASY = 0.95
TOO_HARD = 0.25
WEAK_DISCRIMINATION = 0.15
RARE_DISTRACTOR = 0.05


class FirstResponse(NamedTuple):
    """What item analysis reads of a ``question_stats`` row (a :class:`QuestionStat` has the same fields)."""

    learner_id: int
    question_id: str
    version: int
    first_chosen: str | None
    first_correct: bool


@dataclass(frozen=True)
class ItemKey:
    question_id: str
    version: int
    answer: str
    letters: tuple[str, ...]


@dataclass(frozen=True)
class ItemStats:
    question_id: str
    version: int
    responses: int
    difficulty: float  # share correct (p)
    point_biserial: float | None  # corrected item-total correlation; None without variance
    upper_lower: float | None  # D index; None with too few responders for two groups
    option_rates: dict[str, float]  # letter -> share of responders who chose it
    blank_rate: float
    upper_rates: dict[str, float] = field(default_factory=dict)  # choices of the top group
    flags: tuple[str, ...] = ()

    @property
    def dubious(self) -> bool:
        return bool(self.flags)


def analyse_items(
    stats: Iterable[FirstResponse | QuestionStat],
    keys: Mapping[str, ItemKey],
    *,
    min_responses: int = MIN_RESPONSES,
) -> list[ItemStats]:
    """Classical item statistics for every keyed question with at least ``min_responses``.

    Only first responses to each question's current version count; responses to other
    questions still count toward the learners' scores.
    """
    first: dict[str, dict[int, tuple[str | None, bool]]] = defaultdict(dict)
    for stat in stats:
        key = keys.get(stat.question_id)
        if key is not None and stat.version == key.version:
            first[stat.question_id][stat.learner_id] = (stat.first_chosen, stat.first_correct)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # learner -> [correct, answered]
    for responses in first.values():
        for learner, (_, correct) in responses.items():
            totals[learner][0] += correct
            totals[learner][1] += 1
    results = []
    for qid in sorted(first):
        responses = first[qid]
        if len(responses) >= min_responses:
            results.append(_item(keys[qid], responses, totals))
    return results


def _item(key: ItemKey, responses: dict[int, tuple[str | None, bool]], totals: dict[int, list[int]]) -> ItemStats:
    n = len(responses)
    learners = list(responses)
    item = [1.0 if responses[l][1] else 0.0 for l in learners]
    rest = [_rest_share(totals[l], responses[l][1]) for l in learners]
    p = sum(item) / n
    counts = defaultdict(int)
    for chosen, _ in responses.values():
        counts[chosen] += 1
    rates = {letter: counts.get(letter, 0) / n for letter in key.letters}
    ranked = sorted(range(n), key=lambda i: rest[i])
    size = int(math.floor(n * GROUP_SHARE))
    upper_lower, upper_rates = None, {}
    if size >= 5:
        lower, upper = ranked[:size], ranked[-size:]
        upper_lower = sum(item[i] for i in upper) / size - sum(item[i] for i in lower) / size
        upper_counts = defaultdict(int)
        for i in upper:
            upper_counts[responses[learners[i]][0]] += 1
        upper_rates = {letter: upper_counts.get(letter, 0) / size for letter in key.letters}
    r = _correlation(item, rest)
    stats = ItemStats(
        question_id=key.question_id, version=key.version, responses=n, difficulty=p, point_biserial=r,
        upper_lower=upper_lower, option_rates=rates, blank_rate=counts.get(None, 0) / n, upper_rates=upper_rates,
    )
    return ItemStats(**{**stats.__dict__, "flags": _flags(stats, key)})


def _rest_share(total: list[int], this_correct: bool) -> float:
    correct, answered = total[0] - int(this_correct), total[1] - 1
    return correct / answered if answered else 0.5


def _correlation(x: list[float], y: list[float]) -> float | None:
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def _flags(s: ItemStats, key: ItemKey) -> tuple[str, ...]:
    flags = []
    # No variance (all right or all wrong, or equal rest scores): undefined, not "barely there".
    discrimination = s.point_biserial
    if discrimination is not None and discrimination < 0:
        flags.append("Negative discrimination: stronger students do worse on it. Check the key and the wording.")
    elif discrimination is not None and discrimination < WEAK_DISCRIMINATION:
        flags.append(f"Barely discriminates (r = {discrimination:.2f}): it does not separate stronger from weaker students.")
    if s.difficulty < TOO_HARD:
        flags.append(f"Very hard: only {s.difficulty:.0%} answer it right. Check the key, or whether it is taught.")
    elif s.difficulty > TOO_EASY:
        flags.append(f"Very easy: {s.difficulty:.0%} answer it right; it tells little.")
    if s.upper_rates:
        key_rate = s.upper_rates.get(key.answer, 0.0)
        for letter, rate in s.upper_rates.items():
            if letter != key.answer and rate > key_rate:
                flags.append(f"Strong students choose {letter} ({rate:.0%}) more than the key {key.answer} ({key_rate:.0%}).")
    return tuple(flags)
