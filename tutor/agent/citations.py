"""The citation guard: the code, not the model, decides what an answer may cite.

Input: the model's text with ``[n]`` markers, and the evidence ledger (the passages
retrieved for this answer, numbered 1..k). Output: the text with markers renumbered
to the passages actually cited, the citations, and for each sentence of the answer the
passage sentence that best supports it, quoted verbatim.

* A marker that names no retrieved passage is removed and counted: a fabricated
  citation can never reach the student.
* A marker whose passage shares no sentence with the claim (similarity below
  ``citation_floor``) is removed and counted too: the passage does not say it.
* When the model cites nothing, the passages that supply quotes become the citations,
  so every grounded answer points at its evidence.
* Quotes are copied from the passages, never from the model, so a student can read
  the exact supporting sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tutor.domain import Citation, Quote, SearchHit

Embed = Callable[[list[str]], np.ndarray]

MARKER = re.compile(r"\s?\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
"""A citation marker such as ``[2]`` or ``[1, 3]`` (with the space before it)."""
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_MIN_SENTENCE_CHARS = 12


_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])+)")


def markers_before_stops(text: str) -> str:
    """``A.[1] B. [2]`` -> ``A [1]. B [2].``: a marker belongs to the sentence before it."""
    return _MARKERS_AFTER_STOP.sub(lambda m: " " + m.group(2).strip() + m.group(1), text)


def split_sentences(text: str) -> list[str]:
    parts = (p.strip(" -*•\t") for p in _SENTENCE_SPLIT.split(text))
    return [p for p in parts if len(p) >= _MIN_SENTENCE_CHARS]


def _strip_markers(text: str) -> str:
    return MARKER.sub("", text).strip()


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: tuple[Citation, ...]
    quotes: tuple[Quote, ...]
    removed: int


def _sentence_markers(text: str) -> list[tuple[str, list[int]]]:
    """Each sentence of the answer with the passage numbers its markers name."""
    out = []
    for sentence in split_sentences(text) or ([text] if text.strip() else []):
        numbers = [int(n) for group in MARKER.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)]
        out.append((_strip_markers(sentence), numbers))
    return out


def check_citations(
    text: str,
    ledger: list[SearchHit],
    embed: Embed,
    *,
    quote_min_similarity: float,
    citation_floor: float = 0.3,
    require_support: bool = True,
) -> CheckedAnswer:
    text = markers_before_stops(text)
    by_number = {number: hit for number, hit in enumerate(ledger, 1)}
    sentences = _sentence_markers(text)
    removed = sum(1 for _, numbers in sentences for n in numbers if n not in by_number)

    # Candidate supporting sentences from every retrieved passage, embedded once.
    candidates = [(number, s) for number, hit in by_number.items() for s in split_sentences(hit.text)]
    claims = [s for s, _ in sentences if s]
    if candidates and claims:
        vectors = embed([s for _, s in candidates] + claims)
        passage_vecs, claim_vecs = vectors[: len(candidates)], vectors[len(candidates):]
        similarity = claim_vecs @ passage_vecs.T  # claims x candidate sentences
    else:
        similarity = np.zeros((len(claims), 0))

    def best_in(claim_index: int, number: int) -> tuple[float, str]:
        scores = [(float(similarity[claim_index, j]), s) for j, (n, s) in enumerate(candidates) if n == number]
        return max(scores, default=(0.0, ""))

    kept: dict[int, None] = {}  # cited passage numbers in order of first use
    quotes: list[tuple[int, str, float]] = []
    claim_index = -1
    for sentence, numbers in sentences:
        if not sentence:
            continue
        claim_index += 1
        valid = [n for n in dict.fromkeys(numbers) if n in by_number]
        supported = []
        for n in valid:
            score, quote = best_in(claim_index, n)
            if require_support and score < citation_floor:
                removed += 1
                continue
            supported.append(n)
            if score >= quote_min_similarity:
                quotes.append((n, quote, score))
        if not valid and candidates:  # uncited sentence: find its best support anywhere
            j = int(np.argmax(similarity[claim_index])) if similarity.shape[1] else -1
            if j >= 0 and similarity[claim_index, j] >= quote_min_similarity:
                supported.append(candidates[j][0])
                quotes.append((candidates[j][0], candidates[j][1], float(similarity[claim_index, j])))
        for n in supported:
            kept.setdefault(n, None)

    renumber = {old: new for new, old in enumerate(kept, 1)}

    def rewrite(match: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        mapped = [renumber[n] for n in dict.fromkeys(numbers) if n in renumber]
        return (" " + "".join(f"[{n}]" for n in mapped)) if mapped else ""

    citations = tuple(
        Citation(
            number=renumber[old], source=by_number[old].source, section=by_number[old].section,
            page=by_number[old].page, chunk_id=by_number[old].chunk_id, doc_title=by_number[old].doc_title,
            text=by_number[old].text,
        )
        for old in kept
    )
    unique_quotes: dict[tuple[int, str], Quote] = {}
    for n, quote, score in quotes:
        key = (renumber[n], quote)
        if key not in unique_quotes:
            unique_quotes[key] = Quote(citation_number=renumber[n], text=quote, similarity=round(score, 3))
    return CheckedAnswer(
        text=MARKER.sub(rewrite, text).strip(),
        citations=citations,
        quotes=tuple(unique_quotes.values()),
        removed=removed,
    )
