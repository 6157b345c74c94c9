"""Moodle XML question banks, and the Moodle conventions GIFT shares with them.

A Moodle export is ``<quiz>`` holding ``<question>`` elements in file order. A
``type="category"`` element switches the category for the questions after it; its last
path segment becomes their ``topic`` (``$course$/top/Cardiology/Heart failure`` ->
``Heart failure``; Moodle writes a ``/`` inside a name as ``//``). A
``type="multichoice"`` question with ``<single>true</single>`` (the default) maps onto
:class:`Question`::

    <question type="multichoice">
      <name><text>HF mortality</text></name>
      <questiontext format="html"><text><![CDATA[<p>A 68-year-old ...</p>]]></text></questiontext>
      <generalfeedback format="html"><text>...</text></generalfeedback>
      <idnumber>cardio-hf-001</idnumber>
      <answer fraction="100" format="html"><text>...</text><feedback><text>...</text></feedback></answer>
      <tags><tag><text>heart failure</text></tag></tags>
    </question>

Decisions:

* The answer with fraction 100 is the key; exactly one must have it. Partial credit on
  the other options is dropped (the bank grades single best answer).
* The id is the ``<idnumber>`` if it is a valid id, else the ``<name>`` if it is, else
  :func:`question_id_for` of the stem, so re-importing the same export gives the same ids.
* Moodle's general feedback has no field of its own here: it is appended to the key's
  explanation (after a blank line), the explanation every learner reads after answering.
* HTML becomes plain text (:func:`html_to_text`): tags dropped, paragraphs, list items and
  table rows kept as line breaks, entities unescaped. Images and embedded ``<file>``
  elements are dropped; only ``<text>`` is read.
* Every other question type, and multichoice with ``<single>false</single>``, is a
  per-question problem: only single-best-answer multiple choice can be imported.
* Parsing goes through defusedxml with DTDs forbidden: Moodle never writes one, and a DTD
  is how entity-expansion ("billion laughs") and external-entity (XXE) attacks arrive.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from tutor.content.questions.model import LETTERS, question_id_for
from tutor.content.questions.parsed import ParsedBank, label_for
from tutor.errors import EmptyDocument, MalformedDocument

ONLY_SBA = "only single-best-answer multiple choice can be imported"
_TYPE_NAMES = {
    "truefalse": "true/false",
    "shortanswer": "short-answer",
    "numerical": "numerical",
    "matching": "matching",
    "essay": "essay",
    "description": "description (text only)",
    "cloze": "embedded-answers (cloze)",
    "multianswer": "embedded-answers (cloze)",
}
_VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$")  # Question.id's pattern and length


# -- shared Moodle conventions (GIFT uses these too) ------------------------------------


def topic_from_category(path: str) -> str | None:
    """``$course$/top/Cardiology/Heart failure`` -> ``Heart failure``; ``$course$/top`` -> None."""
    segments = [part.replace("\0", "/").strip() for part in path.replace("//", "\0").split("/")]
    segments = [part for part in segments if part]
    if segments and segments[0].startswith("$") and segments[0].endswith("$"):
        segments = segments[1:]  # the context: $course$, $system$, $module$, ...
    if segments and segments[0] == "top":
        segments = segments[1:]
    return segments[-1] if segments else None


def category_path(topic: str | None) -> str:
    """The inverse of :func:`topic_from_category`, as Moodle writes it."""
    return "$course$/top" + (f"/{topic.replace('/', '//')}" if topic else "")


def id_or_hash(candidates: list[str | None], stem: str) -> str:
    """The first candidate that is a valid question id, else the stem's hash id."""
    for candidate in candidates:
        if candidate and _VALID_ID.match(candidate.strip()):
            return candidate.strip()
    return question_id_for(stem)


def with_general_feedback(explanation: str, general: str) -> str:
    return "\n\n".join(part for part in (explanation.strip(), general.strip()) if part)


def text_in_format(text: str, fmt: str) -> str:
    """Plain text from Moodle text in ``fmt`` (html, moodle_auto_format/moodle, markdown, plain_text)."""
    if fmt == "html":
        return html_to_text(text)
    if fmt in ("moodle_auto_format", "moodle") and _LOOKS_LIKE_HTML.search(text):
        return html_to_text(text.replace("\n", "<br>"))  # auto format: line breaks are real, HTML allowed
    return text.strip()


