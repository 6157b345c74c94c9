"""Bytes to text for the text formats (plain text and Markdown).

Accepted: UTF-8 with or without a byte-order mark, UTF-16 and UTF-32 with a byte-order
mark. Bytes without a BOM that are not valid UTF-8 are decoded as Windows-1252 (the
usual encoding of text saved by older Windows editors) only when they contain no NUL
byte; a NUL byte in such a file means it is binary or an encoding we would only be
guessing at, so it is rejected rather than turned into mojibake. Valid UTF-8 with more
than 1% NUL bytes is also rejected as binary; a stray NUL or two is removed later by
:func:`tutor.content.text_cleaning.clean_text`.
"""

from __future__ import annotations

import codecs

from tutor.errors import MalformedDocument

# Longest BOM first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_NOT_TEXT = "the file is not UTF-8 text"


def decode_text(data: bytes, source: str) -> str:
    """Decode ``data`` as described in the module docstring; raise MalformedDocument otherwise."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)  # these codecs consume the BOM
            except UnicodeDecodeError as exc:
                reason = f"the file is not valid {name} text"
                raise MalformedDocument(source, reason, detail=str(exc)) from exc
    nuls = data.count(b"\x00")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if nuls:
            raise MalformedDocument(source, _NOT_TEXT, detail=str(exc)) from exc
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in cp1252
            raise MalformedDocument(source, _NOT_TEXT, detail=str(exc)) from exc
    if nuls * 100 > len(data):
        raise MalformedDocument(source, _NOT_TEXT, detail="binary: too many NUL bytes")
    return text
