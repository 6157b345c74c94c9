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
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from tutor.errors import AccessDenied
from tutor.modes.access import Actor
from tutor.services import Services
from tutor.ui.errors import shown_errors

_ACTOR = "tutor.actor"


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
    if actor is not None:
        actor = services.accounts.refresh(actor)
    if actor is None:
        st.session_state.pop(_ACTOR, None)
    else:
        st.session_state[_ACTOR] = actor
    return actor


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
            _remember(services.accounts.sign_in(username, password))
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
            _remember(services.accounts.create_first_admin(username, name, password))


def _remember(actor: Actor) -> None:
    st.session_state[_ACTOR] = actor
    st.rerun()


def account_menu(services: Services, actor: Actor) -> None:
    """Who is signed in, a password change and sign-out, in the sidebar."""
    with st.sidebar:
        st.caption(f"Signed in as **{actor.display_name}** ({actor.role})")
        left, right = st.columns(2)
        if not sso_configured():
            with left.popover("Password", icon=":material/key:"):
                with st.form("change-password", clear_on_submit=True, enter_to_submit=True, border=False):
                    current = st.text_input("Current password", type="password", autocomplete="current-password")
                    new = st.text_input("New password", type="password", autocomplete="new-password")
                    if st.form_submit_button("Change password"):
                        with shown_errors() as outcome:
                            services.accounts.change_password(actor, current, new)
                        if outcome.ok:
                            st.success("Password changed.")
        if right.button("Sign out", icon=":material/logout:"):
            st.session_state.clear()
            if sso_configured():
                st.logout()
            st.rerun()
