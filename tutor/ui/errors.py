"""Errors on screen: the one place that turns exceptions into messages for people.

A :class:`TutorError` shows its user message; anything else shows a generic message
and is logged with its traceback on the server, never in the browser.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from tutor.errors import TutorError

log = logging.getLogger("tutor.ui")


@contextmanager
def shown_errors() -> Iterator[None]:
    try:
        yield
    except TutorError as exc:
        log.info("user-facing error: %s", exc)
        st.error(exc.user_message, icon=":material/error:")
    except Exception:
        log.exception("unexpected error in a page")
        st.error(
            "Something unexpected went wrong. Your work is saved; please try again, "
            "and tell your instructor if it keeps happening.",
            icon=":material/error:",
        )
