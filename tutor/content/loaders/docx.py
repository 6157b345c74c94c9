"""Word (.docx) loader (python-docx), with a zip-bomb check first.

* A .docx file is a zip archive. Before python-docx inflates anything, the archive's
  directory is checked: more than 200 MB uncompressed in total, or a member over 1 MB
  that is compressed more than 100 times, is rejected as malformed. Real documents
  compress XML about 5-20x; a bomb compresses thousands of times. The sizes checked are
  the declared ones, which is sound because :mod:`zipfile` (which python-docx reads
  through) never inflates a member past its declared size and fails its CRC otherwise.
* Paragraph styles ``Title`` (level 0) and ``Heading 1`` .. ``Heading 9`` build the
  heading path, like ``#`` headings in Markdown; heading paragraphs are not repeated in
  the section text.
* Body paragraphs and tables are read in document order. A table row becomes one line
  with its cells joined by ``" | "`` (a cell merged across columns counts once), and a
  table is one block of lines. Text in headers, footers, footnotes, comments, text boxes
  and tables nested inside table cells is not read.
* Text a reader of the document cannot see is not read: runs marked hidden (``vanish``,
  directly or through their character style), white runs and runs under 2 pt. A model
  reads every passage, so invisible text is where instructions get smuggled in (the
  prompt-injection suite plants them there), and no reviewer would ever see them.
* Title: the core property ``title``, else the first ``Title`` paragraph, else the file stem.
* Anything python-docx or lxml raises becomes a :class:`~tutor.errors.MalformedDocument`.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.enum.dml import MSO_COLOR_TYPE
from docx.shared import Pt, RGBColor
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from tutor.content.loaders.source_names import source_stem
from tutor.content.text_cleaning import clean_text
from tutor.domain import DocumentMeta, LoadedDocument, Section
from tutor.errors import DocumentError, MalformedDocument

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE_BYTES = 1024 * 1024

_NOT_DOCX = "the file is not a Word (.docx) document"
_BOMB = "the file expands to far more data than a document holds (a zip bomb?)"
_WHITE = RGBColor(0xFF, 0xFF, 0xFF)
_TINY = Pt(2)


def load_docx(data: bytes, source: str) -> LoadedDocument:
    check_zip_bomb(data, source)
    try:
        return _load(data, source)
    except DocumentError:
        raise
    except Exception as exc:  # PackageNotFoundError, KeyError, lxml errors, ValueError ...
        raise MalformedDocument(source, detail=f"{type(exc).__name__}: {exc}") from exc


def check_zip_bomb(data: bytes, source: str) -> None:
    """Raise MalformedDocument unless ``data`` is a zip whose members inflate to sane sizes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except Exception as exc:  # BadZipFile, or odd errors on truncated central directories
        raise MalformedDocument(source, _NOT_DOCX, detail=str(exc)) from exc
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
        raise MalformedDocument(source, _BOMB, detail="total uncompressed size over the limit")
    for member in members:
        if member.file_size > RATIO_CHECKED_ABOVE_BYTES and (
            member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise MalformedDocument(
                source,
                _BOMB,
                detail=f"{member.filename}: {member.file_size} bytes from {member.compress_size}",
            )


def _load(data: bytes, source: str) -> LoadedDocument:
    document = docx.Document(io.BytesIO(data))
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    blocks: list[str] = []
    title_paragraph: str | None = None

    def flush() -> None:
        text = "\n\n".join(blocks).strip()
        if text:
            sections.append(Section(heading_path=tuple(t for _, t in stack), text=text))
        blocks.clear()

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            table_text = _table_text(item)
            if table_text:
                blocks.append(table_text)
            continue
        text = clean_text(_visible_text(item)).strip()
        level = _heading_level(item)
        if level is None:
            if text:
                blocks.append(text)
            continue
        if not text:  # an empty heading paragraph is layout, not structure
            continue
        flush()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, " ".join(text.split())))
        if level == 0 and title_paragraph is None:
            title_paragraph = stack[-1][1]
    flush()

    core_title = clean_text(document.core_properties.title or "").strip()
    meta = DocumentMeta(title=core_title or title_paragraph or source_stem(source))
    return LoadedDocument(source=source, kind="docx", meta=meta, sections=tuple(sections))


def _visible_text(paragraph: Paragraph) -> str:
    """The paragraph's text without its invisible runs (see the module doc)."""
    parts = []
    for item in paragraph.iter_inner_content():
        runs = item.runs if isinstance(item, Hyperlink) else [item]
        parts += [run.text for run in runs if not _invisible(run)]
    return "".join(parts)


def _invisible(run: Run) -> bool:
    font = run.font
    if font.hidden or (run.style is not None and run.style.font.hidden):
        return True
    if font.size is not None and font.size < _TINY:
        return True
    color = font.color
    return color is not None and color.type == MSO_COLOR_TYPE.RGB and color.rgb == _WHITE


def _heading_level(paragraph: Paragraph) -> int | None:
    """0 for the Title style, 1-9 for Heading 1-9, None for any other paragraph."""
    style = paragraph.style
    name = style.name if style is not None else None
    if name == "Title":
        return 0
    if name and name.startswith("Heading "):
        number = name.removeprefix("Heading ")
        if number.isdigit() and 1 <= int(number) <= 9:
            return int(number)
    return None


def _table_text(table: Table) -> str:
    lines = []
    for row in table.rows:
        cells = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:  # a horizontally merged cell
                continue
            previous = cell._tc
            cells.append(" ".join(clean_text("\n".join(_visible_text(p) for p in cell.paragraphs)).split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)
