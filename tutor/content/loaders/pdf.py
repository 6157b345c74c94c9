"""PDF loader (pypdf): one section per page, headings from the outline or from the drawn text.

* Each page with extractable text becomes a :class:`~tutor.domain.Section` with its
  1-based ``page`` number, so citations can point at a page.
* The heading path of a page is the path of the last outline entry (bookmark) that
  starts at or before that page; nested bookmarks give nested paths. Pages before the
  first bookmark get an empty path. A broken outline is ignored rather than failing the
  document: the text is what matters.
* A PDF without an outline gets its headings from how the text is drawn (larger than the
  body, or a bold line on its own: :mod:`tutor.content.loaders.pdf_headings`), and its
  pages are split into sections at them.
* Title: the document information ``/Title`` unless it names nothing ("(anonymous)",
  "untitled", a file name: reportlab and many exporters write such titles), else the
  document's first heading, else the file stem.
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

from tutor.content.loaders import pdf_headings
from tutor.content.loaders.pdf_headings import Run
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
    pages: list[tuple[int, str, list[Run]]] = []
    for index, page in enumerate(reader.pages):
        runs: list[Run] = []
        visible = visible_page(page)[0]
        raw = visible.extract_text() if starts else visible.extract_text(visitor_text=_collect(runs))
        pages.append((index, clean_text(raw or "").strip(), runs))
    sections = _by_outline(pages, starts) if starts else _by_drawn_headings(pages)
    if not sections:
        raise EmptyDocument(source, NO_TEXT_REASON)
    title = _info_title(reader)
    if pdf_headings.is_generic_title(title):
        title = next((s.heading_path[0] for s in sections if s.heading_path), None) or source_stem(source)
    return LoadedDocument(source=source, kind="pdf", meta=DocumentMeta(title=title), sections=tuple(sections))


def _by_outline(pages: list[tuple[int, str, list[Run]]], starts: list[tuple[int, tuple[str, ...]]]) -> list[Section]:
    start_pages = [page for page, _ in starts]
    sections = []
    for index, text, _ in pages:
        if text:
            at = bisect.bisect_right(start_pages, index)
            sections.append(Section(heading_path=starts[at - 1][1] if at else (), text=text, page=index + 1))
    return sections


def _by_drawn_headings(pages: list[tuple[int, str, list[Run]]]) -> list[Section]:
    """Pages split at the headings drawn on them; a heading's path carries over to later pages."""
    body = pdf_headings.body_size([run for _, _, runs in pages for run in runs])
    found = [pdf_headings.headings(runs, body, {_norm(line) for line in text.splitlines()}) for _, text, runs in pages]
    level_of = pdf_headings.levels([size for heads in found for _, size in heads])
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    for (index, text, _), heads in zip(pages, found):
        size_of = {_norm(heading): size for heading, size in heads}
        lines: list[str] = []
        for line in text.splitlines():
            size = size_of.get(_norm(line))
            if size is None:
                lines.append(line)
                continue
            _add(sections, path, lines, index)
            lines = []
            level = level_of[size]
            path = [entry for entry in path if entry[0] < level] + [(level, _norm(line))]
        _add(sections, path, lines, index)
    return sections


def _add(sections: list[Section], path: list[tuple[int, str]], lines: list[str], index: int) -> None:
    text = "\n".join(lines).strip()
    if text:
        sections.append(Section(heading_path=tuple(heading for _, heading in path), text=text, page=index + 1))


def _norm(text: str) -> str:
    return " ".join(clean_text(text).split())


def _collect(runs: list[Run]):
    """A pypdf ``visitor_text`` that records each run of text with its drawn size and boldness."""
    def visit(text, cm, tm, font, size) -> None:
        if text and text.strip():
            scale = abs(tm[3] * cm[3]) if tm and cm and tm[3] and cm[3] else 1.0
            name = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
            runs.append(Run(_norm(text), float(size or 0) * scale, "bold" in name.lower() or "black" in name.lower()))
    return visit


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
    return clean_text(str(title or "")).strip() or None
