"""Plain-text loader: the whole file is one section without headings."""

from __future__ import annotations

from tutor.content.loaders.decoding import decode_text
from tutor.content.loaders.source_names import source_stem
from tutor.content.text_cleaning import clean_text
from tutor.domain import DocumentMeta, LoadedDocument, Section


def load_plaintext(data: bytes, source: str) -> LoadedDocument:
    text = clean_text(decode_text(data, source)).strip()
    sections = (Section(text=text),) if text else ()
    return LoadedDocument(
        source=source, kind="text", meta=DocumentMeta(title=source_stem(source)), sections=sections
    )
