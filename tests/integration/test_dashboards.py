"""Dashboards through the services on a small real class: numbers a person can check."""

from __future__ import annotations

import csv
import io

import pytest

from tests.classroom import Classroom, answer_all, complete_mini_case, open_classroom
from tutor.modes.quiz.models import BlockSpec

RIGHT = {"mini-hf-1": "A", "mini-hf-2": "B", "mini-k-1": "C", "mini-aki-1": "A"}


@pytest.fixture
def classroom(tmp_path, mini_curriculum, embedder) -> Classroom:
    return open_classroom(tmp_path, mini_curriculum, embedder)


def test_an_attempt_made_a_moment_ago_shows_up_on_the_learners_dashboard(classroom: Classroom):
    services, ada = classroom.services, classroom.ada
    empty = services.dashboards.learner(ada)
    assert empty.answered == 0 and empty.topics == [] and empty.due_today == 0

    block = services.quiz.start(ada.learner_id, BlockSpec(mode="tutor", size=1, topics=("Hyperkalaemia",)), seed=1)
    services.quiz.answer(ada.learner_id, block.block_id, 0, "A")  # wrong: the key is C

    board = services.dashboards.learner(ada)
    assert (board.answered, board.latest_right) == (1, 0)
    [topic] = board.topics
    assert (topic.name, topic.earned, topic.possible) == ("Hyperkalaemia", 0.0, 1.0)
    assert [e.ref for e in topic.evidence] == ["mini-k-1"] and "potassium 7.1" in topic.evidence[0].label
    assert board.weakest_topics == [topic]
    assert board.weeks[-1].answered == 1 and board.weeks[-1].correct == 0
    assert board.due_week >= 1  # a wrong answer is due again soon (FSRS)


def test_mastery_by_objective_combines_quiz_answers_and_case_rubric_points(classroom: Classroom):
    services, ada = classroom.services, classroom.ada
    answer_all(services, ada, RIGHT)
    complete_mini_case(services, ada)

    board = services.dashboards.learner(ada)
    assert board.answered == 4 and all(m.share == 1.0 for m in board.topics)
    by_name = {m.name: m for m in board.objectives}
    # the mini case's objectives, named by their text: 7 of 7 and 0 of 3 (see test_case_discussion)
    recognise = next(m for name, m in by_name.items() if name.startswith("Recognise hyperkalaemia"))
    treat = next(m for name, m in by_name.items() if name.startswith("Give the emergency treatment"))
    assert (recognise.earned, recognise.possible, recognise.cases) == (7.0, 7.0, 1)
    assert (treat.earned, treat.possible) == (0.0, 3.0)
    [recent] = board.recent_cases
    assert recent.title and recent.session.final_score == pytest.approx(10 / 13, abs=1e-4)


def test_the_class_view_shows_every_student_and_who_is_at_risk(classroom: Classroom):
    services = classroom.services
    answer_all(services, classroom.ada, RIGHT)
    answer_all(services, classroom.bob, {})  # "A" everywhere: 2 of 4 right
    complete_mini_case(services, classroom.bob)

    overview = services.dashboards.class_overview(classroom.instructor, "topic")
    assert sorted(s.username for s in overview.students) == ["ada", "bob"]  # staff are not in the class
    bob = next(s for s in overview.students if s.username == "bob")
    assert (bob.questions, bob.latest_correct, bob.cases_completed) == (4, 2, 1)
    assert {(c.name, c.share) for c in overview.cells if c.learner_id == bob.learner_id} == {
        ("Heart failure", 0.5), ("Hyperkalaemia", 0.0), ("Acute kidney injury", 1.0)}
    assert overview.usage[-1].attempts == 8 and overview.usage[-1].active_learners == 2
    assert overview.usage[-1].cases_completed == 1
    [case] = overview.cases
    assert case.completed == 1 and case.mean_score == pytest.approx(10 / 13, abs=1e-4)
    assert overview.active_last_week == 2
    assert overview.heatmap_order == (bob.learner_id, classroom.ada.learner_id)  # weakest first (2 of 4 vs 4 of 4)
    one_row = services.dashboards.class_overview(classroom.instructor, "topic", heatmap_rows=1)
    assert {c.learner_id for c in one_row.cells} == {bob.learner_id} and len(one_row.students) == 2
    assert overview.at_risk == []  # too few questions to judge, both active today


def test_a_flagged_item_goes_back_to_the_review_queue_and_out_of_quizzes(classroom: Classroom):
    services, lee = classroom.services, classroom.instructor
    for n in range(6):
        student = services.accounts.add(classroom.admin, f"student-{n}", f"Student {n}", "student", "a long test password")
        services.quiz.start(student.id, BlockSpec(mode="tutor", size=4), seed=n)
        block = services.quiz.current(student.id)
        for position, qid in enumerate(block.question_ids):
            services.quiz.answer(student.id, block.block_id, position, RIGHT[qid] if n % 2 else "B")
    [item] = [r for r in services.dashboards.item_analysis(lee, min_responses=5) if r.stats.question_id == "mini-k-1"]
    assert item.stats.responses == 6 and item.stats.difficulty == 0.5
    assert item.stats.option_rates == {"A": 0.0, "B": 0.5, "C": 0.5}

    services.dashboards.send_back_to_review(lee, "mini-k-1", "Option B is defensible too")

    queued = {q.id: q for q in services.questions.queue(lee)}
    assert queued["mini-k-1"].review_note == "Option B is defensible too" and queued["mini-k-1"].reviewed_by == "dr-lee"
    assert "mini-k-1" not in services.quiz.start(classroom.ada.learner_id, BlockSpec(size=10), seed=1).question_ids
    # still analysed (it may come back), and the export says where it stands
    rows = list(csv.DictReader(io.StringIO(services.dashboards.items_csv(lee, 5))))
    assert {r["question_id"]: r["status"] for r in rows}["mini-k-1"] == "draft"


def test_the_attempts_export_has_one_row_per_answer_with_the_version(classroom: Classroom):
    services = classroom.services
    answer_all(services, classroom.ada, RIGHT)
    text = "".join(services.dashboards.attempts_csv(classroom.instructor))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and {r["username"] for r in rows} == {"ada"}
    assert {r["question_version"] for r in rows} == {"1"} and {r["correct"] for r in rows} == {"1"}
    assert list(rows[0]) == ["username", "display_name", "question_id", "question_version", "chosen_option", "correct",
                             "time_taken_ms", "mode", "block_id", "answered_at"]


def test_an_edited_question_starts_its_item_statistics_again(classroom: Classroom):
    services, lee = classroom.services, classroom.instructor
    answer_all(services, classroom.ada, RIGHT)
    assert services.bank.versions(["mini-k-1"]) == {"mini-k-1": 1}
    question = services.bank.get("mini-k-1").question
    services.dashboards.send_back_to_review(lee, "mini-k-1", "reword")
    services.questions.approve(lee, "mini-k-1", edited=question.model_copy(update={"stem": question.stem + " Now?"}))
    assert services.bank.versions(["mini-k-1"]) == {"mini-k-1": 2}
    analysed = sorted(r.stats.question_id for r in services.dashboards.item_analysis(lee, 1))
    assert analysed == ["mini-aki-1", "mini-hf-1", "mini-hf-2"]  # version 2 of mini-k-1 has no responses yet
    # ... while the learner's mastery still counts the earlier answer
    assert any(m.name == "Hyperkalaemia" for m in services.dashboards.learner(classroom.ada).topics)
