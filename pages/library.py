"""Library (instructors): upload curriculum files and clinical cases, watch them index, manage them."""

import streamlit as st

from tutor.ui.auth import staff_only
from tutor.ui.case_library_view import case_library_tab
from tutor.ui.deps import get_services
from tutor.ui.library_view import course_material_tab

st.title("Curriculum library")
services = get_services()
actor = staff_only()
material, cases = st.tabs(["Course material", "Clinical cases"])
with material:
    course_material_tab(services, actor)
with cases:
    case_library_tab(services, actor)
