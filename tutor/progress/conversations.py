"""A learner's tutor conversations as a list: reopen one, or delete it.

Every turn is already stored in ``chat_turns`` with its ``conversation_id``; what was
missing was a way back to them (a reload or a new sign-in showed an empty Ask page). A
conversation is named by its first question and dated by its first and last turns. Only
the learner's own conversations are listed or deleted: every query is filtered by
``learner_id``, so a conversation id taken from someone else's URL reaches nothing.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from tutor.clock import from_iso
from tutor.db import SQLiteStore
from tutor.progress.migrations import MIGRATIONS

TITLE_CHARS = 80


class ConversationSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    conversation_id: str
    title: str
    started_at: datetime
    last_at: datetime
    turns: int


class ConversationStore(SQLiteStore):
    migrations = MIGRATIONS
    open_failed = "The progress database could not be opened."
    read_failed = "Your conversations could not be read just now. Please try again."
    write_failed = "The conversation could not be deleted just now. Please try again."

    def list(self, learner_id: int, course_id: str, limit: int = 50) -> list[ConversationSummary]:
        """The learner's conversations in this course, most recent first."""
        sql = """
            SELECT conversation_id, COUNT(*) AS turns, MIN(created_at) AS started_at, MAX(created_at) AS last_at,
                   (SELECT question FROM chat_turns first WHERE first.learner_id = t.learner_id
                      AND first.conversation_id = t.conversation_id ORDER BY created_at, rowid LIMIT 1) AS title
            FROM chat_turns t
            WHERE learner_id = ? AND course_id = ?
            GROUP BY conversation_id
            ORDER BY last_at DESC
            LIMIT ?
        """
        with self._read() as db:
            rows = list(db.query(sql, [learner_id, course_id, limit]))
        return [ConversationSummary(conversation_id=row["conversation_id"], title=_title(row["title"]),
                                    started_at=from_iso(row["started_at"]), last_at=from_iso(row["last_at"]),
                                    turns=row["turns"]) for row in rows]

    def delete(self, learner_id: int, conversation_id: str) -> int:
        """Delete one of the learner's conversations; returns how many turns went (0: none of theirs)."""
        with self._write() as db:
            cursor = db.execute("DELETE FROM chat_turns WHERE learner_id = ? AND conversation_id = ?",
                                [learner_id, conversation_id])
            return cursor.rowcount


def _title(question: str | None) -> str:
    text = " ".join((question or "").split()) or "Untitled conversation"
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
