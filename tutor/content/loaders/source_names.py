"""The fallback title of a document: its file name without folder and extension.

``source`` may be a relative path from either operating system or an uploaded file's
name, so both separators are honoured.
"""

from __future__ import annotations

from pathlib import PurePosixPath


def source_stem(source: str) -> str:
    """``"notes/Heart Failure.pdf"`` -> ``"Heart Failure"``."""
    return PurePosixPath(source.replace("\\", "/")).stem


def source_suffix(source: str) -> str:
    """The lower-case extension with its dot: ``"A.PDF"`` -> ``".pdf"``; ``""`` when none."""
    return PurePosixPath(source.replace("\\", "/")).suffix.lower()
