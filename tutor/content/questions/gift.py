r"""Moodle GIFT: the plain-text quiz format instructors write by hand and Moodle exports.

Questions are separated by blank lines; ``//`` lines are comments. The multiple-choice
subset maps onto :class:`Question`::

    $CATEGORY: $course$/top/Cardiology/Heart failure

    // @system: Cardiovascular
    ::cardio-hf-001::[plain]A 68-year-old man ... Which drug reduces mortality? {
        ~Furosemide#Relieves congestion but does not change mortality.
        =Sacubitril-valsartan#Reduces death and admissions (PARADIGM-HF).
        ~%-50%Digoxin#Reduces admissions only.
        ####General feedback for everyone.
    }

* ``$CATEGORY:`` sets ``topic`` (the last path segment) for the questions after it.
* ``::title::`` becomes the id when it is a valid id, else the id is the stem's hash.
* ``[html]`` text is turned into plain text; ``[moodle]`` (and no prefix) only when it
  contains HTML; ``[plain]`` and ``[markdown]`` are kept as written.
* ``=`` marks the key, ``~`` the distractors, ``#`` an option's feedback (its
  explanation). Weights ``~%100%`` / ``~%-50%`` are read too: exactly one option at 100%
  is the key; partial credit on the others is dropped.
* ``####`` general feedback is appended to the key's explanation after a blank line:
  the model has no question-level explanation, and the key's is the one every learner
  reads after answering (the Moodle XML parser does the same).
* Escapes ``\~ \= \# \{ \} \: \\`` and ``\n`` (a line break) work everywhere.
* Every other GIFT type (true/false, short answer, matching, numerical, essay,
  missing word, description) is a per-question problem: only single-best-answer
  multiple choice can be imported.

Blocks are split strictly at blank lines, as Moodle does, so an unclosed ``{`` costs one
question and not the rest of the file.

:func:`dump_gift` writes the same subset (always ``[plain]``, so any text survives) and
carries the fields Moodle has no place for in ``// @key: value`` comment lines, which
Moodle ignores and :func:`parse_gift` reads back: ``@system``, ``@discipline``,
``@objective``, ``@difficulty``, one ``@tag`` per tag and one ``@reference`` per
reference (``source#section#chunk_id`` as in the CSV format). Values escape ``\\`` and
line breaks (``\n``). Unknown ``@`` keys are ignored, like any comment.
"""

from __future__ import annotations

import re
from typing import Any

from tutor.content.loaders.decoding import decode_text
from tutor.content.questions.csv_format import decode_reference, encode_reference
from tutor.content.questions.model import LETTERS, Question
from tutor.content.questions.moodle_xml import (
    ONLY_SBA,
    category_path,
    id_or_hash,
    text_in_format,
    topic_from_category,
    with_general_feedback,
)
from tutor.content.questions.parsed import ParsedBank, label_for
from tutor.errors import EmptyDocument, MalformedDocument

_SPECIAL = "~=#{}:\\"
_FORMAT = re.compile(r"\s*\[(html|moodle|plain|markdown)\]")
_META = re.compile(r"^//\s*@(\w+)\s*:(.*)$")
_WEIGHT = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = re.compile(r"(T|F|TRUE|FALSE)\s*(#.*)?", re.IGNORECASE | re.DOTALL)
_SCALAR_META = ("system", "discipline", "objective", "difficulty")


