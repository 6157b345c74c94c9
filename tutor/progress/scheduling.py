"""Spaced repetition with FSRS (the ``fsrs`` package): pure, with time passed in.

Each answered question is one review of the learner's card for that question. The
rating comes from the answer, not from a self-report, so a quiz needs no extra click:

* wrong or unanswered -> ``Again`` (relearn soon),
* right but slow (over :data:`SLOW_MS`, a struggle) -> ``Hard``,
* right -> ``Good``.

Fuzzing is off so that the same answers at the same times always give the same due
dates (tests and replays depend on it; at one cohort's scale, the review pile-up that
fuzzing spreads out does not arise). The scheduler's own card and log dicts are stored
as they are, so a later FSRS optimiser can be run on the review logs.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from fsrs import Card, Rating, Scheduler

from tutor.progress.records import ReviewCard

SLOW_MS = 120_000
_SCHEDULER = Scheduler(enable_fuzzing=False)


def rating_for(correct: bool, time_taken_ms: int | None) -> Rating:
    if not correct:
        return Rating.Again
    if time_taken_ms is not None and time_taken_ms > SLOW_MS:
        return Rating.Hard
    return Rating.Good


def review(
    current: ReviewCard | None,
    *,
    learner_id: int,
    question_id: str,
    correct: bool,
    time_taken_ms: int | None,
    now: datetime,
) -> tuple[ReviewCard, dict[str, Any]]:
    """The card after this answer, and the review log (carries ``rating`` 1-4)."""
    card = Card.from_dict(current.card) if current is not None else _new_card(learner_id, question_id, now)
    card, log = _SCHEDULER.review_card(card, rating_for(correct, time_taken_ms), now, time_taken_ms)
    state = card.to_dict()
    return (
        ReviewCard(
            learner_id=learner_id,
            question_id=question_id,
            card=state,
            due=card.due,
            state=int(card.state),
            last_review=card.last_review,
        ),
        log.to_dict(),
    )


def _new_card(learner_id: int, question_id: str, now: datetime) -> Card:
    # A stable id instead of fsrs' time-based default: the same learner and question give the same card.
    digest = hashlib.sha256(f"{learner_id}:{question_id}".encode()).digest()
    return Card(card_id=int.from_bytes(digest[:6], "big"), due=now)
