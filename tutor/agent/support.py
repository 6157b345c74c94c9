"""Claim-level support: every statement of a reply is read against the passage it cites.

Citation markers only say where the model *claims* a sentence comes from. Here each
statement (a sentence that is not a question) goes to the relevance judge with the
passages it cites, or with every passage of the evidence when it cites none, and the
judge's support probability decides:

* a statement the material does not support is marked in the text the student reads
  (:data:`UNSUPPORTED_MARK`), listed and stored with the turn, never silently kept as if
  grounded; it also loses its citation markers (a real citation must not dress up a claim
  its passage does not make), and a passage no statement cites any more is no longer
  offered as a citation;
* for a supported statement, the "Check it" quote is the passage sentence the judge finds
  most supportive among the few closest by embedding: the evidence is copied from the
  material, chosen by the judge.

The caller decides what a mostly unsupported reply becomes (:mod:`tutor.modes.ask.service`
declines it). Pure apart from the two models it is handed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tutor.agent.citations import MARKER as _MARKER, split_sentences
from tutor.agent.prompt_leaks import REMOVED_NOTE
from tutor.domain import Citation, Quote, SearchHit
from tutor.judge.model import RelevanceJudge, passage_text

Embed = Callable[[list[str]], np.ndarray]

UNSUPPORTED_MARK = " ⚠️ *(not found in the course material)*"
_QUOTE_CANDIDATES = 3  # passage sentences, closest by embedding, that the judge chooses the quote from
_MIN_STATEMENT_WORDS = 4


@dataclass(frozen=True)
class SupportCheck:
    text: str  # the reply with unsupported statements marked and uncited
    citations: tuple[Citation, ...]  # those still cited, renumbered from 1 in order of use
    checked: int
    unsupported: tuple[str, ...]
    quotes: tuple[Quote, ...]

    @property
    def supported_share(self) -> float:
        return 1.0 if not self.checked else 1 - len(self.unsupported) / self.checked


def _statements(text: str) -> list[tuple[str, str, list[int], int]]:
    """(sentence as written, without markers, cited numbers, where it starts) for each statement."""
    out, cursor = [], 0
    for sentence in split_sentences(text):
        at = text.find(sentence, cursor)
        if at < 0:
            continue
        cursor = at + len(sentence)
        plain = _MARKER.sub("", sentence).strip()
        if plain.endswith("?") or len(plain.split()) < _MIN_STATEMENT_WORDS or REMOVED_NOTE in sentence:
            continue  # questions, fragments, and the tutor's own notes are not claims about the material
        numbers = [int(n) for group in _MARKER.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)]
        out.append((sentence, plain, numbers, at))
    return out


def without_unsupported(text: str) -> str:
    """A stored reply without the statements marked unsupported (so they are never fed back to a model)."""
    return " ".join(s for s in split_sentences(text) if UNSUPPORTED_MARK.strip() not in s)


def check_support(
    text: str,
    citations: tuple[Citation, ...],
    evidence: list[SearchHit],
    judge: RelevanceJudge,
    embed: Embed,
) -> SupportCheck:
    """Judge each statement of ``text`` (markers numbered as ``citations``) against its passages."""
    statements = _statements(text)
    if not statements:
        return SupportCheck(text=text, citations=citations, checked=0, unsupported=(), quotes=())
    known = {c.chunk_id for c in citations}
    pool = tuple(citations) + tuple(  # evidence the model did not cite may still support an uncited statement
        Citation.of(len(citations) + n, h)
        for n, h in enumerate((h for h in evidence if h.chunk_id not in known), 1)
    )
    by_number = {c.number: c for c in pool}
    firsts, passages, owner = [], [], []
    for index, (_, plain, numbers, _) in enumerate(statements):
        own = [by_number[n] for n in dict.fromkeys(numbers) if n in by_number and n <= len(citations)] or list(pool)
        for citation in own:
            firsts.append(plain)
            passages.append(citation)
            owner.append(index)
    scores = judge.support(firsts, [passage_text(c.section, c.text) for c in passages]) if firsts else np.zeros(0)
    best = np.zeros(len(statements))
    best_citation: list[Citation | None] = [None] * len(statements)
    for index, score, citation in zip(owner, scores, passages):
        if score > best[index]:
            best[index], best_citation[index] = float(score), citation
    threshold = judge.support_threshold
    failing = [i for i in range(len(statements)) if best[i] < threshold]
    marked = text
    for i in reversed(failing):  # by position, from the end, so a repeated sentence is marked where it stands
        sentence, _, _, at = statements[i]
        marked = marked[:at] + _MARKER.sub("", sentence).rstrip() + UNSUPPORTED_MARK + marked[at + len(sentence):]
    supported = [i for i in range(len(statements)) if best[i] >= threshold and best_citation[i] is not None]
    quotes = _quotes([(statements[i][1], best_citation[i]) for i in supported], judge, embed)
    uncited_support = [best_citation[i].number for i in supported if not statements[i][2]]
    marked, kept, quotes = _renumbered(marked, pool, quotes, uncited_support)
    return SupportCheck(text=marked, citations=kept, checked=len(statements),
                        unsupported=tuple(statements[i][1] for i in failing), quotes=quotes)


def _renumbered(text: str, citations: tuple[Citation, ...], quotes: tuple[Quote, ...], supporting: list[int]):
    """The citations a marker still uses, then those that support an uncited statement, numbered 1.. in that order."""
    used = [int(n) for group in _MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]
    by_number = {c.number: c for c in citations}
    order = {old: new for new, old in enumerate(dict.fromkeys(n for n in used + supporting if n in by_number), 1)}

    def rewrite(match: re.Match) -> str:
        numbers = [order[int(n)] for n in re.split(r"\s*[,;]\s*", match.group(1)) if int(n) in order]
        return (" " + "".join(f"[{n}]" for n in dict.fromkeys(numbers))) if numbers else ""

    kept = tuple(by_number[old].model_copy(update={"number": new}) for old, new in order.items())
    kept_quotes = tuple(q.model_copy(update={"citation_number": order[q.citation_number]})
                        for q in quotes if q.citation_number in order)
    return _MARKER.sub(rewrite, text), kept, kept_quotes


def _quotes(wanted: list[tuple[str, Citation]], judge: RelevanceJudge, embed: Embed) -> tuple[Quote, ...]:
    """For each supported statement, the sentence of its supporting passage the judge finds most supportive."""
    firsts, candidates, owner = [], [], []
    for i, (statement, citation) in enumerate(wanted):
        sentences = split_sentences(citation.text)
        if not sentences:
            continue
        vectors = embed([statement] + sentences)
        closest = np.argsort(-(vectors[1:] @ vectors[0]))[:_QUOTE_CANDIDATES]
        for j in closest:
            firsts.append(statement)
            candidates.append(sentences[int(j)])
            owner.append((i, citation.number))
    scores = judge.support(firsts, candidates) if firsts else np.zeros(0)
    chosen: dict[int, tuple[float, int, str]] = {}
    for (i, number), score, sentence in zip(owner, scores, candidates):
        if i not in chosen or score > chosen[i][0]:
            chosen[i] = (float(score), number, sentence)
    quotes: dict[tuple[int, str], Quote] = {}
    for score, number, sentence in chosen.values():
        quotes.setdefault((number, sentence), Quote(citation_number=number, text=sentence, similarity=round(score, 3)))
    return tuple(quotes.values())
