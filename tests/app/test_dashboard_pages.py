"""Sign-in, navigation by role and the dashboards under AppTest (the real app, a real data folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.accounts import PASSWORD, add_account, open_app, open_signed_in, sign_in
from tutor.modes.access import Actor
from tutor.settings import PROJECT_ROOT


def test_a_fresh_installation_creates_its_administrator_first(data_dir: Path):
    at = open_app()
    assert "Create the administrator" in [s.value for s in at.subheader]
    def submit(again: str) -> None:
        fields = {t.label: t for t in at.text_input}
        fields["Username"].input("root")
        fields["Your name"].input("Admin")
        fields["Password (10 characters or more)"].input(PASSWORD)
        fields["Password again"].input(again)
        next(b for b in at.button if b.label == "Create and sign in").click().run()

    submit(PASSWORD + "x")
    assert [e.value for e in at.error] == ["The two passwords differ."]
    submit(PASSWORD)
    at.switch_page("pages/accounts.py").run()  # only an admin's navigation has it
    assert not at.exception and at.title[0].value == "Accounts"
    assert at.dataframe[0].value["Username"].tolist() == ["root"]
    assert at.dataframe[0].value["Last sign-in"].notna().all()  # creating the account signed them in

    fields = {t.label: t for t in at.text_input}
    fields["Username"].input("ada")
    fields["Name"].input("Ada Lovelace")
    fields["First password (10 characters or more)"].input("short")
    next(b for b in at.button if b.label == "Add account").click().run()
    assert at.error  # refused: too short, and what was typed is still there to fix
    fields = {t.label: t for t in at.text_input}
    assert (fields["Username"].value, fields["Name"].value) == ("ada", "Ada Lovelace")
    fields["First password (10 characters or more)"].input(PASSWORD)
    next(b for b in at.button if b.label == "Add account").click().run()
    assert not at.error and at.dataframe[0].value["Username"].tolist() == ["ada", "root"]
    fields = {t.label: t for t in at.text_input}
    assert fields["Username"].value == "" and fields["Name"].value == ""  # a success starts an empty form


def test_a_wrong_password_says_so_and_signs_nobody_in(data_dir: Path):
    add_account(data_dir, "ada", "student")
    at = open_app()
    sign_in(at, "ada", "not the password")
    assert [e.value for e in at.error] == ["That username and password do not match an account."]
    assert "tutor.actor" not in at.session_state


def test_a_student_sees_study_pages_only_and_their_own_empty_dashboard(data_dir: Path):
    add_account(data_dir, "bob", "student")
    at = open_signed_in(data_dir, "ada", "student")
    # The navigation offers none of these to a student; even run directly (as AppTest can), each page's
    # service call refuses and nothing of the class is shown.
    for page in ("class_progress", "item_analysis", "library", "question_bank", "case_reviews", "accounts"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert [e.value for e in at.error][:1] in (
            ["This is for instructors. Sign in with an instructor account to use it."],
            ["Only an administrator can manage accounts."],
        ), (page, [e.value for e in at.error])
        assert not at.dataframe and "bob" not in str(at.main), page
    at.switch_page("pages/my_progress.py").run()
    assert not at.exception
    assert any("No answers yet" in i.value for i in at.info)


def test_an_answer_shows_up_on_my_progress_and_practise_starts_a_block_on_the_weakest_topic(data_dir: Path):
    at = open_signed_in(data_dir, "ada", "student")
    at.switch_page("pages/quiz.py").run()
    next(b for b in at.button if b.label == "Start").click().run()
    shown = " ".join(m.value for m in at.markdown)
    at.radio[0].set_value("A" if "congested" in shown else "B")  # a wrong answer, whichever question came
    next(b for b in at.button if b.label == "Check answer").click().run()
    assert not at.exception

    at.switch_page("pages/my_progress.py").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Questions answered"] == "1"
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the mastery chart is drawn
    [practise] = [b for b in at.button if b.label == "Practise"]  # the wrong answer's topic is offered
    practise.click().run()
    assert not at.exception and not at.error


def test_an_instructor_sees_the_class_item_analysis_and_accounts_are_admin_only(data_dir: Path):
    add_account(data_dir, "ada", "student", "Ada")
    at = open_signed_in(data_dir, "dr-lee", "instructor")
    at.switch_page("pages/class_progress.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Students"] == "1" and metrics["At risk"] == "1"  # Ada has not started
    assert "no activity yet" in at.dataframe[0].value["Why"].tolist()[0]
    at.switch_page("pages/item_analysis.py").run()
    assert not at.exception and any("No question has 20 first responses yet" in i.value for i in at.info)
    at.switch_page("pages/accounts.py").run()
    assert [e.value for e in at.error] == ["Only an administrator can manage accounts."] and not at.dataframe


def test_signing_out_returns_to_the_sign_in_form(data_dir: Path):
    at = open_signed_in(data_dir, "ada", "student")
    at.switch_page("streamlit_app.py").run()  # the entrypoint, with its sidebar (switch_page runs a page alone)
    assert "Signed in as **Ada**" in " ".join(c.value for c in at.sidebar.caption)
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert "tutor.actor" not in at.session_state
    assert [b.label for b in at.button] == ["Sign in"]


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "tutor",
        "client_secret": "s", "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration"}


def sso_app(user: dict) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = user
    at.run()
    assert not at.exception, at.exception
    return at


def test_with_an_identity_provider_the_sign_in_page_offers_it_and_no_password_form(data_dir: Path):
    at = sso_app({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"] and not at.text_input


def test_single_sign_on_makes_the_providers_user_a_student_and_keeps_a_role_given_later(data_dir: Path):
    at = sso_app({"is_logged_in": True, "email": "Ada@Example.org", "name": "Ada Lovelace"})
    assert not at.error, [e.value for e in at.error]
    actor = at.session_state["tutor.actor"]
    assert (actor.username, actor.display_name, actor.role) == ("ada@example.org", "Ada Lovelace", "student")
    assert [b.label for b in at.sidebar.button] == ["Sign out"]  # no password to change with SSO

    from tutor.ui.deps import get_services

    get_services().accounts.set_role(Actor.operator(), "ada@example.org", "instructor")
    again = sso_app({"is_logged_in": True, "email": "ada@example.org", "name": "Ada"})
    assert again.session_state["tutor.actor"].role == "instructor"


def test_nobody_signed_in_gets_nothing_from_any_page(data_dir: Path):
    """Every page's address is registered (a reload never says "Page not found"), but signed out
    the app shows only the sign-in form. (AppTest's switch_page runs a page file without the
    entrypoint, so opening a page's address signed out is walked in the browser test.)"""
    add_account(data_dir, "ada", "student")
    at = open_app()
    pages = ("home", "my_progress", "ask", "quiz", "cases", "search", "class_progress", "item_analysis",
             "library", "question_bank", "case_reviews", "accounts")
    assert {p.split("/")[-1] for p in _registered(at)} == {f"{page}.py" for page in pages} | {"sign_in.py"}
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric and not at.chat_input and "tutor.actor" not in at.session_state


def test_a_page_outside_the_role_opened_by_address_refuses_with_a_message(data_dir: Path):
    at = open_signed_in(data_dir, "ada", "student")
    at.switch_page("pages/library.py").run()
    assert not at.exception and not at.file_uploader
    assert any("instructor" in e.value.lower() or "staff" in e.value.lower() for e in at.error), [e.value for e in at.error]


def _registered(at: AppTest) -> list[str]:
    return [info["script_path"] for info in at._registered_pages.values() if info.get("script_path")]
