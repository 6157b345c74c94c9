"""Structured output from any chat model the factory builds: a JSON schema in, a pydantic object out.

The schema goes to the server as ``response_format`` (``json_schema``), which llama.cpp
turns into a grammar, so even the small local model can only write JSON of that shape;
OpenAI and vLLM honour it too. The reply is still validated here: a server that ignores
the schema, a reply cut off at the token limit or a scripted reply that is not JSON all
become :class:`StructuredReplyInvalid`, a result the caller can count and report, while a
server that is down becomes :class:`tutor.errors.ModelUnavailableError`.
"""

from __future__ import annotations

from typing import TypeVar

import openai
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ValidationError

from tutor.llm.model_errors import model_failure

T = TypeVar("T", bound=BaseModel)


class StructuredReplyInvalid(ValueError):
    """The model answered, but not with a valid object of the schema."""


def ask_structured(
    model: BaseChatModel, schema: type[T], system: str, user: str, *, max_tokens: int, timeout_s: float | None = None
) -> T:
    """One structured request; ``timeout_s`` overrides the client's timeout for this request only."""
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
    }
    try:
        options = {"response_format": response_format, "max_tokens": max_tokens}
        if timeout_s is not None:
            options["timeout"] = timeout_s
        reply = model.bind(**options).invoke(
            [("system", system), ("user", user)]
        )
    except openai.LengthFinishReasonError as exc:
        raise StructuredReplyInvalid(f"the reply was cut off at {max_tokens} tokens") from exc
    except Exception as exc:  # any transport or server failure of any provider
        raise model_failure(exc) from exc
    text = reply.content if isinstance(reply.content, str) else str(reply.content)
    try:
        return schema.model_validate_json(_strip_fence(text))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:5])
        raise StructuredReplyInvalid(problems) from exc


def _strip_fence(text: str) -> str:
    """Models without schema support often wrap JSON in a Markdown fence."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()
