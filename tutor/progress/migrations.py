"""The progress store's schema, as append-only sqlite-utils migrations.

:class:`tutor.db.SQLiteFile` applies these when a :class:`~tutor.progress.store.ProgressStore`
is constructed, so a blank file and a file from any earlier release both end up on the
current schema. Rules: never edit or reorder a migration that has shipped; add a new
``mNNN_verb_noun`` function instead; tests cover a blank database and an upgrade from
the previous schema.

Why the tables look like this:

* The DDL is plain SQL rather than ``db[...].create(...)`` so that the schema can carry
  what sqlite-utils' ``create`` cannot express: ``CHECK`` constraints on every
  enumerated column (the database refuses a ``mode`` or ``status`` the code does not
  know, whichever process wrote it), composite foreign keys and ``ON DELETE CASCADE``.
  The tables are not ``STRICT`` so that the file opens with SQLite older than 3.37.
* Learner data hangs off ``learners`` with ``ON DELETE CASCADE``: deleting a learner
  removes everything about them in one statement. Courses have no cascade: a course
  that still has attempts cannot be deleted by accident.
* Timestamps are fixed-width ISO-8601 UTC text (see :mod:`tutor.clock`), so
  the ``(learner_id, <time>)`` indexes serve "this learner, in time order" directly.
* Ids a client can retry with (``attempt_id``, ``turn_id``) are client-generated text
  primary keys: a retried write hits the key and is ignored instead of duplicated.
* Question and case ids are text without a foreign key: questions and cases live in
  the curriculum files, not in this database.
* Each statement runs through ``db.execute`` (never ``executescript``, which would
  commit the surrounding ``BEGIN IMMEDIATE`` transaction half-way).
"""

from __future__ import annotations

from sqlite_utils import Migrations

MIGRATIONS = Migrations("tutor.progress")


def _run(db, statements: list[str]) -> None:
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m001_create_core_tables(db):
    _run(
        db,
        [
            """
            CREATE TABLE learners (
                id INTEGER PRIMARY KEY,
                username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                display_name TEXT NOT NULL,
                role TEXT NOT NULL DEFAULT 'student'
                    CHECK (role IN ('student', 'instructor', 'admin')),
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE courses (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE enrollments (
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL REFERENCES courses(id),
                role TEXT NOT NULL DEFAULT 'student' CHECK (role IN ('student', 'instructor')),
                enrolled_at TEXT NOT NULL,
                PRIMARY KEY (learner_id, course_id)
            )
            """,
            # The primary key serves "courses of a learner"; this serves "learners of a course".
            "CREATE INDEX idx_enrollments_course ON enrollments(course_id, role)",
            """
            CREATE TABLE attempts (
                attempt_id TEXT PRIMARY KEY,
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL REFERENCES courses(id),
                question_id TEXT NOT NULL,
                chosen_option TEXT,
                correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
                time_taken_ms INTEGER CHECK (time_taken_ms IS NULL OR time_taken_ms >= 0),
                mode TEXT NOT NULL CHECK (mode IN ('tutor', 'exam', 'review')),
                block_id TEXT,
                prompt_version TEXT,
                answered_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX idx_attempts_learner_time ON attempts(learner_id, answered_at)",
            "CREATE INDEX idx_attempts_question ON attempts(question_id, answered_at)",
            """
            CREATE TABLE review_cards (
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                question_id TEXT NOT NULL,
                card_json TEXT NOT NULL,
                due TEXT NOT NULL,
                state INTEGER NOT NULL,
                last_review TEXT,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (learner_id, question_id)
            )
            """,
            "CREATE INDEX idx_review_cards_due ON review_cards(learner_id, due)",
            # A log always belongs to a card that exists. Cards are therefore updated with an
            # UPSERT, never INSERT OR REPLACE, which deletes the row and would cascade to its logs.
            """
            CREATE TABLE review_logs (
                id INTEGER PRIMARY KEY,
                learner_id INTEGER NOT NULL,
                question_id TEXT NOT NULL,
                rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
                reviewed_at TEXT NOT NULL,
                log_json TEXT NOT NULL,
                FOREIGN KEY (learner_id, question_id)
                    REFERENCES review_cards(learner_id, question_id) ON DELETE CASCADE
            )
            """,
            "CREATE INDEX idx_review_logs_card ON review_logs(learner_id, question_id, reviewed_at)",
            "CREATE INDEX idx_review_logs_learner_time ON review_logs(learner_id, reviewed_at)",
            """
            CREATE TABLE case_sessions (
                session_id TEXT PRIMARY KEY,
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                case_id TEXT NOT NULL,
                stage TEXT NOT NULL,
                state_json TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'completed', 'abandoned')),
                score REAL,
                started_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                completed_at TEXT,
                CHECK ((status = 'completed') = (completed_at IS NOT NULL))
            )
            """,
            "CREATE INDEX idx_case_sessions_learner_time ON case_sessions(learner_id, started_at)",
            "CREATE INDEX idx_case_sessions_case ON case_sessions(case_id, status)",
            # UNIQUE (session_id, turn_index) is also the index that reads a transcript in order.
            """
            CREATE TABLE case_turns (
                id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL REFERENCES case_sessions(session_id) ON DELETE CASCADE,
                turn_index INTEGER NOT NULL CHECK (turn_index >= 0),
                role TEXT NOT NULL CHECK (role IN ('student', 'tutor', 'system')),
                content TEXT NOT NULL,
                meta_json TEXT,
                created_at TEXT NOT NULL,
                UNIQUE (session_id, turn_index)
            )
            """,
            """
            CREATE TABLE chat_turns (
                turn_id TEXT PRIMARY KEY,
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL REFERENCES courses(id),
                conversation_id TEXT NOT NULL,
                question TEXT NOT NULL,
                answer TEXT NOT NULL DEFAULT '',
                citations_json TEXT NOT NULL DEFAULT '[]',
                grounded INTEGER NOT NULL CHECK (grounded IN (0, 1)),
                mode TEXT NOT NULL CHECK (mode IN ('explain', 'socratic')),
                status TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'error')),
                prompt_version TEXT,
                model TEXT,
                latency_ms INTEGER CHECK (latency_ms IS NULL OR latency_ms >= 0),
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX idx_chat_turns_learner_time ON chat_turns(learner_id, created_at)",
            "CREATE INDEX idx_chat_turns_conversation ON chat_turns(learner_id, conversation_id, created_at)",
        ],
    )


