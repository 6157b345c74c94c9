"""The instructor's class view: activity, students at risk, the mastery heatmap, cases, export.

Large classes: the heatmap shows the weakest students first (up to ``HEATMAP_ROWS``,
a chart with thousands of rows helps nobody) and the full numbers are in the
downloadable CSV and the Students tab.
"""

from __future__ import annotations

import streamlit as st

from tutor.modes.access import Actor
from tutor.ui import charts
from tutor.ui.progress_view import learner_dashboard

HEATMAP_ROWS = 40
_DIMENSIONS = {"Learning objective": "objective", "Topic": "topic", "System": "system"}


def class_screen(services, actor: Actor) -> None:
    label = st.segmented_control("Mastery by", list(_DIMENSIONS), default="Topic", key="class.dimension")
    overview = services.dashboards.class_overview(actor, _DIMENSIONS[label or "Topic"], heatmap_rows=HEATMAP_ROWS)
    students = overview.students
    if not students:
        st.info("No students yet. Add them on the **Accounts** page or with `tutor users add`.", icon=":material/group_add:")
        return
    cols = st.columns(4)
    cols[0].metric("Students", len(students))
    cols[1].metric("Practised at all", sum(1 for s in students if s.questions or s.cases_completed))
    cols[2].metric("At risk", len(overview.at_risk))
    cols[3].metric("Active in the last 7 days", overview.active_last_week)

    summary, heat, cases, one, export = st.tabs(["Activity and risk", "Mastery heatmap", "Cases", "One student", "Export"])
    with summary:
        st.subheader("Usage, last 90 days")
        if overview.usage:
            st.altair_chart(charts.usage(overview.usage))
        else:
            st.info("No activity in the last 90 days.")
        st.subheader(f"Students at risk ({len(overview.at_risk)})")
        if not overview.at_risk:
            st.success("Nobody stands out: no low scores, long inactivity or piles of overdue reviews.")
        else:
            st.dataframe(
                [{"Student": r.student.display_name, "Username": r.student.username,
                  "Latest answers right": r.student.share, "Questions": r.student.questions,
                  "Last active": r.student.last_active, "Why": "; ".join(r.reasons)} for r in overview.at_risk],
                column_config={"Latest answers right": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                               "Last active": st.column_config.DatetimeColumn(format="D MMM YYYY")},
                hide_index=True,
            )
    with heat:
        names = {s.learner_id: s.display_name for s in students}
        mapped = {c.learner_id for c in overview.cells}
        shown = [lid for lid in overview.heatmap_order if lid in mapped]  # weakest first, as the service chose them
        if not overview.cells:
            st.info("No answers yet to map.")
        else:
            ranked = {lid: f"{i + 1:>3}. {names.get(lid, lid)}" for i, lid in enumerate(shown)}
            st.altair_chart(charts.heatmap(overview.cells, ranked, label or "Topic"))
            who = "The student" if len(shown) == 1 else f"The {len(shown)} students"
            st.caption(f"{who} with the lowest share of latest answers right, weakest first. "
                       "Grey gaps: not yet practised.")
    with cases:
        if not overview.cases:
            st.info("No completed cases yet.")
        else:
            st.altair_chart(charts.case_scores(overview.cases))
            for report in overview.cases:
                with st.expander(f"{report.title}: {report.completed} completed, mean {report.mean_score:.0%}"):
                    st.dataframe([{"Objective": text, "Class mean": share} for text, share in report.objectives],
                                 column_config={"Class mean": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)},
                                 hide_index=True)
    with one:
        _one_student(services, actor, {f"{s.display_name} ({s.username})": s.learner_id for s in students})
    with export:
        st.write("Every attempt in the course (one row per answer), or the item analysis, as CSV.")
        left, right = st.columns(2)
        left.download_button("Attempts (CSV)", lambda: "".join(services.dashboards.attempts_csv(actor)),
                             file_name="attempts.csv", mime="text/csv", icon=":material/download:", on_click="ignore")
        right.download_button("Item analysis (CSV)", lambda: services.dashboards.items_csv(actor),
                              file_name="item-analysis.csv", mime="text/csv", icon=":material/download:", on_click="ignore")
        st.caption("The same from the command line: `tutor export attempts --out attempts.csv`, `tutor export items`.")


@st.fragment
def _one_student(services, actor: Actor, by_label: dict[str, int]) -> None:
    """A fragment: choosing a student reruns this tab only, not the whole class view."""
    choice = st.selectbox("Student", list(by_label), index=None, placeholder="Choose a student")
    if choice:
        learner_dashboard(services, actor, by_label[choice])
