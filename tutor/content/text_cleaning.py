"""Normalising extracted text before it is chunked, embedded and shown.

Every loader passes its text through :func:`clean_text`. Why: invisible characters are
how instructions get smuggled into a document that a model later reads (bidi overrides
that reorder what a reviewer sees, Unicode tag characters that spell out text no one can
see, zero-width characters), and they also break matching: two passages that look the
same must hash the same, so the text is NFC-normalised and whitespace is made regular.

What it does, in order:

1. ``\\r\\n`` and lone ``\\r`` become ``\\n``; U+2028/U+2029 (line/paragraph separator)
   become ``\\n`` too.
2. Drops C0 controls except ``\\n`` and ``\\t`` (NUL included), DEL and C1 controls,
   zero-width characters (U+200B-200D, U+2060, U+FEFF, U+180E), bidi marks, embeddings,
   overrides and isolates (U+200E/F, U+061C, U+202A-202E, U+2066-2069) and Unicode tag
   characters (U+E0000-E007F).
3. Unicode NFC (after the removals, so that a mark separated from its base by a
   zero-width character still composes).
4. Strips trailing spaces and tabs from every line.
5. Collapses three or more consecutive blank lines to two.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(
    "["
    "\x00-\x08\x0b-\x1f"  # C0 controls except \t (0x09) and \n (0x0a)
    "\x7f-\x9f"  # DEL and C1 controls
    "\u200b-\u200f"  # zero-width space / non-joiner / joiner, LRM, RLM
    "\u061c"  # Arabic letter mark (a bidi mark)
    "\u180e"  # Mongolian vowel separator (zero-width)
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060"  # word joiner
    "\u2066-\u2069"  # bidi isolates
    "\ufeff"  # zero-width no-break space / stray byte-order mark
    "\U000e0000-\U000e007f"  # Unicode tag characters
    "]"
)
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_MANY_BLANK_LINES = re.compile(r"\n{4,}")  # four newlines in a row = three blank lines


def clean_text(s: str) -> str:
    """Return ``s`` with hidden characters removed and whitespace regularised (see module doc)."""
    s = _LINE_BREAKS.sub("\n", s)
    s = _INVISIBLE.sub("", s)
    s = unicodedata.normalize("NFC", s)
    s = _TRAILING_SPACE.sub("", s)
    return _MANY_BLANK_LINES.sub("\n\n\n", s)
