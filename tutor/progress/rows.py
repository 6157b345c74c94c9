"""Rows to records: the two helpers every progress-database module reads with."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlite_utils
from pydantic import BaseModel

R = TypeVar("R", bound=BaseModel)


def record(model: type[R], row: dict[str, Any]) -> R:
    """A record from a row, ignoring columns the record does not know.

    The records forbid unknown fields (a typo in a caller's keyword must fail), but a
    column added by a later migration must not break a process still running older code.
    """
    return model.model_validate({name: row[name] for name in model.model_fields if name in row})


def one(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    """The first row of a query, or None."""
    return next(iter(db.query(sql, params)), None)
