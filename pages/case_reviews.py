"""Case reviews (instructors): read a student's completed case and override its rubric score."""

import streamlit as st

from tutor.ui.auth import staff_only
from tutor.ui.case_review_screens import reviews_screen
from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors

st.title("Case reviews")
with shown_errors():
    reviews_screen(get_services(), staff_only())
