"""tutor: a medical-education tutor grounded in a course's own material.

The library never imports Streamlit (only ``tutor.ui`` does); everything is put
together in one place, :func:`tutor.services.build_services`.
"""

__version__ = "0.1.0"