def parse_gift(data: bytes, source: str) -> ParsedBank:
    text = decode_text(data, source).replace("\r\n", "\n").replace("\r", "\n")
    bank = ParsedBank(source=source, format="gift")
    topic: str | None = None
    position, has_answers = 0, False
    for line_number, lines in _blocks(text):
        meta, lines = _comments(lines)
        if lines and lines[0].lstrip().startswith("$CATEGORY:"):
            topic = topic_from_category(lines[0].lstrip().removeprefix("$CATEGORY:"))
            lines = lines[1:]
        if not lines:
            continue
        position += 1
        body = "\n".join(lines).strip()
        has_answers = has_answers or _find(body, "{") >= 0
        label = f"{_label(body, position)}, line {line_number}"
        bank.add(position, label, lambda body=body, topic=topic, meta=meta: _question(body, topic, meta))
    if position == 0:
        raise EmptyDocument(source, "the GIFT file contains no questions")
    if not has_answers:
        raise MalformedDocument(source, "not a GIFT file: no question has its answers in { }")
    return bank


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Groups of consecutive non-blank lines, each with the line number it starts on."""
    blocks: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if blocks and blocks[-1][0] + len(blocks[-1][1]) == number:
            blocks[-1][1].append(line)
        else:
            blocks.append((number, [line]))
    return blocks


def _comments(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Drop ``//`` lines, collecting our ``// @key: value`` metadata from them."""
    meta: dict[str, Any] = {}
    kept = []
    for line in lines:
        if not line.lstrip().startswith("//"):
            kept.append(line)
        elif match := _META.match(line.strip()):
            key, value = match[1].lower(), _unescape(match[2]).strip()
            if key in _SCALAR_META:
                meta[key] = value
            elif key == "tag":
                meta.setdefault("tags", []).append(value)
            elif key == "reference":
                meta.setdefault("references", []).append(value)
    return meta, kept


def _label(body: str, position: int) -> str:
    try:
        title, rest = _title(body)
    except ValueError:
        title, rest = None, body
    return label_for(title, rest, position)


def _title(body: str) -> tuple[str | None, str]:
    if not body.startswith("::"):
        return None, body
    end = _find(body, "::", 2)
    if end < 0:
        raise ValueError("the title has no closing '::'")
    return _unescape(body[2:end]).strip(), body[end + 2 :]


def _question(body: str, topic: str | None, meta: dict[str, Any]) -> dict[str, Any]:
    title, rest = _title(body)
    fmt_match = _FORMAT.match(rest)
    fmt = fmt_match[1] if fmt_match else "moodle"
    rest = rest[fmt_match.end() :] if fmt_match else rest
    opening = _find(rest, "{")
    if opening < 0:
        raise ValueError(f"a description (text without answers in {{ }}) is not a question: {ONLY_SBA}")
    closing = _find(rest, "}", opening + 1)
    if closing < 0 or _find(rest[:closing], "{", opening + 1) >= 0:
        raise ValueError("the answers' '{' has no matching '}' (escape a literal brace as \\{ or \\})")
    if rest[closing + 1 :].strip():
        raise ValueError(f"missing-word questions (text after the answers) are not supported: {ONLY_SBA}")
    stem = _text(rest[:opening], fmt)
    options, key = _options(rest[opening + 1 : closing], fmt)
    question: dict[str, Any] = {
        "id": id_or_hash([title], stem),
        "stem": stem,
        "options": options,
        "answer": LETTERS[key] if key < len(LETTERS) else f"option {key + 1}",
        "topic": topic,
    }
    question.update({k: v for k, v in meta.items() if k != "references"})
    question["references"] = [decode_reference(value) for value in meta.get("references", [])]
    return question


def _options(block: str, fmt: str) -> tuple[list[dict[str, str]], int]:
    general_at = _find(block, "####")
    general = _text(block[general_at + 4 :], fmt) if general_at >= 0 else ""
    block = block[:general_at] if general_at >= 0 else block
    entries = _entries(block)
    options, weights = [], []
    for kind, raw in entries:
        weight = _WEIGHT.match(raw)
        weights.append(float(weight[1]) if weight else 100.0 if kind == "=" else 0.0)
        raw = raw[weight.end() :] if weight else raw
        feedback_at = _find(raw, "#")
        text, feedback = (raw[:feedback_at], raw[feedback_at + 1 :]) if feedback_at >= 0 else (raw, "")
        options.append({"text": _text(text, fmt), "explanation": _text(feedback, fmt)})
    keys = [index for index, weight in enumerate(weights) if weight == 100]
    if len(keys) != 1:
        right = ", ".join(LETTERS[i] if i < len(LETTERS) else str(i + 1) for i in keys)
        if keys:
            raise ValueError(f"more than one option is marked right ({right}): {ONLY_SBA}")
        if any(weight > 0 for weight in weights):
            raise ValueError(f"no option is worth 100% (a multiple-answer question?): {ONLY_SBA}")
        raise ValueError("no option is marked right: start the key with '=' (or '~%100%')")
    if general:
        options[keys[0]]["explanation"] = with_general_feedback(options[keys[0]]["explanation"], general)
    return options, keys[0]


