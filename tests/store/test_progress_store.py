"""ProgressStore behaviour, method by method, on a real SQLite file with an injected clock."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tutor.errors import StoreError
from tutor.domain import Citation
from tutor.progress.records import Attempt, ChatTurn, ReviewCard
from tutor.progress.case_sessions import CaseCompletion
from tutor.progress.store import ProgressStore

from .stepping_clock import START


def count(db_path, table: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- learners, courses, enrollments -----------------------------------------------------


def test_ensure_learner_creates_once_and_is_idempotent(store, clock):
    ada = store.ensure_learner("ada", "Ada Lovelace")
    assert (ada.username, ada.display_name, ada.role, ada.created_at) == ("ada", "Ada Lovelace", "student", START)

    clock.advance(days=1)
    again = store.ensure_learner(" ADA ", "Someone Else", role="admin")

    assert again == ada  # an existing learner is never renamed or promoted by a login
    assert store.get_learner("Ada") == ada
    assert store.get_learner_by_id(ada.id) == ada
    assert store.get_learner("nobody") is None
    assert store.get_learner_by_id(999) is None


def test_ensure_learner_defaults_and_validation(store):
    bob = store.ensure_learner("bob", role="instructor")
    assert (bob.display_name, bob.role) == ("bob", "instructor")
    with pytest.raises(ValueError, match="username"):
        store.ensure_learner("   ")
    with pytest.raises(ValueError, match="role"):
        store.ensure_learner("carol", role="dean")


def test_ensure_course_updates_the_title_but_not_created_at(store, clock):
    first = store.ensure_course("core-medicine", "Core Medicine")
    clock.advance(hours=1)
    renamed = store.ensure_course("core-medicine", "Core Medicine (2025)")
    assert renamed.title == "Core Medicine (2025)"
    assert renamed.created_at == first.created_at == START


def test_enroll_is_idempotent_and_can_change_the_role(store, learner, course):
    store.ensure_course("surgery", "Surgery")
    first = store.enroll(learner.id, course.id)
    assert first.role == "student"
    assert store.enroll(learner.id, course.id, role="instructor").role == "instructor"
    store.enroll(learner.id, "surgery")
    assert [(e.course_id, e.role) for e in store.enrollments_for(learner.id)] == [
        ("core-medicine", "instructor"),
        ("surgery", "student"),
    ]


def test_enrolling_an_unknown_learner_or_course_is_a_store_error(store, learner, course):
    with pytest.raises(StoreError) as info:
        store.enroll(999, course.id)
    assert "not registered" in info.value.user_message
    assert "FOREIGN KEY" in str(info.value)
    with pytest.raises(StoreError):
        store.enroll(learner.id, "no-such-course")


# -- attempts -----------------------------------------------------------------------------


def test_record_attempt_is_idempotent_on_attempt_id(store, db_path, make_attempt, clock):
    attempt = make_attempt()
    assert store.record_attempt(attempt) is True
    clock.advance(seconds=5)
    assert store.record_attempt(attempt) is False  # the retry of the same write
    assert store.record_attempt(attempt.model_copy(update={"chosen_option": "D"})) is False  # first write wins

    [stored] = store.attempts_for(attempt.learner_id)
    assert count(db_path, "attempts") == 1
    assert stored == attempt.model_copy(update={"answered_at": START})


def test_attempts_get_fresh_ids_and_the_injected_clock(store, make_attempt, clock):
    a, b = make_attempt(), make_attempt()
    assert a.attempt_id != b.attempt_id
    store.record_attempt(a)
    clock.advance(minutes=1)
    store.record_attempt(b)
    assert [x.answered_at for x in store.attempts_for(a.learner_id)] == [START, START + timedelta(minutes=1)]


def test_an_explicit_answered_at_is_kept_and_normalised_to_utc(store, make_attempt):
    cet = timezone(timedelta(hours=1))
    store.record_attempt(make_attempt(answered_at=datetime(2025, 3, 1, 10, 30, tzinfo=cet)))
    [stored] = store.attempts_for(make_attempt().learner_id)
    assert stored.answered_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert stored.answered_at.utcoffset() == timedelta(0)


def test_attempts_for_filters_and_limits(store, make_attempt, clock, learner):
    store.ensure_course("surgery", "Surgery")
    other = store.ensure_learner("grace")
    made = []
    for i in range(6):
        attempt = make_attempt(question_id=f"q{i}", course_id="surgery" if i % 2 else "core-medicine")
        store.record_attempt(attempt)
        made.append(attempt.attempt_id)
        clock.advance(minutes=10)
    store.record_attempt(make_attempt(learner_id=other.id))

    def ids(**kw):
        return [a.attempt_id for a in store.attempts_for(learner.id, **kw)]

    assert ids() == made
    assert ids(course_id="surgery") == made[1::2]
    assert ids(since=START + timedelta(minutes=20)) == made[2:]  # inclusive
    assert ids(limit=2) == made[-2:]  # the latest two, oldest-first
    assert ids(course_id="core-medicine", limit=1) == [made[4]]
    assert ids(limit=0) == []
    assert store.attempts_for(999) == []
    with pytest.raises(ValueError):
        store.attempts_for(learner.id, since=datetime(2025, 1, 1))  # naive
    with pytest.raises(ValueError):
        store.attempts_for(learner.id, limit=-1)


def test_attempt_for_unknown_learner_or_course_is_a_store_error(store, make_attempt):
    with pytest.raises(StoreError) as info:
        store.record_attempt(make_attempt(learner_id=999))
    assert info.value.user_message.startswith("This could not be saved")
    with pytest.raises(StoreError):
        store.record_attempt(make_attempt(course_id="no-such-course"))


def test_attempt_records_validate_their_fields(learner):
    with pytest.raises(ValueError):
        Attempt(learner_id=learner.id, course_id="c", question_id="q", correct=True, mode="guess")
    with pytest.raises(ValueError):
        Attempt(learner_id=learner.id, course_id="c", question_id="q", correct=True, answered_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        Attempt(learner_id=learner.id, course_id="c", question_id="q", correct=True, time_taken_ms=-1)


# -- review cards -------------------------------------------------------------------------


def card(learner_id: int, question_id: str, due: datetime, n: int = 1, **extra) -> ReviewCard:
    return ReviewCard(
        learner_id=learner_id,
        question_id=question_id,
        card={"n": n, "due": due.isoformat()},
        due=due,
        state=2,
        **extra,
    )


def test_save_review_creates_then_updates_the_card_and_logs_each_review(store, db_path, learner, clock):
    seen = []

    def review(current):
        seen.append(current)
        n = current.card["n"] + 1 if current else 1
        new = card(learner.id, "q1", clock() + timedelta(days=n), n=n, last_review=clock())
        return new, {"rating": 3, "review_datetime": clock()}

    assert store.load_card(learner.id, "q1") is None
    first = store.save_review(learner.id, "q1", update=review)
    assert seen == [None]
    assert first.updated_at == START and first.card["n"] == 1

    clock.advance(days=1)
    second = store.save_review(learner.id, "q1", update=review)
    assert seen[1] == first
    assert store.load_card(learner.id, "q1") == second
    assert (second.card["n"], second.due, second.last_review, second.updated_at) == (
        2,
        START + timedelta(days=3),
        START + timedelta(days=1),
        START + timedelta(days=1),
    )
    with sqlite3.connect(db_path) as conn:
        logs = conn.execute("SELECT rating, reviewed_at, log_json FROM review_logs ORDER BY id").fetchall()
    assert [(r, t) for r, t, _ in logs] == [
        (3, "2025-03-03T09:00:00.000000+00:00"),
        (3, "2025-03-04T09:00:00.000000+00:00"),
    ]
    assert '"review_datetime":"2025-03-04T09:00:00.000000+00:00"' in logs[1][2]


def test_a_failing_update_writes_nothing(store, db_path, learner, clock):
    def boom(current):
        raise RuntimeError("scheduler failed")

    with pytest.raises(RuntimeError):
        store.save_review(learner.id, "q1", update=boom)
    with pytest.raises(ValueError, match="rating"):
        store.save_review(learner.id, "q1", update=lambda c: (card(learner.id, "q1", clock()), {"rating": 7}))
    with pytest.raises(ValueError, match="card of"):
        store.save_review(learner.id, "q1", update=lambda c: (card(learner.id, "q2", clock()), {"rating": 1}))
    assert count(db_path, "review_cards") == count(db_path, "review_logs") == 0


def test_save_review_for_an_unknown_learner_is_a_store_error(store, clock):
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        store.save_review(999, "q1", update=lambda c: (card(999, "q1", clock()), {"rating": 3}))


def test_due_cards_are_the_overdue_ones_most_overdue_first(store, learner, clock):
    other = store.ensure_learner("grace")
    for question_id, days in [("late", -2), ("today", 0), ("later", 3), ("very-late", -5)]:
        new = card(learner.id, question_id, START + timedelta(days=days))
        store.save_review(learner.id, question_id, update=lambda current, new=new: (new, {"rating": 3}))
    store.save_review(other.id, "late", update=lambda c: (card(other.id, "late", START), {"rating": 3}))

    due = store.due_cards(learner.id, until=START)
    assert [c.question_id for c in due] == ["very-late", "late", "today"]
    assert [c.question_id for c in store.due_cards(learner.id, until=START, limit=1)] == ["very-late"]
    assert len(store.due_cards(learner.id, until=START + timedelta(days=3))) == 4


# -- case sessions ------------------------------------------------------------------------


def test_case_session_lifecycle(store, learner, clock):
    session = store.start_case_session(learner.id, "chest-pain-01", "history", {"asked": []})
    assert (session.status, session.stage, session.state, session.score) == ("active", "history", {"asked": []}, None)
    assert session.started_at == session.updated_at == START
    assert session.completed_at is None
    assert store.get_case_session(session.session_id) == session

    clock.advance(minutes=5)
    moved = store.update_case_session(session.session_id, stage="examination", state={"asked": ["onset"]})
    assert (moved.stage, moved.state, moved.status, moved.updated_at) == (
        "examination",
        {"asked": ["onset"]},
        "active",
        START + timedelta(minutes=5),
    )

    clock.advance(minutes=5)
    done = store.update_case_session(session.session_id, stage="debrief", state={}, status="completed", score=0.75)
    assert (done.status, done.score, done.completed_at) == ("completed", 0.75, START + timedelta(minutes=10))

    clock.advance(minutes=5)
    later = store.update_case_session(session.session_id, stage="debrief", state={"notes": "x"})
    assert (later.status, later.score, later.completed_at) == ("completed", 0.75, done.completed_at)
    assert store.get_case_session("nope") is None


def test_case_sessions_for_a_learner(store, learner, clock):
    a = store.start_case_session(learner.id, "chest-pain-01", "history", {})
    clock.advance(minutes=1)
    b = store.start_case_session(learner.id, "sepsis-02", "history", {})
    store.update_case_session(a.session_id, stage="end", state={}, status="abandoned")
    assert [s.session_id for s in store.case_sessions_for(learner.id)] == [a.session_id, b.session_id]
    assert [s.session_id for s in store.case_sessions_for(learner.id, status="active")] == [b.session_id]
    assert [s.session_id for s in store.case_sessions_for(learner.id, case_id="chest-pain-01")] == [a.session_id]
    assert store.get_case_session(a.session_id).completed_at is None  # abandoned is not completed


def step(store, session, learner_id, n, turns=(), **kwargs):
    """Save case step ``n`` -> ``n + 1`` with ``turns``."""
    return store.save_case_step(session.session_id, learner_id=learner_id, expected_step=n, stage="history",
                                state={"step": n + 1}, turns=turns, **kwargs)


def test_case_turn_indexes_are_allocated_per_session(store, learner, clock):
    one = store.start_case_session(learner.id, "chest-pain-01", "history", {"step": 0})
    two = store.start_case_session(learner.id, "sepsis-02", "history", {"step": 0})
    step(store, one, learner.id, 0, [("system", "A 54-year-old man with chest pain.", None)])
    clock.advance(seconds=30)
    step(store, one, learner.id, 1, [("student", "When did it start?", {"kind": "request"}), ("tutor", "Two hours ago.", None)])
    step(store, two, learner.id, 0, [("system", "A 70-year-old woman, febrile.", None)])

    turns = store.case_turns(one.session_id)
    assert [(t.turn_index, t.role) for t in turns] == [(0, "system"), (1, "student"), (2, "tutor")]
    assert turns[1].meta == {"kind": "request"} and turns[0].meta is None
    assert turns[2].created_at == START + timedelta(seconds=30)
    assert [t.turn_index for t in store.case_turns(two.session_id)] == [0]
    assert store.get_case_session(one.session_id).updated_at == START + timedelta(seconds=30)


def test_a_case_step_is_refused_when_stale_foreign_or_closed(store, learner):
    other = store.ensure_learner("bob")
    session = store.start_case_session(learner.id, "chest-pain-01", "history", {"step": 0})
    step(store, session, learner.id, 0, [("student", "first", None)])
    for attempt, message in ((lambda: step(store, session, learner.id, 0, [("student", "stale", None)]), "another tab"),
                             (lambda: step(store, session, other.id, 1), "could not be found")):
        with pytest.raises(StoreError) as info:
            attempt()
        assert message in info.value.user_message
    step(store, session, learner.id, 1, completion=CaseCompletion(0.5, {"obj": (1.0, 2.0)}))
    with pytest.raises(StoreError) as info:
        step(store, session, learner.id, 2)
    assert "already finished" in info.value.user_message
    assert [t.content for t in store.case_turns(session.session_id)] == ["first"]


def test_a_failed_case_step_writes_nothing(store, learner):
    session = store.start_case_session(learner.id, "chest-pain-01", "history", {"step": 0})
    with pytest.raises(StoreError):  # the second score breaks a CHECK: the state, the turn and the first score go too
        step(store, session, learner.id, 0, [("student", "hello", None)],
             completion=CaseCompletion(0.5, {"a": (1.0, 2.0), "b": (-1.0, 2.0)}))
    assert store.case_turns(session.session_id) == [] and store.case_objective_scores(learner.id) == []
    assert store.get_case_session(session.session_id).state == {"step": 0}


def test_concurrent_steps_on_one_session_let_exactly_one_win(store, learner):
    session = store.start_case_session(learner.id, "chest-pain-01", "history", {"step": 0})
    outcomes: list[str] = []

    def tab(i: int) -> None:
        try:
            step(store, session, learner.id, 0, [("student", f"tab {i}", None)])
            outcomes.append("saved")
        except StoreError:
            outcomes.append("refused")

    threads = [threading.Thread(target=tab, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["saved"]
    assert len(store.case_turns(session.session_id)) == 1


def test_unknown_case_sessions_are_store_errors(store, learner):
    with pytest.raises(StoreError) as info:
        store.save_case_step("nope", learner_id=learner.id, expected_step=0, stage="x", state={})
    assert "could not be found" in info.value.user_message
    with pytest.raises(StoreError):
        store.update_case_session("nope", stage="x", state={})
    with pytest.raises(StoreError):
        store.start_case_session(999, "chest-pain-01", "history", {})
    with pytest.raises(ValueError):
        store.save_case_step("nope", learner_id=learner.id, expected_step=0, stage="x", state={}, turns=[("doctor", "hi", None)])
    with pytest.raises(ValueError):
        store.override_case_score("nope", score=1.2, reason="x", by="y")


# -- chat turns ---------------------------------------------------------------------------


def chat(learner, course, conversation_id="conv-1", **overrides) -> ChatTurn:
    fields = dict(
        learner_id=learner.id,
        course_id=course.id,
        conversation_id=conversation_id,
        question="What causes a third heart sound?",
        answer="Rapid ventricular filling [1].",
        citations=(Citation(number=1, source="cardio.md", section="Heart sounds", page=None, chunk_id="abc123"),),
        grounded=True,
        prompt_version="ask-v1",
        model="fake",
        latency_ms=850,
    )
    return ChatTurn(**{**fields, **overrides})


def test_record_chat_turn_round_trips_and_is_idempotent(store, db_path, learner, course):
    turn = chat(learner, course, mode="socratic", status="interrupted")
    assert store.record_chat_turn(turn) is True
    assert store.record_chat_turn(turn) is False
    [stored] = store.chat_history(learner.id)
    assert stored == turn.model_copy(update={"created_at": START})
    assert stored.citations[0].chunk_id == "abc123"
    assert count(db_path, "chat_turns") == 1


def test_chat_history_is_the_latest_turns_oldest_first(store, learner, course, clock):
    turns = []
    for i in range(5):
        turn = chat(learner, course, conversation_id="conv-1" if i < 3 else "conv-2", question=f"q{i}")
        store.record_chat_turn(turn)
        turns.append(turn.turn_id)
        clock.advance(seconds=10)
    other = store.ensure_learner("grace")
    store.record_chat_turn(chat(other, course))

    def ids(*args, **kw):
        return [t.turn_id for t in store.chat_history(learner.id, *args, **kw)]

    assert ids() == turns
    assert ids(limit=2) == turns[3:]
    assert ids("conv-1") == turns[:3]
    assert ids("conv-1", limit=1) == [turns[2]]
    assert ids("conv-3") == []


def test_chat_turns_with_the_same_timestamp_keep_their_order(store, learner, course):
    turns = [chat(learner, course, question=f"q{i}") for i in range(4)]  # the clock does not move
    for turn in turns:
        store.record_chat_turn(turn)
    assert [t.turn_id for t in store.chat_history(learner.id)] == [t.turn_id for t in turns]
    assert [t.turn_id for t in store.chat_history(learner.id, limit=3)] == [t.turn_id for t in turns[1:]]


def test_chat_turn_for_unknown_course_is_a_store_error(store, learner):
    with pytest.raises(StoreError):
        store.record_chat_turn(chat(learner, type("C", (), {"id": "no-such-course"})))


# -- failures -----------------------------------------------------------------------------


def test_a_write_locked_past_the_busy_timeout_is_a_store_error(store, db_path, make_attempt, monkeypatch):
    # The production timeout is 15 s; shorten it so the test does not wait that long.
    monkeypatch.setattr("tutor.db.BUSY_TIMEOUT_S", 0.2)
    attempt = make_attempt()
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError) as info:
            store.record_attempt(attempt)
        assert info.value.user_message == "Your progress could not be saved just now. Please try again."
        assert "locked" in str(info.value)
        assert store.attempts_for(attempt.learner_id) == []  # WAL: reads go on while a writer holds the lock
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.record_attempt(attempt) is True  # the retry succeeds once the lock is gone


def test_a_naive_clock_is_refused(db_path, learner):
    naive = ProgressStore(db_path, now=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        naive.ensure_learner("bob")
