"""Model failures translated into one error type with a message a student can act on.

The OpenAI client already retries 429/5xx/connection errors a bounded number of
times (``llm_max_retries``) within an explicit timeout; what reaches this module has
failed for good.
"""

from __future__ import annotations

import openai

from tutor.errors import ModelUnavailableError
from tutor.llm.scripted import ScriptedModelError


def model_failure(exc: BaseException) -> ModelUnavailableError:
    if isinstance(exc, ModelUnavailableError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        message = "The tutor's language model did not answer in time. Please try again in a moment."
    elif isinstance(exc, openai.RateLimitError) or (isinstance(exc, openai.APIStatusError) and exc.status_code == 503):
        message = "The language model server is busy right now. Please wait a minute and try again."
    elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        message = "The tutor could not sign in to its language model server. Please tell your instructor."
    elif isinstance(exc, openai.APIConnectionError):
        message = "The tutor's language model server cannot be reached. Please try again, or tell your instructor."
    elif isinstance(exc, openai.APIStatusError):
        message = f"The language model server reported an error ({exc.status_code}). Please try again."
    elif isinstance(exc, ScriptedModelError):
        message = "The tutor's language model stopped unexpectedly. Please try again."
    else:
        message = "The tutor's language model failed unexpectedly. Please try again."
    return ModelUnavailableError(message, detail=f"{type(exc).__name__}: {exc}")
