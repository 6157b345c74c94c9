"""Evidence first: what the material says, verbatim, before the model has written a word.

Retrieval and the judge take well under a second; the model takes many. So the student
first sees the few sentences of the passages that best answer the question, copied
word for word with the chip of the passage each comes from, and the model's explanation
then streams below them. The same choice trims what the model reads: each passage goes
into the prompt as its most relevant sentences (in their original order, gaps marked),
so the prompt is short, prompt processing (most of the wait on a CPU) is short, and the
model explains the evidence instead of pasting it back.

Sentences are ranked by the relevance judge (the same cross-encoder that decides
coverage) plus their cosine with the question, among the closest few by embedding;
without the judge, by embedding alone. The first sentence shown always comes from the
passage the judge ranked first.
Pure apart from the two models it is handed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tutor.agent.citations import split_sentences
from tutor.domain import Citation, EvidenceQuote, SearchHit

Embed = Callable[[list[str]], np.ndarray]
Relevance = Callable[[str, list[str]], np.ndarray]

_MIN_WORDS = 5  # shorter "sentences" are headings and list stubs, not evidence
_JUDGED = 12  # sentences, closest by embedding, that the judge ranks
_GAP = "…"


def ranked_sentences(question: str, hits: list[SearchHit], embed: Embed,
                     relevance: Relevance | None) -> list[tuple[float, int, str]]:
    """(score, passage index, sentence) for the passages' sentences, best first.

    Every sentence gets its cosine with the question; the closest :data:`_JUDGED` also get the
    judge's probability added (always ranked above cosine-only ones). Neither alone is good at
    single sentences out of their passage; their sum is the ranking used.
    """
    pool = [(i, s) for i, hit in enumerate(hits) for s in split_sentences(hit.text) if len(s.split()) >= _MIN_WORDS]
    if not pool:
        return []
    vectors = embed([question] + [s for _, s in pool])
    cosine = vectors[1:] @ vectors[0]
    order = [int(j) for j in np.argsort(-cosine, kind="stable")]
    scored = [(float(cosine[j]) - 2.0, pool[j][0], pool[j][1]) for j in order]  # below any judged one
    if relevance is not None:
        top = order[:_JUDGED]
        judged = relevance(question, [pool[j][1] for j in top])
        scored = [(float(p) + float(cosine[j]), pool[j][0], pool[j][1]) for p, j in zip(judged, top)] + scored[len(top):]
    return sorted(scored, key=lambda item: -item[0])


def pick_evidence(ranked: list[tuple[float, int, str]], hits: list[SearchHit], *, limit: int = 3,
                  per_passage: int = 2, keep_share: float = 0.6) -> tuple[EvidenceQuote, ...]:
    """The best sentence of the judge's best passage first (the judge ranks whole passages far better
    than sentences: on the calibration half of the bundled set the first sentence came from the
    expected section 0.74 of the time this way, 0.59 by sentence score alone), then up to ``limit - 1``
    more scoring at least ``keep_share`` of it (at most ``per_passage`` from one passage), each with
    the chip of its passage (numbered as in the prompt)."""
    if not ranked:
        return ()
    first = next((item for item in ranked if item[1] == 0), ranked[0])
    floor = first[0] * keep_share if first[0] > 0 else first[0] - 0.1
    chosen = [first]
    for item in ranked:
        if len(chosen) == limit:
            break
        if item is not first and item[0] >= floor and sum(i == item[1] for _, i, _ in chosen) < per_passage:
            chosen.append(item)
    return tuple(EvidenceQuote(text=s, score=round(score, 4), citation=Citation.of(i + 1, hits[i]))
                 for score, i, s in chosen)


def excerpts(ranked: list[tuple[float, int, str]], hits: list[SearchHit], budget: int) -> list[str]:
    """Each passage as the model reads it, all of them together within ``budget`` characters.

    Every passage first gets its best sentence (so the third passage the judge kept is still
    there to cite), then the remaining room goes to the best sentences overall, wherever they
    are: characters follow relevance, not a fixed share per passage. Each passage keeps its
    sentences in their original order, gaps marked. Prompt processing (about 60 tokens/s on
    2 cores) is most of the wait for the first word, so the budget is the lever for it.
    """
    keep: list[set[str]] = [set() for _ in hits]
    used = 0
    best = {}
    for item in ranked:  # best first, so the first seen of each passage is its best
        best.setdefault(item[1], item)
    for _, i, sentence in [*best.values(), *ranked]:
        if not keep[i] or (sentence not in keep[i] and used + len(sentence) <= budget):
            keep[i].add(sentence)
            used += len(sentence) + 1
    out = []
    for hit, chosen in zip(hits, keep):
        whole = " ".join(hit.text.split())
        cut = _in_order(hit, chosen)
        if len(whole) - len(cut) <= budget - used:  # room for all of it: headings and short list items too
            used += len(whole) - len(cut)
            cut = whole
        out.append(cut or whole[: max(1, budget // max(1, len(hits)))])
    return out


def _in_order(hit: SearchHit, keep: set[str]) -> str:
    parts, skipped = [], False
    for sentence in split_sentences(hit.text):
        if sentence in keep:
            parts.append((_GAP + " " if skipped and parts else "") + sentence)
            skipped = False
        else:
            skipped = True
    text = " ".join(parts)
    return text + (" " + _GAP if skipped and parts else "")
