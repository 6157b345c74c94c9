"""The app's entrypoint: page config, first-start indexing, sign-in, and the navigation by role.

Run with ``streamlit run streamlit_app.py`` (``make run`` does it for you). Every page
is registered on every run, so a page's address always resolves (a reload never says
"Page not found"): pages outside someone's role are hidden from the menu and refuse
with a message when opened by address, and the services check the role again on
every call. Signed out, any address shows the sign-in form and, once signed in, the
page that was asked for.
"""

import streamlit as st

from tutor.ui.assets import FAVICON
from tutor.ui.auth import account_menu, current_actor, sign_in_screen, sync_cookie
from tutor.ui.deps import ensure_library, entered_through_the_app, get_services
from tutor.ui.errors import shown_errors
from tutor.ui.notices import show_pending

st.set_page_config(page_title="tutor", page_icon=str(FAVICON), layout="wide")
entered_through_the_app()

with shown_errors() as startup:
    services = get_services()
    ensure_library(services)
    actor = current_actor(services)
if not startup.ok:
    st.stop()  # the error is on screen; the pages cannot work without their services

# (section, path, title, icon, who sees it in the menu)
PAGES = [
    ("Study", "pages/home.py", "Home", ":material/home:", "all"),
    ("Study", "pages/my_progress.py", "My progress", ":material/insights:", "all"),
    ("Study", "pages/ask.py", "Ask the tutor", ":material/forum:", "all"),
    ("Study", "pages/quiz.py", "Quiz", ":material/quiz:", "all"),
    ("Study", "pages/cases.py", "Cases", ":material/clinical_notes:", "all"),
    ("Study", "pages/search.py", "Search the curriculum", ":material/search:", "all"),
    ("Teach", "pages/class_progress.py", "Class progress", ":material/groups:", "staff"),
    ("Teach", "pages/item_analysis.py", "Item analysis", ":material/query_stats:", "staff"),
    ("Teach", "pages/library.py", "Library", ":material/library_books:", "staff"),
    ("Teach", "pages/question_bank.py", "Question bank", ":material/fact_check:", "staff"),
    ("Teach", "pages/case_reviews.py", "Case reviews", ":material/rate_review:", "staff"),
    ("Administer", "pages/accounts.py", "Accounts", ":material/manage_accounts:", "admin"),
]


def _shown_to(who: str) -> bool:
    if actor is None:
        return False
    return who == "all" or (who == "staff" and actor.is_staff) or (who == "admin" and actor.role == "admin")


sections: dict[str, list] = {}
for section, path, title, icon, who in PAGES:
    visible = _shown_to(who)
    sections.setdefault(section if visible else "Study", []).append(
        st.Page(path, title=title, icon=icon, default=path == "pages/home.py" and actor is not None,
                visibility="visible" if visible else "hidden"))
sign_in_page = st.Page("pages/sign_in.py", title="Sign in", icon=":material/login:", default=True)
if actor is None:  # one visible page: a flat list, so no menu is drawn
    navigation = st.navigation([sign_in_page, *(page for pages in sections.values() for page in pages)])
else:  # without the sign-in page: the run after signing in lands on the page asked for, or Home
    navigation = st.navigation(sections)
sync_cookie()
if actor is not None:
    account_menu(services, actor)
st.sidebar.caption("An educational tool, not clinical advice. Always check the cited course material.")
show_pending()
if actor is None and navigation is not sign_in_page:
    sign_in_screen(services)  # the address names a page: sign in here, then that page opens
else:
    navigation.run()
