"""Drafting questions on the Question bank page: a run with progress and a stop, its outcome, the discarded drafts.

A run drafts one question at a time on the configured model (minutes each on a CPU), so
it shows progress with the time left and a Stop button. Streamlit stops a run when the
page reruns, which a click on Stop causes; the stop lands between drafts (the draft in
progress finishes first), and every draft is stored as soon as its checks are done, so
nothing already drafted is lost. A run that keeps nothing is a warning, not a success,
and each discarded draft is shown with the check it failed and a button that sends it
to the review queue anyway.
"""

from __future__ import annotations

import streamlit as st

from tutor.modes.access import Actor
from tutor.modes.bank.admin import BankAdmin
from tutor.modes.bank.drafting import DraftReport
from tutor.ui.components import escape_markdown
from tutor.ui.errors import shown_errors

RUNNING = "bank.drafting"  # the source of the run in progress; still set on the next run = the run was stopped
_FINISHED = "bank.drafted"  # the finished run's report, shown on the run after it (whose counts include its drafts)
_SHOWN = 10


def drafting_view(admin: BankAdmin, actor: Actor, source: str | None, n: int) -> None:
    """Run a drafting request (``source`` given) or say how the last one was stopped."""
    stopped = st.session_state.pop(RUNNING, None)
    if (finished := st.session_state.pop(_FINISHED, None)) is not None:
        _summary(*finished)
    if source is None:
        if stopped:
            st.info(f"Drafting from {escape_markdown(stopped)} was stopped. Drafts that passed the checks before "
                    "then are in the review queue; discarded ones are listed below.", icon=":material/stop_circle:")
        return
    st.session_state[RUNNING] = source
    st.button("Stop drafting", icon=":material/stop_circle:", key="bank.stop",
              help="Stops after the draft in progress; what was drafted so far is kept.")
    with shown_errors():
        bar = st.progress(0.0, text="Starting the language model…")
        try:
            report = admin.draft(actor, source, n, lambda fraction, message: bar.progress(min(fraction, 1.0), text=message))
        finally:
            bar.empty()
        st.session_state.pop(RUNNING, None)
        st.session_state[_FINISHED] = (report, n)
        st.rerun()  # the queue counts and tabs above were drawn before the run; the Stop button goes
    st.session_state.pop(RUNNING, None)


def _summary(report: DraftReport, n: int) -> None:
    took = _duration(report.seconds)
    if report.kept:
        st.success(f"{len(report.kept)} of {n} draft(s) passed the checks and wait in the review queue "
                   f"({took}, {_duration(report.seconds_per_kept)} per kept draft).")
    else:
        st.warning(f"None of the {n} draft(s) passed the checks ({took}). The reasons are below; send a draft "
                   "you think is fine to the review queue, or try another source.", icon=":material/warning:")
    for rejected in report.rejected:
        if rejected.question_id is None:  # it never became a question, so it is not in the list below
            st.caption(f"A draft from {escape_markdown(rejected.section or report.source)} could not be used: "
                       f"{escape_markdown(rejected.failed.detail)}")


def discarded_view(admin: BankAdmin, actor: Actor) -> None:
    """Drafts the checks discarded, newest first, each with why and a way into the review queue."""
    items = admin.discarded(actor)
    if not items:
        return
    st.markdown(f"**Discarded drafts** ({len(items)})")
    for item in items[:_SHOWN]:
        question = item.question
        with st.expander(question.stem[:100] + ("…" if len(question.stem) > 100 else "")):
            st.caption(escape_markdown(item.review_note or ""))
            st.markdown(escape_markdown(question.stem))
            for letter, option in zip(question.letters, question.options):
                key = " (keyed answer)" if letter == question.answer else ""
                st.markdown(f"**{letter}.** {escape_markdown(option.text)}{key}  \n"
                            f":gray[{escape_markdown(option.explanation or '')}]")
            st.button("Send to the review queue", key=f"bank.rescue.{item.id}", icon=":material/undo:",
                      on_click=_rescue, args=(admin, actor, item.id))


def _rescue(admin: BankAdmin, actor: Actor, question_id: str) -> None:
    with shown_errors():
        admin.rescue(actor, question_id)
        st.toast("Sent to the review queue: check it there before approving.", icon=":material/check_circle:")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"