def _entries(block: str) -> list[tuple[str, str]]:
    """``=right ~wrong ...`` -> [(kind, raw text)], or ValueError naming the unsupported type."""
    stripped = block.strip()
    if not stripped:
        raise ValueError(f"essay questions ({{}} with no answers) are not supported: {ONLY_SBA}")
    if stripped.startswith("#"):
        raise ValueError(f"numerical questions ({{#...}}) are not supported: {ONLY_SBA}")
    if _TRUE_FALSE.fullmatch(stripped):
        raise ValueError(f"true/false questions ({{T}} or {{F}}) are not supported: {ONLY_SBA}")
    marks = _unescaped(block, "=~")
    if not marks or block[: marks[0]].strip():
        raise ValueError("every answer must start with '=' (right) or '~' (wrong)")
    entries = [(block[at], block[at + 1 : end]) for at, end in zip(marks, [*marks[1:], len(block)])]
    if any(_find(raw, "->") >= 0 for _, raw in entries) and all(kind == "=" for kind, _ in entries):
        raise ValueError(f"matching questions (=item -> match) are not supported: {ONLY_SBA}")
    if all(kind == "=" for kind, _ in entries):
        raise ValueError(f"short-answer questions (only '=' answers) are not supported: {ONLY_SBA}")
    return entries


def _text(raw: str, fmt: str) -> str:
    return text_in_format(_unescape(raw).strip(), fmt)


# -- escapes -------------------------------------------------------------------------------


def _find(text: str, token: str, start: int = 0) -> int:
    """Index of the first unescaped ``token`` at or after ``start``, or -1."""
    index = start
    while index <= len(text) - len(token):
        if text[index] == "\\":
            index += 2
        elif text.startswith(token, index):
            return index
        else:
            index += 1
    return -1


def _unescaped(text: str, chars: str) -> list[int]:
    """Indices of unescaped occurrences of any of ``chars``."""
    found, index = [], 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in chars:
            found.append(index)
        index += 1
    return found


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1] if m[1] in _SPECIAL else m[0], text, flags=re.DOTALL)


def _escape(text: str) -> str:
    return re.sub(r"([~=#{}:\\])", r"\\\1", text).replace("\n", "\\n")


# -- writing -------------------------------------------------------------------------------


def dump_gift(questions: list[Question]) -> str:
    """GIFT that Moodle imports and :func:`parse_gift` reads back to equal questions."""
    blocks = ["// Question bank exported by the tutor. Lines starting '// @' carry fields GIFT has no place for.\n"]
    topic: str | None = None
    for question in questions:
        if question.topic != topic:
            blocks.append(f"$CATEGORY: {category_path(question.topic)}\n")
            topic = question.topic
        blocks.append(_dump_question(question))
    return "\n".join(blocks)


def _dump_question(question: Question) -> str:
    meta = [(key, getattr(question, key)) for key in _SCALAR_META]
    meta += [("tag", tag) for tag in question.tags]
    meta += [("reference", encode_reference(reference)) for reference in question.references]
    lines = [f"// @{key}: {_meta_escape(value)}" for key, value in meta if value is not None]
    lines.append(f"::{_escape(question.id)}::[plain]{_escape(question.stem)} {{")
    for letter, option in zip(LETTERS, question.options):
        mark = "=" if letter == question.answer else "~"
        weight = ("%100%" if mark == "=" else "%0%") if option.text.startswith("%") else ""  # keep a leading % literal
        feedback = f"#{_escape(option.explanation)}" if option.explanation else ""
        lines.append(f"\t{mark}{weight}{_escape(option.text)}{feedback}")
    return "\n".join([*lines, "}", ""])


def _meta_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")
