"""The progress schema: a blank database, a re-open, and an upgrade from the previous schema."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
import sqlite_utils

from tutor.errors import StoreError
from tutor.progress.migrations import MIGRATIONS
from tutor.progress.case_sessions import CaseCompletion
from tutor.progress.store import ProgressStore

TABLES = {
    "case_scores",
    "learners",
    "courses",
    "enrollments",
    "attempts",
    "review_cards",
    "review_logs",
    "case_sessions",
    "case_turns",
    "chat_turns",
    "quiz_blocks",
    "block_answers",
    "question_stats",
    "browser_sessions",
}
M001_INDEXES = {
    "idx_enrollments_course",
    "idx_attempts_learner_time",
    "idx_attempts_question",
    "idx_review_cards_due",
    "idx_review_logs_card",
    "idx_review_logs_learner_time",
    "idx_case_sessions_learner_time",
    "idx_case_sessions_case",
    "idx_chat_turns_learner_time",
    "idx_chat_turns_conversation",
}
M002_INDEXES = {"idx_attempts_learner_course_time", "idx_attempts_course_time", "idx_attempts_block"}
ALL_MIGRATIONS = [
    "m001_create_core_tables",
    "m002_add_attempt_indexes",
    "m003_add_chat_turn_evidence",
    "m004_create_quiz_blocks",
    "m005_add_case_marks",
    "m006_add_accounts",
    "m007_create_question_stats",
    "m008_add_chat_turn_support",
    "m009_add_browser_sessions",
    "m010_add_chat_turn_shown_first",
]


def schema(path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"))


def names(path, kind: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'", [kind])
        return {name for (name,) in rows}


def test_blank_database_gets_every_table_index_and_migration(db_path):
    store = ProgressStore(db_path)

    assert names(db_path, "table") == TABLES | {"_sqlite_migrations"}
    assert names(db_path, "index") >= M001_INDEXES | M002_INDEXES
    assert store.applied_migrations() == ALL_MIGRATIONS
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_obvious_queries_use_an_index(store, db_path):
    plans = {
        "SELECT * FROM attempts WHERE learner_id = 1 ORDER BY answered_at": "idx_attempts_learner",
        "SELECT * FROM attempts WHERE question_id = 'q' ": "idx_attempts_question",
        "SELECT * FROM attempts WHERE course_id = 'c' AND answered_at >= 'x'": "idx_attempts_course_time",
        "SELECT * FROM review_cards WHERE learner_id = 1 AND due <= 'x'": "idx_review_cards_due",
        "SELECT * FROM chat_turns WHERE learner_id = 1 AND conversation_id = 'c'": "idx_chat_turns_conversation",
        "SELECT * FROM case_turns WHERE session_id = 's' ORDER BY turn_index": "sqlite_autoindex_case_turns",
        "SELECT * FROM quiz_blocks WHERE learner_id = 1 AND status = 'active'": "idx_quiz_blocks_learner",
        "SELECT * FROM case_scores WHERE learner_id = 1 ORDER BY recorded_at": "idx_case_scores_learner",
        "SELECT * FROM case_sessions WHERE status = 'completed' ORDER BY completed_at DESC": "idx_case_sessions_status_time",
        "SELECT substr(answered_at, 1, 10), count(DISTINCT learner_id) FROM attempts WHERE course_id = 'c'"
        " AND answered_at >= 'x' GROUP BY 1": "COVERING INDEX idx_attempts_course_time",
        "SELECT * FROM question_stats WHERE learner_id = 1 AND +course_id = 'c'": "sqlite_autoindex_question_stats",
        "SELECT * FROM question_stats WHERE course_id = 'c'": "idx_question_stats_course",
    }
    with sqlite3.connect(db_path) as conn:
        for sql, index in plans.items():
            plan = " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
            assert index in plan, (sql, plan)


def test_constructing_twice_is_a_no_op(db_path):
    first = ProgressStore(db_path)
    first.ensure_learner("ada")
    before = schema(db_path)
    with sqlite3.connect(db_path) as conn:
        applied_before = conn.execute("SELECT * FROM _sqlite_migrations ORDER BY id").fetchall()

    second = ProgressStore(db_path)

    assert schema(db_path) == before
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT * FROM _sqlite_migrations ORDER BY id").fetchall() == applied_before
    assert second.applied_migrations() == ALL_MIGRATIONS
    assert second.get_learner("ada") is not None


def test_upgrade_from_the_first_schema_keeps_the_data(db_path):
    db_path.parent.mkdir(parents=True)
    db = sqlite_utils.Database(db_path)
    MIGRATIONS.apply(db, stop_before="m002_add_attempt_indexes")
    assert [m.name for m in MIGRATIONS.applied(db)] == ["m001_create_core_tables"]
    assert not names(db_path, "index") & M002_INDEXES
    stamp = "2025-01-06T08:00:00.000000+00:00"
    db["learners"].insert({"id": 7, "username": "ada", "display_name": "Ada", "role": "student", "created_at": stamp})
    db["courses"].insert({"id": "core-medicine", "title": "Core Medicine", "created_at": stamp})
    db["attempts"].insert(
        {
            "attempt_id": "a-1",
            "learner_id": 7,
            "course_id": "core-medicine",
            "question_id": "cardio-001",
            "chosen_option": "C",
            "correct": 0,
            "time_taken_ms": 31_000,
            "mode": "exam",
            "block_id": "block-1",
            "answered_at": stamp,
        }
    )
    db.close()

    store = ProgressStore(db_path)

    assert store.applied_migrations() == ALL_MIGRATIONS
    assert names(db_path, "index") >= M001_INDEXES | M002_INDEXES
    ada = store.get_learner("ada")
    assert ada is not None and ada.id == 7
    [attempt] = store.attempts_for(7, course_id="core-medicine")
    assert (attempt.attempt_id, attempt.chosen_option, attempt.correct, attempt.mode, attempt.block_id) == (
        "a-1",
        "C",
        False,
        "exam",
        "block-1",
    )
    assert attempt.answered_at == datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def test_the_schema_refuses_values_the_code_does_not_know(store, db_path, learner, course):
    stamp = "2025-01-06T08:00:00.000000+00:00"
    with sqlite3.connect(db_path) as conn, pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(
            "INSERT INTO attempts (attempt_id, learner_id, course_id, question_id, correct, mode, answered_at)"
            " VALUES ('x', ?, ?, 'q', 1, 'guess', ?)",
            [learner.id, course.id, stamp],
        )


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "progress.db"
    path.write_bytes(b"this is not a database, just some text that is long enough" * 100)
    with pytest.raises(StoreError) as info:
        ProgressStore(path)
    assert info.value.user_message == "The progress database could not be opened."


def test_upgrade_to_chat_turn_evidence_keeps_earlier_chat_turns(db_path):
    db_path.parent.mkdir(parents=True)
    db = sqlite_utils.Database(db_path)
    MIGRATIONS.apply(db, stop_before="m003_add_chat_turn_evidence")
    stamp = "2025-01-06T08:00:00.000000+00:00"
    db["learners"].insert({"id": 1, "username": "ada", "display_name": "Ada", "role": "student", "created_at": stamp})
    db["courses"].insert({"id": "core-medicine", "title": "Core Medicine", "created_at": stamp})
    db["chat_turns"].insert({
        "turn_id": "t-1", "learner_id": 1, "course_id": "core-medicine", "conversation_id": "c-1",
        "question": "What is BNP?", "answer": "A natriuretic peptide [1].", "citations_json": "[]",
        "grounded": 1, "mode": "explain", "status": "complete", "created_at": stamp,
    })
    db.close()

    [turn] = ProgressStore(db_path).chat_history(1, "c-1")

    assert (turn.turn_id, turn.kind, turn.quotes, turn.answer) == ("t-1", "answer", (), "A natriuretic peptide [1].")


def test_upgrade_to_quiz_blocks_keeps_attempts_and_accepts_blocks(db_path):
    db_path.parent.mkdir(parents=True)
    db = sqlite_utils.Database(db_path)
    MIGRATIONS.apply(db, stop_before="m004_create_quiz_blocks")
    stamp = "2025-01-06T08:00:00.000000+00:00"
    db["learners"].insert({"id": 1, "username": "ada", "display_name": "Ada", "role": "student", "created_at": stamp})
    db["courses"].insert({"id": "core-medicine", "title": "Core Medicine", "created_at": stamp})
    db["attempts"].insert({
        "attempt_id": "a-1", "learner_id": 1, "course_id": "core-medicine", "question_id": "q-1",
        "chosen_option": "A", "correct": 1, "mode": "tutor", "answered_at": stamp,
    })
    db.close()

    store = ProgressStore(db_path)
    block = store.start_block(1, "core-medicine", "exam", ["q-1", "q-2"], time_limit_s=60)

    assert store.applied_migrations() == ALL_MIGRATIONS
    assert [a.attempt_id for a in store.attempts_for(1)] == ["a-1"]
    assert store.get_block(block.block_id).question_ids == ("q-1", "q-2")


def test_upgrade_to_case_marks_keeps_sessions_and_accepts_scores_and_overrides(db_path):
    db_path.parent.mkdir(parents=True)
    db = sqlite_utils.Database(db_path)
    MIGRATIONS.apply(db, stop_before="m005_add_case_marks")
    stamp = "2025-01-06T08:00:00.000000+00:00"
    db["learners"].insert({"id": 1, "username": "ada", "display_name": "Ada", "role": "student", "created_at": stamp})
    db["case_sessions"].insert({
        "session_id": "s-1", "learner_id": 1, "case_id": "c-1", "stage": "history", "state_json": '{"step": 0}',
        "status": "active", "started_at": stamp, "updated_at": stamp,
    })
    db.close()

    store = ProgressStore(db_path)
    assert store.applied_migrations() == ALL_MIGRATIONS
    done = store.save_case_step("s-1", learner_id=1, expected_step=0, stage="management", state={"step": 1},
                                completion=CaseCompletion(0.5, {"objective-a": (2.0, 4.0)}))
    assert done.status == "completed" and done.score == 0.5 and done.score_override is None
    assert store.override_case_score("s-1", score=0.75, reason="Fair", by="dr-lee").final_score == 0.75
    assert [(s.objective, s.earned, s.possible) for s in store.case_objective_scores(1)] == [("objective-a", 2.0, 4.0)]
    with sqlite3.connect(db_path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE case_sessions SET score_override = 1.5")


def test_upgrade_to_question_stats_summarises_earlier_attempts_and_keeps_learners_signed_out(db_path):
    db_path.parent.mkdir(parents=True)
    db = sqlite_utils.Database(db_path)
    MIGRATIONS.apply(db, stop_before="m006_add_accounts")
    db["learners"].insert({"id": 1, "username": "ada", "display_name": "Ada", "role": "student",
                           "created_at": "2025-01-06T08:00:00.000000+00:00"})
    db["courses"].insert({"id": "core-medicine", "title": "Core Medicine", "created_at": "2025-01-06T08:00:00.000000+00:00"})
    for n, (chosen, correct, day) in enumerate([("B", 0, "07"), ("C", 1, "09"), ("A", 0, "08")]):
        db["attempts"].insert({
            "attempt_id": f"a-{n}", "learner_id": 1, "course_id": "core-medicine", "question_id": "q-1",
            "chosen_option": chosen, "correct": correct, "mode": "tutor",
            "answered_at": f"2025-01-{day}T08:00:00.000000+00:00",
        })
    db.close()

    store = ProgressStore(db_path)

    assert store.applied_migrations() == ALL_MIGRATIONS
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM question_stats").fetchone())
        learner = dict(conn.execute("SELECT password_hash, active, failed_logins FROM learners").fetchone())
    # Oldest answer first (B, wrong on the 7th), latest last (C, right on the 9th); version unknown -> 1.
    assert row == {
        "learner_id": 1, "course_id": "core-medicine", "question_id": "q-1", "question_version": 1,
        "attempts": 3, "correct": 1, "first_chosen": "B", "first_correct": 0,
        "first_at": "2025-01-07T08:00:00.000000+00:00", "last_chosen": "C", "last_correct": 1,
        "last_at": "2025-01-09T08:00:00.000000+00:00",
    }
    assert learner == {"password_hash": None, "active": 1, "failed_logins": 0}
