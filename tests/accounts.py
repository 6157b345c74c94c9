"""Accounts for app and browser tests: created the way an operator would (``tutor users add``).

Every account gets :data:`PASSWORD`; :func:`open_signed_in` starts the real app under
AppTest and signs in through the real form.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tutor.clock import utc_now
from tutor.modes.access import Actor
from tutor.modes.accounts.service import AccountService
from tutor.progress.accounts import AccountStore
from tutor.progress.records import Learner
from tutor.progress.store import ProgressStore
from tutor.settings import PROJECT_ROOT, Settings

PASSWORD = "a long test password"

DR_LEE = Actor(learner_id=0, username="dr-lee", display_name="Dr Lee", role="instructor")
"""An instructor for service-level tests (a learner id no student has)."""


def add_account(data_dir: Path, username: str, role: str = "student", name: str | None = None) -> Learner:
    settings = Settings(data_dir=data_dir)
    progress = ProgressStore(settings.progress_db)
    progress.ensure_course(settings.course, settings.course.replace("-", " ").title())
    accounts = AccountService(store=AccountStore(settings.progress_db), progress=progress,
                              course_id=settings.course, now=utc_now)
    return accounts.add(Actor.operator(), username, name or username.replace("-", " ").title(), role, PASSWORD)


def open_app() -> AppTest:
    """The real entrypoint under AppTest, run once (a new browser session, nobody signed in)."""
    at = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    next(t for t in at.text_input if t.label == "Username").input(username)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    if "tutor.actor" in at.session_state:
        # A browser lands on the new navigation's default page after the sign-in rerun;
        # AppTest stays on the page it last ran, so go there explicitly.
        at.switch_page("pages/home.py").run()
    return at


def open_signed_in(data_dir: Path, username: str = "dr-lee", role: str = "instructor") -> AppTest:
    """The app (environment already pointed at ``data_dir``), signed in as a new account."""
    add_account(data_dir, username, role)
    at = open_app()
    sign_in(at, username)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at
