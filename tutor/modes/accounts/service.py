"""Accounts and sign-in: local passwords (Argon2id) or single sign-on, and the roles.

Local accounts are created by an administrator (``tutor users add``, or the Accounts
page); on a fresh installation, with no account that can sign in, the app asks for the
first administrator instead. Passwords are hashed with argon2-cffi's ``PasswordHasher``
(Argon2id, a random salt per hash, parameters in the hash so they can be raised later:
an old hash is re-hashed on the next successful sign-in).

Guessing is slowed per account: after ``LOCK_AFTER`` wrong passwords in a row the
account is locked for ``LOCK_FOR``. An unknown username costs the same hashing work as
a known one and gets the same message, so the sign-in form does not reveal who has an
account.

With single sign-on (Streamlit's ``st.login`` and an OIDC provider) the identity
provider vouches for the e-mail address; a first sign-in creates a student account
with no password, and an admin can make it an instructor (``tutor users role``).

A local sign-in can be remembered by the browser for ``remember_for`` (a reload is a new
Streamlit session): :mod:`tutor.progress.browser_sessions` keeps the server-side record;
a password change or a deactivation signs every browser of the account out.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tutor.clock import Clock
from tutor.errors import AccessDenied, AccountError, SignInFailed
from tutor.modes.access import Actor
from tutor.progress.accounts import AccountStore
from tutor.progress.browser_sessions import BrowserSessionStore, Remembered
from tutor.progress.records import Learner, LearnerRole
from tutor.progress.store import ProgressStore

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10
MAX_PASSWORD = 256
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{1,63}$")
ROLES: tuple[LearnerRole, ...] = ("student", "instructor", "admin")


@dataclass
class RosterResult:
    """What a roster import did, line by line (line numbers as a spreadsheet shows them)."""

    created: list[str] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, username, why)


class AccountService:
    def __init__(self, *, store: AccountStore, progress: ProgressStore, course_id: str, now: Clock,
                 hasher: PasswordHasher | None = None, sessions: BrowserSessionStore | None = None,
                 remember_for: timedelta = timedelta(0)):
        self._store = store
        self._sessions = sessions
        self._remember_for = remember_for
        self._progress = progress
        self._course = course_id
        self._now = now
        self._hasher = hasher or PasswordHasher()

    # -- signing in -----------------------------------------------------------------------

    def needs_first_admin(self) -> bool:
        """True on a fresh installation: nobody can sign in with a password yet."""
        return self._store.can_sign_in_count() == 0

    def create_first_admin(self, username: str, display_name: str, password: str) -> Actor:
        """The first administrator, from the set-up screen; refused once any account can sign in."""
        if not self.needs_first_admin():
            raise AccessDenied("This installation already has an administrator: sign in instead.")
        learner = self._create(username, display_name, "admin", password)
        self._store.signed_in(learner.id)  # creating the account signs them in: "last sign-in" is now
        return Actor.of(learner)

    def sign_in(self, username: str, password: str) -> Actor:
        username = (username or "").strip()
        found = self._store.credentials(username) if username else None
        if found is None or found.password_hash is None:
            self._verify(self._dummy_hash, password)  # the same work as a real check
            raise SignInFailed()
        if found.locked_until is not None and found.locked_until > self._now():
            minutes = max(1, round((found.locked_until - self._now()).total_seconds() / 60))
            raise SignInFailed(f"Too many wrong passwords: this account is locked for {minutes} more minute(s).")
        if not self._verify(found.password_hash, password):
            self._store.failed(found.learner.id, lock_after=LOCK_AFTER, lock_for=LOCK_FOR)
            raise SignInFailed()
        if not found.learner.active:
            raise SignInFailed("This account has been deactivated. Ask your course administrator.")
        if self._hasher.check_needs_rehash(found.password_hash):
            self._store.update(found.learner.id, password_hash=self._hasher.hash(password))
        self._store.signed_in(found.learner.id)
        return Actor.of(found.learner)

    def sign_in_sso(self, email: str, display_name: str | None) -> Actor:
        """The identity provider has vouched for ``email``: its account, created as a student if new."""
        email = (email or "").strip().lower()
        if not email:
            raise SignInFailed("The identity provider did not give an e-mail address for this account.")
        learner = self._progress.ensure_learner(email, display_name or email, "student")
        if not learner.active:
            raise SignInFailed("This account has been deactivated. Ask your course administrator.")
        self._progress.enroll(learner.id, self._course, "student" if learner.role == "student" else "instructor")
        self._store.signed_in(learner.id)
        return Actor.of(learner)

    # -- remembered sign-ins ----------------------------------------------------------------

    def remember(self, actor: Actor) -> Remembered | None:
        """A token for this browser's cookie; None when remembering is turned off."""
        if self._sessions is None or self._remember_for <= timedelta(0):
            return None
        return self._sessions.create(actor.learner_id, self._remember_for)

    def resume(self, token: str) -> tuple[Actor, Remembered] | None:
        """The account a browser's token signs in, and the token that replaces it; None if it is not live."""
        if self._sessions is None or self._remember_for <= timedelta(0):
            return None
        remembered = self._sessions.resume(token)
        if remembered is None:
            return None
        learner = self._progress.get_learner_by_id(remembered.learner_id)
        if learner is None or not learner.active:
            self._sessions.revoke(remembered.token)
            return None
        self._store.signed_in(learner.id)  # a resumed browser is a sign-in too
        return Actor.of(learner), remembered

    def forget(self, token: str | None) -> None:
        """Sign-out: this browser's record is revoked (the cookie alone no longer signs anyone in)."""
        if self._sessions is not None and token:
            self._sessions.revoke(token)

    def refresh(self, actor: Actor) -> Actor | None:
        """The actor as the database sees them now: None once deactivated; a changed role applies at once."""
        learner = self._progress.get_learner_by_id(actor.learner_id)
        if learner is None or not learner.active:
            return None
        return Actor.of(learner)

    def change_password(self, actor: Actor, current: str, new: str) -> None:
        found = self._store.credentials(actor.username)
        if found is None or found.password_hash is None or not self._verify(found.password_hash, current):
            raise SignInFailed("Your current password is not right.")
        self._store.update(actor.learner_id, password_hash=self._hash(actor.username, new))
        if self._sessions is not None:
            self._sessions.revoke_all(actor.learner_id)  # other browsers signed in with the old password

    # -- administration -------------------------------------------------------------------

    def add(self, actor: Actor, username: str, display_name: str, role: LearnerRole, password: str | None) -> Learner:
        """A new account (admin only); ``password`` None makes an account for single sign-on only."""
        actor.require_admin()
        return self._create(username, display_name, role, password)

    def import_roster(self, actor: Actor, text: str) -> RosterResult:
        """Accounts from CSV text with a header ``username,display_name,role,password``; bad rows are named."""
        actor.require_admin()
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        if not {"username", "password"} <= set(reader.fieldnames or ()):
            raise AccountError("A roster is CSV with a header row: username, display_name, role, password "
                               "(username and password are required).")
        result = RosterResult()
        for line, row in enumerate(reader, start=2):
            username = (row.get("username") or "").strip()
            try:
                self._create(username, row.get("display_name") or "", (row.get("role") or "student").strip().lower(),  # type: ignore[arg-type]
                             row.get("password") or "")
                result.created.append(username)
            except AccountError as exc:
                result.refused.append((line, username, exc.user_message))
        return result

    def set_password(self, actor: Actor, username: str, password: str) -> Learner:
        actor.require_admin()
        learner = self._existing(username)
        updated = self._store.update(learner.id, password_hash=self._hash(learner.username, password))
        if self._sessions is not None:  # a reset (say, of a compromised account) signs every browser out
            self._sessions.revoke_all(learner.id)
        return updated

    def set_role(self, actor: Actor, username: str, role: LearnerRole) -> Learner:
        actor.require_admin()
        _check_role(role)
        return self._store.update(self._existing(username).id, role=role)

    def set_active(self, actor: Actor, username: str, active: bool) -> Learner:
        actor.require_admin()
        learner = self._store.update(self._existing(username).id, active=active)
        if not active and self._sessions is not None:
            self._sessions.revoke_all(learner.id)
        return learner

    def accounts(self, actor: Actor) -> list[Learner]:
        """Admins see every account; instructors see the students (their class)."""
        actor.require_staff()
        return self._store.accounts(roles=None if actor.role == "admin" else ("student",))

    def names(self, actor: Actor) -> dict[int, str]:
        """learner id -> display name, for staff lists (case reviews, dashboards)."""
        actor.require_staff()
        return {learner.id: learner.display_name for learner in self._store.accounts()}

    # -- plumbing -------------------------------------------------------------------------

    def _create(self, username: str, display_name: str, role: LearnerRole, password: str | None) -> Learner:
        username = (username or "").strip()
        if not _USERNAME.match(username):
            raise AccountError(
                "A username is 2-64 characters: letters, digits and . _ @ + - (starting with a letter or digit)."
            )
        _check_role(role)
        password_hash = None if password is None else self._hash(username, password)
        return self._store.create(username, (display_name or "").strip() or username, role, password_hash, course_id=self._course)

    def _existing(self, username: str) -> Learner:
        found = self._store.credentials((username or "").strip())
        if found is None:
            raise AccountError(f"There is no account called {username!r}.")
        return found.learner

    @cached_property
    def _dummy_hash(self) -> str:
        """A hash no password matches, built on first need (hashing is deliberately slow: not at start-up)."""
        return self._hasher.hash("no account has this password")

    def _hash(self, username: str, password: str) -> str:
        if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
            raise AccountError(f"A password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
        if password.strip().lower() == username.strip().lower():
            raise AccountError("The password must not be the username.")
        return self._hasher.hash(password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password or "")
        except (VerificationError, InvalidHashError):
            return False


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"A role is one of {', '.join(ROLES)}; got {role!r}.")

