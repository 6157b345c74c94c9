"""One SQLite file, opened per unit of work.

Every SQLite store (the library registry, the question bank, the progress store) goes
through :class:`SQLiteFile`, and :func:`store_errors` turns SQLite failures into a
:class:`StoreError` with the store's own message. Why it looks like this:

* Streamlit runs every rerun on a new thread and sqlite3 connections are not meant to
  be shared across threads, so there is no long-lived connection: each ``read()`` or
  ``write()`` opens one and closes it.
* WAL mode lets dashboards read while students write.
* Writes start with ``BEGIN IMMEDIATE``. sqlite-utils' ``db.atomic()`` opens a
  *deferred* transaction; two writers that both read and then update can then
  deadlock on the lock upgrade and one gets "database is locked" at once, whatever
  the busy timeout (measured: 10,655 of 20,000 read-then-update writes lost). With
  ``BEGIN IMMEDIATE`` the write lock is taken up front and the busy timeout queues
  writers instead. Inside the transaction sqlite-utils' own ``atomic()`` nests as
  savepoints, so its table methods stay usable.
* Migrations (sqlite-utils ``Migrations``) are applied when the file is constructed.

:class:`SQLiteStore` is the base of the stores that own a file (question bank, case
library, progress store): the file, its migrations, the injected clock, and connections
whose SQLite failures become the store's own :class:`StoreError` messages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from tutor.clock import Clock, utc_now
from tutor.errors import StoreError

BUSY_TIMEOUT_S = 15.0


@contextmanager
def store_errors(path: Path, message: str | None = None, *, foreign_key_message: str | None = None) -> Iterator[None]:
    """Turn a SQLite failure (locked past the timeout, disk full, not a database, ...) into a StoreError.

    ``message`` is what the user sees (None: StoreError's default); a foreign-key
    violation gets ``foreign_key_message`` when given. The SQLite detail stays in ``str(error)``.
    """
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if foreign_key_message and "FOREIGN KEY" in str(exc):
            raise StoreError(foreign_key_message, detail=f"{path}: {exc}") from exc
        raise StoreError(message, detail=f"{path}: {exc}") from exc
    except sqlite3.Error as exc:
        raise StoreError(message, detail=f"{path}: {exc}") from exc


class SQLiteFile:
    """A database file with its migrations applied; hands out short-lived connections."""

    def __init__(self, path: Path, migrations: Migrations):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrations = migrations
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            db = sqlite_utils.Database(conn, execute_plugins=False)
            # Two processes may start at once on a fresh file: one transaction holding the
            # write lock serialises the migration runs (each migration nests as a savepoint).
            conn.execute("BEGIN IMMEDIATE")
            try:
                migrations.apply(db)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A connection for reads; WAL gives it a consistent snapshot per statement."""
        with self._connect() as conn:
            yield sqlite_utils.Database(conn, execute_plugins=False)

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
        with self._connect() as conn:
            db = sqlite_utils.Database(conn, execute_plugins=False)
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # still locked after the busy timeout
                raise StoreError(detail=f"{self.path}: {exc}") from exc
            try:
                yield db
            except BaseException:
                # Some errors (disk full, I/O error, an interrupt) already rolled the transaction
                # back; a second ROLLBACK would then raise and hide the original exception.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    @contextmanager
    def guarded_read(self, message: str | None = None) -> Iterator[sqlite_utils.Database]:
        """:meth:`read`, with SQLite failures raised as StoreError(``message``)."""
        with store_errors(self.path, message), self.read() as db:
            yield db

    @contextmanager
    def guarded_write(self, message: str | None = None, *, foreign_key_message: str | None = None) -> Iterator[sqlite_utils.Database]:
        """:meth:`write`, with SQLite failures raised as StoreError(``message``) (see :func:`store_errors`)."""
        with store_errors(self.path, message, foreign_key_message=foreign_key_message), self.write() as db:
            yield db

    def applied_migrations(self) -> list[str]:
        with self.read() as db:
            return [m.name for m in self._migrations.applied(db)]


class SQLiteStore:
    """A store that owns one SQLite file; subclasses name their migrations and messages."""

    migrations: Migrations
    open_failed: str  # what the user sees when the file cannot be opened at all
    read_failed: str | None = None  # None: StoreError's default message
    write_failed: str | None = None

    def __init__(self, path: Path, *, now: Clock = utc_now):
        self._now = now
        with store_errors(path, self.open_failed):
            self._file = SQLiteFile(Path(path), self.migrations)

    @property
    def path(self) -> Path:
        return self._file.path

    def applied_migrations(self) -> list[str]:
        """Names of the applied migrations, in the order they ran."""
        return self._file.applied_migrations()

    def _read(self) -> AbstractContextManager[sqlite_utils.Database]:
        return self._file.guarded_read(self.read_failed)

    def _write(self, fk_message: str | None = None) -> AbstractContextManager[sqlite_utils.Database]:
        return self._file.guarded_write(self.write_failed, foreign_key_message=fk_message)
