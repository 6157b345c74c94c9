"""A real browser against the real app: `streamlit run` on localhost, Debian's Chromium.

The app runs as a subprocess with its own data folder, a small curriculum and the
scripted chat model (selected by settings, as an operator would). Playwright drives
/usr/bin/chromium; it never downloads a browser of its own. Screenshots of each step
are saved under test-artifacts/e2e/.

Nothing but the sign-in page is reachable until someone signs in, so each module
creates its accounts (``add_account``, as an operator would with ``tutor users add``)
in the app's data folder, ``root / "data"``, and each test signs in through the real
form with :func:`sign_in`. A browser reload starts a new Streamlit session, which the
remembered sign-in (a cookie holding a random token) resumes on the same page.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.accounts import PASSWORD, add_account
from tests.markdown_files import write_mini_curriculum
from tests.network import OFFLINE_ENV
from tutor.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = PROJECT_ROOT / "test-artifacts" / "e2e"
INSTRUCTOR = "dr-lee"
STUDENT = "ada"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SIGN_IN_BUTTONS = re.compile(r"^(Sign in|Create and sign in)$")
SCRIPTED_REPLIES = [
    "Calcium gluconate stabilises the cardiac membrane [1]. Insulin with glucose shifts potassium into cells [1].",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(root: Path, replies: list[str], extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run` the app on a free port with its own data folder; yields its URL."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: `make test` installs it (apt-get install chromium).")
    curriculum = write_mini_curriculum(root / "curriculum")
    script = root / "script.json"
    script.write_text(json.dumps(replies))
    port = _free_port()
    env = {
        **os.environ,
        **OFFLINE_ENV,  # the app cannot reach outside the machine either
        "TUTOR_DATA_DIR": str(root / "data"),
        "TUTOR_CONTENT_DIR": str(curriculum),
        "TUTOR_LLM_PROVIDER": "scripted",
        "TUTOR_LLM_SCRIPT": str(script),
        **(extra_env or {}),
    }
    log = open(root / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "streamlit_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"streamlit did not start: {(root / 'streamlit.log').read_text()[-2000:]}")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def wait_for_app_run(page) -> None:
    """Wait until the script run in progress (if any) has finished, as Streamlit's own browser tests do.

    Acting on a page whose run is still going on is racy in Streamlit's front end: a
    search submitted right after a sign-in and a page switch was sometimes dropped, and
    signing out before the first page after a sign-in had finished sometimes brought the
    sign-in form back with the previous user's username and password still in it.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    running = page.locator("[data-testid='stApp'][data-test-script-state='running']")
    idle = page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")
    try:  # the run a click or key press started (on a busy machine it may take a moment to begin)
        running.wait_for(state="attached", timeout=1000)
    except PlaywrightTimeout:
        pass  # it was over before we looked, or there was none
    while True:
        idle.wait_for(state="attached")
        page.wait_for_timeout(250)
        if idle.count():  # still idle a moment later: not just between a run and the rerun it asked for
            return


def choose_first_option(page) -> None:
    """Click option A's label and wait until the browser shows it checked (no forced clicks)."""
    from playwright.sync_api import expect

    group = page.get_by_role("radiogroup")
    group.get_by_text(re.compile(r"^A\. ")).click()
    expect(group.get_by_role("radio").first).to_be_checked()


def fill_sign_in(page, username: str, password: str) -> None:
    """Type into the sign-in form from the keyboard and press Enter (replacing anything already in the fields)."""
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Sign in", exact=True))
    form.get_by_label("Username").click()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form and wait for the signed-in app's navigation and its first page."""
    fill_sign_in(page, username, password)
    page.get_by_text("Signed in as").wait_for()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Home").wait_for()
    wait_for_app_run(page)


def reload_signed_in(page) -> None:
    """Reload the page: a new Streamlit session that the browser's remembered sign-in resumes,
    on the same page, without a "Page not found" dialog."""
    page.reload()
    page.get_by_text("Signed in as").wait_for()
    wait_for_app_run(page)
    assert page.get_by_role("dialog").count() == 0


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    wait_for_app_run(page)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e")
    (root / "no-questions").mkdir()
    add_account(root / "data", INSTRUCTOR, "instructor")
    add_account(root / "data", STUDENT, "student")
    with serve(root, SCRIPTED_REPLIES, {"TUTOR_QUESTIONS_DIR": str(root / "no-questions")}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


def launch_chromium(playwright):
    """Debian's Chromium, headless, offline like the tests: anything but loopback goes to a closed
    port (loopback bypasses proxies)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--proxy-server=http://127.0.0.1:9"],
    )


@contextmanager
def app_page(browser) -> Iterator:
    """A page in a fresh browser session; fails the test if the page asked for anything outside the machine.

    The app must never make a student's browser call out (a tracking pixel, a web font, an
    image named in uploaded material): every request's host is checked.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    context.on("request", lambda request: None if urlsplit(request.url).hostname in LOOPBACK
               or request.url.startswith(("data:", "blob:")) else outside.append(request.url))
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()
    assert outside == [], f"the page requested outside addresses: {outside[:5]}"


@pytest.fixture
def page(browser, app_url):
    with app_page(browser) as page:
        page.goto(app_url)
        page.get_by_role("button", name=SIGN_IN_BUTTONS).wait_for()  # the sign-in (or first administrator) form
        yield page


@pytest.fixture
def shot():
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep a screenshot of the page as it was when a browser test failed."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page")
    if report.when == "call" and report.failed and page is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"FAILED-{item.name}.png"), full_page=True)
