"""Cutting a loaded document into retrievable chunks with content-hashed ids.

Pure: no I/O, no clock, no randomness; the same document always gives the same chunks
with the same ids. That is what makes ingest content-addressed: re-ingesting an unchanged
file produces ids the index already holds, and an edited file changes only the ids of
the chunks whose text changed.

How a document is cut:

* A chunk never spans two sections (or two PDF pages): a passage must cite exactly one
  heading path and page.
* A section's text is split into paragraphs at blank lines, and paragraphs are packed
  greedily into chunk *bodies* of at most ``max_chars - overlap_chars - 2`` characters;
  the reserve leaves room for the overlap.
* A paragraph longer than that is cut at the last sentence end in the second half of
  the window, else at the last line break there, else at the last whitespace, and only
  for a run with no whitespace at all at the limit itself.
* When a section gives several chunks, every chunk after the first starts with up to
  ``overlap_chars`` of the previous chunk's tail, cut at a sentence (or line) start or
  failing that a word start, so a fact that straddles a cut is whole in one chunk.
* A very small body (under ``max_chars / 5``; in practice the last of a section) is
  merged into the previous chunk of its section, without overlap, when the result still
  fits in ``max_chars``, instead of standing alone as a chunk too thin to retrieve well.
* So no chunk exceeds ``max_chars``.

Chunk ids: the first 20 hex digits of SHA-256 over doc id, section, page, the text with
whitespace runs collapsed, and :data:`CHUNKER_VERSION`, joined by U+001F. The ordinal is
deliberately not hashed, so inserting a section does not renumber the ids after it. A
second chunk of one document with identical inputs gets an occurrence number in its hash
input, keeping ids unique within a document.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from tutor.domain import Chunk, LoadedDocument

CHUNKER_VERSION = "1"
"""Part of every chunk id: bump it whenever the chunks produced for some input change."""

_SEP = "\x1f"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE_END = re.compile(r"""[.!?…][)"'\]»”’]*(?=\s)""")
_SENTENCE_START = re.compile(r"""(?:[.!?…][)"'\]»”’]*\s+|\n\s*)""")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Piece:
    """A paragraph, or part of one; ``continues`` when it goes on from the previous piece."""

    text: str
    continues: bool = False


def make_doc_id(course: str, source: str) -> str:
    """Stable id of a document: the same course and source path always give the same id."""
    return hashlib.sha256(f"{course}{_SEP}{source}".encode()).hexdigest()[:16]


def chunk_document(
    doc: LoadedDocument, doc_id: str, *, max_chars: int = 1200, overlap_chars: int = 150
) -> list[Chunk]:
    """Cut ``doc`` into chunks of at most ``max_chars`` characters (see the module doc)."""
    if max_chars < 50:
        raise ValueError(f"max_chars must be at least 50, got {max_chars}")
    if not 0 <= overlap_chars < max_chars // 2:
        raise ValueError(
            f"overlap_chars must be at least 0 and below max_chars / 2, got {overlap_chars}"
        )
    chunks: list[Chunk] = []
    seen: Counter[tuple[str, str, str]] = Counter()
    for section in doc.sections:
        label = " > ".join(section.heading_path)
        for text in _section_texts(section.text, max_chars, overlap_chars):
            key = (label, "" if section.page is None else str(section.page), _normalise(text))
            occurrence = seen[key]
            seen[key] += 1
            chunks.append(
                Chunk(
                    chunk_id=_chunk_id(doc_id, *key, occurrence),
                    doc_id=doc_id,
                    source=doc.source,
                    ordinal=len(chunks),
                    section=label,
                    page=section.page,
                    text=text,
                )
            )
    return chunks


def _chunk_id(doc_id: str, section: str, page: str, normalised: str, occurrence: int) -> str:
    parts = [doc_id, section, page, normalised, CHUNKER_VERSION]
    if occurrence:
        parts.append(f"#{occurrence}")
    return hashlib.sha256(_SEP.join(parts).encode()).hexdigest()[:20]


def _normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _section_texts(text: str, max_chars: int, overlap_chars: int) -> list[str]:
    """The chunk texts of one section, overlap included."""
    body_limit = max_chars - overlap_chars - 2 if overlap_chars else max_chars
    bodies = _pack(_pieces(text, body_limit), body_limit)
    chunks: list[str] = []
    for body in bodies:
        if not chunks:
            chunks.append(body.text)
            continue
        if len(body.text) < max_chars / 5:
            merged = chunks[-1] + _joiner(body) + body.text
            if len(merged) <= max_chars:
                chunks[-1] = merged
                continue
        tail = _tail(chunks[-1], overlap_chars)
        chunks.append(tail + _joiner(body) + body.text if tail else body.text)
    return chunks


def _joiner(piece: _Piece) -> str:
    return " " if piece.continues else "\n\n"


def _pieces(text: str, limit: int) -> Iterator[_Piece]:
    """Paragraphs of ``text``, with those longer than ``limit`` cut into continuing pieces."""
    for paragraph in _PARAGRAPH_BREAK.split(text.strip()):
        paragraph = paragraph.strip()
        # Walk by offset rather than re-slicing the rest: a 25 MB one-paragraph upload
        # must stay linear, not copy the remainder once per cut.
        start, continues = 0, False
        while len(paragraph) - start > limit:
            window = paragraph[start : start + limit + 1]
            cut = _cut_position(window, limit)
            yield _Piece(window[:cut].rstrip(), continues)
            start += cut
            while start < len(paragraph) and paragraph[start].isspace():
                start += 1
            continues = True
        if start < len(paragraph):
            yield _Piece(paragraph[start:], continues)


def _cut_position(window: str, limit: int) -> int:
    """Where to cut so the first part has at most ``limit`` characters (> 0).

    ``window`` holds ``limit + 1`` characters: a boundary right after the limit still
    gives a part that fits.
    """
    half = limit // 2
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window) if half <= m.end() <= limit]
    if sentence_ends:
        return sentence_ends[-1]
    line_break = window.rfind("\n", half)
    if line_break > 0:
        return line_break
    spaces = [m.start() for m in _WHITESPACE.finditer(window) if 0 < m.start() <= limit]
    if spaces:
        return spaces[-1]
    return limit


def _pack(pieces: Iterator[_Piece], limit: int) -> list[_Piece]:
    """Greedily join consecutive pieces into bodies of at most ``limit`` characters."""
    bodies: list[_Piece] = []
    current: _Piece | None = None
    for piece in pieces:
        if current is not None:
            joined = current.text + _joiner(piece) + piece.text
            if len(joined) <= limit:
                current = _Piece(joined, current.continues)
                continue
            bodies.append(current)
        current = piece
    if current is not None:
        bodies.append(current)
    return bodies


def _tail(text: str, overlap_chars: int) -> str:
    """Up to ``overlap_chars`` from the end of ``text``, starting at a sentence or word start.

    The earliest sentence (or line) start inside the window wins, so the overlap is as
    long as possible without beginning mid-sentence; failing that, the earliest word
    start; a window inside one long word gives no overlap.
    """
    if overlap_chars <= 0:
        return ""
    start = max(len(text) - overlap_chars, 1)  # never repeat the whole previous chunk
    sentence_starts = [
        m.end() for m in _SENTENCE_START.finditer(text) if start <= m.end() < len(text)
    ]
    if sentence_starts:
        return text[sentence_starts[0] :].strip()
    word_starts = [m.end() for m in _WHITESPACE.finditer(text, start - 1) if m.end() < len(text)]
    return text[word_starts[0] :].strip() if word_starts else ""
