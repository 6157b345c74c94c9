"""Which questions go into a block: pure, with the random source passed in.

Order of precedence, inside whatever topic/system filter the student chose:

1. questions due for review (FSRS), most overdue first: spaced repetition only works if
   due reviews are not crowded out by new material;
2. then the chosen pool: ``unseen`` (never attempted), ``incorrect`` (latest attempt
   wrong), ``due`` (nothing else), or ``all`` (unseen first, then the rest);
3. shuffled within each group so that two blocks on the same topic differ.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Literal

Pool = Literal["all", "unseen", "incorrect", "due"]


def select_questions(
    candidates: Sequence[str],
    *,
    pool: Pool,
    size: int,
    due: Sequence[str],
    last_correct: Mapping[str, bool],
    rng: random.Random,
) -> list[str]:
    """Up to ``size`` ids from ``candidates``; ``due`` is ordered most overdue first."""
    if size < 1:
        raise ValueError("a block needs at least one question")
    unseen = [qid for qid in candidates if qid not in last_correct]
    wrong = [qid for qid in candidates if last_correct.get(qid) is False]
    right = [qid for qid in candidates if last_correct.get(qid) is True]
    due_set = set(due)
    groups = {
        "all": [unseen, wrong, right],
        "unseen": [unseen],
        "incorrect": [wrong],
        "due": [[qid for qid in candidates if qid in due_set]],
    }[pool]
    in_pool = {qid for group in groups for qid in group}
    chosen = [qid for qid in due if qid in in_pool]  # due reviews first, most overdue first
    for group in groups:
        group = [qid for qid in group if qid not in due_set]
        rng.shuffle(group)
        chosen.extend(group)
    return chosen[:size]
