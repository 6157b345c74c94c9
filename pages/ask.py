"""Ask the tutor: grounded answers with citations you can open, or Socratic hints."""

import streamlit as st

from tutor.ui.ask_view import ask_view
from tutor.ui.auth import signed_in
from tutor.ui.deps import get_services

st.title("Ask the tutor")
ask_view(get_services(), signed_in())
