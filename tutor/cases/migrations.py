"""The case library's schema (``cases.db``), as append-only sqlite-utils migrations.

``cases`` holds one row per case with the version students start now
(``current_hash``); ``case_versions`` keeps the YAML of every version ever stored, so a
session started on one version is resumed and debriefed on that version even after the
instructor edits the case (a session records the hash it started on). ``origin`` keeps a
bundled file from overwriting an instructor's upload of the same case id.
"""

from __future__ import annotations

from sqlite_utils import Migrations

MIGRATIONS = Migrations("tutor.cases")


@MIGRATIONS()
def m001_create_cases(db):
    for statement in (
        """
        CREATE TABLE cases (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            module TEXT NOT NULL,
            difficulty TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('bundled', 'uploaded')),
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
            current_hash TEXT NOT NULL,
            source_file TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT
        )
        """,
        """
        CREATE TABLE case_versions (
            case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            content_hash TEXT NOT NULL,
            yaml_text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (case_id, content_hash)
        )
        """,
    ):
        db.execute(statement)
