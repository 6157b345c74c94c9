"""The Quiz and Question bank pages in the real app under AppTest (real bank, store and index)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.accounts import open_signed_in, sign_in
from tutor.settings import PROJECT_ROOT

GIFT = b"""// An instructor's Moodle export
$CATEGORY: $course$/top/Hyperkalaemia
::gift-k-2:: A man with potassium 6.9 mmol/L and peaked T waves. What shifts potassium into cells? {
  =Insulin with glucose#It drives potassium into cells within 30 minutes.
  ~Calcium gluconate#It stabilises the membrane but does not lower potassium.
  ~Furosemide#Too slow for an emergency.
}
"""


@pytest.fixture
def app(data_dir: Path) -> AppTest:
    return open_signed_in(data_dir)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def answer_shown_question(at: AppTest, *, right: bool) -> str:
    """Pick the keyed option (or a wrong one) of the question on screen, using the bank's own key."""
    from tutor.ui.deps import get_services

    services = get_services()
    stem = next(m.value for m in at.markdown if "?" in m.value).replace("\\", "")
    question = next(item.question for item in services.bank.questions(services.settings.course) if item.question.stem == stem)
    letter = question.answer if right else next(l for l in question.letters if l != question.answer)
    at.radio[0].set_value(letter)
    button(at, "Check answer").click().run()
    return letter


def test_tutor_mode_set_explains_each_answer_with_citations_then_summarises(app: AppTest):
    app.switch_page("pages/quiz.py").run()
    assert {m.label: m.value for m in app.metric}["Reviews due now"] == "0"
    app.number_input[0].set_value(2)
    app.multiselect[0].set_value(["Heart failure"])
    button(app, "Start").click().run()
    assert not app.exception

    answer_shown_question(app, right=True)
    assert app.success and "Correct" in app.success[0].value
    texts = " ".join(" ".join(m.value for m in app.markdown).replace("\\", "").split())
    assert "A normal BNP makes heart failure unlikely" in texts or "Furosemide relieves congestion" in texts  # the cited passage
    button(app, "Next question").click().run()

    answer_shown_question(app, right=False)
    assert app.error and "the best answer is" in app.error[0].value
    button(app, "See results").click().run()

    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Score"] == "1 / 2" and metrics["Percent"] == "50%"
    button(app, "Practise again").click().run()
    assert any(b.label == "Start" for b in app.button)


def test_timed_exam_block_survives_a_reload_and_marks_at_the_end(app: AppTest, tmp_path: Path, monkeypatch):
    app.switch_page("pages/quiz.py").run()
    app.segmented_control[0].set_value("Timed exam")
    app.number_input[0].set_value(3)
    app.number_input[1].set_value(5)
    button(app, "Start").click().run()
    assert not app.exception
    assert {m.label for m in app.metric} >= {"Time left"}
    app.radio[0].set_value("A")
    button(app, "Save and next").click().run()
    assert not app.success and not app.error  # no feedback during an exam

    reloaded = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=120)  # a new browser session
    reloaded.run()
    sign_in(reloaded, "dr-lee")
    reloaded.switch_page("pages/quiz.py").run()
    assert "1 of 3 answered" in reloaded.get("progress")[0].proto.text
    button(reloaded, "Finish and see results").click().run()
    metrics = {m.label: m.value for m in reloaded.metric}
    assert metrics["Score"].endswith("/ 3")
    assert len(reloaded.expander) == 3  # per-question feedback


def test_question_bank_imports_a_gift_file_and_students_then_get_it(app: AppTest):
    app.switch_page("pages/question_bank.py").run()
    assert {m.label: m.value for m in app.metric}["Approved (students see these)"] == "4"
    app.file_uploader[0].set_value([("export.gift", GIFT, "text/plain"), ("broken.xml", b"<quiz><question", "text/xml")])
    button(app, "Import").click().run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Added"] == "1"
    assert any("broken.xml" in e.value.replace("\\", "") for e in app.error)

    app.switch_page("pages/quiz.py").run()
    app.multiselect[0].set_value(["Hyperkalaemia"])
    button(app, "Start").click().run()
    stems = " ".join(m.value for m in app.markdown).replace("\\", "")
    assert "shifts potassium into cells" in stems or "stabilises the cardiac membrane" in stems


def test_review_queue_needs_explanations_before_approval(app: AppTest):
    aiken = b"A woman has a creatinine 3 times baseline. Which AKI stage?\nA. Stage 1\nB. Stage 2\nC. Stage 3\nANSWER: C\n"
    app.switch_page("pages/question_bank.py").run()
    app.file_uploader[0].set_value([("stages.txt", aiken, "text/plain")])
    button(app, "Import").click().run()
    assert {m.label: m.value for m in app.metric}["Need review"] == "1"

    app.run()
    assert any(t.label == "Review queue (1)" for t in app.tabs)
    button(app, "Approve").click().run()
    assert any("explanation" in e.value for e in app.error)  # refused: options lack explanations
    for i, area in enumerate(a for a in app.text_area if a.label.startswith("Why")):
        area.set_value(f"Explanation {i}.")
    button(app, "Approve").click().run()
    assert not app.exception
    assert {m.label: m.value for m in app.metric}["Approved (students see these)"] == "5"


def test_a_drafting_run_that_keeps_nothing_warns_and_a_discarded_draft_can_be_rescued(
        tmp_path: Path, mini_curriculum: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    import json

    from tests.markdown_files import write_markdown
    from tests.question_files import potassium_passage

    write_markdown(mini_curriculum, "renal/potassium-emergencies.md", potassium_passage("Potassium emergencies"),
                   title="Potassium emergencies", module="Renal")
    wrong_key = {  # keyed on a drug the passage never calls first-line: the support judge discards it
        "vignette": "A 64-year-old man with potassium 7.2 mmol/L has broad QRS complexes on the ECG.",
            "options": [{"text": t, "explanation": e} for t, e in (
            ("Furosemide", "Furosemide is the first drug to give: it lowers potassium within seconds."),
            ("Calcium gluconate", "Wrong: it has no place here."),
            ("Insulin with glucose", "Wrong: too slow."),
            ("Salbutamol", "Wrong: not used."))],
        "answer": "A",
        "supporting_quote": "Furosemide lowers potassium within seconds.",
    }
    script = tmp_path / "script.json"
    script.write_text(json.dumps([json.dumps(wrong_key)]))
    monkeypatch.setenv("TUTOR_LLM_PROVIDER", "scripted")
    monkeypatch.setenv("TUTOR_LLM_SCRIPT", str(script))
    at = open_signed_in(data_dir)
    at.switch_page("pages/question_bank.py").run()
    next(s for s in at.selectbox if s.label == "Draft from").set_value("renal/potassium-emergencies.md")
    next(s for s in at.slider if s.label == "Number of drafts").set_value(1)
    button(at, "Draft questions").click().run()
    assert not at.exception
    assert not at.success and any("None of the 1 draft(s) passed the checks" in w.value for w in at.warning)
    assert "Stop drafting" not in [b.label for b in at.button]  # the run is over: its Stop button is gone
    [discarded] = [e for e in at.expander if e.label.startswith("A 64-year-old man")]
    assert any("support judge" in c.value for c in at.caption)
    button(at, "Send to the review queue").click().run()
    assert any(t.label == "Review queue (1)" for t in at.tabs)
    assert not [e for e in at.expander if e.label.startswith("A 64-year-old man")]
