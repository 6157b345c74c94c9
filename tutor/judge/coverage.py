"""The coverage verdict: does this library answer this question?

A passage's own judge probability is not enough. Measured on held-out questions, the
judge alone could not tell a neighbouring disease's page from the answer on templated
NIH pages or on PubMed abstracts of one field (everything there scores high), and it
scores paraphrased clinical questions about the bundled textbook-like curriculum low
(everything there scores lower). A single cut that holds the false "not covered" budget
on all three kinds of library declined only a quarter of the unanswerable questions.

So the rule reads each judged candidate in the context of the others and of the library:

* ``judge_logit``: the judge's log-odds that this passage answers the question;
* ``cosine``: the embedding similarity of question and passage;
* ``judge_lead``: how far this passage's log-odds stand above the median candidate's
  (when every neighbour "answers", none really stands out);
* ``unseen``: the share of the question's rare-word weight (IDF over the library's
  passages) carried by words that no passage of the library contains at all: a question
  naming a disease the library never mentions. Only rare words count: a word the general
  English vocabulary of the embedder's tokenizer holds whole ("dangerously", "ward",
  "smith") is no sign of a topic the library lacks, while "glaucoma", "scabies" or "fabry"
  are split into pieces there; nor does a bare number ("180" of a blood pressure). Absence from a small library says little
  (a five-passage upload lacks most words), so the share is weighed by the library's size,
  ``passages / (passages + UNSEEN_HALF_WEIGHT)``: half weight at 50 passages, 0.86 at 300.

A linear score over the four (weights, scaling and threshold in ``judge.json``, fitted by
``tutor judge-calibrate`` on the calibration splits, :mod:`tutor.evaluation.coverage`) marks
each candidate as answering or not, and the question is covered when some candidate is.
Pure functions: retrieval supplies the probabilities, cosines and word counts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FEATURES = ("judge_logit", "cosine", "judge_lead", "unseen")
UNSEEN_HALF_WEIGHT = 50  # passages at which a missing word counts half
_EPS = 1e-6
STOPWORDS = frozenset(
    "the and for are with what which who whom how why when where does did can could should would will this that "
    "these those from into about have has had was were been being there their they them then than also its not "
    "but any all some such may might must our your you his her she him over under after before more most very only "
    "each other per is of to in on at by as or an be do if a".split()
)


def content_terms(text: str) -> list[str]:
    """The question's words that carry meaning: lower case, letters and digits, 3+ characters, no stopwords."""
    words = "".join(ch if ch.isalnum() else " " for ch in (text or "").lower()).split()
    return sorted({w for w in words if len(w) > 2 and w not in STOPWORDS})


def _rare(term: str, common: frozenset[str]) -> bool:
    """A word that can name a topic the library lacks: not everyday English, not a bare number."""
    return term not in common and not term.isdigit()


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Whole words of the general English WordPiece vocabulary (bert-base-uncased, vendored)."""
    from tutor.judge.model import TOKENIZER_PATH  # the judge's own tokenizer file (model.py imports this module)

    vocabulary = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocabulary if w.isalpha() and not w.startswith("##"))


def unseen_share(document_counts: Mapping[str, int], passages: int,
                 common: frozenset[str] | None = None) -> float:
    """Share of the terms' IDF weight carried by rare terms (not in ``common``) that no passage
    contains, weighed by the library's size (0 when there are no terms or no passages)."""
    common = common_words() if common is None else common
    weights = {t: math.log((passages + 1) / (n + 1)) for t, n in document_counts.items()}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    share = sum(w for t, w in weights.items() if document_counts[t] == 0 and _rare(t, common)) / total
    return share * passages / (passages + UNSEEN_HALF_WEIGHT)


def candidate_features(probabilities: Iterable[float], cosines: Iterable[float], unseen: float,
                       lead_over: int | None = None) -> np.ndarray:
    """One row of :data:`FEATURES` per judged candidate (all candidates of one question together).

    The lead is measured against the median of the first ``lead_over`` candidates (all when
    None), so asking for more passages than the rule was calibrated on does not move it."""
    p = np.clip(np.asarray(list(probabilities), dtype=np.float64), _EPS, 1 - _EPS)
    c = np.asarray(list(cosines), dtype=np.float64)
    if p.shape != c.shape:
        raise ValueError("probabilities and cosines must be aligned")
    if not len(p):
        return np.zeros((0, len(FEATURES)))
    logits = np.log(p / (1 - p))
    reference = np.median(logits[:lead_over] if lead_over else logits)
    return np.column_stack([logits, c, logits - reference, np.full(len(p), float(unseen))])


@dataclass(frozen=True)
class CoverageRule:
    """A linear score over standardised :data:`FEATURES`; a candidate answers when it reaches ``threshold``."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float

    @classmethod
    def from_card(cls, data: Mapping) -> "CoverageRule":
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"the coverage rule must read the features {FEATURES}")
        sizes = {len(data[k]) for k in ("weights", "mean", "scale")}
        if sizes != {len(FEATURES)}:
            raise ValueError("the coverage rule's weights, mean and scale must each have one value per feature")
        if not all(float(s) > 0 for s in data["scale"]):
            raise ValueError("the coverage rule's scales must be positive")
        return cls(weights=tuple(map(float, data["weights"])), bias=float(data["bias"]),
                   mean=tuple(map(float, data["mean"])), scale=tuple(map(float, data["scale"])),
                   threshold=float(data["threshold"]))

    def to_card(self) -> dict:
        return {"features": list(FEATURES), "weights": [round(w, 6) for w in self.weights], "bias": round(self.bias, 6),
                "mean": [round(m, 6) for m in self.mean], "scale": [round(s, 6) for s in self.scale],
                "threshold": round(self.threshold, 6)}

    def scores(self, features: np.ndarray) -> np.ndarray:
        """The rule's score of each candidate (rows of :func:`candidate_features`)."""
        if not len(features):
            return np.zeros(0)
        standard = (features - np.asarray(self.mean)) / np.asarray(self.scale)
        return standard @ np.asarray(self.weights) + self.bias

    def answering(self, features: np.ndarray) -> np.ndarray:
        """For each candidate (rows of :func:`candidate_features`): does it answer the question?"""
        return self.scores(features) >= self.threshold
