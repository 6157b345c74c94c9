"""Item analysis (instructors): how each question behaves, and sending a dubious one back to review.

The table lists every question in use with enough first responses, dubious items
first; opening one shows its option choice rates for all responders and for the top
27%, the flags in words, and a form that returns it to the review queue with the
reason (pre-filled from the flags, editable).
"""

from __future__ import annotations

import streamlit as st

from tutor.modes.access import Actor
from tutor.progress.item_analysis import MIN_RESPONSES
from tutor.ui import charts
from tutor.ui.components import escape_markdown
from tutor.ui.errors import shown_errors
from tutor.ui.notices import confirm


def item_analysis_screen(services, actor: Actor) -> None:
    minimum = st.number_input("Minimum responses per question", min_value=5, max_value=1000, value=MIN_RESPONSES, step=5,
                              help="Statistics on fewer first responses than this are too noisy to act on.")
    reports = services.dashboards.item_analysis(actor, int(minimum))
    if not reports:
        st.info(f"No question has {int(minimum)} first responses yet. Item statistics appear as students answer.",
                icon=":material/query_stats:")
        return
    dubious = [r for r in reports if r.stats.dubious]
    cols = st.columns(3)
    cols[0].metric("Questions analysed", len(reports))
    cols[1].metric("Flagged for review", len(dubious))
    cols[2].metric("Median difficulty (share right)", f"{sorted(r.stats.difficulty for r in reports)[len(reports) // 2]:.0%}")
    st.dataframe(
        [{"Question": r.stats.question_id, "Topic": r.question.question.topic, "Responses": r.stats.responses,
          "Difficulty (p)": r.stats.difficulty, "Point-biserial": r.stats.point_biserial,
          "Upper-lower D": r.stats.upper_lower, "Status": r.question.status, "Flags": " ".join(r.stats.flags)}
         for r in reports],
        column_config={"Difficulty (p)": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                       "Point-biserial": st.column_config.NumberColumn(format="%.2f"),
                       "Upper-lower D": st.column_config.NumberColumn(format="%.2f")},
        hide_index=True,
    )
    st.caption("Difficulty p = share of first responses right. Point-biserial = correlation between getting this "
               "question right and the score on the other questions (above 0.2 is good, below 0 suggests a wrong key). "
               "Upper-lower D = p in the top 27% minus p in the bottom 27%.")
    by_label = {f"{'⚑ ' if r.stats.dubious else ''}{r.stats.question_id}: {r.question.question.topic or ''}": r for r in reports}
    label = st.selectbox("Open a question", list(by_label), index=None, placeholder="Choose a question")
    if label:
        _detail(services, actor, by_label[label])


def _detail(services, actor: Actor, report) -> None:
    stats, question = report.stats, report.question.question
    with st.container(border=True):
        st.markdown(escape_markdown(question.stem).replace("\n", "  \n"))  # bank text is shown literally, as in quizzes
        for letter, option in zip(stats.option_rates, question.options):
            key = " (key)" if letter == question.answer else ""
            st.markdown(f"**{letter}.** {escape_markdown(option.text)}{key}: chosen by {stats.option_rates[letter]:.0%}")
        if stats.blank_rate:
            st.caption(f"Left blank by {stats.blank_rate:.0%} (timed blocks).")
        st.altair_chart(charts.option_rates(stats, question.answer))
        for flag in stats.flags:
            st.warning(flag, icon=":material/flag:")
        if report.question.status != "approved":
            st.info(f"This question is {report.question.status}: it is not in students' quizzes.")
            return
        with st.form(f"send-back:{stats.question_id}"):
            reason = st.text_area("Why it goes back to review", value=" ".join(stats.flags) or "", max_chars=1000)
            if st.form_submit_button("Send back to the review queue", icon=":material/undo:", type="primary"):
                with shown_errors() as outcome:
                    services.dashboards.send_back_to_review(actor, stats.question_id, reason)
                if outcome.ok:
                    confirm(f"{stats.question_id} is back in the review queue and out of students' quizzes.")