_LOOKS_LIKE_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>|&[#A-Za-z0-9]+;")


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML fragment: blocks become line breaks, entities characters."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = re.sub(r"[ \t]+", " ", "".join(extractor.parts))
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _TextExtractor(HTMLParser):
    _PARAGRAPHS = {"p", "div", "table", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
    _SKIPPED = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in self._PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in ("br", "tr"):
            self.parts.append("\n")
            self._cells = 0
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" | " if self._cells else "")
            self._cells += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._PARAGRAPHS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(re.sub(r"\s+", " ", data))  # HTML collapses whitespace, &nbsp; included


# -- the XML format -----------------------------------------------------------------------


def parse_moodle_xml(data: bytes, source: str) -> ParsedBank:
    root = _parse(data, source)
    bank = ParsedBank(source=source, format="moodle_xml")
    topic: str | None = None
    position = 0
    for element in root.iter("question"):
        kind = element.get("type", "")
        if kind == "category":
            topic = topic_from_category(element.findtext("category/text") or "")
            continue
        position += 1
        label = label_for(element.findtext("name/text"), _rich_text(element.find("questiontext")), position)
        bank.add(position, label, lambda element=element, topic=topic: _question(element, topic))
    if position == 0:
        raise EmptyDocument(source, "the Moodle XML file contains no questions")
    return bank


def _parse(data: bytes, source: str) -> Element:
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        reason = "the file declares a DTD or entities, which question files may not contain"
        raise MalformedDocument(source, reason, detail=repr(exc)) from exc
    except ParseError as exc:
        line = exc.position[0] if exc.position else "?"
        raise MalformedDocument(source, f"the file is not well-formed XML (line {line})", detail=str(exc)) from exc
    if root.tag != "quiz":
        raise MalformedDocument(source, f"not a Moodle XML export: the root element is <{root.tag}>, expected <quiz>")
    return root


def _question(element: Element, topic: str | None) -> dict[str, object]:
    kind = element.get("type", "")
    if kind != "multichoice":
        raise ValueError(f"{_TYPE_NAMES.get(kind, repr(kind))} questions are not supported: {ONLY_SBA}")
    if (element.findtext("single") or "true").strip().lower() not in ("true", "1"):
        raise ValueError(f"multiple-answer questions (<single>false</single>) are not supported: {ONLY_SBA}")
    stem = _rich_text(element.find("questiontext"))
    answers = element.findall("answer")
    key = _key_index([answer.get("fraction", "0") for answer in answers])
    options = [{"text": _rich_text(a), "explanation": _rich_text(a.find("feedback"))} for a in answers]
    if general := _rich_text(element.find("generalfeedback")):
        options[key]["explanation"] = with_general_feedback(options[key]["explanation"], general)
    return {
        "id": id_or_hash([element.findtext("idnumber"), element.findtext("name/text")], stem),
        "stem": stem,
        "options": options,
        "answer": LETTERS[key] if key < len(LETTERS) else f"option {key + 1}",
        "topic": topic,
        "tags": [tag.strip() for tag in (t.text or "" for t in element.iterfind("tags/tag/text")) if tag.strip()],
    }


def _key_index(fractions: list[str]) -> int:
    try:
        values = [float(fraction) for fraction in fractions]
    except ValueError as exc:
        raise ValueError(f"an answer has a fraction that is not a number: {', '.join(fractions)}") from exc
    full = [index for index, value in enumerate(values) if abs(value - 100) < 1e-6]
    if not full:
        raise ValueError("no answer has fraction 100, so there is no single best answer")
    if len(full) > 1:
        letters = ", ".join(LETTERS[i] if i < len(LETTERS) else str(i + 1) for i in full)
        raise ValueError(f"more than one answer has fraction 100 ({letters}): {ONLY_SBA}")
    return full[0]


def _rich_text(element: Element | None) -> str:
    """The plain text of an element with a ``format`` attribute and a ``<text>`` child."""
    if element is None:
        return ""
    return text_in_format(element.findtext("text") or "", element.get("format", "moodle_auto_format"))
