"""The multi-process deployment, started as an operator would (``tutor school``), in a real browser.

Real engines on loopback: ``chroma run``, a ``tutor worker`` process, two ``streamlit run``
app processes and Debian's HAProxy in front. What must hold: requests spread over both
apps and a student stays on hers (sticky cookie); the WebSocket works through HAProxy;
an upload on the Library page runs as a job in the worker process; killing the app
process a signed-in student is on loses nothing she stored, her next page load is
served by the other process with her sign-in resumed, and the launcher restarts the
killed process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.accounts import add_account
from tests.e2e.conftest import INSTRUCTOR, app_page, reload_signed_in, sign_in, wait_for_app_run
from tests.engines import require
from tests.markdown_files import write_mini_curriculum
from tests.network import OFFLINE_ENV
from tests.school_set import running_school

NOTE = b"---\ntitle: Sepsis\n---\n# Sepsis\n\n## Fluids\n\nGive 30 mL/kg of crystalloid within three hours.\n"


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    require("haproxy", "haproxy")
    root = tmp_path_factory.mktemp("school")
    script = root / "script.json"
    script.write_text(json.dumps(["Give crystalloid early [1]."]))
    add_account(root / "data", INSTRUCTOR, "instructor")
    env = {**os.environ, **OFFLINE_ENV, "TUTOR_DATA_DIR": str(root / "data"),
           "TUTOR_CONTENT_DIR": str(write_mini_curriculum(root / "curriculum")),
           "TUTOR_QUESTIONS_DIR": str(root / "none"), "TUTOR_CASES_DIR": str(root / "none"),
           "TUTOR_LLM_PROVIDER": "scripted", "TUTOR_LLM_SCRIPT": str(script)}
    with running_school(root, env) as (url, ports):
        yield url, root, ports


def _status(root: Path) -> dict:
    return json.loads((root / "data" / "school" / "status.json").read_text())


def _get(url: str, cookie: str | None = None) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        set_cookie = response.headers.get("Set-Cookie") or ""
        found = re.search(r"TUTORAPP=(app\d)", set_cookie)
        return response.status, found.group(1) if found else None


def test_haproxy_spreads_new_visitors_and_keeps_each_on_their_app(school):
    url, _root, ports = school
    first_visits = [_get(url)[1] for _ in range(4)]
    assert sorted(set(first_visits)) == ["app1", "app2"]  # round robin over both processes
    assert _get(url, "TUTORAPP=app2") == (200, None)  # a known visitor is not re-assigned
    with urllib.request.urlopen(f"http://127.0.0.1:{ports['stats-port']}/stats;csv", timeout=10) as response:
        stats = response.read().decode()
    assert stats.count(",UP,") >= 2  # both app processes pass HAProxy's health check


def test_a_killed_app_process_loses_nothing_and_its_instructor_carries_on_on_the_other(school, browser, tmp_path):
    url, root, _ports = school
    note = tmp_path / "sepsis.md"
    note.write_bytes(NOTE)
    with app_page(browser) as page:
        page.goto(url)
        sign_in(page, INSTRUCTOR)  # the WebSocket runs through HAProxy
        page.get_by_role("link", name="Library").click()
        page.get_by_text("Add course material").wait_for()
        page.get_by_label(re.compile("^Add course material")).get_by_test_id(
            "stFileUploaderDropzoneInput").set_input_files([str(note)])
        page.get_by_text("sepsis.md").first.wait_for()
        page.get_by_role("button", name="Add to library").click()
        page.get_by_text(re.compile(r"passages indexed in")).wait_for(timeout=60_000)  # run by the worker process
        wait_for_app_run(page)

        app = next(c["value"] for c in page.context.cookies() if c["name"] == "TUTORAPP")
        victim = _status(root)["children"][f"app-{app[-1]}"]["pid"]
        os.kill(victim, signal.SIGKILL)

        page.set_default_timeout(120_000)  # the other process may be cold: its first page loads the models
        reload_signed_in(page)  # served by the other process, sign-in resumed from the shared database
        page.get_by_text("Documents (4)").wait_for()  # the upload is there: three bundled notes and the new one
        moved = next(c["value"] for c in page.context.cookies() if c["name"] == "TUTORAPP")
        assert moved != app

    deadline = time.monotonic() + 90
    while _status(root)["children"][f"app-{app[-1]}"]["restarts"] < 1:  # the launcher starts it again
        assert time.monotonic() < deadline, "the killed app process was not restarted"
        time.sleep(0.5)
    jobs = subprocess.run([str(Path(sys.executable).with_name("tutor")), "jobs"], capture_output=True, text=True,
                          env={**os.environ, "TUTOR_DATA_DIR": str(root / "data")}, timeout=60)
    assert "done" in jobs.stdout and "Upload: sepsis.md" in jobs.stdout and "Workers alive: " in jobs.stdout
