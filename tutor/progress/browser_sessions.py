"""Remembered sign-ins: server-side session records behind a browser cookie.

A reload of a Streamlit page is a new session, so without this every reload signed the
student out, even in the middle of a timed exam. On sign-in the browser gets a cookie
holding a random token (256 bits, no identity in it); this table keeps only the token's
SHA-256, whose learner, and until when. The record is:

* **expiring**: ``expires_at`` is set at creation and never extended by use;
* **rotated**: each resume (a reload) replaces the token, so a copied cookie works once
  at most before the real browser's next reload shows the theft as a sign-out;
* **revocable**: sign-out revokes the record, a password change revokes every record of
  the account, and a deactivated account is refused at resume (the accounts check).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tutor.clock import from_iso, to_iso
from tutor.db import SQLiteStore
from tutor.progress.migrations import MIGRATIONS
from tutor.progress.rows import one as _one

TOKEN_BYTES = 32


@dataclass(frozen=True)
class Remembered:
    learner_id: int
    token: str  # the new token for the browser's cookie (the old one no longer works)
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class BrowserSessionStore(SQLiteStore):
    migrations = MIGRATIONS
    open_failed = "The progress database could not be opened."
    read_failed = "Your sign-in could not be checked just now. Please sign in again."
    write_failed = "Your sign-in could not be remembered just now."

    def create(self, learner_id: int, lifetime: timedelta) -> Remembered:
        token, now = secrets.token_urlsafe(TOKEN_BYTES), self._now()
        expires = now + lifetime
        with self._write() as db:
            db.execute("INSERT INTO browser_sessions (token_hash, learner_id, created_at, expires_at)"
                       " VALUES (?, ?, ?, ?)", [token_hash(token), learner_id, to_iso(now), to_iso(expires)])
            db.execute("DELETE FROM browser_sessions WHERE expires_at < ? OR revoked_at IS NOT NULL",
                       [to_iso(now - timedelta(days=1))])  # keep the table small
        return Remembered(learner_id, token, expires)

    def resume(self, token: str) -> Remembered | None:
        """The learner a live token belongs to, with its replacement token; None if unknown, expired or revoked."""
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        now = self._now()
        with self._write() as db:
            row = _one(db, "SELECT * FROM browser_sessions WHERE token_hash = ?", [token_hash(token)])
            if row is None or row["revoked_at"] is not None or from_iso(row["expires_at"]) <= now:
                return None
            fresh = secrets.token_urlsafe(TOKEN_BYTES)
            db.execute("UPDATE browser_sessions SET token_hash = ? WHERE token_hash = ?",
                       [token_hash(fresh), row["token_hash"]])
        return Remembered(row["learner_id"], fresh, from_iso(row["expires_at"]))

    def revoke(self, token: str) -> None:
        with self._write() as db:
            db.execute("UPDATE browser_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                       [to_iso(self._now()), token_hash(token)])

    def revoke_all(self, learner_id: int) -> int:
        """Sign every browser of this account out; returns how many were live."""
        with self._write() as db:
            return db.execute("UPDATE browser_sessions SET revoked_at = ? WHERE learner_id = ? AND revoked_at IS NULL",
                              [to_iso(self._now()), learner_id]).rowcount
