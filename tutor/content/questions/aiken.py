"""Aiken: the simplest multiple-choice text format (Moodle imports it, many banks export it).

::

    A 68-year-old man with an ejection fraction of 30% is breathless on furosemide.
    Which drug reduces mortality?
    A. Digoxin
    B) Sacubitril-valsartan
    C. Amlodipine
    ANSWER: B

The stem is every line before the first option and may span several lines (a blank line
inside a stem is kept as a paragraph break). Options are ``A.`` or ``A)`` lines, lettered
in order from A; ``ANSWER: X`` ends the question. Questions are separated by blank lines;
a blank line after the options also ends a question, so one missing ``ANSWER`` line costs
only that question.

Aiken has no explanations, ids or tags: options come back with empty explanations (the
bank sends such questions to review) and the id is :func:`question_id_for` of the stem,
the same id the question gets from any other format without one.

Per-question problems, all reported at once: no ``ANSWER`` line, an answer letter that is
not one of the options, fewer than 3 options, option letters out of order, and text after
the options that is neither an option nor the answer. A file without a single ``ANSWER:``
line is not Aiken at all (:class:`MalformedDocument`). There is no export: GIFT carries
everything Aiken does and more.
"""

from __future__ import annotations

import re

from tutor.content.loaders.decoding import decode_text
from tutor.content.questions.model import LETTERS, MIN_OPTIONS, question_id_for
from tutor.content.questions.parsed import ParsedBank, label_for
from tutor.errors import EmptyDocument, MalformedDocument

_OPTION = re.compile(r"^([A-Z])[.)]\s+(.*)$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)

Line = tuple[int, str]  # (line number, text)


def parse_aiken(data: bytes, source: str) -> ParsedBank:
    text = decode_text(data, source).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise EmptyDocument(source)
    if not any(_ANSWER.match(line.strip()) for line in text.split("\n")):
        raise MalformedDocument(source, "not an Aiken file: no question ends with an 'ANSWER: X' line")
    bank = ParsedBank(source=source, format="aiken")
    for position, lines in enumerate(_questions(text), start=1):
        _add(bank, position, lines)
    return bank


def _questions(text: str) -> list[list[Line]]:
    """Group lines into questions: each ends at its ANSWER line or at a blank line after options."""
    groups: list[list[Line]] = []
    current: list[Line] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            if any(_OPTION.match(content) for _, content in current):
                groups.append(current)
                current = []
            elif current:
                current.append((number, ""))  # a paragraph break inside the stem
            continue
        current.append((number, line))
        if _ANSWER.match(line):
            groups.append(current)
            current = []
    if any(content for _, content in current):
        groups.append(current)
    return groups


def _add(bank: ParsedBank, position: int, lines: list[Line]) -> None:
    stem_lines: list[str] = []
    options: list[tuple[str, str]] = []
    answer: str | None = None
    problems: list[str] = []
    for number, line in lines:
        if match := _ANSWER.match(line):
            answer = match[1].strip().upper()
        elif match := _OPTION.match(line):
            options.append((match[1], match[2].strip()))
        elif options and line:
            problems.append(f"line {number}: text after the options must be another option or the ANSWER line")
        elif not options:
            stem_lines.append(line)
    stem = re.sub(r"\n{3,}", "\n\n", "\n".join(stem_lines)).strip()
    letters = "".join(letter for letter, _ in options)
    problems += _problems(letters, answer)
    label = f"{label_for(None, stem, position)}, line {lines[0][0]}"
    if problems:
        bank.reject(position, label, *problems)
        return
    bank.add(position, label, lambda: {
        "id": question_id_for(stem),
        "stem": stem,
        "options": [{"text": text, "explanation": ""} for _, text in options],
        "answer": answer,
    })  # fmt: skip


def _problems(letters: str, answer: str | None) -> list[str]:
    problems = []
    if letters != LETTERS[: len(letters)]:
        problems.append(f"options must be lettered A, B, C ... in order; found {', '.join(letters)}")
    if len(letters) < MIN_OPTIONS:
        problems.append(f"needs at least {MIN_OPTIONS} options, has {len(letters)}")
    if answer is None:
        problems.append("no 'ANSWER: X' line after the options")
    elif answer not in letters:
        problems.append(f"ANSWER: {answer} is not one of the options ({', '.join(letters) or 'none'})")
    return problems
