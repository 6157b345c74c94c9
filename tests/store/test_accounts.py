"""Local accounts on a real progress file: Argon2id hashes, lock-out, roles, the last admin."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from tests.store.stepping_clock import SteppingClock
from tutor.errors import AccessDenied, AccountError, SignInFailed
from tutor.modes.access import Actor
from tutor.modes.accounts.service import LOCK_AFTER, LOCK_FOR, AccountService
from tutor.progress.accounts import AccountStore
from tutor.progress.store import ProgressStore

PASSWORD = "a long test password"
OPERATOR = Actor.operator()


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def accounts(tmp_path, clock) -> AccountService:
    path = tmp_path / "progress.db"
    progress = ProgressStore(path, now=clock)
    progress.ensure_course("core-medicine", "Core Medicine")
    return AccountService(store=AccountStore(path, now=clock), progress=progress, course_id="core-medicine", now=clock)


def stored(tmp_path, username: str) -> dict:
    with sqlite3.connect(tmp_path / "progress.db") as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM learners WHERE username = ?", [username]).fetchone())


def test_a_fresh_installation_asks_for_the_first_admin_once(accounts: AccountService):
    assert accounts.needs_first_admin()
    admin = accounts.create_first_admin("root", "Admin", PASSWORD)
    assert admin.role == "admin" and not accounts.needs_first_admin()
    with pytest.raises(AccessDenied):
        accounts.create_first_admin("root2", "Another", PASSWORD)


def test_passwords_are_stored_as_salted_argon2id_hashes(accounts: AccountService, tmp_path):
    accounts.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    accounts.add(OPERATOR, "bob", "Bob", "student", PASSWORD)
    ada, bob = stored(tmp_path, "ada"), stored(tmp_path, "bob")
    assert ada["password_hash"].startswith("$argon2id$") and PASSWORD not in ada["password_hash"]
    assert ada["password_hash"] != bob["password_hash"]  # same password, different salt
    assert accounts.sign_in("ADA ", PASSWORD).username == "ada"  # usernames: case and blanks do not matter


def test_wrong_passwords_and_unknown_names_get_the_same_message(accounts: AccountService):
    accounts.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    with pytest.raises(SignInFailed) as wrong:
        accounts.sign_in("ada", "not the password")
    with pytest.raises(SignInFailed) as unknown:
        accounts.sign_in("nobody", PASSWORD)
    with pytest.raises(SignInFailed) as blank:
        accounts.sign_in("", "")
    assert wrong.value.user_message == unknown.value.user_message == blank.value.user_message


def test_repeated_wrong_passwords_lock_the_account_for_a_while(accounts: AccountService, clock: SteppingClock):
    accounts.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    for _ in range(LOCK_AFTER):
        with pytest.raises(SignInFailed):
            accounts.sign_in("ada", "guess")
    with pytest.raises(SignInFailed) as locked:
        accounts.sign_in("ada", PASSWORD)  # even the right password, while locked
    assert "locked for 15 more minute(s)" in locked.value.user_message
    clock.advance(seconds=LOCK_FOR.total_seconds() + 1)
    assert accounts.sign_in("ada", PASSWORD).username == "ada"


def test_a_successful_sign_in_resets_the_failure_count(accounts: AccountService, tmp_path):
    accounts.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    for _ in range(LOCK_AFTER - 1):
        with pytest.raises(SignInFailed):
            accounts.sign_in("ada", "guess")
    accounts.sign_in("ada", PASSWORD)
    row = stored(tmp_path, "ada")
    assert row["failed_logins"] == 0 and row["locked_until"] is None and row["last_login_at"]


def test_a_deactivated_account_cannot_sign_in_and_is_signed_out(accounts: AccountService):
    accounts.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    ada = accounts.sign_in("ada", PASSWORD)
    accounts.set_active(OPERATOR, "ada", False)
    assert accounts.refresh(ada) is None
    with pytest.raises(SignInFailed, match="deactivated"):
        accounts.sign_in("ada", PASSWORD)


def test_a_role_change_applies_to_a_signed_in_user_at_once(accounts: AccountService):
    accounts.add(OPERATOR, "lee", "Dr Lee", "student", PASSWORD)
    lee = accounts.sign_in("lee", PASSWORD)
    accounts.set_role(OPERATOR, "lee", "instructor")
    assert accounts.refresh(lee).role == "instructor" and accounts.refresh(lee).is_staff


def test_the_last_admin_cannot_be_demoted_or_deactivated(accounts: AccountService):
    admin = accounts.create_first_admin("root", "Admin", PASSWORD)
    with pytest.raises(AccountError, match="last administrator"):
        accounts.set_role(admin, "root", "student")
    with pytest.raises(AccountError, match="last administrator"):
        accounts.set_active(admin, "root", False)
    accounts.add(admin, "root2", "Second", "admin", PASSWORD)
    assert accounts.set_role(admin, "root", "instructor").role == "instructor"


@pytest.mark.parametrize("username, password, message", [
    ("ada", "short", "10 to 256 characters"),
    ("ada", "ada", "10 to 256 characters"),
    ("ada-lovelace", "ADA-LOVELACE", "must not be the username"),
    ("a", PASSWORD, "2-64 characters"),
    ("has space", PASSWORD, "2-64 characters"),
    ("-dash", PASSWORD, "2-64 characters"),
])
def test_weak_passwords_and_bad_usernames_are_refused_with_a_reason(accounts, username, password, message):
    with pytest.raises(AccountError, match=message):
        accounts.add(OPERATOR, username, "X", "student", password)


def test_a_taken_username_is_refused(accounts: AccountService):
    accounts.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    with pytest.raises(AccountError, match="already taken"):
        accounts.add(OPERATOR, "Ada", "Another Ada", "student", PASSWORD)


def test_an_old_hash_is_upgraded_on_the_next_sign_in(tmp_path, clock):
    path = tmp_path / "progress.db"
    progress = ProgressStore(path, now=clock)
    progress.ensure_course("core-medicine", "Core Medicine")
    weak = AccountService(store=AccountStore(path, now=clock), progress=progress, course_id="core-medicine", now=clock,
                          hasher=PasswordHasher(time_cost=1, memory_cost=8192))
    weak.add(OPERATOR, "ada", "Ada", "student", PASSWORD)
    old = stored(tmp_path, "ada")["password_hash"]
    current = AccountService(store=AccountStore(path, now=clock), progress=progress, course_id="core-medicine", now=clock)
    current.sign_in("ada", PASSWORD)
    new = stored(tmp_path, "ada")["password_hash"]
    assert new != old and "m=65536" in new and current.sign_in("ada", PASSWORD).username == "ada"


def test_single_sign_on_creates_a_student_once_and_keeps_a_given_role(accounts: AccountService):
    first = accounts.sign_in_sso("Ada@Example.org", "Ada Lovelace")
    assert (first.username, first.role, first.display_name) == ("ada@example.org", "student", "Ada Lovelace")
    accounts.set_role(OPERATOR, "ada@example.org", "instructor")
    assert accounts.sign_in_sso("ada@example.org", "Renamed").role == "instructor"
    with pytest.raises(SignInFailed):  # no password: an SSO account cannot use the password form
        accounts.sign_in("ada@example.org", "")
    with pytest.raises(SignInFailed, match="e-mail"):
        accounts.sign_in_sso("", None)


def test_staff_see_students_admins_see_everyone(accounts: AccountService):
    admin = accounts.create_first_admin("root", "Admin", PASSWORD)
    accounts.add(admin, "lee", "Dr Lee", "instructor", PASSWORD)
    accounts.add(admin, "ada", "Ada", "student", PASSWORD)
    lee = accounts.sign_in("lee", PASSWORD)
    assert [a.username for a in accounts.accounts(lee)] == ["ada"]
    assert [a.username for a in accounts.accounts(admin)] == ["ada", "lee", "root"]
    assert timedelta(minutes=15) == LOCK_FOR
