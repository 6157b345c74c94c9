"""Which tutor conversation this page shows, and the list of earlier ones.

The conversation id lives in the page URL (``?c=...``) so that a reload finds the
conversation again in the progress store, and in the session, so that coming back to
the page from another one (Streamlit's navigation drops the query string) shows the
same conversation instead of an empty one. Editing the URL reaches nobody else's chat:
the store only returns turns of the signed-in learner (:mod:`tutor.ui.auth`).

The sidebar lists the learner's conversations (named by their first question, newest
first) to reopen or delete, so a new sign-in or another browser finds them too.
"""

from __future__ import annotations

import uuid

import streamlit as st

CURRENT = "ask.conversation"  # the conversation this browser session last showed
LADDER = "ask.ladder"  # the active Socratic thread of this browser session


def conversation_id() -> str:
    if "c" not in st.query_params:
        st.query_params["c"] = st.session_state.get(CURRENT) or str(uuid.uuid4())
    st.session_state[CURRENT] = st.query_params["c"]
    return st.query_params["c"]


def new_conversation() -> None:
    open_conversation(str(uuid.uuid4()))


def open_conversation(conversation: str) -> None:
    st.query_params["c"] = st.session_state[CURRENT] = conversation
    st.session_state.pop(LADDER, None)  # a Socratic thread belongs to the conversation it was started in


def conversation_list(tutor, learner_id: int, current: str) -> None:
    """The sidebar's list of the learner's conversations: open one, or delete it."""
    st.sidebar.subheader("Your conversations")
    st.sidebar.button("New conversation", icon=":material/add_comment:", on_click=new_conversation,
                      width="stretch", key="conv.new")
    earlier = tutor.conversations(learner_id)
    if not earlier:
        st.sidebar.caption("Your questions and the tutor's answers are kept here, to come back to later.")
        return
    for item in earlier:
        name, bin_ = st.sidebar.columns([5, 1], vertical_alignment="center")
        label = ("▸ " if item.conversation_id == current else "") + item.title
        name.button(label, key=f"conv.open.{item.conversation_id}", on_click=open_conversation,
                    args=(item.conversation_id,), width="stretch",
                    help=f"{item.turns} turn{'s' if item.turns != 1 else ''}, last {item.last_at:%d %b %Y %H:%M} UTC")
        bin_.button("", icon=":material/delete:", key=f"conv.delete.{item.conversation_id}",
                    on_click=_delete, args=(tutor, learner_id, item.conversation_id, current),
                    help=f"Delete “{item.title}”")


def _delete(tutor, learner_id: int, conversation: str, current: str) -> None:
    tutor.delete_conversation(learner_id, conversation)
    st.toast("Conversation deleted.", icon=":material/delete:")
    if conversation == current:
        new_conversation()
