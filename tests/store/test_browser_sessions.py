"""Remembered sign-ins on a real progress file: expiring, rotated, revocable, and nothing in clear."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from tests.store.stepping_clock import SteppingClock
from tutor.modes.access import Actor
from tutor.modes.accounts.service import AccountService
from tutor.progress.accounts import AccountStore
from tutor.progress.browser_sessions import BrowserSessionStore
from tutor.progress.store import ProgressStore

PASSWORD = "a long test password"
OPERATOR = Actor.operator()
HOURS = timedelta(hours=12)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


def service(tmp_path, clock, remember_for: timedelta = HOURS) -> AccountService:
    path = tmp_path / "progress.db"
    progress = ProgressStore(path, now=clock)
    progress.ensure_course("core-medicine", "Core Medicine")
    return AccountService(store=AccountStore(path, now=clock), progress=progress, course_id="core-medicine",
                          now=clock, sessions=BrowserSessionStore(path, now=clock), remember_for=remember_for)


@pytest.fixture
def accounts(tmp_path, clock) -> AccountService:
    accounts = service(tmp_path, clock)
    accounts.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    return accounts


def test_a_token_resumes_once_then_only_its_replacement_works(accounts: AccountService, tmp_path):
    ada = accounts.sign_in("ada", PASSWORD)
    first = accounts.remember(ada)
    actor, second = accounts.resume(first.token)
    assert actor.username == "ada" and second.token != first.token
    assert accounts.resume(first.token) is None  # rotated away: a copied cookie works once at most
    assert accounts.resume(second.token)[0].learner_id == ada.learner_id
    with sqlite3.connect(tmp_path / "progress.db") as conn:
        stored = [row[0] for row in conn.execute("SELECT token_hash FROM browser_sessions")]
    assert stored and all(len(h) == 64 and h not in (first.token, second.token) for h in stored)  # hashes only


def test_a_remembered_sign_in_expires_and_use_does_not_extend_it(accounts: AccountService, clock: SteppingClock):
    remembered = accounts.remember(accounts.sign_in("ada", PASSWORD))
    clock.advance(hours=11, minutes=59)
    _, remembered = accounts.resume(remembered.token)
    clock.advance(minutes=2)
    assert accounts.resume(remembered.token) is None


def test_sign_out_a_password_change_an_admin_reset_and_deactivation_each_revoke(accounts: AccountService):
    ada = accounts.sign_in("ada", PASSWORD)
    here = accounts.remember(ada)
    accounts.forget(here.token)
    assert accounts.resume(here.token) is None

    laptop, phone = accounts.remember(ada), accounts.remember(ada)
    accounts.change_password(ada, PASSWORD, "another long password")
    assert accounts.resume(laptop.token) is None and accounts.resume(phone.token) is None

    reset = accounts.remember(accounts.sign_in("ada", "another long password"))
    accounts.set_password(OPERATOR, "ada", "a third long password")  # an administrator's reset
    assert accounts.resume(reset.token) is None

    again = accounts.remember(accounts.sign_in("ada", "a third long password"))
    accounts.set_active(OPERATOR, "ada", False)
    assert accounts.resume(again.token) is None


@pytest.mark.parametrize("token", ["", "x", "a" * 5000, "'; DROP TABLE learners; --", "\x00\u202e"])
def test_any_cookie_value_is_refused_quietly(accounts: AccountService, token: str):
    assert accounts.resume(token) is None


def test_remembering_can_be_turned_off(tmp_path, clock):
    accounts = service(tmp_path, clock, remember_for=timedelta(0))
    accounts.add(OPERATOR, "bo", "Bo", "student", PASSWORD)
    assert accounts.remember(accounts.sign_in("bo", PASSWORD)) is None
