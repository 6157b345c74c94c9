"""Item analysis (instructors): difficulty, discrimination and distractors of every question in use."""

import streamlit as st

from tutor.ui.auth import staff_only
from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors
from tutor.ui.item_analysis_view import item_analysis_screen

st.title("Item analysis")
with shown_errors():
    item_analysis_screen(get_services(), staff_only())
