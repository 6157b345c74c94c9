"""Generated questions: the code gates and the review queue, with a scripted model through the real factory seam."""

from __future__ import annotations

import json

import pytest

from tests.accounts import DR_LEE
from tests.markdown_files import write_markdown
from tests.question_files import POTASSIUM_QUOTE, potassium_passage
from tutor.llm.scripted import Fault, ScriptedChatModel
from tutor.errors import ModelUnavailableError
from tutor.modes.quiz.models import BlockSpec
from tutor.services import build_services

PASSAGE = potassium_passage()
QUOTE = POTASSIUM_QUOTE


VIGNETTE = "A 64-year-old man with potassium 7.2 mmol/L has broad QRS complexes on the ECG."
EXPLANATIONS = {
    "Calcium gluconate": "Calcium gluconate stabilises the cardiac membrane within minutes, so it is given first.",
}


def draft(vignette: str = VIGNETTE, options: list[str] | None = None, answer: str = "B", quote: str = QUOTE,
          explanations: dict[str, str] | None = None) -> str:
    texts = options or ["Furosemide", "Calcium gluconate", "Insulin with glucose", "Salbutamol", "Sodium bicarbonate"]
    said = {**EXPLANATIONS, **(explanations or {})}
    return json.dumps({
        "vignette": vignette,
        "options": [{"text": t, "explanation": said.get(t, f"Why {t} is or is not right.")} for t in texts],
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


def services_with(settings, embedder, curriculum, tmp_path, replies, *, judge: bool = False):
    """Without the judge, a second model pass checks faithfulness (the replies script it); with it, the judge."""
    model = ScriptedChatModel(replies=replies)
    services = build_services(
        settings.model_copy(update={"content_dir": curriculum, "questions_dir": tmp_path / "none",
                                    "relevance_judge": judge}),
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
    assert question.stem == f"{VIGNETTE} What is the most appropriate treatment?"  # the lead-in written by code
    assert [g["name"] for g in queued.checks["gates"]] == [
        "schema", "distinct_options", "real_options", "lead_in", "answer_not_in_stem", "not_duplicate",
        "one_best_answer", "supported"]
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
        ([json.dumps({"vignette": VIGNETTE, "options": []})], "schema", "options"),
        ([draft(options=["Hypothyroidism", "Severe hypothyroidism", "Hypothermia", "Bradycardia"])], "distinct_options", "overlap"),
        ([draft(options=["Diagnosis", "Treatment", "Investigation", "Mechanism"])], "real_options", "kinds of question"),
        ([draft(vignette=f"{VIGNETTE} He needs calcium gluconate.")], "answer_not_in_stem", "names the answer"),
        ([draft(), verdict(also=["C"])], "one_best_answer", "C"),
        ([draft(), verdict(best="C")], "supported", "chose C"),
        ([draft(quote="Calcium always cures everything."), verdict(quote="Calcium always cures everything.")], "supported", "word for word"),
    ],
    ids=["not-json", "bad-key", "duplicate-options", "no-options", "overlapping-options", "kinds-as-options",
         "answer-in-vignette", "two-correct", "checker-disagrees", "invented-quote"],
)
def test_each_gate_rejects_its_kind_of_bad_draft(settings, embedder, curriculum, tmp_path, replies, gate, reason):
    services, _ = services_with(settings, embedder, curriculum, tmp_path, replies)
    report = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=1)
    assert report.kept == []
    [rejected] = report.rejected
    assert rejected.failed.name == gate and reason in rejected.failed.detail
    assert services.questions.queue(DR_LEE) == []
    kept = [item.id for item in services.questions.discarded(DR_LEE)]
    if gate in ("one_best_answer", "supported", "answer_not_in_stem"):  # a whole question: kept to read and rescue
        assert kept == [rejected.question_id] and rejected.question_id
    else:  # it never became a question
        assert kept == [] and rejected.question_id is None


def test_a_vignette_that_asks_its_own_question_gets_the_code_lead_in_instead(settings, embedder, curriculum, tmp_path):
    services, model = services_with(settings, embedder, curriculum, tmp_path,
                                    [draft(vignette=f"{VIGNETTE} What would you give him first?"), verdict()])
    [question] = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=1).kept
    assert question.stem == f"{VIGNETTE} What is the most appropriate treatment?"  # an "Emergency treatment" section
    assert "five treatments" in model.prompts_seen[0][0].content  # the model was told what its options must be


@pytest.mark.parametrize(("heading", "kind"), [
    ("Hyperkalaemia > Emergency treatment", "treatment"), ("Asthma > Investigations", "investigation"),
    ("Heart failure > Causes", "cause"), ("Thyroid > Clinical features", "diagnosis"), ("", "diagnosis")])
def test_the_kind_of_question_follows_the_passages_heading(heading, kind):
    from tutor.modes.bank.drafting import kind_for

    assert kind_for(heading) == kind


def test_with_the_judge_a_supported_key_is_kept_without_a_second_model_pass(settings, embedder, curriculum, tmp_path):
    services, model = services_with(settings, embedder, curriculum, tmp_path, [draft()], judge=True)
    report = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=1)
    [question] = report.kept
    assert len(model.prompts_seen) == 1  # the judge, not a verifier call, checked faithfulness
    [queued] = services.questions.queue(DR_LEE)
    assert [g["name"] for g in queued.checks["gates"]] == [
        "schema", "distinct_options", "real_options", "lead_in", "answer_not_in_stem", "not_duplicate", "supported"]
    assert "support judge" in queued.checks["gates"][-1]["detail"]
    assert report.seconds > 0 and report.seconds_per_kept == report.seconds


def test_with_the_judge_an_unsupported_key_is_discarded_and_can_be_rescued(settings, embedder, curriculum, tmp_path):
    wrong = {"Furosemide": "Furosemide is the first drug to give because it lowers potassium within seconds."}
    services, _ = services_with(settings, embedder, curriculum, tmp_path,
                                [draft(answer="A", explanations=wrong)], judge=True)
    report = services.questions.draft(DR_LEE, "renal/hyperkalaemia.md", n=1)
    assert report.kept == []
    [rejected] = report.rejected
    assert rejected.failed.name == "supported" and "support judge" in rejected.failed.detail
    [discarded] = services.questions.discarded(DR_LEE)
    assert discarded.status == "rejected" and "support judge" in discarded.review_note
    services.questions.rescue(DR_LEE, discarded.id)
    [queued] = services.questions.queue(DR_LEE)
    assert queued.id == discarded.id and "Rescued by dr-lee" in queued.review_note
    assert services.questions.discarded(DR_LEE) == []


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
