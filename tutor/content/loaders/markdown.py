"""Markdown loader: YAML front matter for metadata, ATX headings for sections.

* Front matter is optional: the first line is ``---`` and it runs to the next ``---``
  line. It is read with ``yaml.safe_load`` (no arbitrary Python objects) into
  :class:`~tutor.domain.DocumentMeta`: ``title``, ``course``, ``module``, ``topic``,
  ``objectives`` and ``tags``; other keys are ignored. A single value where a list is
  expected counts as a one-item list. Invalid YAML or front matter that is not a mapping
  is a :class:`~tutor.errors.MalformedDocument` naming the file line, because silently
  dropping an instructor's metadata (their course or module) would misfile the document.
  A first ``---`` line without a closing one is an ordinary thematic break, not front
  matter.
* Sections are cut at ATX headings (``#`` .. ``######``); each keeps its heading *path*
  (``## Sub`` under ``# Title`` gives ``("Title", "Sub")``). Lines inside fenced code
  blocks (````` ``` ````` or ``~~~``) are never headings: a ``# comment`` in a shell
  snippet must not start a section. Setext headings (underlined with ``===``) are not
  recognised; the curriculum uses ATX headings.
* Heading lines are not repeated in the section text: the path travels with every chunk
  (``Chunk.section``) and is prepended for embedding, so repeating it would count twice.
* Text before the first heading gets an *empty* path, even when the front matter has a
  title: a path describes where a passage sits in the document's own structure, and the
  title already travels separately (``DocumentMeta.title`` and the registry), so adding
  it would duplicate the common ``# Title`` first heading in every path.
* Title: front matter ``title``, else the first level-1 heading, else the file stem.
* Bytes are decoded as for plain text (see :mod:`tutor.content.loaders.decoding`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from tutor.content.loaders.decoding import decode_text
from tutor.content.loaders.source_names import source_stem
from tutor.content.text_cleaning import clean_text
from tutor.domain import DocumentMeta, LoadedDocument, Section
from tutor.errors import MalformedDocument

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")
_SCALAR_META = ("title", "course", "module", "topic")
_LIST_META = ("objectives", "tags")


def load_markdown(data: bytes, source: str) -> LoadedDocument:
    text = clean_text(decode_text(data, source))
    front_matter, body = _split_front_matter(text)
    meta_fields = _parse_front_matter(front_matter, source) if front_matter is not None else {}
    sections, first_title = _sections(body)
    meta_fields["title"] = meta_fields.get("title") or first_title or source_stem(source)
    return LoadedDocument(
        source=source, kind="markdown", meta=DocumentMeta(**meta_fields), sections=tuple(sections)
    )


def _split_front_matter(text: str) -> tuple[str | None, str]:
    """Return (front matter or None when there is none, body)."""
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    return None, text


def _parse_front_matter(front_matter: str, source: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(front_matter)
    except yaml.YAMLError as exc:
        raise MalformedDocument(
            source, f"the front matter is not valid YAML: {_yaml_reason(exc)}", detail=str(exc)
        ) from exc
    except RecursionError as exc:  # absurdly deep nesting
        raise MalformedDocument(
            source, "the front matter is not valid YAML: nested too deeply"
        ) from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise MalformedDocument(
            source,
            "the front matter is not valid YAML: it must be a mapping of keys to values "
            f"(found a {type(loaded).__name__})",
        )
    fields: dict[str, Any] = {}
    for key in _SCALAR_META:
        value = _as_text(loaded.get(key), key, source)
        if value is not None:
            fields[key] = value
    for key in _LIST_META:
        raw = loaded.get(key)
        items = raw if isinstance(raw, list) else [raw]
        fields[key] = tuple(t for t in (_as_text(v, key, source) for v in items) if t is not None)
    return fields


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "cannot be parsed"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return str(problem)
    # +1 for 1-based lines, +1 for the opening "---" line: the line as the author sees it.
    return f"{problem} (line {mark.line + 2})"


def _as_text(value: Any, key: str, source: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float, bool, dt.date)):
        return clean_text(str(value)).strip() or None
    expected = "text or a list of texts" if key in _LIST_META else "text"
    raise MalformedDocument(source, f"the front matter key '{key}' must be {expected}")


def _sections(body: str) -> tuple[list[Section], str | None]:
    """Cut ``body`` at ATX headings; return the sections and the first level-1 heading."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading text) from the outermost heading in
    lines: list[str] = []
    first_title: str | None = None
    fence: str | None = None  # the opening fence ("```", "~~~~", ...) while inside a code block

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            path = tuple(heading for _, heading in stack if heading)
            sections.append(Section(heading_path=path, text=text))
        lines.clear()

    for line in body.split("\n"):
        if fence is not None:
            closing = _FENCE_CLOSE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                fence = None
            lines.append(line)
            continue
        opening = _FENCE_OPEN.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence = opening.group(1)
            lines.append(line)
            continue
        heading = _ATX_HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        flush()
        level = len(heading.group(1))
        title = _CLOSING_HASHES.sub("", heading.group(2) or "").strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        if level == 1 and first_title is None and title:
            first_title = title
    flush()
    return sections, first_title
