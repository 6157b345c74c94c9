"""Fixtures for the progress store tests: a real SQLite file in tmp_path and a stepping clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tutor.progress.records import Attempt, Course, Learner
from tutor.progress.store import ProgressStore

from .stepping_clock import SteppingClock


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "progress.db"


@pytest.fixture
def store(db_path: Path, clock: SteppingClock) -> ProgressStore:
    return ProgressStore(db_path, now=clock)


@pytest.fixture
def learner(store: ProgressStore) -> Learner:
    return store.ensure_learner("ada", "Ada Lovelace")


@pytest.fixture
def course(store: ProgressStore) -> Course:
    return store.ensure_course("core-medicine", "Core Medicine")


@pytest.fixture
def make_attempt(learner: Learner, course: Course) -> Callable[..., Attempt]:
    def make(**overrides) -> Attempt:
        fields = dict(
            learner_id=learner.id,
            course_id=course.id,
            question_id="cardio-001",
            chosen_option="B",
            correct=True,
            time_taken_ms=42_000,
        )
        return Attempt(**{**fields, **overrides})

    return make