@MIGRATIONS()
def m002_add_attempt_indexes(db):
    """Indexes for the instructor dashboards and exam-block scoring."""
    _run(
        db,
        [
            # attempts_for(learner, course_id=...) and per-learner course progress.
            "CREATE INDEX idx_attempts_learner_course_time ON attempts(learner_id, course_id, answered_at)",
            # Course-wide dashboards: everything answered in a course since a date.
            "CREATE INDEX idx_attempts_course_time ON attempts(course_id, answered_at)",
            # Scoring one timed block; most attempts have no block, so the index skips them.
            "CREATE INDEX idx_attempts_block ON attempts(block_id) WHERE block_id IS NOT NULL",
        ],
    )


@MIGRATIONS()
def m003_add_chat_turn_evidence(db):
    """Keep what the student saw: the kind of reply and the verbatim supporting quotes."""
    _run(
        db,
        [
            "ALTER TABLE chat_turns ADD COLUMN kind TEXT NOT NULL DEFAULT 'answer'",
            "ALTER TABLE chat_turns ADD COLUMN quotes_json TEXT NOT NULL DEFAULT '[]'",
        ],
    )


@MIGRATIONS()
def m004_create_quiz_blocks(db):
    """Practice sets and timed exam blocks, so that a block survives a reload or a restart.

    A block fixes its questions (in order) when it starts. In an exam block the answers
    are provisional (``graded = 0``, changeable) until the block is finished or its
    deadline passes; only then do they become attempts. In a tutor-mode set each answer
    is graded at once and cannot be changed.
    """
    _run(
        db,
        [
            """
            CREATE TABLE quiz_blocks (
                block_id TEXT PRIMARY KEY,
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL REFERENCES courses(id),
                mode TEXT NOT NULL CHECK (mode IN ('tutor', 'exam')),
                question_ids_json TEXT NOT NULL,
                spec_json TEXT NOT NULL,
                time_limit_s INTEGER CHECK (time_limit_s IS NULL OR time_limit_s > 0),
                started_at TEXT NOT NULL,
                deadline TEXT,
                status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'finished')),
                finished_at TEXT,
                CHECK ((status = 'finished') = (finished_at IS NOT NULL)),
                CHECK ((time_limit_s IS NULL) = (deadline IS NULL))
            )
            """,
            "CREATE INDEX idx_quiz_blocks_learner ON quiz_blocks(learner_id, status, started_at)",
            """
            CREATE TABLE block_answers (
                block_id TEXT NOT NULL REFERENCES quiz_blocks(block_id) ON DELETE CASCADE,
                position INTEGER NOT NULL CHECK (position >= 0),
                question_id TEXT NOT NULL,
                chosen_option TEXT,
                time_taken_ms INTEGER CHECK (time_taken_ms IS NULL OR time_taken_ms >= 0),
                graded INTEGER NOT NULL DEFAULT 0 CHECK (graded IN (0, 1)),
                answered_at TEXT NOT NULL,
                PRIMARY KEY (block_id, position)
            )
            """,
        ],
    )


