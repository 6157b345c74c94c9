"""The learner dashboard: mastery with its evidence, accuracy over time, reviews due, cases.

Shown to a student on *My progress* and to staff when they open a student from the
class view (then without the practice buttons: staff do not start blocks for others).
"""

from __future__ import annotations

import streamlit as st

from tutor.modes.access import Actor
from tutor.modes.dashboards.service import LearnerDashboard
from tutor.modes.quiz.models import BlockSpec
from tutor.progress.analytics import Mastery
from tutor.ui import charts
from tutor.ui.errors import shown_errors


def learner_dashboard(services, actor: Actor, learner_id: int | None = None) -> None:
    board = services.dashboards.learner(actor, learner_id)
    own = board.learner.id == actor.learner_id
    if not own:
        st.subheader(f"{board.learner.display_name} ({board.learner.username})")
    _headline(board)
    if board.answered == 0 and not board.recent_cases:
        st.info("No answers yet. " + ("Practise on the **Quiz** page or work through a **Case**: your mastery "
                "by topic and objective builds up here as you go." if own else "This student has not practised yet."),
                icon=":material/insights:")
        if own:
            st.page_link("pages/quiz.py", label="Start practising", icon=":material/quiz:")
        return
    if own:
        _weakest(services, actor, board)
    topics, systems, objectives, cases = st.tabs(["By topic", "By system", "By learning objective", "Cases"])
    with topics:
        _mastery_tab(board.topics, "Topic")
    with systems:
        _mastery_tab(board.systems, "System")
    with objectives:
        _mastery_tab(board.objectives, "Objective")
    with cases:
        _cases(board)
    st.subheader("Accuracy over time")
    if not any(week.answered for week in board.weeks):
        st.info("No quiz answers in the last 12 weeks: your weekly accuracy appears here once you answer questions.")
        return
    st.altair_chart(charts.accuracy_over_time(board.weeks))
    st.caption("Share of answers right each week (line) and how many questions were answered (bars), last 12 weeks.")


def _headline(board: LearnerDashboard) -> None:
    cols = st.columns(4)
    cols[0].metric("Questions answered", board.answered)
    cols[1].metric("Latest answers right", f"{board.latest_right / board.answered:.0%}" if board.answered else "–")
    cols[2].metric("Reviews due today", board.due_today)
    cols[3].metric("Due this week", board.due_week)


def _weakest(services, actor: Actor, board: LearnerDashboard) -> None:
    weakest = board.weakest_topics
    if board.due_today:
        st.page_link("pages/quiz.py", label=f"Do your {board.due_today} due review(s) on the Quiz page", icon=":material/event_repeat:")
    if not weakest:
        return
    st.subheader("Weakest topics")
    for m in weakest:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.progress(m.share, text=f"**{m.name}**: {m.share:.0%} ({m.earned:g} of {m.possible:g} latest answers right)")
        if right.button("Practise", key=f"practise:{m.name}", icon=":material/play_arrow:"):
            with shown_errors() as outcome:
                services.quiz.start(actor.learner_id, BlockSpec(mode="tutor", size=10, topics=(m.name,)))
            if outcome.ok:
                st.switch_page("pages/quiz.py")


def _mastery_tab(masteries: list[Mastery], label: str) -> None:
    if not masteries:
        st.info("Nothing here yet: answer questions tagged with a " + label.lower() + " to see it.")
        return
    st.altair_chart(charts.mastery_bars(masteries, label))
    st.caption("Mastery = points earned / points possible: each question answered counts one point (earned when "
               "the latest answer was right); each case counts the rubric points tied to the objective in its latest session.")
    with st.expander("The evidence behind each number"):
        for m in masteries:
            st.markdown(f"**{m.name}**: {m.share:.0%} ({m.earned:g} of {m.possible:g})")
            st.dataframe(
                [{"Evidence": "Question" if e.kind == "question" else "Case", "What": e.label,
                  "Points": f"{e.earned:g} / {e.possible:g}", "When": e.at} for e in m.evidence],
                column_config={"When": st.column_config.DatetimeColumn(format="D MMM YYYY")},
                hide_index=True,
            )


def _cases(board: LearnerDashboard) -> None:
    if not board.recent_cases:
        st.info("No completed cases yet.")
        st.page_link("pages/cases.py", label="Work through a clinical case", icon=":material/clinical_notes:")
        return
    st.dataframe(
        [{"Case": c.title, "Score": c.session.final_score, "Overridden by an instructor": c.session.score_override is not None,
          "Completed": c.session.completed_at} for c in board.recent_cases],
        column_config={"Score": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
                       "Completed": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
        hide_index=True,
    )
