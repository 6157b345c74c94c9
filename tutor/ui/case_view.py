"""How a case discussion looks: transcript, revealed findings, feedback and the debrief.

Everything clinical on these screens comes from the case file (findings, explanations,
teaching points) or the curriculum (citations) and is shown escaped; the student's own
words are escaped too, so nothing typed or uploaded can add markup to the page.
"""

from __future__ import annotations

import streamlit as st

from tutor.modes.cases.discussion import CaseView
from tutor.modes.cases.scoring import DiagnosisFeedback, Marks, PlanFeedback
from tutor.ui.answer_view import citation_chip
from tutor.ui.components import escape_markdown

_VERDICTS = {
    "supported": (":green-badge[Supported]", "The findings you elicited support it"),
    "argues_against": (":orange-badge[Findings argue against]", "Right to consider; these findings argue against it"),
    "not_elicited": (":gray-badge[Not yet tested]", "You had not elicited the findings that decide it"),
    "not_in_rubric": (":gray-badge[Not in the rubric]", None),
    "repeated": (":gray-badge[Repeated]", None),
}
_PLAN_VERDICTS = {
    "expected": ":green-badge[Expected]",
    "dangerous": ":red-badge[Dangerous]",
    "not_in_rubric": ":gray-badge[Not in the rubric]",
    "repeated": ":gray-badge[Repeated]",
}
_LINE_ICONS = {"met": ":material/check_circle:", "missed": ":material/cancel:", "penalty": ":material/warning:"}


def whole_percent(share: float | None) -> int | None:
    """A score as the student's own screen shows it (84%, never 84.21%), for tables."""
    return None if share is None else round(100 * share)


def case_header(view: CaseView) -> None:
    case = view.case
    st.subheader(case.title)
    st.caption(" · ".join(p for p in (case.module.replace("-", " ").title(), case.setting, case.difficulty) if p))
    st.info(escape_markdown(case.presenting_complaint), icon=":material/person:")
    done = len(view.case.stages) if view.state.finished else view.state.stage
    st.progress(done / len(case.stages),
                text=f"Stage {min(view.state.stage + 1, len(case.stages))} of {len(case.stages)}: {view.stage.title}")


def findings_panel(view: CaseView) -> None:
    st.markdown("#### Revealed findings")
    if not view.revealed:
        st.caption("Nothing yet. Ask for history, examination or tests, e.g. *What is the pain like?* or *ECG*.")
    for stage, findings in view.revealed:
        st.markdown(f"**{escape_markdown(stage.title)}**")
        for finding in findings:
            st.markdown(f"- **{escape_markdown(finding.label)}:** {escape_markdown(finding.text)}")


def transcript(view: CaseView) -> None:
    first = view.case.stages[0]
    with st.chat_message("assistant", avatar=":material/medical_services:"):
        st.markdown(f"**{escape_markdown(first.title)}.** {escape_markdown(first.intro)}")
        _stage_questions(first.questions)
    for turn in view.transcript:
        kind = (turn.meta or {}).get("kind")
        if turn.role == "student":
            with st.chat_message("user"):
                st.markdown(escape_markdown(turn.content).replace("\n", "  \n"))
        elif kind == "stage":
            stage = next((s for s in view.case.stages if s.id == turn.meta.get("stage")), None)
            with st.chat_message("assistant", avatar=":material/medical_services:"):
                if stage is not None:
                    st.markdown(f"**{escape_markdown(stage.title)}.** {escape_markdown(stage.intro)}")
                    _stage_questions(stage.questions)
        elif turn.role == "tutor":
            with st.chat_message("assistant", avatar=":material/medical_services:"):
                _tutor_reply(view, kind, turn.meta or {}, turn.content)


