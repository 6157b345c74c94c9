"""The question bank store: what reaches students, imports, review, and concurrent imports."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from tests.question_files import make_question
from tests.store.stepping_clock import SteppingClock
from tutor.bank.store import BankFilter, QuestionBank
from tutor.errors import StoreError

COURSE = "core-medicine"


@pytest.fixture
def bank(tmp_path) -> QuestionBank:
    return QuestionBank(tmp_path / "questions.db", now=SteppingClock())


def test_complete_questions_are_approved_and_incomplete_ones_wait_for_review(bank):
    outcome = bank.import_questions(
        [make_question("q-1"), make_question("q-2", explanations=False)], course_id=COURSE, origin="imported",
    )
    assert outcome.added == ["q-1", "q-2"] and outcome.to_review == ["q-2"]
    assert [q.id for q in bank.questions(COURSE)] == ["q-1"]
    [draft] = bank.questions(COURSE, BankFilter(status="draft"))
    assert draft.review_note == "Needs an explanation for options A, B, C, D, E."
    assert bank.approved(COURSE, ["q-1", "q-2"]).keys() == {"q-1"}


def test_reimport_is_idempotent_and_a_change_bumps_the_version(bank):
    bank.import_questions([make_question("q-1")], course_id=COURSE, origin="imported")
    again = bank.import_questions([make_question("q-1")], course_id=COURSE, origin="imported")
    assert again.unchanged == ["q-1"] and again.stored == 0
    changed = bank.import_questions([make_question("q-1", answer="C")], course_id=COURSE, origin="imported")
    assert changed.updated == ["q-1"]
    stored = bank.get("q-1")
    assert stored.version == 2 and stored.question.answer == "C"


def test_bundled_files_never_overwrite_an_instructors_version_or_reopen_a_rejection(bank):
    bank.import_questions([make_question("q-1", answer="C")], course_id=COURSE, origin="imported")
    bank.import_questions([make_question("q-2")], course_id=COURSE, origin="bundled")
    bank.reject("q-2", reviewer="dr-lee", reason="outdated guideline")

    outcome = bank.import_questions([make_question("q-1"), make_question("q-2", answer="D")], course_id=COURSE, origin="bundled")

    assert outcome.unchanged == ["q-1"] and outcome.kept_rejected == ["q-2"]
    assert bank.get("q-1").question.answer == "C"
    assert bank.get("q-2").status == "rejected" and bank.get("q-2").review_note == "outdated guideline"


def test_review_approve_with_edits_and_reject_with_reason(bank):
    bank.add_draft(make_question("gen-1"), course_id=COURSE, source_file="renal/aki.md", checks={"gates": []})
    bank.add_draft(make_question("gen-2", stem="A different vignette about a breathless woman of 80 years."),
                   course_id=COURSE, source_file="renal/aki.md", checks={"gates": []})
    with pytest.raises(StoreError, match="reason"):
        bank.reject("gen-2", reviewer="dr-lee", reason="  ")
    with pytest.raises(StoreError, match="explanation"):
        bank.approve("gen-1", reviewer="dr-lee", edited=make_question("gen-1", explanations=False))
    with pytest.raises(StoreError, match="already exists"):
        bank.add_draft(make_question("gen-1"), course_id=COURSE, source_file=None, checks={})

    approved = bank.approve("gen-1", reviewer="dr-lee", edited=make_question("gen-1", answer="A"))
    rejected = bank.reject("gen-2", reviewer="dr-lee", reason="two defensible options")

    assert (approved.status, approved.question.answer, approved.version, approved.reviewed_by) == ("approved", "A", 2, "dr-lee")
    assert approved.review_note is None and approved.reviewed_at is not None
    assert (rejected.status, rejected.review_note) == ("rejected", "two defensible options")
    assert bank.status_counts(COURSE) == {"approved": 1, "draft": 0, "rejected": 1}
    assert set(bank.stems(COURSE)) == {"gen-1"}  # rejected stems no longer block similar drafts
    with pytest.raises(StoreError, match="not in the bank"):
        bank.approve("nope", reviewer="dr-lee")


def test_filters_and_tag_counts(bank):
    bank.import_questions(
        [make_question("c-1"), make_question("c-2", topic="Atrial fibrillation"),
         make_question("r-1", topic="Hyperkalaemia", system="Renal")],
        course_id=COURSE, origin="imported",
    )
    assert [q.id for q in bank.questions(COURSE, BankFilter(systems=("Renal",)))] == ["r-1"]
    assert [q.id for q in bank.questions(COURSE, BankFilter(topics=("Heart failure", "Hyperkalaemia")))] == ["c-1", "r-1"]
    assert bank.tag_counts(COURSE) == {
        "topic": {"Atrial fibrillation": 1, "Heart failure": 1, "Hyperkalaemia": 1},
        "system": {"Cardiovascular": 2, "Renal": 1},
    }


def test_two_instructors_importing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "questions.db"
    QuestionBank(path)
    errors = []

    def import_many(prefix: str) -> None:
        try:
            bank = QuestionBank(path)
            for i in range(25):
                bank.import_questions([make_question(f"{prefix}-{i}")], course_id=COURSE, origin="imported")
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=import_many, args=(name,)) for name in ("a", "b", "c", "d")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert QuestionBank(path).status_counts(COURSE)["approved"] == 100


def test_the_schema_refuses_an_unknown_status(bank):
    with sqlite3.connect(bank.path) as conn, pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(
            "INSERT INTO questions (id, course_id, status, origin, body_json, stem, difficulty, content_hash,"
            " created_at, updated_at) VALUES ('x', 'c', 'published', 'imported', '{}', 's', 'easy', 'h', 't', 't')"
        )
    assert bank.applied_migrations() == ["m001_create_questions"]
