"""Which tutor conversation this page shows.

The conversation id lives in the page URL (``?c=...``) so that a reload finds the
conversation again in the progress store, and in the session, so that coming back to
the page from another one (Streamlit's navigation drops the query string) shows the
same conversation instead of an empty one. Editing the URL reaches nobody else's chat:
the store only returns turns of the signed-in learner (:mod:`tutor.ui.auth`).
"""

from __future__ import annotations

import uuid

import streamlit as st

CURRENT = "ask.conversation"  # the conversation this browser session last showed


def conversation_id() -> str:
    if "c" not in st.query_params:
        st.query_params["c"] = st.session_state.get(CURRENT) or str(uuid.uuid4())
    st.session_state[CURRENT] = st.query_params["c"]
    return st.query_params["c"]


def new_conversation() -> None:
    st.query_params["c"] = st.session_state[CURRENT] = str(uuid.uuid4())
