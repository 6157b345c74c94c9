"""End to end in Chromium: a student completes a bundled case and gets a debrief that matches its rubric.

Their dashboard is looked at before and after: empty at first, then the case's rubric points
by learning objective and the case in the list of completed cases.

The app serves the bundled cases (``content/cases``) over the bundled cardiology
curriculum, so the debrief's citations open real passages. The expected score is worked
out here from the case file's own rubric points, independently of the app's marking code.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from tests.accounts import add_account
from playwright.sync_api import expect

from tests.e2e.conftest import STUDENT, serve, sign_in, wait_for_app_run
from tutor.content.cases.parse import parse_case
from tutor.settings import PROJECT_ROOT

CASE_FILE = PROJECT_ROOT / "content" / "cases" / "cardiology-inferior-stemi.yaml"
TITLE = "Central chest pain in a 58-year-old man"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e-cases")
    curriculum = root / "cardiology-only"
    shutil.copytree(PROJECT_ROOT / "content" / "curriculum" / "cardiology", curriculum / "cardiology")
    (root / "no-questions").mkdir()
    env = {"TUTOR_CONTENT_DIR": str(curriculum), "TUTOR_QUESTIONS_DIR": str(root / "no-questions"),
           "TUTOR_CASE_MODEL_REQUESTS": "false"}
    add_account(root / "data", STUDENT, "student")
    with serve(root, ["unused"], env) as url:
        yield url


def ask(page, request: str, expect: str) -> None:
    wait_for_app_run(page)  # a rerun still drawing (a new stage) replaces the box under the cursor
    box = page.get_by_placeholder(re.compile("ask a question, examine, or order a test"))
    box.fill(request)
    box.press("Enter")
    page.get_by_text(expect).first.wait_for()


def move_on(page, to: str) -> None:
    page.get_by_role("button", name=f"Move on to {to}").click()
    wait_for_app_run(page)
    page.get_by_placeholder(re.compile(f"^{to}")).or_(page.get_by_role("button", name=re.compile("^Commit"))).first.wait_for()


def expected_score() -> str:
    """Every key finding but the troponin; STEMI first and dissection listed; every step but analgesia."""
    case = parse_case(CASE_FILE.read_bytes(), CASE_FILE.name)
    points, rubric = case.rubric.points, case.rubric
    must_not_miss = sum(d.must_not_miss for d in rubric.diagnoses)
    possible = (len(rubric.key_findings) * points.key_finding + points.leading_diagnosis
                + len(rubric.differential) * points.expected_diagnosis + must_not_miss * points.must_not_miss
                + len(rubric.next_steps) * points.next_step)
    earned = possible - points.key_finding - points.next_step
    return f"{earned / possible:.0%}"


def open_page(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    wait_for_app_run(page)


def test_a_student_completes_a_bundled_case_and_the_debrief_matches_the_rubric(page, shot):
    sign_in(page, STUDENT)
    open_page(page, "My progress")
    page.get_by_text("No answers yet.").wait_for()
    shot(page, "19-my-progress-before-the-case")
    page.get_by_role("link", name="Cases").click()
    page.get_by_text(TITLE).wait_for()
    page.locator(f".st-key-case-start-{CASE_FILE.stem} button").click()
    page.get_by_text("Mr Daniel Okafor").wait_for()
    box = page.get_by_test_id("stChatInput").bounding_box()
    assert box["y"] + box["height"] <= 900, box  # the request box is on screen at 1280x900, not below the fold

    ask(page, "What is the pain like?", "crushing pressure")
    ask(page, "Does it radiate anywhere?", "up into my jaw")
    ask(page, "Any sweating or nausea?", "sweating buckets")
    shot(page, "20-case-history")
    move_on(page, "Examination")
    page.get_by_text("Heart rate 52 bpm").first.wait_for()  # shown on entering the examination
    ask(page, "Blood pressure in both arms", "104/68 mmHg in the right arm")
    ask(page, "Check his abdomen", "Nothing abnormal is found on that examination.")
    move_on(page, "Investigations")
    ask(page, "12-lead ECG please", "ST elevation of 3 mm in II, III and aVF")
    ask(page, "And a chest X-ray", "Mediastinum not widened")
    ask(page, "D-dimer", "That result is not back yet.")
    shot(page, "21-case-investigations")

    move_on(page, "Differential diagnosis")
    page.get_by_label("1. Most likely").fill("Inferior STEMI")
    page.get_by_label("2.", exact=True).fill("Aortic dissection")
    page.get_by_role("button", name="Commit differential").click()
    page.get_by_text("The findings you elicited support it").wait_for()
    page.get_by_text("Right to consider; these findings argue against it").wait_for()
    shot(page, "22-case-differential-feedback")

    move_on(page, "Management")
    page.get_by_label(re.compile("Your management plan")).fill("Aspirin 300 mg\nCall the cath lab for primary PCI\nTicagrelor 180 mg")
    page.get_by_role("button", name="Commit plan").click()
    page.get_by_text("Expected").first.wait_for()
    page.get_by_role("button", name="Finish the case and see the debrief").click()

    page.get_by_text("Debrief").wait_for()
    score = page.get_by_test_id("stMetric").filter(has_text="Rubric score").get_by_test_id("stMetricValue")
    assert score.inner_text() == expected_score()
    page.get_by_text("High-sensitivity troponin — 0 / 1").wait_for()  # the key finding not asked for
    shot(page, "23-case-debrief")
    point = "Before giving antithrombotic drugs, think of aortic dissection"  # the last teaching point
    page.get_by_text(point).wait_for()
    innermost = page.get_by_test_id("stVerticalBlock").filter(has_text=point).last
    innermost.get_by_text("[1] cardiology/acute-coronary-syndromes.md").click()
    page.get_by_text("cardiology/acute-coronary-syndromes.md · Acute coronary syndromes > Clinical features").wait_for()
    page.get_by_text("tearing pain radiating to the back").first.wait_for()  # the passage itself
    shot(page, "24-case-debrief-citation")

    open_page(page, "My progress")  # the dashboard has changed: the case's points by learning objective
    expect(page.get_by_text("No answers yet.")).to_have_count(0)
    page.get_by_role("tab", name="Cases").click()
    expect(page.get_by_role("tabpanel", name="Cases").get_by_text("No completed cases yet.")).to_have_count(0)
    page.get_by_role("tab", name="By learning objective").click()
    objectives = page.get_by_role("tabpanel", name="By learning objective")
    objectives.get_by_test_id("stVegaLiteChart").locator("canvas, svg").first.wait_for()
    objectives.get_by_text("The evidence behind each number").click()
    objectives.get_by_text(re.compile(r"\d+% \([\d.]+ of [\d.]+\)")).first.wait_for()  # "<objective>: 75% (3 of 4)"
    page.get_by_text("No quiz answers in the last 12 weeks").wait_for()  # no empty accuracy chart for a case-only learner
    shot(page, "25-my-progress-after-the-case")
