"""The Cases page's screens: choosing a case, the discussion stage by stage, the debrief.

The session lives in the progress store; the page URL carries its id (``?case=...``),
so a reload or a second visit resumes it. Nothing else of the case is kept in session
state: every rerun reads the session and the case version it runs on.
"""

from __future__ import annotations

import streamlit as st

from tutor.modes.cases.machine import MAX_DIFFERENTIAL, MAX_PLAN
from tutor.ui.case_view import (
    case_header, debrief, differential_feedback, findings_panel, plan_feedback, transcript, whole_percent,
)
from tutor.ui.errors import shown_errors

SESSION_PARAM = "case"
# Pixels: the transcript scrolls beside the findings panel instead of pushing it away, and is short
# enough that the request box under it stays on screen at 1280x900 (at 520 it sat below the fold).
TRANSCRIPT_HEIGHT = 380


def cases_screen(services, learner) -> None:
    """The chooser, or an open case (under its own title: the page title would push the request box off screen)."""
    session_id = st.query_params.get(SESSION_PARAM)
    if session_id:
        with shown_errors() as outcome:
            view = services.cases.view(session_id, learner.learner_id)
        if outcome.ok:
            discussion(services, learner, view)
            return
        st.query_params.pop(SESSION_PARAM, None)
    st.title("Clinical cases")
    chooser(services, learner)


def chooser(services, learner) -> None:
    entries = services.cases.catalogue()
    if not entries:
        st.info("No cases yet. An instructor can upload case files in the **Library** (Clinical cases tab).")
        return
    st.caption("Work through a case as on a ward round: ask for the history, examine, order tests, "
               "then commit to a differential and a plan. Findings come only from the case file.")
    history = services.cases.history(learner.learner_id)  # oldest first: later sessions overwrite earlier ones below
    done = {s.case_id: s for s in history if s.status == "completed"}
    resumable = {s.case_id: s.session_id for s in history if s.status == "active"}
    modules = sorted({entry.module for entry in entries})
    chosen = st.pills("Module", modules, selection_mode="multi", format_func=lambda m: m.replace("-", " ").title())
    for entry in entries:
        if chosen and entry.module not in chosen:
            continue
        with st.container(border=True):
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(f"**{entry.title}**")
            last = done.get(entry.id)
            left.caption(" · ".join(p for p in (entry.module.replace("-", " ").title(), entry.difficulty,
                                                 f"last score {last.final_score:.0%}" if last and last.final_score is not None else "")
                                    if p))
            active = resumable.get(entry.id)
            if right.button("Resume" if active else "Start", key=f"case-start-{entry.id}", type="primary" if active else "secondary",
                            icon=":material/play_arrow:", width="stretch"):
                with shown_errors():
                    session_id = active or services.cases.start(learner.learner_id, entry.id).session.session_id
                    st.query_params[SESSION_PARAM] = session_id
                    st.rerun()
    if done:
        st.markdown("#### Your completed cases")
        titles = {entry.id: entry.title for entry in entries}
        st.dataframe(
            [{"Case": titles.get(s.case_id, s.case_id), "Rubric score": whole_percent(s.score),
              "Final score": whole_percent(s.final_score), "Completed": s.completed_at}
             for s in history if s.status == "completed"],
            column_config={"Rubric score": st.column_config.ProgressColumn(format="%d%%", min_value=0, max_value=100),
                           "Final score": st.column_config.ProgressColumn(format="%d%%", min_value=0, max_value=100),
                           "Completed": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
            hide_index=True,
        )


def discussion(services, learner, view) -> None:
    with st.container(horizontal=True):
        if st.button("All cases", icon=":material/arrow_back:", help="Your progress is saved; you can resume later."):
            st.query_params.pop(SESSION_PARAM, None)
            st.rerun()
        if not view.state.finished:
            with st.popover("Start again", icon=":material/restart_alt:"):
                st.caption("This attempt will be closed unscored and a fresh one started.")
                if st.button("Abandon this attempt", type="primary"):
                    with shown_errors():
                        services.cases.abandon(view.session.session_id, learner.learner_id)
                        st.query_params[SESSION_PARAM] = services.cases.start(learner.learner_id, view.case.id).session.session_id
                        st.rerun()
    case_header(view)
    if view.state.finished:
        debrief(services, view)
        return
    chat, panel = st.columns([3, 2], gap="large")
    with panel, st.container(border=True, height=TRANSCRIPT_HEIGHT):
        findings_panel(view)
    with chat:
        with st.container(height=TRANSCRIPT_HEIGHT):  # scrolls, and follows the newest turn
            transcript(view)
        stage = view.stage
        if stage.kind == "enquiry":
            enquiry(services, learner, view)
        elif stage.kind == "differential":
            differential(services, learner, view)
        else:
            plan(services, learner, view)


def enquiry(services, learner, view) -> None:
    request = st.chat_input(f"{view.stage.title}: ask a question, examine, or order a test")
    if request:
        with shown_errors():
            services.cases.ask(view.session.session_id, learner.learner_id, request)
            st.rerun()
    move_on(services, learner, view)


def differential(services, learner, view) -> None:
    if view.state.differential is None:
        with st.form("case.differential"):
            st.markdown("Rank your differential diagnosis, most likely first.")
            entries = [st.text_input(f"{rank}." + (" Most likely" if rank == 1 else ""), key=f"case.dx.{rank}",
                                     max_chars=200) for rank in range(1, MAX_DIFFERENTIAL + 1)]
            if st.form_submit_button("Commit differential", type="primary", icon=":material/check:"):
                with shown_errors():
                    services.cases.submit_differential(view.session.session_id, learner.learner_id, entries)
                    st.rerun()
        return
    marks = view.marks
    differential_feedback(services, marks.differential, marks.missed_must_not_miss)
    move_on(services, learner, view)


def plan(services, learner, view) -> None:
    if view.state.plan is None:
        with st.form("case.plan"):
            text = st.text_area(f"Your management plan: one step per line, most urgent first (up to {MAX_PLAN})",
                                height=180, key="case.plan.text")
            if st.form_submit_button("Commit plan", type="primary", icon=":material/check:"):
                with shown_errors():
                    services.cases.submit_plan(view.session.session_id, learner.learner_id, text.splitlines())
                    st.rerun()
        return
    plan_feedback(services, view.marks.plan)
    move_on(services, learner, view)


def move_on(services, learner, view) -> None:
    last = view.state.stage + 1 >= len(view.case.stages)
    label = "Finish the case and see the debrief" if last else f"Move on to {view.case.stages[view.state.stage + 1].title}"
    reason = view.blocker
    if st.button(label, type="primary" if last or view.stage.kind != "enquiry" else "secondary",
                 icon=":material/flag:" if last else ":material/arrow_forward:", disabled=reason is not None, help=reason):
        with shown_errors():
            services.cases.advance(view.session.session_id, learner.learner_id)
            st.rerun()
    if reason:
        st.caption(reason)
