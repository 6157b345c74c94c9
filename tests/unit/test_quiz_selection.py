"""Choosing a block's questions: due reviews first, then the chosen pool, shuffled reproducibly."""

from __future__ import annotations

import random

import pytest

from tutor.modes.quiz.selection import select_questions

CANDIDATES = ["a", "b", "c", "d", "e", "f"]
LAST = {"a": True, "b": False, "c": True, "d": False}  # e and f never seen


def pick(pool, size=6, due=(), seed=1):
    return select_questions(CANDIDATES, pool=pool, size=size, due=list(due), last_correct=LAST, rng=random.Random(seed))


def test_due_reviews_come_first_in_overdue_order():
    assert pick("all", due=["c", "a"])[:2] == ["c", "a"]


def test_all_puts_unseen_then_wrong_then_right():
    chosen = pick("all")
    assert set(chosen[:2]) == {"e", "f"} and set(chosen[2:4]) == {"b", "d"} and set(chosen[4:]) == {"a", "c"}


def test_pools_keep_only_their_questions_even_when_due():
    assert set(pick("unseen", due=["a"])) == {"e", "f"}
    assert pick("incorrect", due=["d"])[0] == "d" and set(pick("incorrect", due=["d"])) == {"b", "d"}
    assert pick("due", due=["f", "b", "zz"]) == ["f", "b"]  # zz is filtered out (not a candidate)
    assert pick("due") == []


def test_size_limits_and_seed_reproduces():
    assert len(pick("all", size=3)) == 3
    assert pick("all", seed=4) == pick("all", seed=4)
    with pytest.raises(ValueError):
        pick("all", size=0)
