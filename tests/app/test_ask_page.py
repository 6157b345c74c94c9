"""The Ask page under AppTest, with the scripted model selected by configuration.

TUTOR_LLM_PROVIDER=scripted and TUTOR_LLM_SCRIPT are the same settings an operator
would use for a demo; the app builds the model through its normal factory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.accounts import open_signed_in, sign_in
from tutor.settings import PROJECT_ROOT

QUESTION = "What is the emergency treatment for a dangerously high potassium?"


@pytest.fixture
def ask_page(tmp_path: Path, mini_curriculum: Path, monkeypatch: pytest.MonkeyPatch):
    def open_with(replies: list) -> AppTest:
        script = tmp_path / "script.json"
        script.write_text(json.dumps(replies))
        monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("TUTOR_CONTENT_DIR", str(mini_curriculum))
        monkeypatch.setenv("TUTOR_LLM_PROVIDER", "scripted")
        monkeypatch.setenv("TUTOR_LLM_SCRIPT", str(script))
        at = open_signed_in(tmp_path / "data", "ada", "student")
        at.switch_page("pages/ask.py").run()
        assert not at.exception, at.exception
        return at

    return open_with


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown).replace("\\", "")


def test_an_answer_shows_citation_chips_and_supporting_quotes(ask_page):
    at = ask_page(["Calcium gluconate stabilises the cardiac membrane [1]."])
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception and not at.error
    assert "Calcium gluconate stabilises the cardiac membrane [1]." in _texts(at)
    assert any(e.label.startswith("Check it: 1 supporting sentence") for e in at.expander)
    assert "Calcium gluconate stabilises the cardiac membrane; insulin" in _texts(at)  # the passage, in the chip


def _shape(block) -> list:
    """The element tree of a block as types, the way the browser matches old and new elements."""
    return [(type(child).__name__, _shape(child) if hasattr(child, "children") else None)
            for child in getattr(block, "children", {}).values()]


def test_a_live_reply_has_the_shape_of_the_same_reply_from_history(ask_page):
    """While a new answer streams, the browser shows the previous run's elements greyed until they
    are replaced; a live reply drawn with one more element than its copy from history left a stale,
    greyed "Check it" box under the next answer."""
    at = ask_page(["Calcium gluconate stabilises the cardiac membrane [1]."])
    at.chat_input[0].set_value(QUESTION).run()
    live = _shape(at.chat_message[1])
    at.run()  # the next run draws the same turn from history
    assert _shape(at.chat_message[1]) == live


def test_the_message_box_stays_the_same_widget_when_a_socratic_ladder_changes_its_placeholder(ask_page):
    at = ask_page(["Which electrolyte protects the heart muscle when potassium is high?"])
    before = at.chat_input[0]
    at.segmented_control[0].set_value("Socratic").run()
    at.chat_input[0].set_value(QUESTION).run()
    at.run()
    after = at.chat_input[0]
    assert after.placeholder != before.placeholder  # "Your answer to the tutor's question…"
    assert after.id == before.id  # one widget throughout: text being typed during a rerun is kept


def test_history_survives_a_reload_of_the_same_conversation(ask_page):
    at = ask_page(["Calcium gluconate stabilises the cardiac membrane [1]."])
    at.chat_input[0].set_value(QUESTION).run()
    conversation = at.query_params["c"]
    reloaded = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=120)
    reloaded.query_params["c"] = conversation
    reloaded.run()
    sign_in(reloaded, "ada")  # a reload is a new browser session: local sign-in is asked again
    reloaded.switch_page("pages/ask.py").run()
    assert [m.name for m in reloaded.chat_message] == ["user", "assistant"]
    assert "Calcium gluconate stabilises the cardiac membrane [1]." in _texts(reloaded)


def test_earlier_conversations_are_listed_reopened_and_deleted_after_a_new_sign_in(ask_page):
    at = ask_page(["Calcium gluconate stabilises the cardiac membrane [1].",
                   "Stage 1 is a creatinine rise of 1.5 to 1.9 times baseline [1]."])
    at.chat_input[0].set_value(QUESTION).run()
    at.sidebar.button(key="conv.new").click().run()
    at.chat_input[0].set_value("How is acute kidney injury staged?").run()

    fresh = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=120)
    fresh.run()
    sign_in(fresh, "ada")  # a new browser: no conversation in the URL or the session
    fresh.switch_page("pages/ask.py").run()
    assert not fresh.chat_message  # a new, empty conversation is shown ...
    listed = [b.label for b in fresh.sidebar.button if b.key and b.key.startswith("conv.open.")]
    assert listed == ["How is acute kidney injury staged?", QUESTION]  # ... and both earlier ones are listed, newest first
    older = next(b for b in fresh.sidebar.button if b.label == QUESTION)
    older.click().run()
    assert [m.name for m in fresh.chat_message] == ["user", "assistant"]
    assert "Calcium gluconate stabilises the cardiac membrane [1]." in _texts(fresh)

    conversation = older.key.removeprefix("conv.open.")
    fresh.sidebar.button(key=f"conv.delete.{conversation}").click().run()
    assert not fresh.chat_message  # the open conversation was the one deleted
    labels = [b.label for b in fresh.sidebar.button if b.key and b.key.startswith("conv.open.")]
    assert labels == ["How is acute kidney injury staged?"]


def test_not_covered_and_model_failures_are_explained(ask_page):
    at = ask_page([{"fault": "HTTP 500"}])
    at.chat_input[0].set_value("How do I fix a puncture on a bicycle?").run()
    assert "Not covered by the course material" in _texts(at)
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The tutor's language model stopped unexpectedly. Please try again."]


def test_socratic_mode_hints_first_then_reveals_on_request(ask_page):
    at = ask_page(["Which electrolyte protects the heart when potassium is high?",
                   "Calcium gluconate stabilises the cardiac membrane [1]."])
    at.segmented_control[0].set_value("Socratic").run()
    at.chat_input[0].set_value(QUESTION).run()
    assert "Which electrolyte protects the heart when potassium is high?" in _texts(at)
    assert "Hint" in _texts(at)
    next(b for b in at.button if b.label == "Show answer").click().run()
    assert "Calcium gluconate stabilises the cardiac membrane [1]." in _texts(at)


def test_an_unsupported_statement_is_marked_on_the_page_and_after_a_reload(ask_page, tmp_path: Path):
    at = ask_page(["Calcium gluconate stabilises the cardiac membrane [1]. "
                   "Dialysis in the first hour is mandatory for every patient with a potassium above 5.5 mmol/L [1]."])
    at.chat_input[0].set_value(QUESTION).run()
    assert not at.exception and not at.error
    assert "⚠️ (not found in the course material)" in _texts(at).replace("*", "")
    assert any("1 statement marked ⚠️ could not be found" in c.value for c in at.caption)
    again = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=120)
    again.query_params["c"] = at.query_params["c"]
    again.run()
    sign_in(again, "ada")
    again.switch_page("pages/ask.py").run()
    assert any("1 statement marked ⚠️ could not be found" in c.value for c in again.caption)


def test_a_declined_question_offers_related_reading(ask_page):
    at = ask_page(["Acute angle-closure glaucoma is treated with topical pilocarpine and intravenous acetazolamide [1]. "
                   "Laser peripheral iridotomy prevents recurrence in both eyes [1]."])
    at.chat_input[0].set_value(QUESTION).run()
    assert "Not covered by the course material" in _texts(at)
    assert any(c.value.startswith("Related reading in the course material") for c in at.caption)
    assert "pilocarpine" not in _texts(at)
