"""Search: find the passages of the curriculum that answer a question."""

import streamlit as st

from tutor.ui.components import passage_card
from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors

st.title("Search the curriculum")
services = get_services()
modules = sorted({d.module for d in services.documents() if d.module})

with st.form("search", enter_to_submit=True, border=False):
    query = st.text_input(
        "Question or keywords", placeholder="e.g. Which blood test helps rule out heart failure?", max_chars=2000
    )
    left, right = st.columns([3, 1])
    module = left.selectbox("Module", ["All modules", *modules])
    k = right.number_input("Passages", min_value=1, max_value=20, value=services.settings.search_k)
    submitted = st.form_submit_button("Search", type="primary", icon=":material/search:")

if submitted:
    with shown_errors():
        result = services.search(query, int(k), {"module": None if module == "All modules" else module})
        if not result.hits:
            st.info("No passages yet: the library is empty.")
        elif not result.covered:
            st.warning(
                "The course material does not seem to cover this: no passage answers the question. "
                "The nearest passages are below as related reading; check them before relying on them."
            )
        if result.judged and result.hits:
            st.caption("Best first: each passage's figure is the tutor's judgement of how likely it answers "
                       "your question.")
        for rank, hit in enumerate(sorted(result.hits, key=lambda h: -h.score), 1):  # in the order of the figure shown
            passage_card(hit, rank, relevant=hit.relevant, judged=result.judged)
elif not services.documents():
    st.info("The library is empty. An instructor can add material on the **Library** page.")
