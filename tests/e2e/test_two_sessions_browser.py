"""End to end in Chromium: two students signed in at the same time never see each other's state.

Two browser sessions (two contexts: separate cookies and storage, two Streamlit sessions
on one server process, so one cached Services bundle) interleave their work: one asks
the tutor while the other starts a quiz. Each sees only their own name, conversation,
quiz block and dashboard. Streamlit serves both sessions from one process on separate
threads, so state leaking through a shared cache or a module-level variable would show.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.accounts import add_account
from tests.e2e.conftest import SCRIPTED_REPLIES, app_page, choose_first_option, serve, sign_in, wait_for_app_run
from tests.question_files import MINI_BANK_YAML

QUESTION = "What is the emergency treatment for a high potassium?"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e-two-sessions")
    bank = root / "questions"
    bank.mkdir()
    (bank / "mini.yaml").write_text(MINI_BANK_YAML, encoding="utf-8")
    add_account(root / "data", "ada", "student", name="Ada Student")
    add_account(root / "data", "ben", "student", name="Ben Student")
    with serve(root, SCRIPTED_REPLIES, {"TUTOR_QUESTIONS_DIR": str(bank)}) as url:
        yield url


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    wait_for_app_run(page)


def test_two_students_at_once_see_only_their_own_work(browser, app_url, shot):
    with app_page(browser) as ada, app_page(browser) as ben:
        for page, username in ((ada, "ada"), (ben, "ben")):
            page.goto(app_url)
            page.get_by_role("button", name="Sign in", exact=True).wait_for()
            sign_in(page, username)
        expect(ada.get_by_test_id("stSidebar")).to_contain_text("Signed in as Ada Student (student)")
        expect(ben.get_by_test_id("stSidebar")).to_contain_text("Signed in as Ben Student (student)")

        open_page(ada, "Ask the tutor")  # Ada asks while Ben starts a quiz
        open_page(ben, "Quiz")
        ada.get_by_placeholder("Ask about the course material…").fill(QUESTION)
        ada.keyboard.press("Enter")
        ben.get_by_label("Number of questions").fill("1")
        ben.get_by_role("button", name="Start").click()
        ada.get_by_text("Calcium gluconate stabilises the cardiac membrane [1]").wait_for()
        ben.get_by_role("button", name="Check answer").wait_for()
        wait_for_app_run(ada)

        open_page(ben, "Ask the tutor")  # Ben's conversation is empty
        expect(ben.get_by_test_id("stChatMessage")).to_have_count(0)
        expect(ben.get_by_text(QUESTION)).to_have_count(0)
        open_page(ada, "Quiz")  # Ada has no block in progress: she gets the set-up form, not Ben's question
        ada.get_by_role("button", name="Start").wait_for()
        expect(ada.get_by_role("button", name="Check answer")).to_have_count(0)
        shot(ada, "40-two-sessions-ada")

        open_page(ben, "Quiz")  # Ben's block is still his, mid-question; he answers it
        ben.get_by_role("button", name="Check answer").wait_for()
        choose_first_option(ben)
        ben.get_by_role("button", name="Check answer").click()
        ben.get_by_role("button", name="See results").wait_for()
        shot(ben, "41-two-sessions-ben")

        open_page(ada, "My progress")  # Ben's answer is not on Ada's dashboard ...
        ada.get_by_text("No answers yet.").wait_for()
        open_page(ben, "My progress")  # ... it is on his
        ben.get_by_text("Accuracy over time").wait_for()
        metric = ben.get_by_test_id("stMetric").filter(has_text="Questions answered").get_by_test_id("stMetricValue")
        assert metric.inner_text() == "1"
        open_page(ada, "Ask the tutor")  # and Ada's conversation is still there for her
        ada.get_by_test_id("stMainBlockContainer").get_by_text(QUESTION).wait_for()
        expect(ada.get_by_test_id("stChatMessage")).to_have_count(2)
        expect(ada.get_by_test_id("stSidebar").get_by_role("button", name=QUESTION[:40])).to_have_count(1)  # listed once
