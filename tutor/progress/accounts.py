"""Local accounts: the credentials side of the ``learners`` table.

Kept apart from :class:`~tutor.progress.store.ProgressStore` because it is the only
code that reads a password hash, and no record it returns to the rest of the tutor
carries one (:class:`~tutor.progress.records.Learner` has no such field). Hashing and
verifying happen above, in :mod:`tutor.modes.accounts.service`; this store keeps what they
produce and the per-account lock-out counters, each change in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tutor.clock import from_iso, to_iso
from tutor.db import SQLiteStore
from tutor.errors import AccountError
from tutor.progress.migrations import MIGRATIONS
from tutor.progress.records import Learner, LearnerRole
from tutor.progress.rows import one as _one, record as _record


@dataclass(frozen=True)
class Credentials:
    learner: Learner
    password_hash: str | None
    failed_logins: int
    locked_until: datetime | None


class AccountStore(SQLiteStore):
    migrations = MIGRATIONS
    open_failed = "The account database could not be opened."
    read_failed = "Accounts could not be read just now. Please try again."
    write_failed = "The account could not be saved just now. Please try again."

    def create(
        self, username: str, display_name: str, role: LearnerRole, password_hash: str | None, *, course_id: str
    ) -> Learner:
        """A new account, enrolled in the course (staff as instructors); refused if the name is taken."""
        with self._write() as db:
            if _one(db, "SELECT id FROM learners WHERE username = ?", [username]) is not None:
                raise AccountError(f"The username {username!r} is already taken.")
            stamp = to_iso(self._now())
            cursor = db.execute(
                "INSERT INTO learners (username, display_name, role, created_at, password_hash) VALUES (?, ?, ?, ?, ?)",
                [username, display_name, role, stamp, password_hash],
            )
            db.execute(
                "INSERT INTO enrollments (learner_id, course_id, role, enrolled_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(learner_id, course_id) DO NOTHING",
                [cursor.lastrowid, course_id, "student" if role == "student" else "instructor", stamp],
            )
            return _record(Learner, _one(db, "SELECT * FROM learners WHERE id = ?", [cursor.lastrowid]))

    def credentials(self, username: str) -> Credentials | None:
        with self._read() as db:
            row = _one(db, "SELECT * FROM learners WHERE username = ?", [username])
        if row is None:
            return None
        locked = row["locked_until"]
        return Credentials(_record(Learner, row), row["password_hash"], row["failed_logins"], from_iso(locked) if locked else None)

    def signed_in(self, learner_id: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE learners SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?",
                [to_iso(self._now()), learner_id],
            )

    def failed(self, learner_id: int, *, lock_after: int, lock_for: timedelta) -> int:
        """Count a failed sign-in; the ``lock_after``-th in a row locks the account for ``lock_for``."""
        with self._write() as db:
            db.execute("UPDATE learners SET failed_logins = failed_logins + 1 WHERE id = ?", [learner_id])
            (count,) = db.execute("SELECT failed_logins FROM learners WHERE id = ?", [learner_id]).fetchone()
            if count >= lock_after:
                db.execute(
                    "UPDATE learners SET failed_logins = 0, locked_until = ? WHERE id = ?",
                    [to_iso(self._now() + lock_for), learner_id],
                )
            return count

    def update(
        self,
        learner_id: int,
        *,
        password_hash: str | None = None,
        role: LearnerRole | None = None,
        active: bool | None = None,
    ) -> Learner:
        """Change a password, a role or whether the account may sign in; the last active admin stays one."""
        with self._write() as db:
            row = _one(db, "SELECT * FROM learners WHERE id = ?", [learner_id])
            if row is None:
                raise AccountError("No such account.")
            demoting = row["role"] == "admin" and ((role is not None and role != "admin") or active is False)
            if demoting:
                (admins,) = db.execute("SELECT count(*) FROM learners WHERE role = 'admin' AND active = 1").fetchone()
                if admins <= 1:
                    raise AccountError("This is the last administrator account; make another admin first.")
            if password_hash is not None:
                db.execute(
                    "UPDATE learners SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                    [password_hash, learner_id],
                )
            if role is not None:
                db.execute("UPDATE learners SET role = ? WHERE id = ?", [role, learner_id])
                db.execute(
                    "UPDATE enrollments SET role = ? WHERE learner_id = ?",
                    ["student" if role == "student" else "instructor", learner_id],
                )
            if active is not None:
                db.execute("UPDATE learners SET active = ? WHERE id = ?", [int(active), learner_id])
            return _record(Learner, _one(db, "SELECT * FROM learners WHERE id = ?", [learner_id]))

    def accounts(self, *, roles: tuple[LearnerRole, ...] | None = None) -> list[Learner]:
        where, params = "", []
        if roles:
            where, params = f"WHERE role IN ({','.join('?' * len(roles))})", list(roles)
        with self._read() as db:
            return [_record(Learner, row) for row in db.query(f"SELECT * FROM learners {where} ORDER BY username", params)]

    def can_sign_in_count(self) -> int:
        """Accounts that can sign in with a password (0 on a fresh installation)."""
        with self._read() as db:
            (count,) = db.execute(
                "SELECT count(*) FROM learners WHERE password_hash IS NOT NULL AND active = 1"
            ).fetchone()
            return count
