"""How the question bank looks to an instructor: import reports, the bank table, review cards.

A review card shows what the student would see, the checks a generated draft passed and
the passage it cites, and a form to edit, approve or reject it. Everything is escaped:
question text may come from any uploaded file.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tutor.bank.store import BankQuestion
from tutor.content.questions.model import LETTERS, Question
from tutor.modes.bank.admin import QuestionImport
from tutor.ui.answer_view import citation_chip
from tutor.ui.components import escape_markdown


def import_summary(report: QuestionImport) -> None:
    if report.error:
        st.error(f"**{escape_markdown(report.source)}**: {escape_markdown(report.error)}")
        return
    outcome = report.outcome
    st.markdown(f"**{escape_markdown(report.source)}** ({report.format.upper()})")
    cols = st.columns(5)
    for col, (label, value) in zip(cols, (
        ("Added", len(outcome.added)), ("Updated", len(outcome.updated)), ("Unchanged", len(outcome.unchanged)),
        ("Need review", len(outcome.to_review)), ("Not imported", len(report.problems)),
    )):
        col.metric(label, value)
    if outcome.to_review:
        st.info(f"{len(outcome.to_review)} question(s) lack an explanation for some option and wait in the review queue.")
    if outcome.kept_rejected:
        st.caption(f"{len(outcome.kept_rejected)} question(s) were rejected earlier and stay rejected.")
    if report.problems:
        st.error("These questions were not imported:\n\n" + "\n".join(f"- {escape_markdown(str(p))}" for p in report.problems))


def bank_table(items: list[BankQuestion]) -> None:
    frame = pd.DataFrame([
        {"Id": item.id, "Topic": item.question.topic or "", "System": item.question.system or "",
         "Difficulty": item.question.difficulty, "Stem": item.question.stem[:120], "Origin": item.origin,
         "Version": item.version}
        for item in items
    ])
    st.dataframe(frame, hide_index=True, width="stretch")


def question_preview(question: Question) -> None:
    st.markdown(escape_markdown(question.stem).replace("\n", "  \n"))
    for letter, option in zip(LETTERS, question.options):
        key = ":green[**✓**]" if letter == question.answer else "•"
        st.markdown(f"{key} **{letter}. {escape_markdown(option.text)}** — "
                    + (escape_markdown(option.explanation) if option.explanation else ":orange[no explanation]"))


def checks_view(item: BankQuestion) -> None:
    if not item.checks:
        return
    with st.expander("Checks passed before it reached you"):
        for gate in item.checks.get("gates", []):
            st.markdown(f"{':green[✓]' if gate['passed'] else ':red[✗]'} **{gate['name']}**: {escape_markdown(gate['detail'])}")
        st.caption(f"Prompt version {item.checks.get('prompt_version', '?')}")


def edit_form(item: BankQuestion) -> tuple[str, dict | None, str]:
    """The review form; returns (action, edited fields or None, reject reason)."""
    question = item.question
    with st.form(f"review.{item.id}"):
        stem = st.text_area("Stem", question.stem, height=140)
        options = []
        for letter, option in zip(LETTERS, question.options):
            left, right = st.columns([2, 3])
            text = left.text_input(f"Option {letter}", option.text)
            explanation = right.text_area(f"Why {letter} is right or wrong", option.explanation, height=68)
            options.append({"text": text, "explanation": explanation})
        left, middle, right = st.columns(3)
        answer = left.selectbox("Best answer", list(question.letters), index=question.letters.index(question.answer))
        topic = middle.text_input("Topic", question.topic or "")
        system = right.text_input("System", question.system or "")
        reason = st.text_input("Reason (needed to reject)", placeholder="e.g. two options are defensible")
        approve_col, reject_col = st.columns(2)
        approve = approve_col.form_submit_button("Approve", type="primary", icon=":material/check:")
        reject = reject_col.form_submit_button("Reject", icon=":material/close:")
    if approve:
        fields = {**question.model_dump(), "stem": stem, "options": options, "answer": answer,
                  "topic": topic, "system": system}
        return "approve", fields, ""
    if reject:
        return "reject", None, reason
    return "", None, ""


def review_card(item: BankQuestion, citations) -> None:
    st.caption(" · ".join(p for p in (item.id, item.origin, item.source_file, f"v{item.version}") if p))
    if item.review_note:
        st.info(escape_markdown(item.review_note))
    question_preview(item.question)
    checks_view(item)
    cited, unresolved = citations
    if cited:
        with st.container(horizontal=True):
            for citation in cited:
                citation_chip(citation)
    for reference in unresolved:
        st.caption(f":orange[Reference not in the library: {escape_markdown(reference.source)}]")
