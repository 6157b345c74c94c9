"""Home: what the tutor is, what the library holds, where to start."""

import streamlit as st

from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors
from tutor.ui.auth import signed_in

st.title("tutor")
st.write(
    "Practise with your course's own material. Every passage the tutor shows comes from the "
    "curriculum your instructors uploaded, with its source, section and page so you can check it."
)
with shown_errors():
    documents = get_services().documents()
    modules = sorted({d.module for d in documents if d.module})
    left, middle, right = st.columns(3)
    left.metric("Documents", len(documents))
    middle.metric("Passages", sum(d.n_chunks for d in documents))
    right.metric("Modules", len(modules))
    if documents:
        st.page_link("pages/search.py", label="Search the curriculum", icon=":material/search:")
        st.caption("Modules: " + ", ".join(modules))
    else:
        st.info("The library is empty. An instructor can add material on the **Library** page.")
    services = get_services()
    due = services.quiz.due_count(signed_in().learner_id)
    st.page_link("pages/quiz.py", icon=":material/quiz:",
                 label=f"Practise exam questions ({due} review{'s' if due != 1 else ''} due)" if due else "Practise exam questions")
    st.page_link("pages/my_progress.py", icon=":material/insights:", label="See where you stand: your progress by topic")
    cases = len(services.cases.catalogue())
    if cases:
        st.page_link("pages/cases.py", icon=":material/clinical_notes:",
                     label=f"Work through a clinical case ({cases} available)")
st.warning(
    "This is an educational tool, not clinical advice. Do not enter information about real patients.",
    icon=":material/medical_information:",
)
