"""Question bank (instructors): import and export questions, draft new ones, review the queue."""

import streamlit as st

from tutor.ui.auth import staff_only
from tutor.ui.bank_tabs import browse_tab, generate_tab, import_tab, review_tab
from tutor.ui.deps import get_services

st.title("Question bank")
services = get_services()
admin = services.questions
actor = staff_only()
counts = admin.counts(actor)
left, middle, right = st.columns(3)
left.metric("Approved (students see these)", counts["approved"])
middle.metric("Waiting for review", counts["draft"])
right.metric("Rejected", counts["rejected"])

review, upload, generate, browse = st.tabs([f"Review queue ({counts['draft']})", "Import", "Generate drafts", "Browse and export"])

with review:
    review_tab(admin, actor)
with upload:
    import_tab(services, actor)
with generate:
    generate_tab(services, actor)
with browse:
    browse_tab(admin, actor)
