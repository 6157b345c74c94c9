"""Sign-in for the app, and who the current user is on every rerun.

Two ways in, chosen by configuration:

* **Single sign-on** when ``.streamlit/secrets.toml`` has an ``[auth]`` section:
  Streamlit's ``st.login`` talks OIDC to the school's identity provider and keeps the
  identity in a signed cookie; the e-mail address it vouches for is the account.
* **Local accounts** otherwise: a username and password form checked by
  :class:`tutor.modes.accounts.AccountService` (Argon2id). On a fresh installation,
  where nobody can sign in yet, the form creates the first administrator instead.

The signed-in :class:`~tutor.modes.access.Actor` lives in this browser session's
``st.session_state`` only, never in a shared cache, and is re-read from the database
on every rerun, so a deactivated account is signed out and a changed role applies at
once. Nothing the browser sends (a query parameter, a widget value) can change it.

A reload is a new Streamlit session. So that it does not sign a local account out (in
the middle of a timed exam, say), a sign-in is remembered for ``remember_sign_in_hours``:
the browser keeps a cookie holding only a random token, and the server keeps the
session record (expiring, rotated at each resume, revoked at sign-out:
:mod:`tutor.progress.browser_sessions`). Streamlit cannot set a cookie from Python, so a
tiny inline component (:func:`sync_cookie`, Streamlit's components v2, no iframe) writes
it with ``SameSite=Strict`` (and ``Secure`` over HTTPS). It cannot be ``HttpOnly``: script
on the page could read it, which is why it is a rotated, revocable token and nothing more.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from tutor.clock import utc_now
from tutor.errors import AccessDenied
from tutor.modes.access import Actor
from tutor.services import Services
from tutor.ui.errors import shown_errors

_ACTOR = "tutor.actor"
_TOKEN = "tutor.session_token"  # this browser's remembered sign-in token (the cookie's value)
_COOKIE_SET = "tutor.cookie"  # what the cookie writer should make the browser's cookie say
_RESUME_TRIED = "tutor.resume_tried"  # a cookie is tried once per browser session, not on every rerun
COOKIE = "tutor_session"

_COOKIE_JS = """
export default function (component) {
  const cookie = component.data && component.data.cookie;
  if (!cookie) return;
  document.cookie = cookie + (window.location.protocol === "https:" ? "; Secure" : "");
}
"""
_cookie_writer = st.components.v2.component("tutor_cookie", js=_COOKIE_JS)


def sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return False


def current_actor(services: Services) -> Actor | None:
    """The signed-in user, checked against the database now; None when nobody is signed in."""
    actor: Actor | None = st.session_state.get(_ACTOR)
    if actor is None and sso_configured() and st.user.is_logged_in:
        with shown_errors():
            actor = services.accounts.sign_in_sso(str(st.user.get("email") or ""), st.user.get("name"))
    elif actor is None and not st.session_state.get(_RESUME_TRIED):
        actor = _resumed(services)
    if actor is not None:
        actor = services.accounts.refresh(actor)
    if actor is None:
        st.session_state.pop(_ACTOR, None)
    else:
        st.session_state[_ACTOR] = actor
    return actor


def _resumed(services: Services) -> Actor | None:
    """The account this browser's remembered sign-in belongs to, if its cookie is live."""
    st.session_state[_RESUME_TRIED] = True
    token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token:
        return None
    resumed = None
    with shown_errors():
        resumed = services.accounts.resume(token)
    if resumed is None:
        _set_cookie("")  # expired or revoked: the browser forgets it too
        return None
    actor, remembered = resumed
    _keep_token(remembered.token, remembered.expires_at)  # rotated: the old token no longer works
    return actor


def _keep_token(token: str, expires_at: datetime) -> None:
    st.session_state[_TOKEN] = token
    _set_cookie(token, max(0, int((expires_at - utc_now()).total_seconds())))


def _set_cookie(token: str, max_age: int = 0) -> None:
    st.session_state[_COOKIE_SET] = f"{COOKIE}={token}; Max-Age={max_age if token else 0}; Path=/; SameSite=Strict"


