"""Who is using the app, and which conversation they are in.

Until sign-in exists, everyone on this installation works as one local student
("local-student"); the conversation id lives in the page URL (``?c=...``) so a page
reload finds the conversation again in the progress store.
"""

from __future__ import annotations

import uuid

import streamlit as st

from tutor.progress.records import Learner
from tutor.services import Services

LOCAL_STUDENT = "local-student"


def current_learner(services: Services) -> Learner:
    return services.progress.ensure_learner(LOCAL_STUDENT, "Student")


def conversation_id() -> str:
    if "c" not in st.query_params:
        st.query_params["c"] = str(uuid.uuid4())
    return st.query_params["c"]


def new_conversation() -> None:
    st.query_params["c"] = str(uuid.uuid4())
