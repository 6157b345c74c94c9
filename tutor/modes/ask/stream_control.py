"""Controlling a reply while it streams: stopping a cancelled model call, a stream cut short, and
which conversations have a reply in flight.

Streamlit runs the page on a script thread and the agent runs the model on a worker thread;
a student's Cancel (or a closed tab) closes the page's generator, and these pieces make that
close reach the model server and the stored conversation in order.
"""

from __future__ import annotations

import threading

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage


class StopOnCancel(BaseCallbackHandler):
    """Ends a model call at its next streamed token once the student has cancelled.

    The agent runs the model on a worker thread, so closing the page's generator alone would
    leave the call reading (and the server generating) to the end; raising from the token
    callback ends the call, which closes its HTTP stream, and the server stops."""

    raise_error = True  # LangChain swallows a handler's exceptions unless told otherwise

    def __init__(self):
        self.cancelled = threading.Event()

    def on_llm_new_token(self, token: str, **kwargs) -> None:
        if self.cancelled.is_set():
            raise StreamCancelled("the student cancelled the answer")


class InFlight:
    """Replies being streamed, per conversation, so a history read can wait for them to be stored."""

    def __init__(self):
        self._cond = threading.Condition()
        self._counts: dict[str, int] = {}

    def enter(self, conversation: str) -> None:
        with self._cond:
            self._counts[conversation] = self._counts.get(conversation, 0) + 1

    def leave(self, conversation: str) -> None:
        with self._cond:
            self._counts[conversation] -= 1
            if not self._counts[conversation]:
                del self._counts[conversation]
            self._cond.notify_all()

    def wait_idle(self, conversation: str, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: conversation not in self._counts, timeout=timeout_s)


class StreamCancelled(Exception):
    """Raised inside a model call the student cancelled."""


class StreamCutShort(Exception):
    """An OpenAI-compatible stream that ended cleanly but early (no finish_reason, no [DONE]).

    A connection dropped by a proxy or an HTTP/1.0 server looks like a normal end of the
    body; without this check the fragment would be judged and stored as a complete answer.
    """


def cut_short(state: dict | None) -> bool:
    """True when the model's last reply came from an OpenAI-compatible server that never said why it stopped."""
    for message in reversed((state or {}).get("messages", [])):
        if isinstance(message, AIMessage):
            meta = message.response_metadata or {}
            return meta.get("model_provider") == "openai" and not meta.get("finish_reason")
    return False


