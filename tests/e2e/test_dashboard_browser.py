"""End to end in Chromium: accounts and the dashboards.

Covers the dashboards issue's "done when": a student sees only their own dashboard and
an instructor sees the class view and item analysis with plots; an attempt made a
moment ago shows up. It starts from a fresh installation, where the first visitor
creates the administrator, who adds a student on the Accounts page.

One server for the module. A class of eight students has answered the mini question
bank before it starts (through the real quiz service, as students would), so that item
analysis has enough first responses; their accounts have no password (single sign-on
accounts), so the installation is still "fresh" for the first visitor. Accounts the
tests sign in with are created when a test needs them (the database file is shared
with the running app).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.accounts import PASSWORD, add_account
from tests.e2e.conftest import app_page, choose_first_option, fill_sign_in, serve, sign_in, sign_out, wait_for_app_run
from tests.question_files import MINI_BANK_YAML
from tutor.modes.access import Actor
from tutor.modes.quiz.models import BlockSpec
from tutor.progress.accounts import AccountStore
from tutor.progress.item_analysis import MIN_RESPONSES
from tutor.services import build_services
from tutor.settings import Settings

CLASS_SIZE = 8
SENT_BACK = "mini-k-1"
SENT_BACK_STEM = "A man with potassium 7.1 mmol/L has peaked T waves."
RIGHT_FROM = {"mini-aki-1": 2, "mini-hf-1": 4, "mini-hf-2": 5}  # student i answers right when i >= this
TEACH_PAGES = ("Class progress", "Item analysis", "Library", "Question bank", "Case reviews", "Accounts")


def answers_right(student: int, question_id: str) -> bool:
    """Students 0-7 in order of ability; the question sent back behaves like a miskeyed one (the stronger half miss it)."""
    return student < CLASS_SIZE // 2 if question_id == SENT_BACK else student >= RIGHT_FROM[question_id]


def seed_class(data: Path, bank: Path) -> None:
    """Eight students who each answered every question of the mini bank once.

    The answers go through the real quiz service in a scratch data folder, and its two
    SQLite files (questions and progress) are then copied into the app's data folder
    with SQLite's backup API: the app is the only process that ever opens its Chroma
    index (one writer per Chroma path).
    """
    scratch = data.parent / "seed"
    services = build_services(Settings(data_dir=scratch, questions_dir=bank))
    services.load_bundled_questions()
    for i in range(CLASS_SIZE):
        learner = services.accounts.add(Actor.operator(), f"student-{i}", f"Student {i}", "student", None)
        block = services.quiz.start(learner.id, BlockSpec(mode="tutor", size=len(RIGHT_FROM) + 1), seed=i)
        for position in range(len(block.question_ids)):
            question = services.quiz.question(block, position)
            wrong = next(x for x in question.letters if x != question.answer)
            letter = question.answer if answers_right(i, question.id) else wrong
            services.quiz.answer(learner.id, block.block_id, position, letter, time_taken_ms=20_000)
    data.mkdir(parents=True, exist_ok=True)
    for name in (services.settings.bank_db.name, services.settings.progress_db.name):
        with closing(sqlite3.connect(scratch / name)) as source, closing(sqlite3.connect(data / name)) as target:
            source.backup(target)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-dashboards")


@pytest.fixture(scope="module")
def app_url(root) -> Iterator[str]:
    bank = root / "questions"
    bank.mkdir()
    (bank / "mini.yaml").write_text(MINI_BANK_YAML, encoding="utf-8")
    seed_class(root / "data", bank)
    with serve(root, ["unused"], {"TUTOR_QUESTIONS_DIR": str(bank)}) as url:
        yield url


@pytest.fixture
def page(browser, app_url):
    """A fresh browser session that has not opened the app yet (each test opens it when its accounts exist)."""
    with app_page(browser) as page:
        yield page


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=re.compile(r"^(Sign in|Create and sign in)$")).wait_for()
    wait_for_app_run(page)


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    wait_for_app_run(page)


def metric(page, label: str) -> str:
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue").inner_text()


def account_listed(page, username: str) -> bool:
    """Whether the Accounts page offers ``username`` to change (the table above is a canvas), asked until it does (10 s)."""
    for _ in range(10):
        page.get_by_role("combobox", name="Change an account").click()
        page.get_by_role("listbox").wait_for()
        listed = username in page.get_by_role("option").all_inner_texts()
        page.keyboard.press("Escape")
        if listed:
            return True
        page.wait_for_timeout(1000)
    return False


def chart_drawn(scope) -> None:
    """A Vega-Lite (Altair) chart in ``scope`` has been drawn: vega-embed has put its canvas or SVG in."""
    scope.get_by_test_id("stVegaLiteChart").locator("canvas, svg").first.wait_for()


def test_the_first_visitor_creates_the_administrator_who_adds_a_student(page, shot, app_url):
    open_app(page, app_url)
    page.get_by_text("This installation has no accounts yet").wait_for()
    form = page.get_by_test_id("stForm")
    form.get_by_label("Username").fill("admin")
    form.get_by_label("Your name").fill("Ada Admin")
    form.get_by_label("Password (10 characters or more)").fill(PASSWORD)
    form.get_by_label("Password again").fill(PASSWORD)
    shot(page, "30-first-administrator")
    page.get_by_role("button", name="Create and sign in").click()
    page.get_by_text("Signed in as").wait_for()
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Signed in as Ada Admin (admin)")
    wait_for_app_run(page)

    open_page(page, "Accounts")
    page.get_by_text("Add an account").wait_for()
    form = page.get_by_test_id("stForm").filter(has_text="Add an account")
    form.get_by_label("Username").fill("sam")
    form.get_by_label("Name", exact=True).fill("Sam Student")
    expect(form.get_by_role("combobox", name="Role")).to_have_value("student")  # the default role
    form.get_by_label("First password (10 characters or more)").fill(PASSWORD)
    form.get_by_role("button", name="Add account").click()
    page.get_by_test_id("stToast").get_by_text("Added sam.").wait_for()  # the confirmation survives the rerun
    wait_for_app_run(page)
    assert account_listed(page, "sam")
    shot(page, "31-accounts-student-added")
    sign_out(page)

    fill_sign_in(page, "sam", "not the password")
    page.get_by_text("That username and password do not match an account.").wait_for()
    shot(page, "32-wrong-password")
    sign_in(page, "sam")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Signed in as Sam Student (student)")
    shot(page, "33-student-signed-in")


def test_a_student_sees_an_answer_just_given_on_their_own_dashboard_and_nothing_of_the_class(page, shot, app_url, root):
    add_account(root / "data", "bea", "student", name="Bea Student")
    open_app(page, app_url)
    sign_in(page, "bea")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="My progress")).to_be_visible()
    for name in TEACH_PAGES:
        expect(nav.get_by_role("link", name=name)).to_have_count(0)

    open_page(page, "Quiz")
    page.get_by_label("Number of questions").fill("1")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("button", name="Check answer").wait_for()
    choose_first_option(page)
    page.get_by_role("button", name="Check answer").click()
    page.get_by_role("button", name="See results").wait_for()

    open_page(page, "My progress")
    page.get_by_text("Accuracy over time").wait_for()
    assert metric(page, "Questions answered") == "1"
    chart_drawn(page)
    shot(page, "34-student-my-progress")

    # The class page's address, opened directly (a new session, resumed by the remembered sign-in):
    # the page exists, so no "Page not found", but it refuses a student and shows nothing of the class.
    page.goto(f"{app_url}/class_progress")
    page.get_by_text("Signed in as").wait_for()
    page.get_by_text("This is for instructors").wait_for()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("Students at risk")).to_have_count(0)
    expect(page.get_by_test_id("stMetric").filter(has_text="At risk")).to_have_count(0)
    for name in TEACH_PAGES:
        expect(page.get_by_test_id("stSidebarNav").get_by_role("link", name=name)).to_have_count(0)
    shot(page, "35-student-opens-the-class-address")


def test_an_instructor_sees_the_class_and_sends_a_question_back_from_item_analysis(page, shot, app_url, root):
    add_account(root / "data", "dr-lee", "instructor", name="Dr Lee")
    students = [a for a in AccountStore(root / "data" / "progress.db").accounts(roles=("student",)) if a.active]
    open_app(page, app_url)
    sign_in(page, "dr-lee")

    open_page(page, "Class progress")
    assert metric(page, "Students") == str(len(students))
    assert len(students) >= CLASS_SIZE
    page.get_by_role("tab", name="Mastery heatmap").click()
    chart_drawn(page.get_by_role("tabpanel", name="Mastery heatmap"))
    shot(page, "36-class-progress-heatmap")

    open_page(page, "Item analysis")
    page.get_by_text(f"No question has {MIN_RESPONSES} first responses yet").wait_for()  # the default minimum
    minimum = page.get_by_role("spinbutton", name="Minimum responses per question")
    minimum.fill("5")
    minimum.press("Enter")
    page.get_by_test_id("stDataFrame").wait_for()
    assert metric(page, "Questions analysed") == "4"
    page.get_by_role("combobox").click()  # "Open a question"
    page.get_by_role("option", name=f"⚑ {SENT_BACK}: Hyperkalaemia").click()  # flagged: it behaves as if miskeyed
    page.get_by_text(SENT_BACK_STEM).wait_for()
    chart_drawn(page)  # the option choice rates
    page.get_by_test_id("stVegaLiteChart").scroll_into_view_if_needed()
    shot(page, "37-item-analysis-question")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Send back to the review queue"))
    form.get_by_label("Why it goes back to review").fill("Check the key and the wording with the renal team.")
    form.get_by_role("button", name="Send back to the review queue").click()
    page.get_by_text("This question is draft: it is not in students' quizzes.").wait_for()
    page.get_by_test_id("stToast").get_by_text("is back in the review queue").wait_for()
    wait_for_app_run(page)

    open_page(page, "Question bank")
    page.get_by_role("tab", name="Review queue (1)").click()
    page.get_by_text(SENT_BACK_STEM).first.wait_for()
    page.get_by_text("Check the key and the wording with the renal team.").first.wait_for()
    shot(page, "38-question-bank-review-queue")
