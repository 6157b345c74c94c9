"""FSRS scheduling from answers, with fixed times (py-fsrs, fuzzing off)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fsrs import Rating

from tutor.progress.scheduling import SLOW_MS, rating_for, review

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def answer(card, correct: bool, at: datetime, ms: int = 20_000):
    return review(card, learner_id=7, question_id="q-1", correct=correct, time_taken_ms=ms, now=at)


def test_ratings_follow_the_answer():
    assert rating_for(False, 1_000) == Rating.Again
    assert rating_for(True, 1_000) == Rating.Good
    assert rating_for(True, SLOW_MS + 1) == Rating.Hard
    assert rating_for(True, None) == Rating.Good


def test_a_new_card_steps_through_learning_then_spaces_out():
    card, log = answer(None, True, T0)
    assert card.due == T0 + timedelta(minutes=10) and log["rating"] == 3
    card, _ = answer(card, True, card.due)
    first_interval = card.due - card.last_review
    assert first_interval >= timedelta(days=1)
    card, _ = answer(card, True, card.due)
    assert card.due - card.last_review > first_interval  # intervals grow with each success


def test_a_wrong_answer_brings_the_card_back_within_minutes():
    card, _ = answer(None, True, T0)
    card, _ = answer(card, True, card.due)
    lapse_at = card.due
    card, log = answer(card, False, lapse_at)
    assert log["rating"] == 1
    assert card.due - lapse_at <= timedelta(minutes=10)


def test_same_answers_at_same_times_give_the_same_schedule():
    def run():
        card, at = None, T0
        for correct in (True, True, False, True):
            card, _ = answer(card, correct, at)
            at = card.due
        return card.card, card.due

    assert run() == run()


def test_card_identity_is_stable_per_learner_and_question():
    first, _ = answer(None, True, T0)
    again, _ = answer(None, True, T0 + timedelta(days=3))
    assert first.card["card_id"] == again.card["card_id"]
