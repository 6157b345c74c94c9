"""How a tutor reply looks: the text, its citation chips, and the supporting quotes.

Model text has already been through ``safe_markdown`` (no HTML, images or links);
passages and quotes come from the curriculum and are shown escaped, so nothing in
either can add markup to the page.
"""

from __future__ import annotations

import streamlit as st

from tutor.domain import Citation, EvidenceQuote, Quote
from tutor.ui.components import escape_markdown, passage_markdown

STREAMING_NOTE = ("\n\n:gray[*Not checked yet: each statement is read against the course material when the "
                  "answer is complete, and the answer may be withdrawn.*]")

GENERAL_KNOWLEDGE_BADGE = ":violet-badge[General knowledge, not from the course material]"

_BADGES = {
    "not_covered": (":orange-badge[Not covered by the course material]", None),
    "general_knowledge": (GENERAL_KNOWLEDGE_BADGE,
                          "Not grounded in the course material: check it against a reliable source."),
    "referral": (":red-badge[Not clinical advice]", None),
    "unsupported": (":orange-badge[Not linked to the course material]",
                    "The tutor could not link this reply to the course passages: treat it with caution."),
    "interrupted": (":red-badge[Interrupted]", "The answer was cut off before it was complete. Please ask again."),
    "cancelled": (":gray-badge[Cancelled]", None),
    "busy": (":orange-badge[The tutor is busy]", None),
    "hint": (":blue-badge[Hint]", None),
}


def citation_chip(citation: Citation, *, numbered: bool = True) -> None:
    """A chip that opens the whole passage; ``numbered=False`` names it by title and section instead of [n]."""
    where = citation.source + (f", p. {citation.page}" if citation.page else "")
    if not numbered:
        where = place_label(citation.doc_title or citation.source, citation.section)
        where += f", p. {citation.page}" if citation.page else ""
    with st.popover(f"[{citation.number}] {where}" if numbered else where, icon=None if numbered else ":material/menu_book:",
                    width="content"):
        st.markdown(f"**{escape_markdown(citation.doc_title or citation.source)}**")
        st.caption(escape_markdown(" · ".join(p for p in (citation.source, citation.section,
                                                          f"p. {citation.page}" if citation.page else "") if p)))
        st.markdown(passage_markdown(citation.text).replace("\n", "  \n"))


def quotes_view(quotes: tuple[Quote, ...]) -> None:
    with st.expander(f"Check it: {len(quotes)} supporting sentence{'s' if len(quotes) != 1 else ''} from the course"):
        for quote in quotes:
            st.markdown(f"> {passage_markdown(quote.text)} **[{quote.citation_number}]**")


def place_label(title: str, section: str | None) -> str:
    """"Anaemia › Microcytic anaemia › Iron deficiency anaemia": the section path without the
    document's own heading, which repeats the title."""
    steps = [step.strip() for step in (section or "").split(" > ") if step.strip()]
    if steps and steps[0].casefold() == title.casefold():
        steps = steps[1:]
    return " › ".join([title, *steps])


def evidence_view(evidence: tuple[EvidenceQuote, ...], *, declined: bool = False) -> None:
    """What the material says, verbatim, each sentence with the passage it comes from: shown first.
    ``declined``: the explanation was withdrawn, so the sentences are only the closest the material comes."""
    if declined:
        st.markdown(":orange-badge[:material/menu_book: Closest sentences in the course material (they may not answer it)]")
    else:
        st.markdown(":green-badge[:material/menu_book: What the course material says]")
    for quote in evidence:
        st.markdown(f"> {passage_markdown(quote.text)}")
        citation_chip(quote.citation, numbered=False)


def related_view(related: tuple[Citation, ...]) -> None:
    """The nearest passages when the tutor declined: reading, not evidence for an answer."""
    st.caption("Related reading in the course material (it does not answer the question):")
    with st.container(horizontal=True):
        for citation in related:
            citation_chip(citation)


def reply_view(text: str, kind: str, citations: tuple[Citation, ...], quotes: tuple[Quote, ...],
               unsupported: tuple[str, ...] = (), related: tuple[Citation, ...] = (),
               evidence: tuple[EvidenceQuote, ...] = ()) -> None:
    if evidence:
        evidence_view(evidence, declined=kind in ("not_covered", "unsupported"))
        if text and kind in ("answer", "general_knowledge"):
            st.markdown(":blue-badge[:material/school: The tutor's explanation]")
    badge, warning = _BADGES.get(kind, (None, None))
    if badge:
        st.markdown(badge)
    st.markdown(text)
    if warning:
        st.caption(warning)
    if unsupported and kind in ("answer", "hint", "general_knowledge"):
        them = "them" if len(unsupported) != 1 else "it"
        st.caption(f":orange[{len(unsupported)} statement{'s' if len(unsupported) != 1 else ''} marked ⚠️ could not "
                   f"be found in the cited course material: check {them} before relying on {them}.]")
    if related:
        related_view(related)
    if citations:
        with st.container(horizontal=True):
            for citation in citations:
                citation_chip(citation)
    if quotes:
        quotes_view(quotes)
