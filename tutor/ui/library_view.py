"""The Library's course-material tab: upload (a background job, followed here), jobs, held uploads, documents."""

import streamlit as st

from tutor.domain import SourceDoc
from tutor.modes.access import Actor
from tutor.services import Services
from tutor.ui.components import documents_table
from tutor.ui.document_view import document_editor
from tutor.ui.errors import shown_errors
from tutor.ui.held_uploads_view import held_uploads_section
from tutor.ui.jobs_view import follow_job, recent_jobs_section


def course_material_tab(services: Services, actor: Actor) -> None:
    _upload_form(services, actor)
    recent_jobs_section(services, actor)
    held_uploads_section(services, actor)
    documents = services.documents()
    st.subheader(f"Documents ({len(documents)})")
    if not documents:
        st.info("No documents yet. Upload course material above; it becomes searchable as soon as it is indexed.")
        return
    documents_table(documents)
    with st.expander("Edit a document's title and module, and preview its passages"):
        document_editor(services, actor, documents)
    with st.expander("Remove a document or rebuild the index"):
        _remove_or_reindex(services, actor, documents)


def _upload_form(services: Services, actor: Actor) -> None:
    limit = services.settings.max_upload_mb
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            f"Add course material (Markdown, text, PDF or DOCX, up to {limit} MB each)",
            type=["md", "markdown", "txt", "pdf", "docx"],
            accept_multiple_files=True,
            max_upload_size=limit,
        )
        module = st.text_input("Module for these files (optional)", max_chars=80,
                               placeholder=", ".join(sorted({d.module for d in services.documents() if d.module}))[:120])
        submitted = st.form_submit_button("Add to library", type="primary", icon=":material/upload:")

    if submitted:
        if not files:
            st.warning("Choose one or more files first.")
        else:
            with shown_errors():
                job = services.submit_uploads(actor, [(f.name, f.getvalue()) for f in files], module=module)
                follow_job(services, actor, job)


def _remove_or_reindex(services: Services, actor: Actor, documents: list[SourceDoc]) -> None:
    by_label = {f"{d.title} ({d.source})": d for d in documents}
    with st.form("remove"):
        choice = st.selectbox("Document", list(by_label))
        confirm = st.checkbox("Yes, remove it and its passages from the library")
        if st.form_submit_button("Remove", icon=":material/delete:"):
            if not confirm:
                st.warning("Tick the confirmation box to remove the document.")
            else:
                with shown_errors():
                    removed = services.delete_document(actor, by_label[choice].doc_id)
                    st.success(f"Removed {by_label[choice].source} ({removed} passages).")
                    st.rerun()
    st.caption("Re-indexing rebuilds the search index from the library database, e.g. after changing the embedding model.")
    if st.button("Rebuild search index", icon=":material/refresh:"):
        with shown_errors():
            bar = st.progress(0.0, text="Re-indexing…")
            count = services.reindex(actor, lambda fraction, message: bar.progress(min(fraction, 1.0), text=message))
            bar.empty()
            st.success(f"Re-indexed {count} passages.")
