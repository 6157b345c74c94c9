"""Generated questions: the code gates and the review queue, with a scripted model through the real factory seam."""

from __future__ import annotations

import json

import pytest

from tests.accounts import DR_LEE
from tests.markdown_files import write_markdown
from tests.question_files import POTASSIUM_QUOTE, potassium_passage
from tutor.llm.scripted import Fault, ScriptedChatModel
from tutor.errors import ModelUnavailableError
from tutor.modes.quiz_types import BlockSpec
from tutor.services import build_services

PASSAGE = potassium_passage()
QUOTE = POTASSIUM_QUOTE


def draft(stem: str = "A 64-year-old man with potassium 7.2 mmol/L has broad QRS complexes on the ECG. Which treatment stabilises the cardiac membrane?",
          options: list[str] | None = None, answer: str = "B", quote: str = QUOTE) -> str:
    texts = options or ["Furosemide", "Calcium gluconate", "Insulin with glucose", "Salbutamol", "Sodium bicarbonate"]
    return json.dumps({
        "stem": stem,
        "options": [{"text": t, "explanation": f"Why {t} is or is not right."} for t in texts],
        "answer": answer,
        "supporting_quote": quote,
    })


def verdict(best: str = "B", also: list[str] | None = None, quote: str = QUOTE) -> str:
    return json.dumps({"best": best, "also_correct": also or [], "quote": quote})


@pytest.fixture
def curriculum(tmp_path):
    folder = tmp_path / "curriculum"
    write_markdown(folder, "renal/hyperkalaemia.md", PASSAGE, title="Hyperkalaemia", module="Renal")
    return folder


def services_with(settings, embedder, curriculum, tmp_path, replies):
    model = ScriptedChatModel(replies=replies)
    services = build_services(
        settings.model_copy(update={"content_dir": curriculum, "questions_dir": tmp_path / "none"}),
        embedder=embedder, chat_model=model,
    )
    assert services.ingest_bundled_content().ok
    return services, model


def test_a_good_draft_waits_for_review_then_reaches_students_once_approved(settings, embedder, curriculum, tmp_path):
    services, model = services_with(settings, embedder, curriculum, tmp_path, [draft(), verdict()])

    report = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=1)

    [question] = report.kept
    assert report.rejected == []
    [queued] = services.questions.queue(DR_LEE)
    assert queued.id == question.id and queued.status == "draft" and queued.origin == "generated"
    assert [g["name"] for g in queued.checks["gates"]] == [
        "schema", "distinct_options", "lead_in", "not_duplicate", "one_best_answer", "supported"]
    assert question.references[0].chunk_id  # cites the exact passage it was drafted from
    learner = services.progress.ensure_learner("ada").id
    with pytest.raises(Exception, match="No approved questions"):
        services.quiz.start(learner, BlockSpec(size=5))  # a draft never reaches students

    # the verifier saw the question with its options, and the passage as data
    verify_prompt = model.prompts_seen[1]
    assert "Calcium gluconate" in verify_prompt[-1].content and "COURSE PASSAGE" in verify_prompt[0].content

    edited = question.model_copy(update={"stem": question.stem + " (edited)"})
    services.questions.approve(DR_LEE, question.id, edited=edited)
    block = services.quiz.start(learner, BlockSpec(size=5))
    assert block.question_ids == (question.id,)
    assert services.quiz.question(block, 0).stem.endswith("(edited)")
    feedback = services.quiz.answer(learner, block.block_id, 0, "B")
    assert feedback.correct and feedback.citations[0].source == "renal/hyperkalaemia.md"


@pytest.mark.parametrize(
    ("replies", "gate", "reason"),
    [
        (["this is not JSON"], "schema", "not valid"),
        ([draft(answer="F")], "schema", "answer"),
        ([draft(options=["Furosemide", "Calcium gluconate", "calcium  gluconate", "Salbutamol"])], "distinct_options", "B and C"),
        ([draft(stem="A 64-year-old man with potassium 7.2 mmol/L has broad QRS complexes on the ECG.")], "lead_in", "question"),
        ([draft(), verdict(also=["C"])], "one_best_answer", "C"),
        ([draft(), verdict(best="C")], "supported", "chose C"),
        ([draft(quote="Calcium always cures everything."), verdict(quote="Calcium always cures everything.")], "supported", "word for word"),
    ],
    ids=["not-json", "bad-key", "duplicate-options", "no-lead-in", "two-correct", "checker-disagrees", "invented-quote"],
)
def test_each_gate_rejects_its_kind_of_bad_draft(settings, embedder, curriculum, tmp_path, replies, gate, reason):
    services, _ = services_with(settings, embedder, curriculum, tmp_path, replies)
    report = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=1)
    assert report.kept == []
    [rejected] = report.rejected
    assert rejected.failed.name == gate and reason in rejected.failed.detail
    assert services.questions.queue(DR_LEE) == []


def test_a_near_duplicate_of_an_existing_stem_is_rejected(settings, embedder, curriculum, tmp_path):
    same = draft()
    services, _ = services_with(settings, embedder, curriculum, tmp_path, [same, verdict(), same.replace("64-year-old", "65-year-old"), verdict()])
    report = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=2)
    assert len(report.kept) == 1
    [rejected] = report.rejected
    assert rejected.failed.name == "not_duplicate" and report.kept[0].id in rejected.failed.detail


def test_a_model_that_is_down_is_a_clear_error_and_stores_nothing(settings, embedder, curriculum, tmp_path):
    services, _ = services_with(settings, embedder, curriculum, tmp_path, [Fault("connection refused")])
    with pytest.raises(ModelUnavailableError) as info:
        services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=1)
    assert "language model" in info.value.user_message
    assert services.questions.queue(DR_LEE) == []


def test_drafting_from_a_source_that_is_not_in_the_library_is_refused(settings, embedder, curriculum, tmp_path):
    services, _ = services_with(settings, embedder, curriculum, tmp_path, [draft()])
    with pytest.raises(Exception, match="not in the library"):
        services.questions.draft(DR_LEE, "cardiology/nothing.md", n=1)


def test_one_failed_request_costs_one_draft_not_the_run(settings, embedder, curriculum, tmp_path):
    services, _ = services_with(settings, embedder, curriculum, tmp_path, [draft(), verdict(), Fault("read timeout")])
    report = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=2)
    assert len(report.kept) == 1
    [failed] = report.rejected
    assert failed.failed.name == "model" and "language model" in failed.failed.detail
