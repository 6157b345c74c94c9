"""Builders of real test documents, returned as bytes (no mocks, no files on disk).

Used by the loader unit tests and reusable by integration tests; write the bytes to a
file (``path.write_bytes(make_pdf(...))``) or pass them straight to
``tutor.content.loaders.load_document(data, "name.pdf")``.

* :func:`make_pdf` - a PDF (reportlab) with one page per ``(heading, body)`` pair and,
  by default, an outline (bookmarks) built from the headings.
* :func:`make_encrypted_pdf` - the same, password-protected.
* :func:`make_docx` - a Word document (python-docx) from ``(style, text)`` blocks,
  tables included via the :data:`TABLE` pseudo-style.
* :func:`make_markdown` - Markdown with optional YAML front matter.

PDF text is drawn in Helvetica, so keep it to Latin-1 characters, and keep each page's
body to about 50 wrapped lines: longer text runs off the page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx
import yaml
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

TABLE = "table"
"""Pseudo-style for :func:`make_docx`: the text is rows on lines, cells split by ``|``."""

_MARGIN = 72
_BODY_FONT = ("Helvetica", 11)
_HEADING_FONT = ("Helvetica-Bold", 20)


def make_pdf(
    pages: Sequence[tuple[str | None, str]],
    title: str | None = None,
    outline: bool = True,
    *,
    encrypt: object = None,
) -> bytes:
    """A PDF with one page per ``(heading, body)``.

    ``heading`` (or None) is drawn large at the top of the page; ``body`` is wrapped
    below it, blank lines separating paragraphs; ``(None, "")`` gives a blank page. With
    ``outline`` every heading also becomes a bookmark pointing at its page. A heading
    written ``"Cardiology > Heart failure"`` is drawn as ``Heart failure`` and bookmarked
    one level below the previous ``Cardiology`` bookmark (each level may go at most one
    deeper than the bookmark before it). ``title`` sets the document information /Title
    (without it reportlab writes ``untitled``, which the loader treats as no title).
    ``encrypt`` is passed to reportlab's Canvas (a user password string or a
    ``reportlab.lib.pdfencrypt.StandardEncryption``).
    """
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, encrypt=encrypt, invariant=1)
    if title is not None:
        canvas.setTitle(title)
    width, height = A4
    for number, (heading, body) in enumerate(pages, start=1):
        y = height - _MARGIN
        if heading:
            parts = [part.strip() for part in heading.split(" > ")]
            canvas.setFont(*_HEADING_FONT)
            canvas.drawString(_MARGIN, y - _HEADING_FONT[1], parts[-1])
            y -= 2 * _HEADING_FONT[1]
            if outline:
                key = f"page-{number}"
                canvas.bookmarkPage(key)
                canvas.addOutlineEntry(parts[-1], key, level=len(parts) - 1)
        canvas.setFont(*_BODY_FONT)
        for paragraph in body.split("\n\n"):
            for line in simpleSplit(paragraph, *_BODY_FONT, width - 2 * _MARGIN):
                y -= _BODY_FONT[1] * 1.4
                canvas.drawString(_MARGIN, y, line)
            y -= _BODY_FONT[1] * 1.4
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def make_encrypted_pdf(
    pages: Sequence[tuple[str | None, str]],
    user_password: str = "secret",
    owner_password: str = "owner",
    title: str | None = None,
) -> bytes:
    """A password-protected PDF (RC4, which pypdf opens without extra packages).

    ``user_password=""`` gives the common "owner password only" file that every viewer
    opens without asking.
    """
    from reportlab.lib.pdfencrypt import StandardEncryption

    encryption = StandardEncryption(user_password, owner_password, strength=128)
    return make_pdf(pages, title=title, encrypt=encryption)


def make_docx(blocks: Sequence[tuple[str, str]], title: str | None = None) -> bytes:
    """A .docx with one paragraph per ``(style, text)`` block, in order.

    ``style`` is a built-in paragraph style name (``"Title"``, ``"Heading 1"`` ..
    ``"Heading 9"``, ``"Normal"``, ``"List Bullet"`` ...) or :data:`TABLE`, whose text
    is rows on separate lines with cells separated by ``|`` (``"Drug | Dose\\nASA | 75 mg"``).
    ``title`` sets the core property title.
    """
    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    for style, text in blocks:
        if style == TABLE:
            rows = [[cell.strip() for cell in row.split("|")] for row in text.split("\n")]
            add_table(document, rows)
        else:
            document.add_paragraph(text, style=style)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def add_table(document: docx.document.Document, rows: Sequence[Sequence[str]]) -> None:
    """Append a table with ``rows`` (short rows are padded with empty cells)."""
    columns = max(len(row) for row in rows)
    table = document.add_table(rows=len(rows), cols=columns)
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=False):
            cell.text = value


def make_markdown(body: str, **front_matter: object) -> bytes:
    """UTF-8 Markdown; keyword arguments become YAML front matter (none: no front matter)."""
    if not front_matter:
        return body.encode()
    header = yaml.safe_dump(front_matter, sort_keys=False, allow_unicode=True)
    return f"---\n{header}---\n{body}".encode()
