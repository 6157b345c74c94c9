r"""Question banks as CSV: what instructors keep in spreadsheets, and what Anki imports.

One question per row. The header names the columns (case-insensitive, any order; spaces
and hyphens count as underscores, so ``Option A`` is ``option_a``):

``id, stem, option_a .. option_f, explanation_a .. explanation_f, answer, topic, system,
discipline, objective, difficulty, tags, references``

Only ``stem``, ``answer`` and ``option_a`` are required. ``tags`` and ``references`` hold
several values separated by ``;``; a reference is ``source#section#chunk_id`` (the last
parts optional; an empty part reads as none). ``\;``, ``\#`` and ``\\`` write those
characters literally. A blank ``id`` gets :func:`question_id_for` of the stem.

Reading decisions:

* Text is decoded like every text upload (UTF-8 with or without Excel's BOM, UTF-16,
  Windows-1252 fallback). Lines starting with ``#`` before the header are Anki's file
  headers: ``#separator:`` and ``#columns:`` are honoured (``#columns:`` replaces the
  header row, as in Anki), the others skipped.
* The delimiter is ``#separator:`` if given, else whichever of ``,`` ``;`` and tab occurs
  most in the header line (European Excel saves with ``;``). Counting the header is
  deterministic; :class:`csv.Sniffer` guesses from prose and quoted commas and misfires.
* Unknown columns are ignored, so a sheet may carry notes, and our own export's Anki
  columns (``front``, ``back``, ``anki_tags``) are skipped. ``option_g`` and beyond are
  an error for the whole file rather than silently dropped options.
* Fully blank rows (Excel's trailing ``,,,,``) are skipped. A row with more fields than
  the header (unless the extra ones are empty) or fewer is a problem for that row, named
  by its line number.

Writing (:func:`dump_csv`) targets Anki's CSV importer and reads back losslessly:
``#separator:Comma``, ``#html:false``, ``#notetype:Basic``, then ``#columns:`` naming
every column (no header row: Anki would import it as a note), ``#guid column:`` (the
question id, so a re-import updates notes instead of duplicating them) and ``#tags
column:`` pointing at ``anki_tags`` (space-separated as Anki wants, topic/system/
discipline/difficulty as ``key::value`` tags). ``Front`` (stem and lettered options) and
``Back`` (the answer and every option's explanation) match Basic's fields by name. No BOM
is written: Anki only recognises ``#separator:`` on a first line without one.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from tutor.content.loaders.decoding import decode_text
from tutor.content.questions.model import LETTERS, Question, question_id_for
from tutor.content.references import Reference
from tutor.content.questions.parsed import ParsedBank, label_for
from tutor.errors import EmptyDocument, MalformedDocument

_OPTIONS = tuple(f"option_{letter.lower()}" for letter in LETTERS)
_EXPLANATIONS = tuple(f"explanation_{letter.lower()}" for letter in LETTERS)
_FIELDS = (
    "id", "stem", *_OPTIONS, *_EXPLANATIONS,
    "answer", "topic", "system", "discipline", "objective", "difficulty", "tags", "references",
)  # fmt: skip
_REQUIRED = ("stem", "answer", "option_a")
_TOO_MANY_OPTIONS = re.compile(r"^(option|explanation)_[g-z]$")
_SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t", "space": " ", "pipe": "|", "colon": ":"}


# -- multi-value cells: tags and references ------------------------------------------------


def escape_value(text: str) -> str:
    return re.sub(r"([\\#;])", r"\\\1", text)


def split_escaped(text: str, separator: str) -> list[str]:
    r"""Split at unescaped ``separator`` and unescape each part (``\\ \# \;``; other backslashes stay)."""
    return [re.sub(r"\\([\\#;])", r"\1", part) for part in _split_raw(text, separator)]


def _split_raw(text: str, separator: str) -> list[str]:
    """Split at unescaped ``separator``, leaving escapes in place (for a second, inner split)."""
    parts, start, index = [], 0, 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == separator:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    return [*parts, text[start:]]


def encode_reference(reference: Reference) -> str:
    parts = [reference.source, reference.section or "", reference.chunk_id or ""]
    while not parts[-1]:
        parts.pop()
    return "#".join(escape_value(part) for part in parts)


def decode_reference(text: str) -> dict[str, str | None]:
    """``source#section#chunk_id`` -> the fields of a :class:`Reference` (validated with the question)."""
    parts = [part.strip() for part in split_escaped(text.strip(), "#")]
    if len(parts) > 3:
        raise ValueError(f"reference {text.strip()!r} has more parts than source#section#chunk_id")
    source, section, chunk_id = [*parts, "", ""][:3]
    return {"source": source, "section": section or None, "chunk_id": chunk_id or None}


# -- reading ---------------------------------------------------------------------------------


def parse_csv(data: bytes, source: str) -> ParsedBank:
    text = decode_text(data, source).replace("\r\n", "\n").replace("\r", "\n")
    meta, skipped, body = _anki_headers(text)
    delimiter = _delimiter(meta, meta.get("columns") or body.split("\n", 1)[0], source)
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    try:
        header = next(csv.reader([meta["columns"]], delimiter=delimiter)) if "columns" in meta else next(reader, None)
        if not header:
            raise EmptyDocument(source, "the CSV file has no header row")
        columns = _columns(header, source)
        bank = ParsedBank(source=source, format="csv")
        starts_on = reader.line_num + 1  # a row's first line (a quoted cell may span several)
        for position, row in enumerate(reader, start=1):
            if position == 1 and "columns" in meta and _same_names(row, header):
                continue  # a header row under #columns: (hand-edited files)
            _add_row(bank, position, skipped + starts_on, row, columns, len(header))
            starts_on = reader.line_num + 1
    except csv.Error as exc:
        raise MalformedDocument(source, f"the CSV is damaged near line {skipped + reader.line_num}: {exc}") from exc
    return bank


def _anki_headers(text: str) -> tuple[dict[str, str], int, str]:
    """Peel off leading ``#key:value`` and blank lines; return them, their count and the rest."""
    meta: dict[str, str] = {}
    lines = text.split("\n")
    count = 0
    while count < len(lines) and (lines[count].startswith("#") or not lines[count].strip()):
        key, colon, value = lines[count][1:].partition(":")
        if lines[count].startswith("#") and colon:
            meta[key.strip().lower()] = value
        count += 1
    return meta, count, "\n".join(lines[count:])


def _delimiter(meta: dict[str, str], header_line: str, source: str) -> str:
    if "separator" in meta:
        value = meta["separator"].strip().lower()
        separator = _SEPARATORS.get(value, meta["separator"] if len(meta["separator"]) == 1 else None)
        if separator is None:
            raise MalformedDocument(source, f"unknown #separator: {meta['separator']!r}")
        return separator
    counts = {candidate: header_line.count(candidate) for candidate in (",", ";", "\t")}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _column_name(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lower())


def _same_names(row: list[str], header: list[str]) -> bool:
    return [_column_name(cell) for cell in row] == [_column_name(cell) for cell in header]


def _columns(header: list[str], source: str) -> dict[str, int]:
    names = [_column_name(cell) for cell in header]
    if extra := [name for name in names if _TOO_MANY_OPTIONS.match(name)]:
        raise MalformedDocument(source, f"a question has at most 6 options (option_a to option_f); found {', '.join(extra)}")
    if duplicates := sorted({name for name in names if name and names.count(name) > 1}):
        raise MalformedDocument(source, f"the header names these columns twice: {', '.join(duplicates)}")
    if missing := [name for name in _REQUIRED if name not in names]:
        reason = f"the header row must name the columns stem, answer and option_a ..; missing: {', '.join(missing)}"
        raise MalformedDocument(source, reason)
    return {name: index for index, name in enumerate(names) if name in _FIELDS}


def _add_row(bank: ParsedBank, position: int, line: int, row: list[str], columns: dict[str, int], width: int) -> None:
    if not any(cell.strip() for cell in row):
        return
    record = {name: row[index] if index < len(row) else "" for name, index in columns.items()}
    label = f"{label_for(record.get('id'), record.get('stem'), position)}, line {line}"
    if len(row) < width or any(cell.strip() for cell in row[width:]):
        hint = "a missing separator?" if len(row) < width else "an unquoted separator inside a cell?"
        bank.reject(position, label, f"the row has {len(row)} fields but the header has {width} ({hint})")
        return
    bank.add(position, label, lambda: _question(record))


def _question(record: dict[str, str]) -> dict[str, Any]:
    filled = [bool(record.get(column, "").strip()) for column in _OPTIONS]
    _check_option_columns(record, filled)
    options = [
        {"text": record[option], "explanation": record.get(explanation, "")}
        for option, explanation, is_filled in zip(_OPTIONS, _EXPLANATIONS, filled)
        if is_filled
    ]
    question: dict[str, Any] = {
        "stem": record["stem"],
        "options": options,
        "answer": record["answer"].strip().rstrip(".)"),
        "tags": [tag.strip() for tag in split_escaped(record.get("tags", ""), ";") if tag.strip()],
        "references": [decode_reference(part) for part in _split_raw(record.get("references", ""), ";") if part.strip()],
    }
    question.update({key: record[key] for key in ("topic", "system", "discipline", "objective") if key in record})
    if difficulty := record.get("difficulty", "").strip().lower():
        question["difficulty"] = difficulty
    question["id"] = record.get("id", "").strip() or question_id_for(record["stem"])
    return question


def _check_option_columns(record: dict[str, str], filled: list[bool]) -> None:
    """Options fill option_a onwards without gaps; an explanation needs its option."""
    problems = []
    for index, column in enumerate(_OPTIONS):
        if index + 1 < len(_OPTIONS) and not filled[index] and filled[index + 1]:
            problems.append(f"{column} is empty but {_OPTIONS[index + 1]} is filled")
        if not filled[index] and record.get(_EXPLANATIONS[index], "").strip():
            problems.append(f"{_EXPLANATIONS[index]} is filled but {column} is empty")
    if problems:
        raise ValueError("; ".join(problems))


# -- writing ---------------------------------------------------------------------------------

_ANKI_COLUMNS = ("Front", "Back")
EXPORT_COLUMNS = (*_ANKI_COLUMNS, *_FIELDS, "anki_tags")


def dump_csv(questions: list[Question]) -> str:
    """Anki-importable CSV (see the module docstring) that :func:`parse_csv` reads back to equal questions."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    out.write("#separator:Comma\n#html:false\n#notetype:Basic\n#columns:")
    writer.writerow(EXPORT_COLUMNS)
    out.write(f"#guid column:{EXPORT_COLUMNS.index('id') + 1}\n#tags column:{EXPORT_COLUMNS.index('anki_tags') + 1}\n")
    for question in questions:
        writer.writerow([_front(question), _back(question), *_fields(question), _anki_tags(question)])
    return out.getvalue()


def _fields(question: Question) -> list[str]:
    options = [option.text for option in question.options] + [""] * (len(LETTERS) - len(question.options))
    explanations = [option.explanation for option in question.options] + [""] * (len(LETTERS) - len(question.options))
    return [
        question.id, question.stem, *options, *explanations, question.answer,
        question.topic or "", question.system or "", question.discipline or "", question.objective or "",
        question.difficulty, ";".join(escape_value(tag) for tag in question.tags),
        ";".join(encode_reference(reference) for reference in question.references),
    ]  # fmt: skip


def _front(question: Question) -> str:
    return question.stem + "\n\n" + "\n".join(f"{letter}. {option.text}" for letter, option in zip(LETTERS, question.options))


def _back(question: Question) -> str:
    lines = [f"Answer: {question.answer}. {question.correct_option.text}", ""]
    for letter, option in zip(LETTERS, question.options):
        lines.append(f"{letter}. {option.text}" + (f": {option.explanation}" if option.explanation else ""))
    if question.references:
        places = [ref.source + (f" ({ref.section})" if ref.section else "") for ref in question.references]
        lines += ["", "Read: " + "; ".join(places)]
    return "\n".join(lines)


def _anki_tags(question: Question) -> str:
    named = [(key, getattr(question, key)) for key in ("topic", "system", "discipline", "difficulty")]
    tags = [*question.tags, *(f"{key}::{value}" for key, value in named if value)]
    return " ".join(re.sub(r"\s+", "_", tag) for tag in tags)
