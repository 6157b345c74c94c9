"""The Ask page's conversation: history, the Socratic ladder's state, and the streamed reply.

The ladder lives in the session (:data:`tutor.ui.conversation.LADDER`) between runs; a
hint or reveal button only queues its step (a button's callback runs before the page), and
the step is taken on the next run so the reply streams in the page's normal flow.
"""

from contextlib import closing

import streamlit as st

from tutor.agent.hint_ladder import Ladder
from tutor.domain import Answer, Drafting, Evidence, Queued
from tutor.llm.model_queue import wait_text
from tutor.services import Services
from tutor.ui.answer_view import GENERAL_KNOWLEDGE_BADGE, STREAMING_NOTE, evidence_view, reply_view
from tutor.modes.access import Actor
from tutor.ui.conversation import LADDER, conversation_id, conversation_list
from tutor.ui.errors import shown_errors

STEP = "ask.step"  # a hint-ladder button pressed on the previous run


def queue_step(step: str) -> None:
    st.session_state[STEP] = step


def ask_view(services: Services, learner: Actor) -> None:
    """The conversation: its history, the message box, the streamed reply and the ladder's buttons."""
    conversation = conversation_id()
    conversation_list(services.tutor, learner.learner_id, conversation)
    mode_label = st.segmented_control(
        "Mode", ["Explain", "Socratic"], default="Explain", key="ask.mode",
        help="Explain answers directly. Socratic guides you with questions and hints first; ask for the answer when ready.",
    )
    mode = "socratic" if mode_label == "Socratic" else "explain"
    st.caption("Answers come only from your course material, with the passages they rest on. "
               "An educational tool, not clinical advice.")
    _history(services, learner, conversation)

    ladder: Ladder | None = st.session_state.get(LADDER) if mode == "socratic" else None
    pending = st.session_state.pop(STEP, None)
    step = {"hint": ladder.next_hint, "reveal": ladder.reveal}[pending]() if ladder and pending else None
    placeholder = "Your answer to the tutor's question…" if ladder and not ladder.revealed else "Ask about the course material…"
    # A fixed key: the widget stays the same one when its placeholder changes with the ladder, so
    # what the student is typing while the page reruns is not wiped with a new widget.
    message = st.chat_input(placeholder, max_chars=services.settings.question_max_chars, key="ask.input")
    if message or step:
        if mode == "socratic":
            ladder = step or (ladder.attempt(message) if ladder and not ladder.revealed else Ladder.start(message))
            st.session_state[LADDER] = ladder
        # A button press is the student's turn too, stored as what they asked for; the ladder carries the topic.
        question = message or ("Next hint, please." if not ladder.revealed else "Show me the answer.")
        _reply(services, learner, conversation, question, mode, ladder)
    ladder = st.session_state.get(LADDER) if mode == "socratic" else None
    if ladder and not ladder.revealed:
        hint_col, answer_col, _ = st.columns([1, 1, 2])
        hint_col.button("Next hint", icon=":material/lightbulb:", on_click=queue_step, args=("hint",))
        answer_col.button("Show answer", icon=":material/visibility:", on_click=queue_step, args=("reveal",))


def _history(services: Services, learner: Actor, conversation: str) -> None:
    for turn in services.tutor.history(learner.learner_id, conversation):
        with st.chat_message("user"):
            st.markdown(turn.question)
        with st.chat_message("assistant"):  # one container and one slot, as the live reply draws them
            kind = turn.kind if turn.status == "complete" or turn.kind == "cancelled" else "interrupted"
            with st.container():
                reply_view(turn.answer, kind, turn.citations, turn.quotes, turn.unsupported, turn.related,
                           turn.evidence)
            st.empty()  # where the live reply's Cancel button was


def _reply(services: Services, learner: Actor, conversation: str, question: str, mode: str, ladder: Ladder | None) -> None:
    """The student's turn and the tutor's reply: the evidence at once, the place in the queue while the
    question waits, then the explanation streamed below the evidence, all in one container.

    A click on Cancel (or closing the tab) stops this run at its next update; the stream is then
    closed, which stores what arrived as interrupted and gives the model back to the next student."""
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"), shown_errors():
        live = st.empty()  # becomes the reply's one container: the same shape as a reply drawn from history,
        cancel = st.empty()  # so no stale copy of the last reply shows while this one streams
        if not services.tutor.model_loaded:
            with live.container(), st.spinner("Starting the language model (first question only, a few seconds)…"):
                services.tutor.warm_up()
        live.caption("Reading the course material…")
        evidence, label, cancellable, status = (), "", False, "Reading the course material…"
        events = services.tutor.stream(question, learner_id=learner.learner_id, conversation_id=conversation,
                                       mode=mode, ladder=ladder)
        with closing(events):
            for event in events:
                if isinstance(event, Answer):
                    cancel.empty()
                    with live.container():
                        reply_view(event.text, event.kind, event.citations, event.quotes, event.unsupported,
                                   event.related, event.evidence)
                    continue
                if not cancellable:  # drawn once: a widget cannot be drawn twice in one run (a click reruns the page)
                    cancel.button("Cancel", icon=":material/close:", key="ask.cancel",
                                  help="Stop waiting for the tutor (what is shown stays in the conversation).")
                    cancellable = True
                if isinstance(event, Evidence):
                    evidence = event.quotes
                elif isinstance(event, Queued):
                    status = f":material/hourglass_top: Waiting for the tutor: {wait_text(event.ahead, event.wait_s)}."
                elif isinstance(event, Drafting):
                    label = f"{GENERAL_KNOWLEDGE_BADGE}\n\n" if event.general_knowledge else ""
                    status = "The tutor is writing an explanation…"
                with live.container():
                    if evidence:
                        evidence_view(evidence)
                    if isinstance(event, str):
                        st.markdown(label + event + " ▌" + STREAMING_NOTE)
                    else:
                        st.caption(status)
