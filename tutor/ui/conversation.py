"""Which tutor conversation this page shows.

The conversation id lives in the page URL (``?c=...``) so that a reload finds the
conversation again in the progress store. Editing it reaches nobody else's chat: the
store only returns turns of the signed-in learner (:mod:`tutor.ui.auth`).
"""

from __future__ import annotations

import uuid

import streamlit as st


def conversation_id() -> str:
    if "c" not in st.query_params:
        st.query_params["c"] = str(uuid.uuid4())
    return st.query_params["c"]


def new_conversation() -> None:
    st.query_params["c"] = str(uuid.uuid4())
