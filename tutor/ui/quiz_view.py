"""How quiz questions, feedback and block results look.

Question and explanation text comes from instructors' files (or approved drafts), so
it is shown escaped like curriculum text. Citations reuse the tutor's chips, so a
student opens the passage behind an explanation the same way as behind an answer.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from tutor.content.questions.model import Question
from tutor.modes.quiz.models import BlockResult, Feedback
from tutor.ui.answer_view import citation_chip
from tutor.ui.components import escape_markdown


def option_label(question: Question, letter: str) -> str:
    return f"{letter}. {question.option(letter).text}"


def stem_view(question: Question, position: int, total: int) -> None:
    st.caption(" · ".join(p for p in (f"Question {position + 1} of {total}", question.topic, question.system) if p))
    st.markdown(escape_markdown(question.stem).replace("\n", "  \n"))


def feedback_view(feedback: Feedback) -> None:
    question = feedback.question
    if feedback.chosen is None:
        st.warning(f"Not answered. The best answer is **{question.answer}**.", icon=":material/help:")
    elif feedback.correct:
        st.success(f"Correct: **{question.answer}**.", icon=":material/check_circle:")
    else:
        st.error(f"You chose **{feedback.chosen}**; the best answer is **{question.answer}**.", icon=":material/cancel:")
    for option in feedback.options:
        mark = ":green[**✓**]" if option.is_key else (":red[**✗**]" if option.chosen else "•")
        chosen = " _(your answer)_" if option.chosen else ""
        st.markdown(f"{mark} **{option.letter}. {escape_markdown(option.text)}**{chosen}")
        if option.explanation:
            st.markdown(escape_markdown(option.explanation))
    if question.objective:
        st.caption(f"Learning objective: {escape_markdown(question.objective)}")
    if feedback.citations:
        st.caption("Read more in the course material:")
        with st.container(horizontal=True):
            for citation in feedback.citations:
                citation_chip(citation)
    elif not feedback.unresolved:
        st.caption("This question cites no course passage yet.")
    for reference in feedback.unresolved:
        st.caption(f":orange[Reference not in the library: {escape_markdown(reference.source)}"
                   + (f" › {escape_markdown(reference.section)}" if reference.section else "") + "]")


def result_view(result: BlockResult) -> None:
    block = result.block
    title = "Exam block" if block.mode == "exam" else "Practice set"
    st.subheader(f"{title} finished")
    left, middle, right = st.columns(3)
    left.metric("Score", f"{result.correct} / {result.total}")
    middle.metric("Percent", f"{result.score:.0%}")
    if block.finished_at is not None:
        minutes = (block.finished_at - block.started_at).total_seconds() / 60
        right.metric("Time", f"{minutes:.0f} min")
    if result.withdrawn:
        st.caption(f"{result.withdrawn} question(s) were withdrawn by an instructor and are not scored.")
    topics = result.by_topic()
    if len(topics) > 1:
        frame = pd.DataFrame(
            [{"Topic": topic, "Correct (%)": round(100 * c / n), "Answered": n} for topic, (c, n) in topics.items()]
        )
        chart = alt.Chart(frame).mark_bar().encode(
            x=alt.X("Correct (%):Q", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("Topic:N", sort=None, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
            tooltip=["Topic", "Correct (%)", "Answered"],
        ).properties(height=alt.Step(28))  # every topic labelled in full (see tutor.ui.charts)
        st.altair_chart(chart, width="stretch")
    for item in result.items:
        icon = ":material/check_circle:" if item.correct else ":material/cancel:"
        with st.expander(f"{item.position + 1}. {item.question.topic or 'Question'}", icon=icon):
            st.markdown(escape_markdown(item.question.stem).replace("\n", "  \n"))
            feedback_view(item)


def countdown(seconds_left: float) -> str:
    minutes, seconds = divmod(int(seconds_left), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"
