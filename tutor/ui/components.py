"""Reusable pieces of screen: how a passage, a citation or a report looks everywhere.

Curriculum text comes from uploads, so it is shown literally: Markdown with every
markup character escaped and HTML off (Streamlit's default), except the document's own
bold (:func:`passage_markdown`). A document cannot put a link or an image on the page.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from tutor.content.phi_screen import describe
from tutor.domain import IngestReport, SearchHit, SourceDoc


def citation_label(hit: SearchHit) -> str:
    """'cardiology/heart-failure.md · Heart failure > Management · p. 3'"""
    parts = [hit.source]
    if hit.section:
        parts.append(hit.section)
    if hit.page:
        parts.append(f"p. {hit.page}")
    return " · ".join(parts)


def escape_markdown(text: str) -> str:
    """Show curriculum text literally: no links, images or emphasis from the document.

    ``:`` and ``@`` too: Streamlit's GFM renderer (micromark) turns ``https://host`` into
    a link even without a dot in the host, so escaping the dots of ``https://evil.example``
    alone still left a link to ``https://evil``; ``https\\://`` and ``a\\@b`` form none.
    """
    for ch in "\\`*_{}[]<>()#+-.!|~$:@":
        text = text.replace(ch, "\\" + ch)
    return text


_BOLD = re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*|__(?=\S)([^_\n]+?)(?<=\S)__")


def passage_markdown(text: str) -> str:
    """Curriculum text for display: the document's **bold** kept as bold, everything else literal.

    Escaping alone showed the student literal ``**`` around every bold phrase of a passage;
    emphasis cannot carry a link or an image, so it alone is let through.
    """
    parts, last = [], 0
    for match in _BOLD.finditer(text):
        parts.append(_plain(text[last : match.start()]))
        parts.append(f"**{escape_markdown(match.group(1) or match.group(2))}**")
        last = match.end()
    parts.append(_plain(text[last:]))
    return "".join(parts)


def _plain(text: str) -> str:
    """Literal text, less the unpaired ``**`` of a bold phrase that a sentence cut in two (an
    evidence sentence can start inside "**Stage 1:** creatinine ..."): markup, not words."""
    return escape_markdown(text.replace("**", ""))


_JUDGED_HELP = ("How likely this passage answers your question, as judged by the tutor's relevance model, "
                "which reads the question and the passage together (1.00 = certainly answers it).")
_COSINE_HELP = "Cosine similarity between your question and this passage (1.0 = identical meaning)."


def passage_card(hit: SearchHit, rank: int, *, relevant: bool, judged: bool = False) -> None:
    with st.container(border=True):
        head, score = st.columns([5, 1])
        head.markdown(f"**{rank}. {escape_markdown(hit.doc_title or hit.source)}**")
        head.caption(escape_markdown(citation_label(hit)))
        score.metric("answers it" if judged else "match", f"{hit.score:.2f}", label_visibility="visible",
                     help=_JUDGED_HELP if judged else _COSINE_HELP)
        if not relevant:
            st.caption(":orange[Related, but judged not to answer the question.]" if judged
                       else ":orange[Weak match: below the relevance threshold.]")
        preview = " ".join(hit.text.split())
        st.markdown(passage_markdown(preview[:280] + ("…" if len(preview) > 280 else "")))
        with st.expander("Open passage"):
            st.markdown(passage_markdown(hit.text).replace("\n", "  \n"))
            st.caption(f"Passage id `{hit.chunk_id}`")


def ingest_summary(report: IngestReport) -> None:
    cols = st.columns(5)
    for col, (label, value) in zip(cols, (
        ("Added", len(report.added)), ("Updated", len(report.updated)), ("Unchanged", len(report.unchanged)),
        ("Removed", len(report.removed)), ("Failed", len(report.failed)),
    )):
        col.metric(label, value)
    if report.failed:
        st.error("Some files were not added:\n\n" + "\n".join(
            f"- **{escape_markdown(f.source)}**: {escape_markdown(f.reason)}" for f in report.failed
        ))
    if report.held:
        st.warning("Some files were not added yet:\n\n" + "\n".join(
            f"- **{escape_markdown(h.source)}**: held for review: contains what looks like {escape_markdown(describe(h.counts))}"
            for h in report.held
        ) + "\n\nAn instructor can release or discard them under *Held for review* below.")
    if report.added or report.updated:
        st.success(f"{report.chunks_added} passages indexed in {report.seconds:.1f} s.")


def documents_table(documents: list[SourceDoc]) -> None:
    frame = pd.DataFrame(
        [
            {
                "Title": d.title, "Source": d.source, "Module": d.module or "", "Type": d.kind.upper(),
                "Passages": d.n_chunks, "Size (KB)": round(d.size_bytes / 1024, 1),
                "Indexed": d.ingested_at.replace("T", " ")[:16] + " UTC",
            }
            for d in documents
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
