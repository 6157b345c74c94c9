"""The Cases, Case reviews and Library (clinical cases) pages in the real app under AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.case_files import MINI_CASE_YAML, POSSIBLE_POINTS
from tests.accounts import open_signed_in, sign_in
from tutor.settings import PROJECT_ROOT


@pytest.fixture
def app(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "mini.yaml").write_text(MINI_CASE_YAML, encoding="utf-8")
    monkeypatch.setenv("TUTOR_CASES_DIR", str(cases))
    monkeypatch.setenv("TUTOR_CASE_MODEL_REQUESTS", "false")
    return open_signed_in(data_dir)


def click(at: AppTest, label: str) -> None:
    button = next(b for b in at.button if b.label.startswith(label))
    button.click().run()
    assert not at.exception, at.exception


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown).replace("\\", "")


def ask(at: AppTest, request: str) -> None:
    at.chat_input[0].set_value(request).run()
    assert not at.exception, at.exception


def test_a_student_works_through_a_case_and_gets_a_debrief_that_matches_the_rubric(app: AppTest):
    app.switch_page("pages/cases.py").run()
    assert "Weakness in a man on ramipril" in texts(app)
    click(app, "Start")
    assert next(b for b in app.button if b.label.startswith("Move on")).disabled  # min_requests: 1
    ask(app, "What tablets is he on?")
    assert "Ramipril 10 mg daily and spironolactone 25 mg daily." in texts(app)
    click(app, "Move on to Examination")
    assert "Heart rate 48 bpm" in texts(app)  # shown on entering the stage
    click(app, "Move on to Investigations")
    ask(app, "check the potassium and an ECG")
    assert "Potassium 7.4 mmol/L." in texts(app) and "Peaked T waves" in texts(app)
    click(app, "Move on to Differential")

    app.text_input[0].set_value("Hyperkalaemia")
    app.text_input[1].set_value("heart attack")
    click(app, "Commit differential")
    page = texts(app)
    assert "The findings you elicited support it: Serum potassium, ECG, Medications." in page
    assert "Right to consider; these findings argue against it: ECG." in page  # chest pain was never asked about
    click(app, "Move on to Management")
    app.text_area[0].set_value("IV calcium gluconate\ninsulin dextrose\ngive potassium")
    click(app, "Commit plan")
    assert "Dangerous" in texts(app)
    click(app, "Finish the case")

    # key 3, leading 3, expected 1 of 2, must-not-miss 2, steps 2, dangerous -2 -> 9 of 13
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Rubric score"] == f"{9 / POSSIBLE_POINTS:.0%}"
    assert "Peaked T waves, a broad QRS and lost P waves" in texts(app)  # a teaching point
    assert any("renal/hyperkalaemia.md" in p.proto.popover.label for p in app.get("popover"))  # its citation

    click(app, "All cases")
    assert app.dataframe[0].value["Case"].tolist() == ["Weakness in a man on ramipril"]


def test_a_reload_resumes_the_case_where_it_was(app: AppTest):
    app.switch_page("pages/cases.py").run()
    click(app, "Start")
    ask(app, "medications")
    session = app.query_params["case"]
    reloaded = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=120)
    reloaded.query_params["case"] = session
    reloaded.run()
    sign_in(reloaded, "dr-lee")
    reloaded.switch_page("pages/cases.py").run()
    assert "Ramipril 10 mg daily" in texts(reloaded)
    assert [m.name for m in reloaded.chat_message][:3] == ["assistant", "user", "assistant"]

    click(reloaded, "Abandon this attempt")
    assert reloaded.query_params["case"] != session and "Ramipril 10 mg daily" not in texts(reloaded)
    from tutor.ui.deps import get_services

    statuses = [s.status for s in get_services().progress.case_sessions_for(1)]
    assert statuses == ["abandoned", "active"]


def test_an_unknown_session_in_the_url_falls_back_to_the_case_list(app: AppTest):
    app.query_params["case"] = "not-a-session"
    app.switch_page("pages/cases.py").run()
    assert not app.exception
    assert any(b.label == "Start" for b in app.button)


def test_the_library_lists_every_problem_of_a_bad_case_file_and_adds_a_good_one(app: AppTest):
    app.switch_page("pages/library.py").run()
    broken = MINI_CASE_YAML.replace("kind: plan", "kind: planning").replace("key_findings: [medications", "key_findings: [magnesium")
    renamed = MINI_CASE_YAML.replace("id: renal-mini-hyperkalaemia", "id: renal-mini-two").replace(
        "title: Weakness in a man on ramipril", "title: A second weak man")
    app.file_uploader[1].set_value([("broken.yaml", broken.encode(), "application/yaml"),
                                    ("second.yaml", renamed.encode(), "application/yaml")])
    click(app, "Add cases")
    error = app.error[0].value.replace("\\", "")
    assert "broken.yaml was not added: fix this problem" in error
    assert "line 53: stages > 4 > kind: Input should be 'enquiry', 'differential' or 'plan'" in error
    assert "A second weak man" in app.success[0].value and "added" in app.success[0].value
    titles = app.dataframe[-1].value["Title"].tolist()
    assert sorted(titles) == ["A second weak man", "Weakness in a man on ramipril"]


def test_an_instructor_reviews_a_completed_case_and_overrides_its_score(app: AppTest):
    app.switch_page("pages/case_reviews.py").run()
    assert "No completed cases yet" in app.info[0].value
    app.switch_page("pages/cases.py").run()
    click(app, "Start")
    ask(app, "medications")
    for label in ("Move on to Examination", "Move on to Investigations", "Move on to Differential"):
        click(app, label)
    app.text_input[0].set_value("AKI")
    click(app, "Commit differential")
    click(app, "Move on to Management")
    app.text_area[0].set_value("fluids")
    click(app, "Commit plan")
    click(app, "Finish the case")

    app.switch_page("pages/case_reviews.py").run()
    [row] = app.dataframe[0].value.to_dict("records")
    assert isinstance(row["Rubric score"], int) and 0 <= row["Rubric score"] <= 100  # whole percent, as the student saw it
    app.selectbox[0].select_index(0).run()
    app.number_input[0].set_value(70.0)
    app.text_input[0].set_value("Named hyperkalaemia in the discussion")
    click(app, "Save score")
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Score after instructor review"] == "70%"
