"""Which parser reads a question-bank file, and which writer exports one.

The file's extension decides, with one sniff: ``.txt`` (and ``.gift``) files are GIFT
unless the text looks like Aiken (an ``ANSWER:`` line and no ``{`` anywhere, which every
GIFT question needs), because instructors save both as plain ``.txt``. A zero-byte or
blank file is :class:`EmptyDocument` whatever its type; an unknown extension is
:class:`UnsupportedFileType` naming the accepted ones.

Exports are the three formats that read back losslessly: native YAML (the bank as we
keep it), GIFT (for Moodle) and CSV (for spreadsheets and Anki).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tutor.content.loaders.decoding import decode_text
from tutor.content.loaders.source_names import source_suffix
from tutor.content.questions.aiken import parse_aiken
from tutor.content.questions.csv_format import dump_csv, parse_csv
from tutor.content.questions.gift import dump_gift, parse_gift
from tutor.content.questions.model import Question
from tutor.content.questions.moodle_xml import parse_moodle_xml
from tutor.content.questions.native import dump_native, parse_native
from tutor.content.questions.parsed import ParsedBank
from tutor.errors import EmptyDocument, UnsupportedFileType

Parser = Callable[[bytes, str], ParsedBank]
ExportFormat = Literal["yaml", "gift", "csv"]


@dataclass(frozen=True)
class QuestionFormat:
    key: str
    label: str
    extensions: tuple[str, ...]
    parse: Parser
    dump: Callable[[list[Question]], str] | None = None  # None: import only

    @property
    def exportable(self) -> bool:
        return self.dump is not None


FORMATS: dict[str, QuestionFormat] = {
    "yaml": QuestionFormat("yaml", "Tutor bank (YAML)", (".yaml", ".yml"), parse_native, dump_native),
    "json": QuestionFormat("json", "Tutor bank (JSON)", (".json",), parse_native),
    "gift": QuestionFormat("gift", "Moodle GIFT", (".gift", ".txt"), parse_gift, dump_gift),
    "aiken": QuestionFormat("aiken", "Aiken", (".aiken", ".txt"), parse_aiken),
    "moodle_xml": QuestionFormat("moodle_xml", "Moodle XML", (".xml",), parse_moodle_xml),
    "csv": QuestionFormat("csv", "CSV (spreadsheet, Anki)", (".csv",), parse_csv, dump_csv),
}
ACCEPTED_EXTENSIONS: tuple[str, ...] = tuple(sorted({ext for fmt in FORMATS.values() for ext in fmt.extensions}))
_UNSUPPORTED = (
    "this file type is not supported for question banks; use YAML or JSON (tutor banks), GIFT, Aiken, "
    f"Moodle XML or CSV ({', '.join(ACCEPTED_EXTENSIONS)})"
)
_ANSWER_LINE = re.compile(r"^[ \t]*ANSWER[ \t]*:", re.IGNORECASE | re.MULTILINE)
_BY_EXTENSION = {  # .txt is GIFT unless it looks like Aiken (see parse_question_file)
    ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".gift": "gift", ".txt": "gift",
    ".aiken": "aiken", ".xml": "moodle_xml", ".csv": "csv",
}  # fmt: skip


def parse_question_file(name: str, data: bytes) -> ParsedBank:
    """Parse ``data`` as the question-bank format ``name``'s extension (and content) says."""
    suffix = source_suffix(name)
    if suffix not in _BY_EXTENSION:
        raise UnsupportedFileType(name, _UNSUPPORTED)
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise EmptyDocument(name)
    key = _BY_EXTENSION[suffix]
    if key == "gift" and looks_like_aiken(decode_text(data, name)):
        key = "aiken"
    return FORMATS[key].parse(data, name)


def looks_like_aiken(text: str) -> bool:
    return "{" not in text and _ANSWER_LINE.search(text) is not None


def export_questions(questions: list[Question], fmt: ExportFormat) -> tuple[str, str]:
    """``(text, extension)`` of ``questions`` in ``fmt``: ``yaml``, ``gift`` or ``csv``."""
    chosen = FORMATS.get(fmt)
    if chosen is None or chosen.dump is None:
        exportable = ", ".join(key for key, value in FORMATS.items() if value.exportable)
        raise ValueError(f"cannot export questions as {fmt!r}; choose one of {exportable}")
    return chosen.dump(questions), chosen.extensions[0]
