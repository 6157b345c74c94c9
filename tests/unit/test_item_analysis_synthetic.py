"""Item analysis against a class whose truth is known, and the generator of that class.

``tests/synthetic_progress.py`` simulates a class with a 2PL IRT model and plants bad
items on purpose; here item analysis (fed, as the dashboards feed it, from
``ProgressReports.question_stats``) must flag every planted item with the right kind of
flag, leave the clean ones alone, and measure difficulties the model predicts.

The generator writes ``question_stats`` itself (the SQL rebuild is too slow at a million
attempts), so it is also checked here against the two real definitions of that table:
``STATS_REBUILD_SELECT`` over the same attempts, and the store's own write path
(``ProgressStore.record_attempt``) replaying them. If the summary's rules change, these
tests fail instead of the scale benchmark silently measuring a different table.

Real SQLite files in tmp_path; no model, no services; a few seconds in all.
"""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.synthetic_progress import PLANT_KINDS, SyntheticClass, generate
from tutor.clock import from_iso
from tutor.progress.analytics import CaseObjectiveResult, QuestionTags, class_mastery, mastery
from tutor.progress.item_analysis import ItemKey, ItemStats
from tutor.progress.item_analysis import analyse_items as item_analysis
from tutor.progress.migrations import STATS_REBUILD_SELECT
from tutor.progress.records import Attempt
from tutor.progress.reports import ProgressReports
from tutor.progress.scheduling import review
from tutor.progress.store import ProgressStore

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
COURSE = "core-medicine"
# 20 questions with 4 or 5 options, keys spread over the letters, some on a second version.
QUESTIONS = [(f"q-{i:03d}", "ABCD"[i % 4], 4 + i % 2, 1 + (i % 4 == 0)) for i in range(20)]

# The flag (its opening words in analytics._flags) each kind of planted item must raise.
EXPECTED_FLAG = {
    "miskeyed": ("Negative discrimination",),
    "too_easy": ("Very easy",),
    "too_hard": ("Very hard",),
    "no_discrimination": ("Negative discrimination", "Barely discriminates"),  # r near 0: either side
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[SyntheticClass, dict[str, ItemStats]]:
    path = tmp_path_factory.mktemp("synthetic") / "progress.db"
    made = generate(path, course_id=COURSE, questions=QUESTIONS, learners=300, attempts=12_000, seed=11, now=NOW)
    keys = {qid: ItemKey(qid, item.version, item.key, tuple(item.letters)) for qid, item in made.items.items()}
    stats = ProgressReports(path).question_stats(COURSE)
    return made, {item.question_id: item for item in item_analysis(stats, keys)}


def test_every_planted_item_is_flagged_for_what_is_wrong_with_it(synthetic):
    made, items = synthetic
    assert sorted(item.kind for item in made.planted.values()) == sorted(PLANT_KINDS)
    for qid, planted in made.planted.items():
        flags = items[qid].flags
        if planted.kind == "distractor_preferred":
            expected = (f"Strong students choose {planted.attractor} ",)
        else:
            expected = EXPECTED_FLAG[planted.kind]
        assert any(flag.startswith(expected) for flag in flags), (planted, flags)


def test_the_miskeyed_item_shows_strong_students_choosing_the_real_answer(synthetic):
    made, items = synthetic
    (miskeyed,) = [item for item in made.planted.values() if item.kind == "miskeyed"]
    stats = items[miskeyed.question_id]
    assert stats.point_biserial is not None and stats.point_biserial < 0
    assert stats.upper_lower is not None and stats.upper_lower < 0
    assert max(stats.upper_rates, key=stats.upper_rates.get) == miskeyed.attractor


def test_clean_items_are_left_alone(synthetic):
    made, items = synthetic
    assert items[made.reference_item].flags == ()
    reference = items[made.reference_item]
    assert reference.point_biserial > 0.3 and reference.upper_lower > 0.3
    flagged = [qid for qid in made.clean if items[qid].flags]
    assert len(flagged) <= 1, {qid: items[qid].flags for qid in flagged}


def test_difficulty_matches_the_generating_model(synthetic):
    made, items = synthetic
    for qid, model in made.items.items():
        stats = items[qid]
        p = model.expected_difficulty
        tolerance = 4 * math.sqrt(p * (1 - p) / stats.responses) + 0.01  # four standard errors
        assert abs(stats.difficulty - p) <= tolerance, (qid, model.kind, stats.difficulty, p)
        assert stats.responses >= 250  # nearly every one of the 300 learners reached every question


def test_repeated_attempts_are_more_often_right(tmp_path: Path):
    path = tmp_path / "progress.db"
    generate(path, course_id=COURSE, questions=QUESTIONS[:10], learners=40, attempts=4_000, seed=5, now=NOW)
    with sqlite3.connect(path) as conn:
        first, later = conn.execute(
            "SELECT avg(first_correct), (sum(correct) - sum(first_correct)) * 1.0 / (sum(attempts) - count(*))"
            " FROM question_stats"
        ).fetchone()
    assert later > first + 0.1


def test_the_class_is_there_for_the_dashboards(tmp_path: Path):
    path = tmp_path / "progress.db"
    made = generate(path, course_id=COURSE, questions=QUESTIONS, learners=60, attempts=3_000, seed=3, now=NOW)
    with sqlite3.connect(path) as conn:
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in (
            "learners", "enrollments", "attempts", "question_stats", "review_cards", "case_sessions", "case_scores",
            "chat_turns")}
        span = conn.execute("SELECT min(answered_at), max(answered_at) FROM attempts").fetchone()
        modes = dict(conn.execute("SELECT mode, count(*) FROM attempts GROUP BY mode").fetchall())
        blanks = conn.execute("SELECT count(*) FROM attempts WHERE chosen_option IS NULL AND mode = 'tutor'").fetchone()
        versions = conn.execute("SELECT count(*) FROM attempts WHERE question_version IS NULL").fetchone()
    assert counts["learners"] == counts["enrollments"] == 60 == len(made.learner_ids)
    assert counts["attempts"] == made.attempts == sum(made.attempts_per_learner) == 3_000
    assert counts["question_stats"] == counts["review_cards"] == made.question_stats
    assert counts["case_sessions"] == made.case_sessions > 0 and counts["case_scores"] == made.case_scores > 0
    assert counts["chat_turns"] == made.chat_turns > 0
    assert (NOW - from_iso(span[0])).days <= 180 and from_iso(span[1]) <= NOW
    assert set(modes) == {"tutor", "exam"} and blanks == (0,) and versions == (0,)
    assert made.usernames[0] == "student-0001"
    # A synthetic card is valid FSRS JSON: the quiz's write path can review it again.
    with sqlite3.connect(path) as conn:
        learner, question = conn.execute("SELECT learner_id, question_id FROM review_cards LIMIT 1").fetchone()
    card = ProgressStore(path, now=lambda: NOW).load_card(learner, question)
    new, log = review(card, learner_id=learner, question_id=question, correct=True, time_taken_ms=30_000, now=NOW)
    assert new.last_review == NOW and new.due > NOW and log["rating"] == 3


