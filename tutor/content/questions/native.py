"""The native bank format: YAML (or JSON) that maps one to one onto :class:`Question`.

A file is either a list of questions or a mapping with ``questions:`` and optional
``defaults:`` (topic, system, discipline, difficulty, tags, references applied to every
question that does not set them). Options are a list, each with ``text`` and
``explanation``; ``answer`` is the letter of the best one::

    defaults: {system: Cardiovascular, discipline: Medicine}
    questions:
      - id: cardio-hf-001
        stem: A 68-year-old man ...
        options:
          - {text: Furosemide, explanation: Relieves congestion but ...}
          - ...
        answer: B
        topic: Heart failure
        objective: Choose prognostic therapy in HFrEF
        difficulty: medium
        references:
          - {source: cardiology/heart-failure.md, section: Management}

YAML is read with ``safe_load`` only (no object construction). The export writes the
same shape, so a bank survives export -> edit -> import unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from tutor.content.loaders.decoding import decode_text
from tutor.content.questions.model import Question
from tutor.content.questions.parsed import ParsedBank, label_for
from tutor.errors import MalformedDocument

_DEFAULTABLE = ("topic", "system", "discipline", "difficulty", "tags", "references", "objective")


def parse_native(data: bytes, source: str) -> ParsedBank:
    text = decode_text(data, source)
    is_json = source.lower().endswith(".json")
    try:
        document = json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        raise MalformedDocument(source, f"the file is not valid {'JSON' if is_json else 'YAML'}{at}", detail=str(exc)) from exc
    bank = ParsedBank(source=source, format="json" if is_json else "yaml")
    defaults: dict[str, Any] = {}
    if isinstance(document, dict):
        defaults = document.get("defaults") or {}
        unknown = set(document) - {"questions", "defaults"}
        if unknown or not isinstance(defaults, dict):
            raise MalformedDocument(source, "a bank file has only 'questions' and 'defaults' at the top level")
        document = document.get("questions")
        if bad := set(defaults) - set(_DEFAULTABLE):
            raise MalformedDocument(source, f"unknown defaults: {', '.join(sorted(bad))}")
    if not isinstance(document, list):
        raise MalformedDocument(source, "the file holds no list of questions")
    for position, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            bank.reject(position, f"#{position}", "each question must be a mapping of fields")
            continue
        label = label_for(item.get("id"), item.get("stem"), position)
        bank.add(position, label, lambda item=item: {**{k: v for k, v in defaults.items() if k not in item}, **item})
    return bank


def dump_native(questions: list[Question]) -> str:
    """YAML that :func:`parse_native` reads back to equal questions."""
    items = [question.model_dump(mode="json", exclude_defaults=True, exclude_none=True) for question in questions]
    for item, question in zip(items, questions):
        item["answer"] = question.answer  # always explicit, even when it happens to be a default
        item["options"] = [option.model_dump(mode="json") for option in question.options]
    return yaml.safe_dump({"questions": items}, sort_keys=False, allow_unicode=True, width=100)
