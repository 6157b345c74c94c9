"""My progress: where I stand by topic, system and objective, what is due, and what to practise next."""

import streamlit as st

from tutor.ui.auth import signed_in
from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors
from tutor.ui.progress_view import learner_dashboard

st.title("My progress")
with shown_errors():
    learner_dashboard(get_services(), signed_in())