@pytest.mark.parametrize("dimension", ["objective", "topic", "system"])
def test_the_class_heatmap_agrees_with_each_learners_mastery(tmp_path: Path, dimension):
    """class_mastery takes a shortcut (no evidence objects); it must give mastery()'s numbers."""
    path = tmp_path / "progress.db"
    made = generate(path, course_id=COURSE, questions=QUESTIONS, learners=40, attempts=2_000, seed=13, now=NOW)
    reports = ProgressReports(path)
    stats = reports.question_stats(COURSE)
    cases = [CaseObjectiveResult(r.learner_id, r.session_id, r.case_id, r.case_id, r.objective, r.earned, r.possible,
                                 r.at) for r in reports.case_scores()]
    # Some questions share a case objective's name (questions and cases in one group), one has
    # no tags for the dimension, one is not in the bank any more.
    tags = {qid: QuestionTags(f"topic-{i % 5}", None if i == 3 else f"system-{i % 3}",
                              "diagnosis" if i % 4 == 0 else f"objective-{i % 7}", qid)
            for i, (qid, *_) in enumerate(QUESTIONS[:-1])}
    expected = []
    for learner in sorted({s.learner_id for s in stats} | {c.learner_id for c in cases}):
        mine = [s for s in stats if s.learner_id == learner]
        their_cases = [c for c in cases if c.learner_id == learner] if dimension == "objective" else []
        expected += [(learner, m.name, m.share, m.possible) for m in mastery(mine, tags, their_cases, dimension)]
    cells = class_mastery(stats, tags, cases if dimension == "objective" else (), dimension)
    assert [(c.learner_id, c.name, c.share, c.possible) for c in cells] == expected
    assert len(expected) > len(made.learner_ids)


def _stats(conn: sqlite3.Connection) -> list[tuple]:
    rows = conn.execute("SELECT * FROM question_stats ORDER BY learner_id, question_id, question_version").fetchall()
    return [tuple(row) for row in rows]


def test_the_generated_summary_equals_the_sql_rebuild(tmp_path: Path):
    path = tmp_path / "progress.db"
    # Few questions: many repeats, and exam blocks that hold a question twice (same time: rowid decides).
    generate(path, course_id=COURSE, questions=QUESTIONS[:8], learners=60, attempts=3_000, seed=7, now=NOW)
    with sqlite3.connect(path) as conn:
        ties = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM attempts GROUP BY learner_id, question_id, answered_at"
            " HAVING count(*) > 1)").fetchone()[0]
        rebuilt = conn.execute(f"SELECT * FROM ({STATS_REBUILD_SELECT}) ORDER BY 1, 3, 4").fetchall()
        assert _stats(conn) == rebuilt
    assert ties > 0  # the tie-break by rowid was exercised


def test_the_generated_summary_equals_the_store_write_path(tmp_path: Path):
    generated = tmp_path / "generated.db"
    generate(generated, course_id=COURSE, questions=QUESTIONS[:8], learners=6, attempts=400, seed=9, now=NOW)
    with sqlite3.connect(generated) as conn:
        conn.row_factory = sqlite3.Row
        learners = conn.execute("SELECT username FROM learners ORDER BY id").fetchall()
        attempts = conn.execute("SELECT * FROM attempts ORDER BY rowid").fetchall()
        expected = _stats(conn)
    replay = ProgressStore(tmp_path / "replayed.db", now=lambda: NOW)
    replay.ensure_course(COURSE, "Core Medicine")
    for row in learners:  # same ids, in the same order, in a blank file
        replay.ensure_learner(row["username"])
    for row in attempts:
        replay.record_attempt(Attempt(**{**dict(row), "correct": bool(row["correct"]),
                                         "answered_at": from_iso(row["answered_at"])}))
    with sqlite3.connect(replay.path) as conn:
        assert _stats(conn) == expected
