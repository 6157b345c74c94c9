"""Quiz mode end to end below the UI: real question bank, progress store, Chroma and FSRS, with a fixed clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tests.accounts import DR_LEE
from tests.question_files import MINI_BANK_YAML
from tests.store.stepping_clock import SteppingClock
from tutor.errors import QuizError, StoreError
from tutor.modes.quiz.models import BlockSpec
from tutor.services import build_services


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def quiz_services(settings, embedder, clock, tmp_path):
    services = build_services(settings.model_copy(update={"questions_dir": tmp_path / "no-bundled-bank"}),
                              embedder=embedder, now=clock)
    assert services.ingest_bundled_content().ok
    report = services.questions.import_file(DR_LEE, "mini.yaml", MINI_BANK_YAML.encode())
    assert report.ok and len(report.outcome.added) == 4
    return services


@pytest.fixture
def learner(quiz_services):
    return quiz_services.progress.ensure_learner("ada").id


def test_tutor_mode_feedback_explains_every_option_and_cites_the_real_passage(quiz_services, learner):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(mode="tutor", size=4, topics=("Heart failure",)), seed=1)
    assert set(block.question_ids) == {"mini-hf-1", "mini-hf-2"}  # the topic filter holds

    position = quiz.next_position(block)
    question = quiz.question(block, position)
    wrong = next(letter for letter in question.letters if letter != question.answer)
    feedback = quiz.answer(learner, block.block_id, position, wrong, time_taken_ms=12_000)

    assert not feedback.correct and feedback.chosen == wrong
    assert [o.letter for o in feedback.options if o.is_key] == [question.answer]
    assert all(o.explanation for o in feedback.options)
    [citation] = feedback.citations
    assert citation.source == "cardiology/heart-failure.md"
    assert citation.section.endswith("Natriuretic peptides" if question.id == "mini-hf-1" else "Loop diuretics")
    assert citation.text in {row.chunk.text for row in quiz_services.registry.chunk_rows_for_source(citation.source)}
    [attempt] = quiz_services.progress.attempts_for(learner)
    assert (attempt.question_id, attempt.chosen_option, attempt.correct, attempt.mode, attempt.time_taken_ms) == (
        question.id, wrong, False, "tutor", 12_000)
    with pytest.raises(StoreError):  # an answer cannot be changed once marked
        quiz_services.progress.save_block_answer(block.block_id, position, question.answer)


def test_a_reference_outside_the_library_is_reported_not_invented(quiz_services):
    question = quiz_services.bank.get("mini-aki-1").question
    citations, unresolved = quiz_services.questions.citations(question)
    assert [c.source for c in citations] == ["renal/aki.md"]
    assert [r.source for r in unresolved] == ["renal/not-in-the-library.md"]


def test_answering_twice_stores_one_attempt_and_one_review(quiz_services, learner):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(size=2), seed=3)
    question = quiz.question(block, 0)
    quiz.answer(learner, block.block_id, 0, question.answer)
    again = quiz.answer(learner, block.block_id, 0, question.answer)  # a double click
    assert again.correct
    assert len(quiz_services.progress.attempts_for(learner)) == 1
    card = quiz_services.progress.load_card(learner, question.id)
    assert card is not None and card.card["step"] == 1  # reviewed exactly once


def test_exam_block_survives_reload_and_marks_only_at_the_end(quiz_services, learner, clock):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(mode="exam", size=3, time_limit_s=300), seed=2)
    first = quiz.question(block, 0)
    quiz.save(learner, block.block_id, 0, first.answer)
    quiz.save(learner, block.block_id, 1, "A")
    assert quiz_services.progress.attempts_for(learner) == []  # no feedback or attempt yet

    clock.advance(seconds=100)
    resumed = quiz.current(learner)  # a reload: the block is found again with its answers
    assert resumed.block_id == block.block_id and [a.chosen_option for a in resumed.answers] == [first.answer, "A"]
    assert quiz.seconds_left(resumed) == 200
    quiz.save(learner, block.block_id, 1, "B")  # answers may change until the end

    result = quiz.finish(learner, block.block_id)
    assert result.total == 3 and result.block.status == "finished"
    assert [item.chosen for item in result.items] == [first.answer, "B", None]
    attempts = quiz_services.progress.attempts_for(learner)
    assert {a.mode for a in attempts} == {"exam"} and len(attempts) == 3
    assert result.correct == sum(a.correct for a in attempts)
    with pytest.raises(StoreError, match="already finished"):
        quiz.save(learner, block.block_id, 2, "A")


def test_exam_deadline_is_enforced_by_the_server_clock(quiz_services, learner, clock):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(mode="exam", size=2, time_limit_s=60), seed=4)
    quiz.save(learner, block.block_id, 0, "A")
    clock.advance(seconds=61)
    with pytest.raises(StoreError, match="Time is up"):
        quiz.save(learner, block.block_id, 1, "A")

    closed = quiz.current(learner)  # the next page load closes the block with what was saved in time
    assert closed.status == "finished"
    assert [a.chosen_option for a in quiz_services.progress.attempts_for(learner)] == ["A", None]
    assert quiz.current(learner) is None


def test_due_reviews_come_first_and_follow_fsrs(quiz_services, learner, clock):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(size=4), seed=5)
    for position in range(4):
        question = quiz.question(block, position)
        letter = question.answer if question.id != "mini-k-1" else next(l for l in question.letters if l != question.answer)
        quiz.answer(learner, block.block_id, position, letter)
    assert quiz.current(learner) is None  # the set finished with its last answer

    assert quiz.due_count(learner) == 0
    clock.advance(minutes=11)  # FSRS learning steps: 1 min after Again, 10 min after Good on a new card
    assert quiz.due_count(learner) == 4
    due = quiz_services.progress.due_cards(learner, until=clock())
    assert due[0].question_id == "mini-k-1"  # the wrong answer is the most overdue

    with pytest.raises(QuizError, match="answered every question"):
        quiz.start(learner, BlockSpec(size=2, pool="unseen"))
    block = quiz.start(learner, BlockSpec(size=2, pool="incorrect"))
    assert block.question_ids == ("mini-k-1",)
    quiz.answer(learner, block.block_id, 0, "C")  # right this time: Good moves it along the learning steps
    card = quiz_services.progress.load_card(learner, "mini-k-1")
    assert card.due == clock() + timedelta(minutes=10)

    block = quiz.start(learner, BlockSpec(size=4, pool="all"), seed=8)
    assert block.question_ids[:3] == tuple(c.question_id for c in due if c.question_id != "mini-k-1")


def test_withdrawn_questions_are_skipped_not_scored(quiz_services, learner):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(mode="exam", size=4, time_limit_s=600), seed=7)
    withdrawn = block.question_ids[0]
    quiz_services.questions.reject(DR_LEE, withdrawn, reason="ambiguous")
    assert quiz.question(block, 0) is None
    with pytest.raises(QuizError, match="withdrew"):
        quiz.save(learner, block.block_id, 0, "A")
    result = quiz.finish(learner, block.block_id)
    assert result.withdrawn == 1 and result.total == 3


def test_another_learner_cannot_touch_a_block(quiz_services, learner):
    other = quiz_services.progress.ensure_learner("bob").id
    block = quiz_services.quiz.start(learner, BlockSpec(size=1))
    with pytest.raises(QuizError):
        quiz_services.quiz.answer(other, block.block_id, 0, "A")
    with pytest.raises(QuizError):
        quiz_services.quiz.finish(other, block.block_id)


def test_many_students_answering_at_once_lose_no_attempt(quiz_services):
    quiz = quiz_services.quiz
    learners = [quiz_services.progress.ensure_learner(f"student-{i}").id for i in range(16)]
    blocks = {learner: quiz.start(learner, BlockSpec(size=4), seed=learner) for learner in learners}
    errors = []

    def answer_all(learner: int) -> None:
        try:
            block = blocks[learner]
            for position in range(4):
                quiz.answer(learner, block.block_id, position, "A", time_taken_ms=1000)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=answer_all, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    for learner in learners:
        assert len(quiz_services.progress.attempts_for(learner)) == 4
        assert quiz.current(learner) is None
        assert len(quiz_services.progress.due_cards(learner, until=quiz_services.quiz._now() + timedelta(days=1))) == 4


def test_a_practice_set_skips_withdrawn_questions_and_can_end_early(quiz_services, learner):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(size=4), seed=9)
    quiz_services.questions.reject(DR_LEE, block.question_ids[0], reason="outdated")
    assert quiz.next_position(block) == 1  # the withdrawn first question is skipped
    quiz.answer(learner, block.block_id, 1, "A")

    result = quiz.finish(learner, block.block_id)  # ended early

    assert [item.position for item in result.items] == [1]  # questions not reached are not counted
    assert len(quiz_services.progress.attempts_for(learner)) == 1
    assert result.withdrawn == 1


def test_a_set_whose_remaining_questions_were_all_withdrawn_closes_itself(quiz_services, learner):
    quiz = quiz_services.quiz
    block = quiz.start(learner, BlockSpec(size=2, topics=("Heart failure",)), seed=10)
    quiz.answer(learner, block.block_id, 0, "A")
    quiz_services.questions.reject(DR_LEE, block.question_ids[1], reason="ambiguous")
    closed = quiz.current(learner)
    assert closed.status == "finished" and quiz.current(learner) is None


def test_citations_follow_the_library_when_a_document_changes(quiz_services, mini_curriculum):
    question = quiz_services.bank.get("mini-hf-1").question
    [before] = quiz_services.questions.citations(question)[0]
    assert "rule the diagnosis out" in before.text

    path = mini_curriculum / "cardiology" / "heart-failure.md"
    path.write_text(path.read_text().replace("rule the diagnosis out", "exclude the diagnosis"))
    assert quiz_services.ingest_bundled_content().updated

    [after] = quiz_services.questions.citations(question)[0]
    assert "exclude the diagnosis" in after.text and after.chunk_id != before.chunk_id
