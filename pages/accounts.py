"""Accounts (administrators): add students and instructors, reset passwords, change roles."""

import streamlit as st

from tutor.ui.accounts_view import accounts_screen
from tutor.ui.auth import admin_only
from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors

st.title("Accounts")
with shown_errors():
    accounts_screen(get_services(), admin_only())
