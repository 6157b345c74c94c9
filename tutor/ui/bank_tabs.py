"""The Question bank page's tabs: the review queue, imports, drafting from the material, browsing and export."""

import streamlit as st
from pydantic import ValidationError

from tutor.content.questions.model import Question, question_problems
from tutor.modes.access import Actor
from tutor.modes.bank.admin import BankAdmin
from tutor.services import Services
from tutor.ui.bank_view import bank_table, edit_form, import_summary, review_card
from tutor.ui.drafting_view import discarded_view, drafting_view
from tutor.ui.errors import shown_errors
from tutor.ui.notices import confirm


def review_tab(admin: BankAdmin, actor: Actor) -> None:
    queue = admin.queue(actor)
    if not queue:
        st.info("Nothing to review. Generated drafts and imported questions that lack explanations appear here.")
    for item in queue:
        with st.container(border=True):
            review_card(item, admin.citations(item.question))
            action, fields, reason = edit_form(item)
            if action == "approve":
                with shown_errors():
                    try:
                        edited = Question.model_validate(fields)
                    except ValidationError as exc:
                        st.error("Fix these before approving: " + "; ".join(question_problems(exc)))
                    else:
                        admin.approve(actor, item.id, edited=edited)
                        confirm(f"Approved {item.id}: students can now get it.")
            elif action == "reject":
                with shown_errors():
                    admin.reject(actor, item.id, reason=reason)
                    confirm(f"Rejected {item.id}.")


def import_tab(services: Services, actor: Actor) -> None:
    admin = services.questions
    limit = services.settings.max_upload_mb
    with st.form("questions.import", clear_on_submit=True):
        files = st.file_uploader(
            f"Question files: native YAML/JSON, Moodle GIFT, Aiken, Moodle XML or CSV (up to {limit} MB each)",
            type=["yaml", "yml", "json", "gift", "txt", "xml", "csv"], accept_multiple_files=True, max_upload_size=limit,
        )
        submitted = st.form_submit_button("Import", type="primary", icon=":material/upload:")
    if submitted:
        if not files:
            st.warning("Choose one or more files first.")
        for file in files or []:
            with shown_errors():
                import_summary(admin.import_file(actor, file.name, file.getvalue()))
    st.caption("Complete questions (an explanation for every option) go straight to students; others wait for review. "
               "Bad questions are listed with the reason; the rest of the file still imports.")


def generate_tab(services: Services, actor: Actor) -> None:
    admin = services.questions
    sources = [d.source for d in services.documents()]
    if not sources:
        st.info("The library is empty: add curriculum on the **Library** page first.")
    else:
        with st.form("questions.generate"):
            source = st.selectbox("Draft from", sources)
            n = st.slider("Number of drafts", 1, 10, 3)
            go = st.form_submit_button("Draft questions", type="primary", icon=":material/auto_awesome:")
        st.caption("Drafts pass code checks (valid, distinct options, not a near-duplicate, the keyed answer "
                   "supported by the passage) and then wait for your review. Discarded drafts are listed below.")
        drafting_view(admin, actor, source if go else None, n)
        discarded_view(admin, actor)


def browse_tab(admin: BankAdmin, actor: Actor) -> None:
    status = st.segmented_control("Status", ["approved", "draft", "rejected"], default="approved")
    items = admin.browse(actor, status or "approved")
    if not items:
        st.info("No questions with this status.")
    else:
        bank_table(items)
    st.markdown("**Export**")
    cols = st.columns(3)
    for col, (fmt, label, mime) in zip(cols, (("yaml", "Native YAML", "application/yaml"),
                                               ("gift", "Moodle GIFT", "text/plain"),
                                               ("csv", "CSV (Anki)", "text/csv"))):
        text, extension = admin.export(actor, fmt, status or "approved")
        col.download_button(label, text, file_name=f"questions-{status or 'approved'}.{extension}", mime=mime,
                            icon=":material/download:")
