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


class Outcome:
    """Whether the guarded block finished; pages stop when a prerequisite failed."""

    ok = True


@contextmanager
def shown_errors() -> Iterator[Outcome]:
    outcome = Outcome()
    try:
        yield outcome
    except TutorError as exc:
        outcome.ok = False
        log.info("user-facing error: %s", exc)
        st.error(exc.user_message, icon=":material/error:")
    except Exception:
        outcome.ok = False
        log.exception("unexpected error in a page")
        st.error(
            "Something unexpected went wrong. Your work is saved; please try again, "
            "and tell your instructor if it keeps happening.",
            icon=":material/error:",
        )
