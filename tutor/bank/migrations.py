"""The question bank's schema (``questions.db``), as append-only sqlite-utils migrations.

The whole question is kept as JSON (``body_json``, a validated :class:`Question`), and
what the bank filters on is copied into columns: course, status, topic, system,
discipline, difficulty. ``status`` is the gate to students: only ``approved`` questions
are ever selected for practice. ``origin`` says where a question came from, so a bundled
question is refreshed from its file while an instructor's edit of an imported one is not
overwritten by accident. Attempts (in ``progress.db``) refer to questions by id only.
"""

from __future__ import annotations

from sqlite_utils import Migrations

MIGRATIONS = Migrations("tutor.bank")


@MIGRATIONS()
def m001_create_questions(db):
    for statement in (
        """
        CREATE TABLE questions (
            id TEXT PRIMARY KEY,
            course_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'rejected')),
            origin TEXT NOT NULL CHECK (origin IN ('bundled', 'imported', 'generated')),
            body_json TEXT NOT NULL,
            stem TEXT NOT NULL,
            topic TEXT,
            system TEXT,
            discipline TEXT,
            difficulty TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            source_file TEXT,
            review_note TEXT,
            checks_json TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            reviewed_by TEXT,
            reviewed_at TEXT
        )
        """,
        "CREATE INDEX idx_questions_course_status ON questions(course_id, status, topic)",
    ):
        db.execute(statement)
