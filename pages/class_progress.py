"""Class progress (instructors): activity, students at risk, mastery heatmap, cases and export."""

import streamlit as st

from tutor.ui.auth import staff_only
from tutor.ui.class_view import class_screen
from tutor.ui.deps import get_services
from tutor.ui.errors import shown_errors

st.title("Class progress")
with shown_errors():
    class_screen(get_services(), staff_only())
