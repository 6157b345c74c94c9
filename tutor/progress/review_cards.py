"""FSRS review cards and their logs: what is due, and each review written with its card.

The scheduling itself is :mod:`tutor.progress.scheduling`; this module only stores it.
Part of :class:`tutor.progress.store.ProgressStore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlite_utils

from tutor.clock import from_iso, to_iso
from tutor.progress.records import ReviewCard
from tutor.progress.rows import (
    dumps as _dumps,
    one as _one,
    sql_limit as _sql_limit,
    UNKNOWN_LEARNER as _UNKNOWN_LEARNER,
)


ReviewUpdate = Callable[[ReviewCard | None], tuple[ReviewCard, dict[str, Any]]]
"""Given the current card (None for a question never reviewed), return the new card and a review log."""


class ReviewCardRecords:
    """The review cards part of the progress store (a mixin of ``ProgressStore``)."""

    def load_card(self, learner_id: int, question_id: str) -> ReviewCard | None:
        with self._read() as db:
            return card_of(db, learner_id, question_id)

    def save_review(self, learner_id: int, question_id: str, *, update: ReviewUpdate) -> ReviewCard:
        """Apply one review: read the card, let ``update`` compute the next one, write card and log.

        All of it happens in one ``BEGIN IMMEDIATE`` transaction, so concurrent reviews of the
        same card serialise and none is lost. ``update`` runs while the write lock is held:
        it must be pure and quick (the FSRS scheduler is), and if it raises nothing is written.
        The log must carry ``rating`` (1-4, FSRS Again..Easy); the whole dict is kept as JSON
        and stamped with the store's clock. Returns the card as saved.
        """
        with self._write(fk_message=_UNKNOWN_LEARNER) as db:
            current = card_of(db, learner_id, question_id)
            new, log = update(current)
            if not isinstance(new, ReviewCard):
                raise TypeError(f"update must return a ReviewCard and a dict, got {type(new).__name__}")
            if (new.learner_id, new.question_id) != (learner_id, question_id):
                raise ValueError(
                    f"update returned the card of ({new.learner_id}, {new.question_id!r}),"
                    f" not ({learner_id}, {question_id!r})"
                )
            stamp = self._stamp()
            write_review(db, new, log, stamp)
        return new.model_copy(update={"updated_at": from_iso(stamp)})

    def due_cards(self, learner_id: int, *, until: datetime, limit: int | None = None) -> list[ReviewCard]:
        """Cards due at or before ``until``, most overdue first."""
        with self._read() as db:
            rows = db.query(
                "SELECT * FROM review_cards WHERE learner_id = ? AND due <= ?"
                " ORDER BY due, question_id LIMIT ?",
                [learner_id, to_iso(until), _sql_limit(limit)],
            )
            return [_card_from_row(row) for row in rows]


def write_review(db: sqlite_utils.Database, new: ReviewCard, log: dict[str, Any], stamp: str) -> None:
    """Upsert the card and append its log (an UPSERT: INSERT OR REPLACE would cascade-delete the logs)."""
    rating = _rating(log)
    db.execute(
        "INSERT INTO review_cards (learner_id, question_id, card_json, due, state, last_review, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(learner_id, question_id) DO UPDATE SET card_json = excluded.card_json,"
        " due = excluded.due, state = excluded.state, last_review = excluded.last_review,"
        " updated_at = excluded.updated_at",
        [
            new.learner_id,
            new.question_id,
            _dumps(new.card),
            to_iso(new.due),
            new.state,
            to_iso(new.last_review) if new.last_review else None,
            stamp,
        ],
    )
    db.execute(
        "INSERT INTO review_logs (learner_id, question_id, rating, reviewed_at, log_json) VALUES (?, ?, ?, ?, ?)",
        [new.learner_id, new.question_id, rating, stamp, _dumps(log)],
    )


def card_of(db: sqlite_utils.Database, learner_id: int, question_id: str) -> ReviewCard | None:
    row = _one(db, "SELECT * FROM review_cards WHERE learner_id = ? AND question_id = ?", [learner_id, question_id])
    return None if row is None else _card_from_row(row)


def _card_from_row(row: dict[str, Any]) -> ReviewCard:
    return ReviewCard(
        learner_id=row["learner_id"],
        question_id=row["question_id"],
        card=json.loads(row["card_json"]),
        due=row["due"],
        state=row["state"],
        last_review=row["last_review"],
        updated_at=row["updated_at"],
    )


def _rating(log: dict[str, Any]) -> int:
    try:
        rating = int(log["rating"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the review log needs an integer 'rating' (1-4), got {log!r}") from exc
    if not 1 <= rating <= 4:
        raise ValueError(f"rating must be 1 (Again) to 4 (Easy), got {rating}")
    return rating
