"""The code-level quality gates a generated question must pass before an instructor sees it.

Pure functions over a draft, the passage it was written from, the verifier's independent
answer and the stem embeddings; each returns a :class:`Gate` with a reason an instructor
can read. The order is cheapest first and the first failure stops the draft, so a broken
draft never costs a second model call:

1. ``schema``: the reply is a valid draft (checked while parsing, see drafting);
2. ``distinct_options``: no two options say the same thing, and none is a part of another
   ("Hypothyroidism" inside "Severe hypothyroidism": two right answers); ``real_options``:
   the options are answers, not the names of the kinds of question (a small model copied
   "diagnosis, treatment, ..." from its instructions); ``lead_in``: the stem ends with
   the question it asks; ``answer_not_in_stem``: the vignette does not name the keyed
   answer ("consistent with toxic multinodular goitre");
3. ``not_duplicate``: the stem is not a near-duplicate of a stem already in the bank
   (or drafted earlier in the same run);
4. ``one_best_answer``: the verifier, answering from the passage alone, names no other
   option as also correct;
5. ``supported``: the verifier picks the keyed answer and the supporting sentence is
   found word for word in the passage (a paraphrase or an invented quote fails).

Where the support judge is on, 4 and 5 are replaced by :func:`judged_supported`: the
judge reads the keyed option with its explanation against the passage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from pydantic import BaseModel, Field

from tutor.content.questions.model import LETTERS, Question, normalise_text

MIN_QUOTE_CHARS = 20


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


class Verdict(BaseModel):
    """The second pass: the model answers the drafted question from the passage alone."""

    best: str = Field(pattern=r"^[A-Fa-f]$")
    also_correct: list[str] = Field(default_factory=list, max_length=5)
    quote: str = Field(default="", max_length=600)


def distinct_options(texts: list[str]) -> Gate:
    seen: dict[str, str] = {}
    for letter, text in zip(LETTERS, texts):
        key = normalise_text(text)
        if key in seen:
            return Gate("distinct_options", False, f"options {seen[key]} and {letter} say the same thing")
        for other, other_letter in seen.items():
            if _contains(key, other) or _contains(other, key):
                return Gate("distinct_options", False, f"options {other_letter} and {letter} overlap: one is part of the other")
        seen[key] = letter
    return Gate("distinct_options", True, f"{len(texts)} different options")


def real_options(texts: list[str], kinds: set[str]) -> Gate:
    named = [text for text in texts if normalise_text(text).replace(" ", "_") in kinds]
    if len(named) >= 2:
        return Gate("real_options", False, f"the options name kinds of question ({', '.join(named)}), not answers")
    return Gate("real_options", True, "the options are answers")


def answer_not_in_stem(stem: str, key_text: str) -> Gate:
    if _contains(normalise_text(stem), normalise_text(key_text)):
        return Gate("answer_not_in_stem", False, f"the vignette already names the answer ({key_text})")
    return Gate("answer_not_in_stem", True, "the vignette does not give the answer away")


def _contains(text: str, part: str) -> bool:
    """``part`` occurs in ``text`` as whole words."""
    return bool(part) and f" {part} " in f" {text} "


def lead_in(stem: str) -> Gate:
    last = stem.strip().rsplit("\n", 1)[-1].strip()
    if not last.endswith("?"):
        return Gate("lead_in", False, "the stem does not end with a question (no lead-in)")
    return Gate("lead_in", True, "the stem ends with its question")


def not_duplicate(stem_vector: np.ndarray, existing: dict[str, np.ndarray], threshold: float) -> Gate:
    if not existing:
        return Gate("not_duplicate", True, "no earlier stems to compare with")
    ids = list(existing)
    scores = np.stack([existing[i] for i in ids]) @ stem_vector
    best = int(np.argmax(scores))
    score = float(scores[best])
    if score >= threshold:
        return Gate("not_duplicate", False, f"near-duplicate of {ids[best]} (similarity {score:.2f} >= {threshold:.2f})")
    return Gate("not_duplicate", True, f"closest stem {ids[best]} at similarity {score:.2f}")


def one_best_answer(question: Question, verdict: Verdict) -> Gate:
    others = sorted({letter.upper() for letter in verdict.also_correct} - {question.answer})
    others = [letter for letter in others if letter in question.letters]
    if others:
        return Gate("one_best_answer", False, f"the checker also finds option(s) {', '.join(others)} correct")
    return Gate("one_best_answer", True, "no other option is supported by the passage")


def supported(question: Question, verdict: Verdict, passage: str, draft_quote: str) -> Gate:
    if verdict.best.upper() != question.answer:
        return Gate("supported", False, f"answering from the passage, the checker chose {verdict.best.upper()}, not the key {question.answer}")
    for quote in (verdict.quote, draft_quote):
        if quote_in_passage(quote, passage):
            return Gate("supported", True, f"the passage says: \u201c{quote.strip()}\u201d")
    return Gate("supported", False, "neither the draft nor the checker quoted the passage word for word")


def quote_in_passage(quote: str, passage: str) -> bool:
    wanted = normalise_text(quote)
    return len(wanted) >= MIN_QUOTE_CHARS and wanted in normalise_text(passage)


def judged_supported(probability: float, threshold: float, quote: str | None) -> Gate:
    """The support judge's verdict on the keyed option and its explanation against the passage."""
    if probability < threshold:
        return Gate("supported", False, f"the support judge does not find the keyed answer in the passage "
                                        f"(p={probability:.2f} < {threshold:.2f})")
    said = f"; the passage says: \u201c{quote.strip()}\u201d" if quote else ""
    return Gate("supported", True, f"the support judge finds the keyed answer in the passage (p={probability:.2f}){said}")
