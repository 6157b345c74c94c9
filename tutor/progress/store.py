"""The progress store: every learner's attempts, review cards, case sessions and chat turns.

It is one object (the composition root builds one), assembled from one part per aggregate:
learners and courses (:mod:`tutor.progress.learners`), attempts and practice blocks
(:mod:`~tutor.progress.attempts`), FSRS review cards (:mod:`~tutor.progress.review_cards`),
case sessions (:mod:`~tutor.progress.case_sessions`) and chat turns
(:mod:`~tutor.progress.chat_turns`). The rules below hold for every part.

One :class:`ProgressStore` per process (it is in the cached Services bundle) serves
every Streamlit session and thread. It holds no connection: each method is one unit of
work on its own short-lived connection from :class:`tutor.db.SQLiteFile`, so it is
safe to call from any thread, and several processes may share the file.

Concurrency rules this module keeps:

* Every write, and every read-modify-write, runs inside one ``SQLiteFile.write()``,
  which is a ``BEGIN IMMEDIATE`` transaction: the write lock is taken before the read,
  so two writers queue on the busy timeout instead of both reading the same old value
  and one losing its update (``save_review``, ``save_case_step``,
  ``update_case_session`` depend on this).
* Retried writes are idempotent where a client can retry: attempts and chat turns
  carry a client-generated id and a second insert of the same id is ignored
  (``ON CONFLICT DO NOTHING``; not ``INSERT OR IGNORE``, which would also swallow
  ``CHECK`` and ``NOT NULL`` violations).
* Lists come back oldest-first; with a ``limit`` they are the *latest* ``limit`` rows,
  still oldest-first, which is what a transcript or a recent-activity view wants.
  Rows with equal timestamps keep their insertion order.

Time comes only from the injected ``now`` (timezone-aware; see :mod:`tutor.clock`),
read while the write lock is held, so stored times follow commit order.

Failures: a write that cannot complete (the file stays locked past the busy timeout,
an unknown learner, course or session, a full disk) raises :class:`StoreError` with a
``user_message`` fit for the learner and the SQLite detail in ``str(error)``. Calling
the store with a malformed argument (an empty username, an unknown role, a naive
datetime) is a programming error and raises ``ValueError`` before any SQL runs.
"""

from __future__ import annotations

from tutor.clock import to_iso
from tutor.db import SQLiteStore
from tutor.progress.attempts import AttemptRecords
from tutor.progress.case_sessions import CaseSessionRecords
from tutor.progress.chat_turns import ChatTurnRecords
from tutor.progress.learners import LearnerRecords
from tutor.progress.migrations import MIGRATIONS
from tutor.progress.review_cards import ReviewCardRecords

_READ_FAILED = "Your progress could not be loaded just now. Please try again."


class ProgressStore(LearnerRecords, AttemptRecords, ReviewCardRecords, CaseSessionRecords, ChatTurnRecords, SQLiteStore):
    """The learner progress database. See the module docstring for the rules it keeps."""

    migrations = MIGRATIONS
    open_failed = "The progress database could not be opened."
    read_failed = _READ_FAILED
    write_failed = None

    def _stamp(self) -> str:
        return to_iso(self._now())
