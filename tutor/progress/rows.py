"""What every part of the progress store shares: rows to records, query and argument helpers.

The progress store is split by aggregate (:mod:`tutor.progress.learners`, ``attempts``,
``review_cards``, ``case_sessions``, ``chat_turns``); these are the pieces they all use,
and the messages a learner sees when a write names a learner or course that is not there.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar, get_args

import sqlite_utils
from pydantic import BaseModel

from tutor.clock import to_iso

R = TypeVar("R", bound=BaseModel)

UNKNOWN_LEARNER_OR_COURSE = "This could not be saved because the learner or the course is not registered."
UNKNOWN_LEARNER = "This could not be saved because the learner is not registered."


def record(model: type[R], row: dict[str, Any]) -> R:
    """A record from a row, ignoring columns the record does not know.

    The records forbid unknown fields (a typo in a caller's keyword must fail), but a
    column added by a later migration must not break a process still running older code.
    """
    return model.model_validate({name: row[name] for name in model.model_fields if name in row})


def one(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    """The first row of a query, or None."""
    return next(iter(db.query(sql, params)), None)


def sql_limit(limit: int | None) -> int:
    """SQLite's ``LIMIT -1`` means no limit."""
    if limit is None:
        return -1
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return limit


def latest_oldest_first(
    db: sqlite_utils.Database, table: str, where: list[str], params: list[Any], time_column: str, limit: int | None
) -> list[dict[str, Any]]:
    """The latest ``limit`` matching rows, returned oldest-first; rowid breaks timestamp ties."""
    sql = (
        f"SELECT * FROM (SELECT rowid AS _seq, * FROM {table} WHERE {' AND '.join(where)}"
        f" ORDER BY {time_column} DESC, rowid DESC LIMIT ?) ORDER BY {time_column}, _seq"
    )
    rows = []
    for row in db.query(sql, [*params, sql_limit(limit)]):
        row.pop("_seq")
        rows.append(row)
    return rows


def dumps(value: Any) -> str:
    """JSON for a TEXT column; datetimes (as in scheduler logs) become stored-format ISO text."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def required_text(value: str, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def check_choice(value: str, choices: Any, name: str) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
