"""The Socratic rungs code writes itself, from the passage that best answers the question.

:mod:`tutor.agent.hint_ladder` decides what a rung says; this module turns that into the
tutor's reply: a hint that names a passage carries that passage's chip and no other, and
a reveal that leaves out most of the key sentence's facts gets the sentence verbatim,
cited (the answer is the model's; the added sentence is the course's own words).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tutor.agent.citations import split_sentences
from tutor.agent.hint_ladder import Ladder, attempt_feedback, code_hint, key_sentence, key_terms, leaves_out
from tutor.agent.output_filter import safe_markdown
from tutor.domain import Answer, Citation, Quote, SearchHit

Embed = Callable[[list[str]], np.ndarray]


def focus_of(question: str, ledger: list[SearchHit], embed: Embed, relevance=None) -> tuple[SearchHit, str]:
    """The passage judged most likely to answer, and its sentence most likely to hold the answer."""
    focus = max(ledger, key=lambda hit: (hit.relevant, hit.score))
    return focus, key_sentence(question, split_sentences(focus.text) or [focus.text], embed, relevance)


def states_the_answer(reply: str, question: str, ledger: list[SearchHit], embed: Embed, relevance=None) -> bool:
    """A hint that holds half or more of the key sentence's facts (or its numbers) states the answer,
    however it is worded (a paraphrase slipped past the similarity check: "150 mL of 3% saline")."""
    _, sentence = focus_of(question, ledger, embed, relevance)
    numbers = [t for t in key_terms(sentence, question, limit=None) if t[0].isdigit()]
    statements = " ".join(s for s in split_sentences(reply) if not s.rstrip().endswith("?")) or reply
    return not leaves_out(statements, sentence, question) or any(n.lower() in statements.lower() for n in numbers)


def code_written_hint(ladder: Ladder, ledger: list[SearchHit], embed: Embed, relevance=None, **answer_fields) -> Answer:
    """The rung's hint written by code; from rung 1 it names the focus passage and carries its chip."""
    focus, sentence = focus_of(ladder.question, ledger, embed, relevance)
    text = code_hint(ladder.rung, ladder.question, section=focus.section, title=focus.doc_title, sentence=sentence)
    text = with_attempt_note(text, ladder, ledger, embed, relevance)
    citations = () if ladder.rung == 0 else (Citation.of(1, focus),)
    return Answer(text=text, grounded=True, kind="hint", hint_level=ladder.rung, citations=citations, **answer_fields)


def with_attempt_note(text: str, ladder: Ladder, ledger: list[SearchHit], embed: Embed, relevance=None) -> str:
    """A hint the model wrote, after an attempt: the code's line on what the attempt has comes first,
    so an attempt is always answered (the model's hint may ignore it)."""
    if not ladder.answering:
        return text
    focus, sentence = focus_of(ladder.question, ledger, embed, relevance)
    return f"{attempt_feedback(ladder.answering, sentence, ladder.question, focus.text)} {text}"


def verbatim_answer(topic: str, ledger: list[SearchHit], embed: Embed, relevance=None, **answer_fields) -> Answer:
    """The reveal in the course's own words: when the model's answer was mostly unsupported, the ladder
    ends with the focus passage's key sentence, cited, rather than "not covered" after hints from it."""
    focus, sentence = focus_of(topic, ledger, embed, relevance)
    text = f"The course material says [1]: “{safe_markdown(sentence)}” Open the passage for the whole of it."
    return Answer(text=text, grounded=True, kind="answer", citations=(Citation.of(1, focus),),
                  quotes=(Quote(citation_number=1, text=sentence, similarity=1.0),), **answer_fields)


def with_key_sentence(question: str, ledger: list[SearchHit], text: str, citations: tuple[Citation, ...],
                      quotes: tuple[Quote, ...], embed: Embed,
                      relevance=None) -> tuple[str, tuple[Citation, ...], tuple[Quote, ...]]:
    """The key sentence of the focus passage, verbatim and cited, when the answer left its facts out."""
    focus, sentence = focus_of(question, ledger, embed, relevance)
    if not leaves_out(text, sentence, question):
        return text, citations, quotes
    number = next((c.number for c in citations if c.chunk_id == focus.chunk_id), None)
    if number is None:
        number = max((c.number for c in citations), default=0) + 1
        citations += (Citation.of(number, focus),)
    note = f"\n\nThe course material also says [{number}]: “{safe_markdown(sentence)}”"
    return text + note, citations, quotes + (Quote(citation_number=number, text=sentence, similarity=1.0),)
