"""Many writers on one progress file: no lost update, no duplicate, no "database is locked".

Streamlit serves each session on its own thread, and an instructor's dashboard or a
second app process may read and write the same file. These tests run real threads and
real (spawned) processes against one SQLite file and count the outcome exactly.
"""

from __future__ import annotations

import multiprocessing
import queue
import sqlite3
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path

from tutor.progress.records import Attempt, ReviewCard
from tutor.progress.store import ProgressStore

THREADS, REVIEWS_PER_THREAD = 4, 250
PROCESSES, ATTEMPTS_PER_PROCESS = 2, 500
DUE = datetime(2025, 3, 10, tzinfo=UTC)


def test_concurrent_reviews_of_one_card_lose_no_update(store, db_path, learner):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def increment(current: ReviewCard | None) -> tuple[ReviewCard, dict]:
        n = current.card["n"] + 1 if current else 1
        new = ReviewCard(learner_id=learner.id, question_id="q1", card={"n": n}, due=DUE, state=2)
        return new, {"rating": 3, "n": n}

    def reviewer() -> None:
        try:
            barrier.wait()
            for _ in range(REVIEWS_PER_THREAD):
                store.save_review(learner.id, "q1", update=increment)
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=reviewer) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert store.load_card(learner.id, "q1").card["n"] == THREADS * REVIEWS_PER_THREAD
    with sqlite3.connect(db_path) as conn:
        logged = [n for (n,) in conn.execute("SELECT json_extract(log_json, '$.n') FROM review_logs ORDER BY id")]
    assert logged == list(range(1, THREADS * REVIEWS_PER_THREAD + 1))  # each review saw the one before


def record_attempts(path: Path, learner_id: int, course_id: str, worker: int, start, results) -> None:
    """A writer process: its own ProgressStore, writes with retries and reads in between."""
    try:
        store = ProgressStore(path)  # also re-runs the (no-op) migration check under contention
        start.wait(timeout=60)  # all writers and the reader begin together
        inserted = duplicates = reads = 0
        for i in range(ATTEMPTS_PER_PROCESS):
            attempt = Attempt(
                attempt_id=f"w{worker}-{i}",
                learner_id=learner_id,
                course_id=course_id,
                question_id=f"q{i % 40}",
                chosen_option="A",
                correct=i % 3 == 0,
                time_taken_ms=1000 + i,
            )
            inserted += store.record_attempt(attempt)
            if i % 25 == 0:  # a client retrying a write it did not see succeed
                duplicates += not store.record_attempt(attempt)
            if i % 10 == 0:
                store.attempts_for(learner_id, limit=10)
                reads += 1
        results.put(("ok", worker, inserted, duplicates, reads))
    except BaseException:
        results.put(("error", worker, traceback.format_exc(), 0, 0))


def test_two_processes_record_exactly_their_attempts(store, db_path, learner, course):
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES + 1)
    results = context.Queue()
    workers = [
        context.Process(target=record_attempts, args=(db_path, learner.id, course.id, w, start, results))
        for w in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=60)

    # Read while they write: counts only grow and every read succeeds.
    seen = [0]
    while any(worker.is_alive() for worker in workers):
        seen.append(len(store.attempts_for(learner.id)))
        try:
            outcome = results.get(timeout=0.05)
        except queue.Empty:
            continue
        seen.append(outcome)
        if len([o for o in seen if isinstance(o, tuple)]) == PROCESSES:
            break
    for worker in workers:
        worker.join(timeout=60)

    outcomes = [o for o in seen if isinstance(o, tuple)]
    while len(outcomes) < PROCESSES:
        outcomes.append(results.get(timeout=10))
    counts = [c for c in seen if isinstance(c, int)]
    assert all(o[0] == "ok" for o in outcomes), [o[2] for o in outcomes if o[0] != "ok"]
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    assert counts == sorted(counts)
    assert sorted(o[2] for o in outcomes) == [ATTEMPTS_PER_PROCESS] * PROCESSES
    assert all(o[3] == ATTEMPTS_PER_PROCESS // 25 for o in outcomes)  # every retry was recognised
    attempts = store.attempts_for(learner.id)
    assert len(attempts) == PROCESSES * ATTEMPTS_PER_PROCESS
    assert len({a.attempt_id for a in attempts}) == PROCESSES * ATTEMPTS_PER_PROCESS
    # The writers really overlapped: in commit order their attempts interleave.
    writers = [a.attempt_id.split("-")[0] for a in attempts]  # oldest-first = commit order
    switches = sum(1 for before, after in zip(writers, writers[1:]) if before != after)
    assert switches > 1, "the two writers ran one after the other"
