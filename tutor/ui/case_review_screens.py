"""The Case reviews page: completed case sessions, one opened with its transcript, debrief and score override."""

from __future__ import annotations

import streamlit as st

from tutor.ui.case_view import debrief, transcript
from tutor.ui.errors import shown_errors

REVIEWER = "instructor"  # until sign-in: whoever uses the instructor pages


def reviews_screen(services) -> None:
    titles = {entry.id: entry.title for entry in services.case_library.catalogue(include_withdrawn=True)}
    sessions = services.cases.completed()
    if not sessions:
        st.info("No completed cases yet. They appear here as soon as a student finishes one on the **Cases** page.")
        return
    names = {}
    for session in sessions:
        if session.learner_id not in names:
            learner = services.progress.get_learner_by_id(session.learner_id)
            names[session.learner_id] = learner.display_name or learner.username if learner else f"#{session.learner_id}"
    st.dataframe(
        [{"Student": names[s.learner_id], "Case": titles.get(s.case_id, s.case_id), "Rubric score": s.score,
          "Final score": s.final_score, "Overridden": s.score_override is not None, "Completed": s.completed_at}
         for s in sessions],
        column_config={"Rubric score": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                       "Final score": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                       "Completed": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
        hide_index=True,
    )
    by_label = {f"{names[s.learner_id]} · {titles.get(s.case_id, s.case_id)} · {s.completed_at:%d %b %Y %H:%M}": s
                for s in sessions}
    label = st.selectbox("Open a session", list(by_label), index=None, placeholder="Choose a completed case")
    if label is None:
        return
    view = services.cases.review(by_label[label].session_id)
    with st.form("case.override"):
        st.markdown("**Override the rubric score**")
        left, right = st.columns([1, 3])
        percent = left.number_input("New score (%)", min_value=0.0, max_value=100.0, step=5.0,
                                    value=round(100 * (view.session.final_score or 0.0), 1))
        reason = right.text_input("Reason (the student sees it)", max_chars=500)
        if st.form_submit_button("Save score", type="primary", icon=":material/save:"):
            with shown_errors():
                services.cases.override(view.session.session_id, percent=percent, reason=reason, by=REVIEWER)
                st.success("Score saved.")
                st.rerun()
    debrief(services, view)
    with st.expander("Transcript"):
        transcript(view)
