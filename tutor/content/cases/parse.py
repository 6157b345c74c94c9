"""Reading a case file: YAML in, a validated :class:`Case` out, or every problem with its line.

An instructor fixing a case file needs all of its problems at once and where they are, so
each pydantic error is given as ``line N: stages > history > findings > 2 > text: ...``
(the line comes from walking the YAML node tree along the error's location). YAML is read
with the safe loader only. A file that is not YAML at all, or not one case, is a
:class:`MalformedDocument`; a case that breaks the format is :class:`CaseFileInvalid`.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from tutor.content.cases.model import Case
from tutor.content.loaders.decoding import decode_text
from tutor.content.text_cleaning import clean_text
from tutor.errors import CaseFileInvalid, MalformedDocument

CASE_SUFFIXES = (".yaml", ".yml")


def parse_case(data: bytes, source: str) -> Case:
    """The case in ``data`` (the bytes of ``source``); raises with every problem found."""
    text = decode_text(data, source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise MalformedDocument(source, f"the file is not valid YAML{at}", detail=str(exc)) from exc
    if not isinstance(document, dict):
        raise MalformedDocument(source, "a case file holds one case: a mapping with title, stages, rubric, ...")
    try:
        return Case.model_validate(_cleaned(document))
    except ValidationError as exc:
        raise CaseFileInvalid(source, case_problems(exc, root)) from exc


def case_problems(error: ValidationError, root: yaml.Node | None = None) -> list[str]:
    """Every problem in ``error`` as a sentence, with its YAML line when ``root`` is given."""
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        where = " > ".join(str(part) for part in loc)
        if not loc:  # the cross-reference pass: one error holding a sentence per problem
            problems += message.split("\n")
            continue
        line = _line_of(root, loc) if root is not None else None
        prefix = f"line {line}: " if line else ""
        problems.append(f"{prefix}{where}: {message}")
    return problems


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node along ``loc`` (pydantic's error location)."""
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
            if child is None and isinstance(part, str):
                return best  # a missing field: point at the mapping that lacks it
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            return best
        node, best = child, child.start_mark.line + 1
    return best


def _cleaned(value: Any) -> Any:
    """Strings with invisible and bidi characters removed (the curriculum's own cleaning)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    if isinstance(value, dict):
        return {key: _cleaned(item) for key, item in value.items()}
    return value
