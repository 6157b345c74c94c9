"""The Library page's "Held for review" section, under AppTest with a signed-in instructor."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.accounts import open_signed_in

NOTE = (b"# Ward round\n\nMr John Smith (MRN: 48151623, DOB 03/14/1950) had a potassium of 7.1 mmol/L. "
        b"His daughter is on (555) 867-5309.\n")


@pytest.fixture
def app(data_dir: Path) -> AppTest:
    at = open_signed_in(data_dir)
    at.switch_page("pages/library.py").run()
    assert not at.exception
    return at


def _text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown).replace("\\", "") + " " + " ".join(c.value for c in at.caption)


def _documents(app: AppTest):
    return next(d.value for d in app.dataframe if "Source" in d.value.columns)


def _upload(at: AppTest) -> None:
    at.file_uploader[0].set_value([("ward-round.md", NOTE, "text/markdown")])
    at.button[0].click().run()
    assert not at.exception


def test_empty_state_says_nothing_is_waiting(app: AppTest):
    assert any(s.value == "Held for review (0)" for s in app.subheader)
    assert "No files are waiting for review" in _text(app)


def test_a_flagged_upload_is_shown_held_with_masked_findings_and_released(app: AppTest):
    _upload(app)
    warning = " ".join(w.value for w in app.warning).replace("\\", "")
    assert "held for review: contains what looks like" in warning and "a phone number (1)" in warning
    assert "a date of birth (1)" in warning
    assert any(s.value == "Held for review (1)" for s in app.subheader)
    shown = _text(app)
    assert "ward-round.md" in shown and "a medical record number" in shown and "line 1" in shown
    for identifier in ("867-5309", "48151623", "03/14/1950"):
        assert identifier not in shown
    assert "ward-round.md" not in _documents(app)["Source"].tolist()

    next(b for b in app.button if b.label == "Release with identifiers removed").click().run()
    assert not app.exception and not app.error
    assert any("with identifiers removed" in s.value for s in app.success)
    assert "ward-round.md" in _documents(app)["Source"].tolist()
    assert any(s.value == "Held for review (0)" for s in app.subheader)


def test_release_as_is_needs_a_reason_and_discard_removes_it(app: AppTest):
    _upload(app)
    next(b for b in app.button if b.label == "Release as is").click().run()
    assert any("reason" in e.value for e in app.error)
    assert any(s.value == "Held for review (1)" for s in app.subheader)
    next(b for b in app.button if b.label == "Discard").click().run()
    assert not app.exception
    assert any("Discarded ward-round.md" in s.value.replace("\\", "") for s in app.success)
    assert any(s.value == "Held for review (0)" for s in app.subheader)