@MIGRATIONS()
def m005_add_case_marks(db):
    """Case scores that count toward mastery, and the instructor's override of a score.

    ``case_scores`` holds what a completed session earned per learning objective of its
    case (the rubric items tied to that objective), written in the same transaction that
    completes the session. An instructor may override the session's score with a reason;
    the rubric score stays in ``score`` so both can be shown.
    """
    _run(
        db,
        [
            "ALTER TABLE case_sessions ADD COLUMN score_override REAL"
            " CHECK (score_override IS NULL OR (score_override >= 0 AND score_override <= 1))",
            "ALTER TABLE case_sessions ADD COLUMN override_reason TEXT",
            "ALTER TABLE case_sessions ADD COLUMN override_by TEXT",
            "ALTER TABLE case_sessions ADD COLUMN overridden_at TEXT",
            """
            CREATE TABLE case_scores (
                session_id TEXT NOT NULL REFERENCES case_sessions(session_id) ON DELETE CASCADE,
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                case_id TEXT NOT NULL,
                objective TEXT NOT NULL,
                earned REAL NOT NULL CHECK (earned >= 0),
                possible REAL NOT NULL CHECK (possible >= 0),
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (session_id, objective)
            )
            """,
            "CREATE INDEX idx_case_scores_learner ON case_scores(learner_id, objective)",
            "CREATE INDEX idx_case_sessions_status_time ON case_sessions(status, completed_at)",
        ],
    )


@MIGRATIONS()
def m006_add_accounts(db):
    """Sign-in for local accounts: an Argon2id hash per learner, deactivation, lock-out.

    A learner without a ``password_hash`` cannot sign in with a password (an account
    created for single sign-on, or one from before sign-in existed). ``failed_logins``
    and ``locked_until`` slow down password guessing per account.
    """
    _run(
        db,
        [
            "ALTER TABLE learners ADD COLUMN password_hash TEXT",
            "ALTER TABLE learners ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))",
            "ALTER TABLE learners ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0)",
            "ALTER TABLE learners ADD COLUMN locked_until TEXT",
            "ALTER TABLE learners ADD COLUMN last_login_at TEXT",
        ],
    )


