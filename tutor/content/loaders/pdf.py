"""PDF loader (pypdf): one section per page, headings from the outline.

* Each page with extractable text becomes a :class:`~tutor.domain.Section` with its
  1-based ``page`` number, so citations can point at a page.
* The heading path of a page is the path of the last outline entry (bookmark) that
  starts at or before that page; nested bookmarks give nested paths. Pages before the
  first bookmark, and every page of a PDF without an outline, get an empty path. A
  broken outline is ignored rather than failing the document: the text is what matters.
* Title: the document information ``/Title``, else the file stem. ``untitled`` counts as
  no title: reportlab writes it into every PDF whose author set none.
* Encryption: pypdf already tries the empty user password (the common "owner password
  only" PDF that any viewer opens); if that does not open it the file is an
  :class:`~tutor.errors.EncryptedDocument`. AES-encrypted files need the optional
  ``cryptography`` package; without it pypdf raises ``DependencyError`` and the file is
  reported as encrypted as well, since the user's remedy is the same.
* pypdf parses lazily, so damage can surface while reading any page; every exception
  from pypdf, at any point, becomes a :class:`~tutor.errors.MalformedDocument`.
* Text no reader can see (white on the page, invisible, tiny or off the page) is not
  read: see :mod:`tutor.content.loaders.pdf_visibility`.
* Pages without text are skipped; a PDF with no text at all is almost always a scan,
  which the message says (there is no OCR).
"""

from __future__ import annotations

import bisect
import io

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from tutor.content.loaders.pdf_visibility import visible_page
from tutor.content.loaders.source_names import source_stem
from tutor.content.text_cleaning import clean_text
from tutor.domain import DocumentMeta, LoadedDocument, Section
from tutor.errors import DocumentError, EmptyDocument, EncryptedDocument, MalformedDocument

NO_TEXT_REASON = "no extractable text (a scanned PDF? OCR is not supported)"
_UNSUPPORTED_ENCRYPTION = (
    "the file is encrypted in a way this installation cannot open; upload an unprotected copy"
)


def load_pdf(data: bytes, source: str) -> LoadedDocument:
    try:
        return _load(data, source)
    except DocumentError:
        raise
    except DependencyError as exc:
        raise EncryptedDocument(source, _UNSUPPORTED_ENCRYPTION, detail=str(exc)) from exc
    except Exception as exc:  # pypdf raises PdfReadError, ValueError, KeyError, ... on damage
        raise MalformedDocument(source, detail=f"{type(exc).__name__}: {exc}") from exc


def _load(data: bytes, source: str) -> LoadedDocument:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise EncryptedDocument(source)
    starts = _outline_starts(reader)
    start_pages = [page for page, _ in starts]
    sections = []
    for index, page in enumerate(reader.pages):
        text = clean_text(visible_page(page)[0].extract_text() or "").strip()
        if not text:
            continue
        at = bisect.bisect_right(start_pages, index)
        path = starts[at - 1][1] if at else ()
        sections.append(Section(heading_path=path, text=text, page=index + 1))
    if not sections:
        raise EmptyDocument(source, NO_TEXT_REASON)
    meta = DocumentMeta(title=_info_title(reader) or source_stem(source))
    return LoadedDocument(source=source, kind="pdf", meta=meta, sections=tuple(sections))


def _outline_starts(reader: PdfReader) -> list[tuple[int, tuple[str, ...]]]:
    """(0-based start page, heading path) for every outline entry, sorted by page.

    The sort is stable, so of several entries on one page the later one in outline order
    (usually the more specific child) wins.
    """
    starts: list[tuple[int, tuple[str, ...]]] = []

    def walk(items: list, parents: tuple[str, ...]) -> None:
        # pypdf's outline is a list of Destinations; a nested list holds the children of
        # the Destination just before it.
        previous = parents
        for item in items:
            if isinstance(item, list):
                walk(item, previous)
                continue
            title = clean_text(str(item.title or "")).strip()
            previous = (*parents, title) if title else parents
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0:
                starts.append((page, previous))

    try:
        walk(reader.outline, ())
    except Exception:  # a damaged outline (or a recursive one): fall back to no headings
        return []
    starts.sort(key=lambda start: start[0])
    return starts


def _info_title(reader: PdfReader) -> str | None:
    try:
        info = reader.metadata
        title = info.title if info is not None else None
    except Exception:  # a damaged /Info dictionary is not worth failing the document for
        return None
    text = clean_text(str(title or "")).strip()
    return None if text.casefold() in _PLACEHOLDER_TITLES else text


_PLACEHOLDER_TITLES = frozenset({"", "untitled"})
