"""The Case reviews page: completed case sessions, one opened with its transcript, debrief and score override."""

from __future__ import annotations

import streamlit as st

from tutor.ui.case_view import debrief, transcript, whole_percent
from tutor.ui.errors import shown_errors

def reviews_screen(services, actor) -> None:
    titles = {entry.id: entry.title for entry in services.case_files.catalogue(actor)}
    sessions = services.cases.completed(actor)
    if not sessions:
        st.info("No completed cases yet. They appear here as soon as a student finishes one on the **Cases** page.")
        return
    known = services.accounts.names(actor)
    names = {s.learner_id: known.get(s.learner_id, f"#{s.learner_id}") for s in sessions}
    # Whole percentages, rounded as the student's own screen shows them (84%, never 84.21%).
    st.dataframe(
        [{"Student": names[s.learner_id], "Case": titles.get(s.case_id, s.case_id), "Rubric score": whole_percent(s.score),
          "Final score": whole_percent(s.final_score), "Overridden": s.score_override is not None, "Completed": s.completed_at}
         for s in sessions],
        column_config={"Rubric score": st.column_config.ProgressColumn(format="%d%%", min_value=0, max_value=100,
                                                                       width="small"),
                       "Final score": st.column_config.ProgressColumn(format="%d%%", min_value=0, max_value=100,
                                                                      width="small"),
                       "Overridden": st.column_config.CheckboxColumn(width="small"),
                       "Case": st.column_config.TextColumn(width="medium"),
                       "Completed": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm", width="small")},
        hide_index=True, width="stretch",
    )
    by_label = {f"{names[s.learner_id]} · {titles.get(s.case_id, s.case_id)} · {s.completed_at:%d %b %Y %H:%M}": s
                for s in sessions}
    label = st.selectbox("Open a session", list(by_label), index=None, placeholder="Choose a completed case")
    if label is None:
        return
    view = services.cases.review(actor, by_label[label].session_id)
    with st.form("case.override"):
        st.markdown("**Override the rubric score**")
        left, right = st.columns([1, 3])
        percent = left.number_input("New score (%)", min_value=0.0, max_value=100.0, step=5.0,
                                    value=round(100 * (view.session.final_score or 0.0), 1))
        reason = right.text_input("Reason (the student sees it)", max_chars=500)
        if st.form_submit_button("Save score", type="primary", icon=":material/save:"):
            with shown_errors():
                services.cases.override(actor, view.session.session_id, percent=percent, reason=reason)
                st.success("Score saved.")
                st.rerun()
    debrief(services, view)
    with st.expander("Transcript"):
        transcript(view)
