"""The grounded QA items stay true to the curriculum they are cut from (no model involved)."""

from __future__ import annotations

import pytest

from tests.llm import grounded_prompts as gp

ALL_ITEMS = (*gp.ITEMS, gp.FOLLOW_UP)


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.id)
def test_answers_are_in_the_passages_exactly_when_the_item_says_so(item: gp.Item):
    text = " ".join(gp.passages(item)).lower()
    assert all(len(passage) > 200 for passage in gp.passages(item))
    if item.answerable:
        assert all(any(phrase in text for phrase in group) for group in item.must)
    else:
        assert not [phrase for phrase in item.forbidden if phrase in text]


def test_the_set_has_the_promised_shape():
    assert len(gp.ITEMS) == 8
    assert sum(item.answerable for item in gp.ITEMS) == 5
    assert any(item.kind == "drug interaction" for item in gp.ITEMS)


def test_scoring_accepts_right_answers_and_honest_refusals_only():
    bnp, gout = gp.ITEMS[0], gp.ITEMS[-1]
    assert gp.score_text(bnp, "BNP below 100 pg/mL rules it out [2].")
    assert not gp.score_text(bnp, "The course material does not cover this.")
    assert gp.score_text(gout, "The course material does not cover this.")
    assert not gp.score_text(gout, "Colchicine. The course material does not cover this.")
    assert gp.score_json(gout, {"quotes": [], "supported": False, "answer": "Not covered."})
    assert not gp.score_json(bnp, {"quotes": [], "supported": False, "answer": "below 100"})


@pytest.mark.parametrize("layout", ["system", "user"])
def test_the_question_comes_last_after_the_passages(layout: str):
    item = gp.ITEMS[2]
    messages = gp.messages(item, layout=layout)
    flat = "\n".join(message["content"] for message in messages)
    assert flat.rstrip().endswith(item.question)
    assert flat.index(gp.passages(item)[0][:80]) < flat.index(item.question)


def test_the_schema_order_is_the_property_order():
    assert list(gp.answer_schema("evidence-first")["properties"]) == ["quotes", "supported", "answer"]
    assert list(gp.answer_schema("answer-first")["properties"]) == ["answer", "supported", "quotes"]