@MIGRATIONS()
def m007_create_question_stats(db):
    """Which version of a question was answered, and a per-learner, per-question summary.

    Dashboards over a large class must not scan every attempt: ``question_stats`` holds,
    per learner and question version, the number of attempts and correct answers, and
    the first and the latest answer (item analysis uses the first response of each
    learner; mastery uses the latest). It is written in the same transaction as the
    attempt it summarises and can always be rebuilt from ``attempts`` (this migration
    does so for attempts stored before it; their version is unknown and taken as 1).
    """
    _run(
        db,
        [
            "ALTER TABLE attempts ADD COLUMN question_version INTEGER",
            """
            CREATE TABLE question_stats (
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                course_id TEXT NOT NULL REFERENCES courses(id),
                question_id TEXT NOT NULL,
                question_version INTEGER NOT NULL,
                attempts INTEGER NOT NULL CHECK (attempts > 0),
                correct INTEGER NOT NULL CHECK (correct >= 0),
                first_chosen TEXT,
                first_correct INTEGER NOT NULL CHECK (first_correct IN (0, 1)),
                first_at TEXT NOT NULL,
                last_chosen TEXT,
                last_correct INTEGER NOT NULL CHECK (last_correct IN (0, 1)),
                last_at TEXT NOT NULL,
                PRIMARY KEY (learner_id, question_id, question_version)
            )
            """,
            "CREATE INDEX idx_question_stats_course ON question_stats(course_id, question_id, question_version)",
            # Usage over time (attempts and active learners per day) reads only this index.
            "DROP INDEX idx_attempts_course_time",
            "CREATE INDEX idx_attempts_course_time ON attempts(course_id, answered_at, learner_id)",
            f"INSERT INTO question_stats {STATS_REBUILD_SELECT}",
        ],
    )


@MIGRATIONS()
def m008_add_chat_turn_support(db):
    """Keep the claim-level check of each answer: how many statements the judge read, which
    it found unsupported by the material (marked for the student), and the related reading
    offered when the tutor declined."""
    _run(
        db,
        [
            "ALTER TABLE chat_turns ADD COLUMN claims_checked INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE chat_turns ADD COLUMN unsupported_json TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE chat_turns ADD COLUMN related_json TEXT NOT NULL DEFAULT '[]'",
        ],
    )



@MIGRATIONS()
def m009_add_browser_sessions(db):
    """Remembered sign-ins: a reload keeps a student signed in (see tutor.progress.browser_sessions).

    Only a SHA-256 of the browser's random token is stored, so the table cannot be replayed
    as cookies; a row is revoked on sign-out and expires on its own."""
    _run(
        db,
        [
            """
            CREATE TABLE browser_sessions (
                token_hash TEXT PRIMARY KEY,
                learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                revoked_at TEXT
            )
            """,
            "CREATE INDEX idx_browser_sessions_learner ON browser_sessions(learner_id)",
        ],
    )

STATS_REBUILD_SELECT = """
    SELECT learner_id, course_id, question_id, COALESCE(question_version, 1) AS v,
           count(*), sum(correct),
           (SELECT a2.chosen_option FROM attempts a2 WHERE a2.learner_id = a.learner_id AND a2.question_id = a.question_id
              AND COALESCE(a2.question_version, 1) = COALESCE(a.question_version, 1) ORDER BY a2.answered_at, a2.rowid LIMIT 1),
           (SELECT a2.correct FROM attempts a2 WHERE a2.learner_id = a.learner_id AND a2.question_id = a.question_id
              AND COALESCE(a2.question_version, 1) = COALESCE(a.question_version, 1) ORDER BY a2.answered_at, a2.rowid LIMIT 1),
           min(answered_at),
           (SELECT a2.chosen_option FROM attempts a2 WHERE a2.learner_id = a.learner_id AND a2.question_id = a.question_id
              AND COALESCE(a2.question_version, 1) = COALESCE(a.question_version, 1) ORDER BY a2.answered_at DESC, a2.rowid DESC LIMIT 1),
           (SELECT a2.correct FROM attempts a2 WHERE a2.learner_id = a.learner_id AND a2.question_id = a.question_id
              AND COALESCE(a2.question_version, 1) = COALESCE(a.question_version, 1) ORDER BY a2.answered_at DESC, a2.rowid DESC LIMIT 1),
           max(answered_at)
    FROM attempts a GROUP BY learner_id, course_id, question_id, COALESCE(question_version, 1)
"""
"""Rebuilds ``question_stats`` from ``attempts`` (the migration, and the synthetic-data generator)."""


@MIGRATIONS()
def m010_add_chat_turn_shown_first(db):
    """Keep what the student saw first: the evidence sentences shown above the explanation,
    and how long after the question the model's first words appeared (the wait students feel)."""
    _run(
        db,
        [
            "ALTER TABLE chat_turns ADD COLUMN evidence_json TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE chat_turns ADD COLUMN first_text_ms INTEGER CHECK (first_text_ms IS NULL OR first_text_ms >= 0)",
        ],
    )