def sync_cookie() -> None:
    """Make the browser's cookie say what the session decided (set, rotated or cleared); a no-op otherwise."""
    cookie = st.session_state.get(_COOKIE_SET)
    if cookie:
        with st.sidebar:
            _cookie_writer(data={"cookie": cookie}, key="tutor-cookie")


def signed_in() -> Actor:
    """For pages: the actor the entrypoint resolved for this rerun (pages are only reachable signed in)."""
    actor = st.session_state.get(_ACTOR)
    if actor is None:
        st.stop()
    return actor


def staff_only() -> Actor:
    """For instructor pages: the actor, or a refusal and a stop (the navigation already hides these pages)."""
    return _checked(Actor.require_staff)


def admin_only() -> Actor:
    return _checked(Actor.require_admin)


def _checked(check) -> Actor:
    actor = signed_in()
    try:
        check(actor)
    except AccessDenied as refused:
        st.error(refused.user_message, icon=":material/lock:")
        st.stop()
    return actor


def sign_in_screen(services: Services) -> None:
    st.title("tutor")
    st.caption("A medical-education tutor grounded in your course's material.")
    if sso_configured():
        st.write("Sign in with your institution's account.")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login)
        return
    if services.accounts.needs_first_admin():
        _first_admin_form(services)
        return
    with st.form("sign-in", clear_on_submit=True, enter_to_submit=True, border=True, width=420):
        st.subheader("Sign in")
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")
    if submitted:
        with shown_errors():
            _remember(services, services.accounts.sign_in(username, password))
    st.caption("No account yet? Your course administrator creates one for you.")


def _first_admin_form(services: Services) -> None:
    st.info("Welcome. This installation has no accounts yet: create the administrator account first. "
            "Students and instructors are added afterwards, on the Accounts page or with `tutor users add`.",
            icon=":material/waving_hand:")
    with st.form("first-admin", clear_on_submit=True, enter_to_submit=True, border=True, width=420):
        st.subheader("Create the administrator")
        username = st.text_input("Username", autocomplete="username")
        name = st.text_input("Your name")
        password = st.text_input("Password (10 characters or more)", type="password", autocomplete="new-password")
        again = st.text_input("Password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Create and sign in", type="primary")
    if submitted:
        if password != again:
            st.error("The two passwords differ.")
            return
        with shown_errors():
            _remember(services, services.accounts.create_first_admin(username, name, password))


def _remember(services: Services, actor: Actor) -> None:
    st.session_state[_ACTOR] = actor
    remembered = services.accounts.remember(actor)
    if remembered is not None:
        _keep_token(remembered.token, remembered.expires_at)
    st.rerun()  # the same address: the page that was asked for opens


def account_menu(services: Services, actor: Actor) -> None:
    """Who is signed in, a password change and sign-out, in the sidebar."""
    with st.sidebar:
        st.caption(f"Signed in as **{actor.display_name}** ({actor.role})")
        row = st.container(horizontal=True)
        if not sso_configured():
            with row.popover("Password", icon=":material/key:", width="content"):
                with st.form("change-password", clear_on_submit=True, enter_to_submit=True, border=False):
                    current = st.text_input("Current password", type="password", autocomplete="current-password")
                    new = st.text_input("New password", type="password", autocomplete="new-password")
                    if st.form_submit_button("Change password"):
                        with shown_errors() as outcome:
                            services.accounts.change_password(actor, current, new)
                            remembered = services.accounts.remember(actor)  # the others were signed out
                            if remembered is not None:
                                _keep_token(remembered.token, remembered.expires_at)
                        if outcome.ok:
                            st.success("Password changed. Other browsers signed in to this account are signed out.")
        if row.button("Sign out", icon=":material/logout:", width="content"):
            with shown_errors():
                services.accounts.forget(st.session_state.get(_TOKEN))
            st.session_state.clear()
            st.session_state[_RESUME_TRIED] = True  # the cookie read at connection time is stale now
            _set_cookie("")
            if sso_configured():
                st.logout()
            st.rerun()
