"""The app's entrypoint: page config, first-start indexing, and the navigation.

Run with ``streamlit run streamlit_app.py`` (``make run`` does it for you).
"""

import streamlit as st

from tutor.ui.deps import ensure_library, get_services
from tutor.ui.errors import shown_errors

st.set_page_config(page_title="tutor", page_icon=":material/stethoscope:", layout="wide")

with shown_errors() as startup:
    ensure_library(get_services())
if not startup.ok:
    st.stop()  # the error is on screen; the pages cannot work without their services

navigation = st.navigation(
    {
        "Study": [
            st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
            st.Page("pages/ask.py", title="Ask the tutor", icon=":material/forum:"),
            st.Page("pages/quiz.py", title="Quiz", icon=":material/quiz:"),
            st.Page("pages/cases.py", title="Cases", icon=":material/clinical_notes:"),
            st.Page("pages/search.py", title="Search the curriculum", icon=":material/search:"),
        ],
        "Teach": [
            st.Page("pages/library.py", title="Library", icon=":material/library_books:"),
            st.Page("pages/question_bank.py", title="Question bank", icon=":material/fact_check:"),
            st.Page("pages/case_reviews.py", title="Case reviews", icon=":material/rate_review:"),
        ],
    }
)
st.sidebar.caption("An educational tool, not clinical advice. Always check the cited course material.")
navigation.run()
