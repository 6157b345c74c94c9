"""A document in the Library: the instructor's title and module for it, and a preview of its passages.

Students see a document's title on every citation and its module in the search filter,
so an upload whose file says nothing useful ("(anonymous)", no module) is fixed here.
The passages are shown as the tutor cites them (section, page), so an instructor can
check how a PDF was split before students rely on it.
"""

from __future__ import annotations

import streamlit as st

from tutor.domain import SourceDoc
from tutor.ui.components import escape_markdown, passage_markdown
from tutor.ui.errors import shown_errors

_PREVIEW = 30


def document_editor(services, actor, documents: list[SourceDoc]) -> None:
    by_label = {f"{d.title} ({d.source})": d for d in documents}
    choice = st.selectbox("Document", list(by_label), key="library.edit.doc")
    doc = by_label[choice]
    modules = sorted({d.module for d in documents if d.module})
    with st.form("library.edit", enter_to_submit=True):
        title = st.text_input("Title (shown to students on every citation)", value=doc.title, max_chars=200)
        module = st.text_input("Module", value=doc.module or "", max_chars=80,
                               help="Existing modules: " + (", ".join(modules) if modules else "none yet"))
        if st.form_submit_button("Save", icon=":material/save:"):
            with shown_errors() as outcome:
                services.edit_document(actor, doc.doc_id, title=title, module=module)
            if outcome.ok:
                st.toast("Saved: students see the new title and module.", icon=":material/check_circle:")
                st.rerun()
    rows = services.passages(actor, doc.doc_id)
    st.caption(f"{len(rows)} passage(s)" + (f"; the first {_PREVIEW} below" if len(rows) > _PREVIEW else ""))
    for row in rows[:_PREVIEW]:
        chunk = row.chunk
        where = " · ".join(p for p in (chunk.section or "(no section)", f"p. {chunk.page}" if chunk.page else "") if p)
        st.markdown(f"**{escape_markdown(where)}**  \n{passage_markdown(chunk.text[:400])}"
                    + ("…" if len(chunk.text) > 400 else ""))
