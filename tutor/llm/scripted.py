"""A scripted chat model: replays written replies instead of running a model.

It is a real LangChain chat model, built by the same factory as the real ones
(``TUTOR_LLM_PROVIDER=scripted`` with ``TUTOR_LLM_SCRIPT`` naming a JSON file, or passed
to ``build_services(chat_model=...)``), so tests exercise the whole agent and every
guard around it. A reply can be:

* a string (streamed word by word),
* a callable that receives the prompt messages and returns a string or an AIMessage
  (a model that "obeys" whatever the prompt says, for injection tests),
* a :class:`Fault`: raise an error before or part-way through the stream.

Replies are used in order; the last one repeats when the script runs out. ``word_delay_s``
paces the stream like a model generating on a CPU (a script file may set it:
``{"word_delay_s": 0.3, "replies": [...]}``), so several students' answers overlap.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from tutor.errors import ConfigurationError


class ScriptedModelError(RuntimeError):
    """The error a :class:`Fault` raises (stands in for a dropped connection or a 500)."""


@dataclass(frozen=True)
class Fault:
    """Fail instead of answering: at once, or after ``after_words`` words of ``text``."""

    message: str = "scripted model failure"
    text: str = ""
    after_words: int = 0


Reply = str | AIMessage | Fault | Callable[[list[BaseMessage]], "str | AIMessage"]


class ScriptedChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: list[Any]
    model_name: str = "scripted"
    word_delay_s: float = 0.0
    _position: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _seen: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @classmethod
    def from_file(cls, path: Path) -> ScriptedChatModel:
        """Load a script: a JSON list of strings or ``{"fault": msg, "text": ..., "after_words": n}``, or an
        object with that list as ``replies`` and a ``word_delay_s``."""
        try:
            items = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"The scripted model's script {path} could not be read.") from exc
        delay = float(items.get("word_delay_s", 0.0)) if isinstance(items, dict) else 0.0
        items = items.get("replies", []) if isinstance(items, dict) else items
        replies: list[Reply] = [
            Fault(item["fault"], item.get("text", ""), item.get("after_words", 0)) if isinstance(item, dict) else str(item)
            for item in items
        ]
        return cls(replies=replies, word_delay_s=delay)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def prompts_seen(self) -> list[list[BaseMessage]]:
        """Every prompt the model received, for tests to inspect."""
        return list(self._seen)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self  # a script decides itself whether to emit tool calls

    def _next(self, messages: list[BaseMessage]) -> Reply:
        with self._lock:
            self._seen.append(list(messages))
            reply = self.replies[min(self._position, len(self.replies) - 1)]
            self._position += 1
        if callable(reply) and not isinstance(reply, (Fault, AIMessage)):
            reply = reply(messages)
        return reply

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> ChatResult:
        reply = self._next(messages)
        if isinstance(reply, Fault):
            raise ScriptedModelError(reply.message)
        message = reply if isinstance(reply, AIMessage) else AIMessage(content=reply)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self, messages: list[BaseMessage], stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._next(messages)
        if isinstance(reply, AIMessage):
            yield ChatGenerationChunk(message=AIMessageChunk(
                content=reply.content, tool_calls=reply.tool_calls,
                tool_call_chunks=[
                    {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i}
                    for i, c in enumerate(reply.tool_calls)
                ],
            ))
            return
        text, fault = (reply.text, reply) if isinstance(reply, Fault) else (reply, None)
        words = text.split(" ") if text else []
        for index, word in enumerate(words):
            if fault is not None and index >= fault.after_words:
                raise ScriptedModelError(fault.message)
            if self.word_delay_s:
                time.sleep(self.word_delay_s)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word if index == 0 else f" {word}"))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
        if fault is not None:
            raise ScriptedModelError(fault.message)
