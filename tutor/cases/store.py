"""The case library: stores validated case files and hands back :class:`Case` objects.

A case arrives as YAML text that has already passed :func:`parse_case`; the text itself is
stored (not a re-serialisation), so an instructor downloads exactly what was uploaded.
Rules:

* Saving the same content again changes nothing; new content becomes a new version
  (``version`` + 1) and the old YAML stays in ``case_versions`` for sessions started on it.
* A bundled file never overwrites a case an instructor uploaded under the same id.
* A withdrawn case is not offered to students; sessions already on it can still finish.

Parsed cases are cached by (id, content hash): a version's content never changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from tutor.cases.migrations import MIGRATIONS
from tutor.clock import Clock, from_iso, to_iso, utc_now
from tutor.content.cases.model import Case
from tutor.content.cases.parse import parse_case
from tutor.db import SQLiteStore
from tutor.errors import StoreError

CaseOrigin = Literal["bundled", "uploaded"]
CaseStatus = Literal["active", "withdrawn"]
SaveResult = Literal["added", "updated", "unchanged", "kept_upload"]

_WRITE_FAILED = "The case could not be saved just now. Please try again."
_READ_FAILED = "The case library could not be read just now. Please try again."


@dataclass(frozen=True)
class CaseEntry:
    """A row of the case catalogue (what a chooser or an instructor's list shows)."""

    id: str
    title: str
    module: str
    difficulty: str
    origin: CaseOrigin
    status: CaseStatus
    version: int
    content_hash: str
    source_file: str | None
    updated_at: Any
    updated_by: str | None


class CaseLibrary(SQLiteStore):
    migrations = MIGRATIONS
    open_failed = "The case library could not be opened."
    read_failed = _READ_FAILED
    write_failed = _WRITE_FAILED

    def __init__(self, path: Path, *, now: Clock = utc_now):
        super().__init__(path, now=now)
        self._parsed: dict[tuple[str, str], Case] = {}
        self._lock = threading.Lock()

    # -- writes ---------------------------------------------------------------------------

    def save(
        self, case: Case, yaml_text: str, *, origin: CaseOrigin, source_file: str | None = None, by: str | None = None
    ) -> SaveResult:
        """Store ``case`` (parsed from ``yaml_text``) under the rules in the module docstring."""
        content_hash = case.content_hash
        with self._write() as db:
            stamp = to_iso(self._now())
            row = _row(db, case.id)
            if row is not None and row["current_hash"] == content_hash:
                return "unchanged"
            if row is not None and origin == "bundled" and row["origin"] == "uploaded":
                return "kept_upload"
            columns = {"title": case.title, "module": case.module, "difficulty": case.difficulty, "origin": origin,
                       "current_hash": content_hash, "source_file": source_file, "updated_at": stamp, "updated_by": by}
            if row is None:
                db["cases"].insert({"id": case.id, **columns, "status": "active", "version": 1, "created_at": stamp})
            else:
                db["cases"].update(case.id, {**columns, "version": row["version"] + 1})
            db.execute(
                "INSERT INTO case_versions (case_id, content_hash, yaml_text, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",  # an earlier version may come back: its text is already kept
                [case.id, content_hash, yaml_text, stamp],
            )
            return "added" if row is None else "updated"

    def set_status(self, case_id: str, status: CaseStatus, *, by: str | None = None) -> None:
        with self._write() as db:
            if _row(db, case_id) is None:
                raise StoreError("That case is not in the case library.", detail=f"no case {case_id!r}")
            db["cases"].update(case_id, {"status": status, "updated_at": to_iso(self._now()), "updated_by": by})

    # -- reads ----------------------------------------------------------------------------

    def get(self, case_id: str, content_hash: str | None = None) -> Case | None:
        """The case's current version, or the version with ``content_hash``; None if unknown."""
        with self._read() as db:
            if content_hash is None:
                row = _row(db, case_id)
                if row is None:
                    return None
                content_hash = row["current_hash"]
            with self._lock:
                if (cached := self._parsed.get((case_id, content_hash))) is not None:
                    return cached
            version = next(iter(db.query(
                "SELECT yaml_text FROM case_versions WHERE case_id = ? AND content_hash = ?", [case_id, content_hash]
            )), None)
        if version is None:
            return None
        case = parse_case(version["yaml_text"].encode(), f"{case_id}.yaml")
        with self._lock:
            self._parsed[(case_id, content_hash)] = case
        return case

    def yaml_text(self, case_id: str) -> str | None:
        """The current version exactly as it was uploaded (for download and editing)."""
        with self._read() as db:
            row = next(iter(db.query(
                "SELECT v.yaml_text FROM cases c JOIN case_versions v ON v.case_id = c.id AND v.content_hash = c.current_hash"
                " WHERE c.id = ?", [case_id]
            )), None)
        return row["yaml_text"] if row else None

    def catalogue(self, *, include_withdrawn: bool = False) -> list[CaseEntry]:
        where = "" if include_withdrawn else "WHERE status = 'active'"
        with self._read() as db:
            rows = list(db.query(f"SELECT * FROM cases {where} ORDER BY module, title"))
        return [_entry(row) for row in rows]

    def entry(self, case_id: str) -> CaseEntry | None:
        with self._read() as db:
            row = _row(db, case_id)
        return _entry(row) if row else None


def _row(db: sqlite_utils.Database, case_id: str) -> dict[str, Any] | None:
    return next(iter(db.query("SELECT * FROM cases WHERE id = ?", [case_id])), None)


def _entry(row: dict[str, Any]) -> CaseEntry:
    return CaseEntry(
        id=row["id"], title=row["title"], module=row["module"], difficulty=row["difficulty"], origin=row["origin"],
        status=row["status"], version=row["version"], content_hash=row["current_hash"], source_file=row["source_file"],
        updated_at=from_iso(row["updated_at"]), updated_by=row["updated_by"],
    )
