"""The app's entrypoint: page config, first-start indexing, sign-in, and the navigation by role.

Run with ``streamlit run streamlit_app.py`` (``make run`` does it for you). A page that
is not in someone's navigation cannot be opened by its URL; the services check the
role again on every call.
"""

import streamlit as st

from tutor.ui.assets import FAVICON
from tutor.ui.auth import account_menu, current_actor
from tutor.ui.deps import ensure_library, get_services
from tutor.ui.errors import shown_errors
from tutor.ui.notices import show_pending

st.set_page_config(page_title="tutor", page_icon=str(FAVICON), layout="wide")

with shown_errors() as startup:
    services = get_services()
    ensure_library(services)
    actor = current_actor(services)
if not startup.ok:
    st.stop()  # the error is on screen; the pages cannot work without their services

if actor is None:
    navigation = st.navigation([st.Page("pages/sign_in.py", title="Sign in", icon=":material/login:")])
else:
    pages = {
        "Study": [
            st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
            st.Page("pages/my_progress.py", title="My progress", icon=":material/insights:"),
            st.Page("pages/ask.py", title="Ask the tutor", icon=":material/forum:"),
            st.Page("pages/quiz.py", title="Quiz", icon=":material/quiz:"),
            st.Page("pages/cases.py", title="Cases", icon=":material/clinical_notes:"),
            st.Page("pages/search.py", title="Search the curriculum", icon=":material/search:"),
        ],
    }
    if actor.is_staff:
        pages["Teach"] = [
            st.Page("pages/class_progress.py", title="Class progress", icon=":material/groups:"),
            st.Page("pages/item_analysis.py", title="Item analysis", icon=":material/query_stats:"),
            st.Page("pages/library.py", title="Library", icon=":material/library_books:"),
            st.Page("pages/question_bank.py", title="Question bank", icon=":material/fact_check:"),
            st.Page("pages/case_reviews.py", title="Case reviews", icon=":material/rate_review:"),
        ]
    if actor.role == "admin":
        pages["Administer"] = [st.Page("pages/accounts.py", title="Accounts", icon=":material/manage_accounts:")]
    navigation = st.navigation(pages)
    account_menu(services, actor)
st.sidebar.caption("An educational tool, not clinical advice. Always check the cited course material.")
show_pending()
navigation.run()