def differential_feedback(services, items: tuple[DiagnosisFeedback, ...], missed_must_not_miss: tuple[str, ...]) -> None:
    st.markdown("#### Your differential")
    for item in items:
        badge, lead = _VERDICTS[item.verdict]
        with st.container(border=True):
            title = f"**{item.rank}. {escape_markdown(item.text)}**"
            if item.matched and item.matched.casefold() != item.text.casefold():
                title += f" → {escape_markdown(item.matched)}"
            st.markdown(f"{title} {badge}" + (" :red-badge[Must not miss]" if item.must_not_miss else ""))
            if item.expected_rank is not None and item.expected_rank != item.rank:
                st.caption(f"The rubric ranks it {item.expected_rank}.")
            if lead and item.verdict == "supported" and item.supporting:
                st.markdown(f"{lead}: " + ", ".join(escape_markdown(s) for s in item.supporting) + ".")
            elif lead and item.verdict == "argues_against":
                st.markdown(f"{lead}: " + ", ".join(escape_markdown(s) for s in item.against) + ".")
            elif lead:
                st.markdown(f"{lead}.")
            if item.explanation:
                st.caption(escape_markdown(item.explanation))
            _citations(services, item.references, item.explanation)
    for name in missed_must_not_miss:
        st.error(f"Missed a must-not-miss diagnosis: **{escape_markdown(name)}**", icon=":material/emergency:")


def plan_feedback(services, items: tuple[PlanFeedback, ...]) -> None:
    st.markdown("#### Your plan")
    for item in items:
        with st.container(border=True):
            name = f" → {escape_markdown(item.matched)}" if item.matched else ""
            st.markdown(f"**{escape_markdown(item.text)}**{name} {_PLAN_VERDICTS[item.verdict]}")
            if item.explanation:
                st.caption(escape_markdown(item.explanation))
            _citations(services, item.references, item.explanation)


def debrief(services, view: CaseView) -> None:
    marks: Marks = view.marks
    session = view.session
    st.markdown("### Debrief")
    left, middle, right = st.columns(3)
    left.metric("Rubric score", f"{marks.score:.0%}", help=f"{marks.earned:g} of {marks.possible:g} points")
    if session.score_override is not None:
        middle.metric("Score after instructor review", f"{session.score_override:.0%}")
        right.caption(f"Changed by {escape_markdown(session.override_by or 'an instructor')}: "
                      f"{escape_markdown(session.override_reason or '')}")
    for name in marks.missed_must_not_miss:
        st.error(f"Missed a must-not-miss diagnosis: **{escape_markdown(name)}**", icon=":material/emergency:")
    st.markdown("#### Score by rubric item")
    for section in ("Key findings", "Differential", "Must not miss", "Next steps", "Dangerous actions"):
        lines = [line for line in marks.lines if line.section == section]
        if not lines:
            continue
        earned = sum(line.earned for line in lines)
        possible = sum(line.possible for line in lines)
        with st.expander(f"{section}: {earned:g} / {possible:g}", expanded=any(line.status != "met" for line in lines)):
            for line in lines:
                st.markdown(f"{_LINE_ICONS[line.status]} {escape_markdown(line.item)} — **{line.earned:g}** / {line.possible:g}")
                if line.note:
                    st.caption(escape_markdown(line.note))
    if marks.differential:
        differential_feedback(services, marks.differential, ())
    if marks.plan:
        plan_feedback(services, marks.plan)
    st.markdown("#### Teaching points")
    for point in view.case.teaching_points:
        with st.container(border=True):
            st.markdown(escape_markdown(point.text))
            _citations(services, point.references, point.text)


def _citations(services, references, focus: str) -> None:
    if not references:
        return
    citations, unresolved = services.cases.citations(references, focus)
    if citations:
        with st.container(horizontal=True):
            for citation in citations:
                citation_chip(citation)
    for reference in unresolved:
        st.caption(f":orange-badge[Missing from the library] {escape_markdown(reference.source)}"
                   + (f" › {escape_markdown(reference.section)}" if reference.section else ""))


def _stage_questions(questions: tuple[str, ...]) -> None:
    for question in questions:
        st.markdown(f"- *{escape_markdown(question)}*")


def _tutor_reply(view: CaseView, kind: str | None, meta: dict, content: str) -> None:
    """Revealed findings are drawn from the case file by key; other replies are shown as stored."""
    findings = [view.case.findings[key] for key in meta.get("keys", []) if key in view.case.findings]
    if kind in ("revealed", "repeated") and findings:
        if kind == "repeated":
            st.caption("You already have this.")
        for finding in findings:
            st.markdown(f"**{escape_markdown(finding.label)}:** {escape_markdown(finding.text)}")
        return
    if kind == "clarify":
        st.markdown(":blue-badge[Be more specific]")
    elif kind == "later":
        st.markdown(":orange-badge[Not yet]")
    elif kind == "unlisted":
        st.markdown(":gray-badge[From the case file]")
    st.markdown(escape_markdown(content))
