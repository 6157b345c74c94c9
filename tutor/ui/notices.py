"""Confirmations that survive the rerun which follows a change.

A page that saves something and then calls ``st.rerun()`` to redraw loses a toast shown
just before (the rerun clears it, more or less often depending on timing). ``confirm``
keeps the message in this session's state; the entrypoint shows it on the next run.
"""

from __future__ import annotations

import streamlit as st

_PENDING = "tutor.notices"


def confirm(message: str) -> None:
    """Show ``message`` as a toast on the next run, then rerun now."""
    st.session_state.setdefault(_PENDING, []).append(message)
    st.rerun()


def show_pending() -> None:
    for message in st.session_state.pop(_PENDING, []):
        st.toast(message, icon=":material/check_circle:")
