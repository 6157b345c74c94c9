"""Accounts (administrators): who can sign in, with which role; add, reset, change, deactivate."""

from __future__ import annotations

import streamlit as st

from tutor.modes.access import Actor
from tutor.modes.accounts.service import ROLES
from tutor.ui.errors import shown_errors
from tutor.ui.notices import confirm

_ADD_GENERATION = "account.add.generation"


def accounts_screen(services, actor: Actor) -> None:
    accounts = services.accounts.accounts(actor)
    st.dataframe(
        [{"Username": a.username, "Name": a.display_name, "Role": a.role, "Can sign in": a.active,
          "Last sign-in": a.last_login_at} for a in accounts],
        column_config={"Last sign-in": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
        hide_index=True,
    )
    add, change = st.columns(2)
    # The form keeps what was typed when the account is refused (a taken name, a short password);
    # after a success a new generation of its widgets starts empty.
    generation = st.session_state.setdefault(_ADD_GENERATION, 0)
    with add, st.form("account.add"):
        st.markdown("**Add an account**")
        username = st.text_input("Username", key=f"account.add.username.{generation}")
        name = st.text_input("Name", key=f"account.add.name.{generation}")
        role = st.selectbox("Role", ROLES, key=f"account.add.role.{generation}")
        password = st.text_input("First password (10 characters or more)", type="password", autocomplete="new-password",
                                 key=f"account.add.password.{generation}")
        if st.form_submit_button("Add account", type="primary", icon=":material/person_add:"):
            with shown_errors() as outcome:
                services.accounts.add(actor, username, name, role, password)
            if outcome.ok:
                st.session_state[_ADD_GENERATION] = generation + 1
                confirm(f"Added {username}. Give them the password through a safe channel.")
    with change:
        by_name = {a.username: a for a in accounts}
        chosen = st.selectbox("Change an account", list(by_name), index=None, placeholder="Choose an account")
        if chosen:
            account = by_name[chosen]
            with st.form("account.change"):
                role = st.selectbox("Role", ROLES, index=ROLES.index(account.role))
                password = st.text_input("New password (leave empty to keep)", type="password", autocomplete="new-password")
                active = st.checkbox("Can sign in", value=account.active)
                if st.form_submit_button("Save changes", icon=":material/save:"):
                    with shown_errors() as outcome:
                        if role != account.role:
                            services.accounts.set_role(actor, chosen, role)
                        if password:
                            services.accounts.set_password(actor, chosen, password)
                        if active != account.active:
                            services.accounts.set_active(actor, chosen, active)
                    if outcome.ok:
                        confirm(f"Saved {chosen}.")
    with st.expander("Add a whole class from a roster (CSV)"):
        with st.form("account.roster", clear_on_submit=True):
            roster = st.file_uploader("CSV with the columns username, display_name, role, password", type=["csv"])
            if st.form_submit_button("Create the accounts", icon=":material/group_add:"):
                if roster is None:
                    st.warning("Choose a CSV file first.")
                else:
                    with shown_errors():
                        result = services.accounts.import_roster(actor, roster.getvalue().decode("utf-8", errors="replace"))
                        st.success(f"{len(result.created)} account(s) created.")
                        for line, username, why in result.refused:
                            st.error(f"Line {line} ({username or 'no username'}): {why}")
    st.caption("From the command line: `tutor users add NAME --role instructor`, `tutor users import roster.csv`.")
