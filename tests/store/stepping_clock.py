"""A controllable clock for the progress store tests.

The clock is the store's production seam for time (``ProgressStore(path, now=...)``),
not a patch: tests move it forward explicitly and assert the exact stored times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class SteppingClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime = START):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current
