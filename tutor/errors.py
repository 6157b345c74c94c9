"""The tutor's error hierarchy.

Every failure a user can cause or meet (a bad upload, a missing model file, a busy
database) is a :class:`TutorError` that carries a ``user_message``: one plain
sentence that the UI and the CLI show as is. The technical detail stays in
``str(error)`` for logs. Translation to a screen or a terminal happens in one
place each (``tutor.ui.errors`` and ``tutor.cli``); nothing else formats errors.
"""

from __future__ import annotations


class TutorError(Exception):
    """Base class: an error with a message fit to show a student or instructor."""

    user_message: str = "Something went wrong in the tutor."

    def __init__(self, user_message: str | None = None, *, detail: str | None = None):
        if user_message is not None:
            self.user_message = user_message
        super().__init__(detail or self.user_message)


class ConfigurationError(TutorError):
    """A setting is missing or inconsistent (for example an API key for a remote model)."""

    user_message = "The tutor is not configured correctly."


class ModelUnavailableError(TutorError):
    """A model file or model server that the configuration names cannot be used."""

    user_message = "The language or embedding model is not available."


class DocumentError(TutorError):
    """A file that cannot be ingested. ``source`` names the file in every message."""

    reason = "the file could not be read"

    def __init__(self, source: str, reason: str | None = None, *, detail: str | None = None):
        self.source = source
        if reason is not None:
            self.reason = reason
        super().__init__(f"{source}: {self.reason}", detail=detail)


class UnsupportedFileType(DocumentError):
    reason = "this file type is not supported (use Markdown, plain text, PDF or DOCX)"


class FileTooLarge(DocumentError):
    reason = "the file is larger than the upload limit"

    @classmethod
    def check(cls, source: str, size: int, limit_bytes: int) -> None:
        """Raise when ``size`` is over the limit, naming both in MiB (the one wording for every upload)."""
        if size > limit_bytes:
            raise cls(source, f"the file is {size / 1048576:.1f} MiB, over the {limit_bytes // 1048576} MiB limit")


class EmptyDocument(DocumentError):
    reason = "the file contains no readable text"


class EncryptedDocument(DocumentError):
    reason = "the file is password-protected; upload an unprotected copy"


class MalformedDocument(DocumentError):
    reason = "the file is damaged or not what its extension says"


class CaseFileInvalid(DocumentError):
    """A case file that parses but breaks the case format; ``problems`` lists every one found."""

    reason = "the case file has problems"

    def __init__(self, source: str, problems: list[str]):
        self.problems = tuple(problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(source, f"the case file has {count}: " + "; ".join(problems))


class StoreError(TutorError):
    """The progress store or the library registry could not complete a write."""

    user_message = "Your progress could not be saved just now. Please try again."


class IndexUnavailable(TutorError):
    """The vector index is unusable (missing, built with another embedding model, ...)."""

    user_message = "The curriculum index is not available. An instructor can rebuild it with `tutor reindex`."


class InvalidQuery(TutorError):
    """A search or question that cannot be run as given (empty, far too long)."""

    user_message = "Please enter a question."


class CaseError(TutorError):
    """A case-discussion request that cannot be met (unknown case, a session that is over or not yours)."""

    user_message = "That case action is not possible right now."


class QuizError(TutorError):
    """A quiz request that cannot be met (no questions match, a block that is over or not yours)."""

    user_message = "That quiz action is not possible right now."


class AccessDenied(TutorError):
    """The signed-in user may not do this, or the record is not theirs (never says whose it is)."""

    user_message = "You do not have access to this."


class SignInFailed(TutorError):
    """A sign-in was refused: wrong name or password, a locked or deactivated account."""

    user_message = "That username and password do not match an account."


class AccountError(TutorError):
    """An account could not be created or changed (a taken username, a weak password, ...)."""

    user_message = "The account could not be changed."
