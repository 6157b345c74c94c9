"""End to end in Chromium: an instructor imports and approves questions; a student practises.

Covers the quiz issue's "done when": a tutor-mode set and a timed block with explanations
and citations, a GIFT import, generated drafts approved in the review queue and then
reaching the student. The model is the scripted one (a draft, then the checker's verdict).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from tests.accounts import PASSWORD, add_account
from tests.e2e.conftest import (
    INSTRUCTOR, STUDENT, choose_first_option, fill_sign_in, reload_signed_in, serve, sign_in, sign_out,
    wait_for_app_run,
)
from tests.markdown_files import write_markdown
from tests.question_files import MINI_BANK_YAML, POTASSIUM_QUOTE, potassium_passage

LONG_PASSAGE = potassium_passage("Potassium emergencies", "Membrane stabilisation")
QUOTE = POTASSIUM_QUOTE
KEY_EXPLANATION = "Calcium gluconate stabilises the cardiac membrane within minutes, so it protects the heart first."
DRAFT = json.dumps({
    "vignette": "A 64-year-old man with potassium 7.2 mmol/L has broad QRS complexes.",
    "options": [{"text": t, "explanation": KEY_EXPLANATION if t == "Calcium gluconate" else f"Why {t} is or is not the first step."}
                for t in ("Furosemide", "Calcium gluconate", "Insulin with glucose", "Salbutamol")],
    "answer": "B",
    "supporting_quote": QUOTE,
})
GIFT = """$CATEGORY: $course$/Acute kidney injury
::gift-aki-2:: A patient's urine output has been 0.3 ml/kg/h for 8 hours. Which AKI stage at least? {
=Stage 1#Urine output below 0.5 ml/kg/h for 6 hours is at least stage 1.
~No AKI#Oliguria of this length meets the definition.
~Chronic kidney disease#Duration is hours, not months.
}
"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e-quiz")
    bank = root / "questions"
    bank.mkdir()
    (bank / "mini.yaml").write_text(MINI_BANK_YAML, encoding="utf-8")
    write_markdown(root / "curriculum", "renal/potassium-emergencies.md", LONG_PASSAGE,
                   title="Potassium emergencies", module="Renal")
    add_account(root / "data", INSTRUCTOR, "instructor")
    add_account(root / "data", STUDENT, "student")
    add_account(root / "data", "bo", "student")
    with serve(root, [DRAFT], {"TUTOR_QUESTIONS_DIR": str(bank)}) as url:
        yield url


def open_page(page, name: str) -> None:
    page.get_by_role("link", name=name).click()


def test_instructor_imports_gift_drafts_and_approves_then_the_student_gets_it(page, shot, tmp_path):
    gift = tmp_path / "aki.gift"
    gift.write_text(GIFT)
    sign_in(page, INSTRUCTOR)
    open_page(page, "Question bank")
    page.get_by_role("tab", name="Import").click()
    page.locator("input[type=file]").set_input_files([str(gift)])
    page.get_by_text("aki.gift").first.wait_for()
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("(GIFT)").wait_for()
    shot(page, "10-bank-gift-imported")

    page.get_by_role("tab", name="Generate drafts").click()
    page.get_by_role("combobox").first.click()  # the source picker
    page.get_by_role("option", name="renal/potassium-emergencies.md").click()
    page.get_by_role("slider").focus()
    page.keyboard.press("Home")  # one draft
    page.get_by_role("button", name="Draft questions").click()
    page.get_by_text(re.compile(r"1 of 1 draft\(s\) passed the checks and wait in the review queue")).wait_for()
    shot(page, "11-bank-drafted")

    reload_signed_in(page)  # still signed in, still on the Question bank
    page.get_by_role("tab", name="Review queue (1)").click()
    page.get_by_text("Checks passed before it reached you").click()
    page.get_by_text("supported").first.wait_for()
    shot(page, "12-bank-review")
    page.get_by_role("button", name="Approve").click()
    page.get_by_test_id("stToast").get_by_text("students can now get it").wait_for()
    page.get_by_role("tab", name="Review queue (0)").wait_for()

    sign_out(page)
    sign_in(page, STUDENT)
    open_page(page, "Quiz")
    page.get_by_text("Topics").wait_for()
    page.get_by_role("combobox").nth(0).click()
    page.get_by_role("option", name=re.compile("Potassium emergencies")).click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Start").click()
    page.get_by_text("What is the most appropriate treatment?").wait_for()
    page.get_by_text("B. Calcium gluconate").click()
    page.get_by_role("button", name="Check answer").click()
    page.get_by_text("Correct").first.wait_for()
    page.get_by_text("Why Furosemide is or is not the first step.").wait_for()
    shot(page, "13-quiz-generated-question-feedback")
    page.get_by_text("[1] renal/potassium-emergencies.md").click()
    page.get_by_text("does not lower the serum potassium").first.wait_for()
    shot(page, "14-quiz-citation-open")


