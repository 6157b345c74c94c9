"""The Streamlit side of the tutor: the only package that imports streamlit.

Pages stay thin: they read widgets, call one service method on an explicit event
and render domain objects with the components here.
"""
