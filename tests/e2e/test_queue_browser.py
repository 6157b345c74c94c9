"""End to end in Chromium: three students ask at once; the evidence comes first, then each waits their turn.

One app process (one model queue, one slot as with the local model) serves three browser
sessions. The scripted model is paced like a model on a CPU (a pause before every word),
so the three answers cannot overlap: the second and third students see what the course
material says at once, then their place in the queue and a wait; the third cancels and
keeps the evidence, stored as a cancelled turn; the first two get their explanations.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.accounts import add_account
from tests.e2e.conftest import SCRIPTED_REPLIES, app_page, serve, sign_in, wait_for_app_run

QUESTION = "What is the emergency treatment for a high potassium?"
STUDENTS = ("ada", "ben", "cyd")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e-queue")
    for name in STUDENTS:
        add_account(root / "data", name, "student", name=f"{name.title()} Student")
    with serve(root, {"word_delay_s": 0.4, "replies": SCRIPTED_REPLIES}, {"TUTOR_LLM_CONCURRENCY": "1"}) as url:
        yield url


def test_three_students_at_once_see_evidence_then_their_place(browser, app_url, shot):
    with app_page(browser) as ada, app_page(browser) as ben, app_page(browser) as cyd:
        for page, username in zip((ada, ben, cyd), STUDENTS):
            page.goto(app_url)
            page.get_by_role("button", name="Sign in", exact=True).wait_for()
            sign_in(page, username)
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Ask the tutor", exact=True).click()
            wait_for_app_run(page)
            page.get_by_placeholder("Ask about the course material…").fill(QUESTION)
        ada.keyboard.press("Enter")  # Ada first: the model is hers for a few seconds
        ada.get_by_text("What the course material says").wait_for()
        for page in (ben, cyd):  # then Ben and Cyd, while Ada's explanation is being written
            page.keyboard.press("Enter")
        for page in (ben, cyd):  # each sees the evidence at once, then their place
            page.bring_to_front()
            page.get_by_text("What the course material says").wait_for()
            page.get_by_text("ahead of yours").wait_for()
        shot(cyd, "08-ask-queue-place")
        cyd.bring_to_front()
        cyd.get_by_role("button", name="Cancel").click()
        cyd.get_by_text("Cancelled").wait_for()
        expect(cyd.get_by_text("What the course material says")).to_have_count(1)  # the evidence stays
        for page in (ada, ben):
            page.bring_to_front()
            page.get_by_text("Calcium gluconate stabilises the cardiac membrane [1]").wait_for(timeout=60_000)
            wait_for_app_run(page)
        shot(ada, "05b-ask-evidence-first")