def test_student_takes_a_tutor_set_then_a_timed_block_that_survives_a_reload(page, shot):
    sign_in(page, "bo")
    open_page(page, "Quiz")
    page.get_by_label("Number of questions").fill("2")
    page.get_by_role("button", name="Start").click()
    for step in range(2):
        page.get_by_role("button", name="Check answer").wait_for()
        choose_first_option(page)
        page.get_by_role("button", name="Check answer").click()
        page.get_by_text(re.compile("Read more in the course material|cites no course passage")).wait_for()
        shot(page, f"15-quiz-tutor-feedback-{step}")
        wait_for_app_run(page)  # a click while the feedback run is still drawing can be lost
        page.get_by_role("button", name=re.compile("Next question|See results")).click()
    page.get_by_text("Practice set finished").wait_for()
    shot(page, "16-quiz-tutor-results")
    page.get_by_role("button", name="Practise again").click()

    page.get_by_text("Timed exam", exact=True).click()
    page.get_by_label("Number of questions").fill("3")
    page.get_by_role("button", name="Start").click()
    page.get_by_text("Time left").wait_for()
    choose_first_option(page)
    page.get_by_role("button", name="Save and next").click()
    page.get_by_text("1 of 3 answered").wait_for()
    shot(page, "17-quiz-exam-in-progress")

    reload_signed_in(page)  # still signed in, still on the Quiz; the block lives on the server
    page.get_by_text("1 of 3 answered").wait_for()
    page.get_by_text("Time left").wait_for()
    page.get_by_text(re.compile(r"Question 2 of 3")).first.wait_for()  # where the student was, not question 1
    page.get_by_role("button", name="Finish the block").click()
    page.get_by_role("button", name="Finish and see results").click()
    page.get_by_text("Exam block finished").wait_for()
    page.get_by_text(re.compile(r"\d / 3")).first.wait_for()
    shot(page, "18-quiz-exam-results")


def test_a_signed_out_address_asks_for_sign_in_then_opens_that_page_and_old_tokens_sign_nobody_in(page, app_url):
    sign_in(page, "bo")
    first = _written_cookie(page)
    # An opaque random token (URL-safe base64, no separators), not the username with a signature:
    # a plain substring test for "bo" failed about 3% of runs on a random token that happened to hold it.
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", first["value"]) and first["sameSite"] == "Strict"
    sign_out(page)
    page.wait_for_function("() => !document.cookie.includes('tutor_session=')")
    assert _session_cookie(page) is None  # sign-out clears it (and revokes it on the server)

    page.goto(app_url.rstrip("/") + "/quiz")
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    assert page.get_by_role("dialog").count() == 0  # no "Page not found" for a page that exists
    fill_sign_in(page, "bo", PASSWORD)
    page.get_by_text("Signed in as").wait_for()
    page.get_by_role("heading", name="Quiz").wait_for()  # the page the address named, not Home

    before_reload = _written_cookie(page)
    reload_signed_in(page)
    page.get_by_role("heading", name="Quiz").wait_for()
    page.wait_for_function("() => !document.cookie.includes(%r)" % before_reload["value"])  # rotated
    for stale in (first, before_reload):  # revoked at sign-out; rotated away at the reload
        page.context.clear_cookies()
        page.context.add_cookies([stale])
        page.reload()
        page.get_by_role("button", name="Sign in", exact=True).wait_for()


def _written_cookie(page) -> dict:
    """The session cookie once the page's cookie component has written it (it runs after the render)."""
    page.wait_for_function("() => document.cookie.includes('tutor_session=')")
    return _session_cookie(page)


def _session_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == "tutor_session" and c["value"]), None)
