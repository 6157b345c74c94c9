"""Quiz: practise single-best-answer questions in tutor mode or as a timed exam block."""

import streamlit as st

from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors
from tutor.ui.auth import signed_in
from tutor.ui.quiz_screens import quiz_screen

st.title("Quiz")
with shown_errors():
    services = get_services()
    quiz_screen(services, signed_in())
