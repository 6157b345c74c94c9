"""Time for the progress store: the default clock and the one stored timestamp format.

Pure logic (scheduling, grading, analytics) and the store take ``now`` as an injected
callable so that tests and replays control time. Every timestamp is timezone-aware
UTC and is stored as fixed-width ISO-8601 text (``2025-01-31T08:15:00.000000+00:00``):
because the width and the offset never vary, comparing the text compares the instants,
so ``WHERE due <= ?`` and ``ORDER BY answered_at`` work on the indexed column without
any date functions. Naive datetimes are refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The production clock: the current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """The stored form of an instant; raises ``ValueError`` for a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the progress store needs timezone-aware times")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    """The inverse of :func:`to_iso`."""
    return datetime.fromisoformat(text).astimezone(UTC)
