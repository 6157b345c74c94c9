"""How much of an answer is copied verbatim from the passages it was given.

A tutor that pastes the passage back is slow (every copied token is generated) and
teaches nothing the evidence box does not already show. The measure: the share of the
answer's words that lie inside a run of :data:`RUN` or more consecutive words that also
appears, in the same order, in one of the passages. Case, punctuation and citation
markers are ignored. Used by the evaluation reports, before and after a prompt change.
"""

from __future__ import annotations

import re

RUN = 8  # words: shorter shared runs are ordinary phrasing ("the first line treatment of")
_WORD = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")
_MARKER = re.compile(r"\[\d+\]")


def words(text: str) -> list[str]:
    return _WORD.findall(_MARKER.sub(" ", text.lower()))


def copied_share(answer: str, passages: list[str], run: int = RUN) -> float:
    """Share of ``answer``'s words inside a run of ``run`` words found verbatim in a passage (0 for no words)."""
    said = words(answer)
    if not said:
        return 0.0
    grams = {tuple(ws[i:i + run]) for ws in map(words, passages) for i in range(len(ws) - run + 1)}
    copied = [False] * len(said)
    for i in range(len(said) - run + 1):
        if tuple(said[i:i + run]) in grams:
            copied[i:i + run] = [True] * run
    return sum(copied) / len(said)
