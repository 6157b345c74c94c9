"""Matching a student's free text to a case file: requests to findings, answers to the rubric.

Deterministic on purpose: the same words always reveal the same findings and earn the
same marks, so a score can be explained and re-checked. Two steps, the first that
answers wins:

1. **Words.** Text is normalised (case, accents, punctuation, a plural ``s``) and a few
   filler words are dropped. A *request* matches a finding when every word of one of the
   finding's phrases (``ask`` words, label, key) occurs in it, in any order. A match whose
   words are all part of another finding's longer match loses, so "describe the pain"
   beats "pain"; independent matches all count, so "ECG and troponin" reveals both. A *diagnosis or action*
   matches a rubric item when one of the item's phrases (name and synonyms) occurs in it
   as consecutive whole words; the longest phrase wins, so "NSTEMI" never matches "STEMI".
2. **Meaning.** The sentence embedding (the library's MiniLM) of the text against each
   phrase: a match needs a cosine of at least the threshold *and* a clear margin over the
   best competing item. The thresholds were set from measured pairs: MiniLM puts
   "pulmonary embolism" and "pulmonary oedema" at 0.54 and "heart attack" and
   "myocardial infarction" at 0.59, so a diagnosis needs 0.78 (synonyms in the case file
   carry the rest); "what is his blood pressure" reaches "Blood pressure" at 0.79 and
   "check magnesium" reaches a potassium finding at 0.44, so a request needs 0.65.

When nothing matches, a request whose closest finding scores at least 0.52 *and* shares a
content word with it ("blood pressur" and "Blood pressure in both arms") is answered with
"do you mean ...?" instead of the stage's "normal", which would be false; the shared word is
required because MiniLM puts "examine the abdomen" at 0.51 from "Chest examination".

Nothing here can produce a finding that is not in the case: the matcher only ever returns
keys or positions of what it was given.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tutor.content.cases.model import Finding
from tutor.content.questions.model import normalise_text
from tutor.index.embeddings import Embedder

MatchHow = Literal["words", "similar", "model", "none"]

REQUEST_THRESHOLD = 0.65
ITEM_THRESHOLD = 0.78
MARGIN = 0.05
CLARIFY_THRESHOLD = 0.52  # close, but not enough to reveal: ask "do you mean ...?" rather than answer "normal"

_FILLER = frozenset(
    "a an the of to for and or in on at with about please can could would you your i me my we us "
    "he she they it him her his hers their them its is are was were be any some".split()
)
_AMPERSAND_WORD = re.compile(r"(?<=\w)&(?=\w)")
# Words of a request that say how to find something, not what: they never make two phrases "share a word".
_HOW_WORDS = frozenset(
    "check examine examination exam look feel listen tell what how doe did ha have send order request test result "
    "level show see get do done".split()
)
# Words that name a test rather than a question or a part of the examination. An examination
# stage answers unlisted requests with "nothing abnormal"; for a test that would be false (the
# test was not done), so such a request is told where tests are asked for instead.
_TEST_WORDS = frozenset(
    "test blood glucose sugar cbg bm ketone ecg ekg electrocardiogram xray ray cxr radiograph scan ct mri "
    "ultrasound echo echocardiogram doppler gas abg vbg culture swab urine urinalysi dipstick troponin fbc crp "
    "esr inr clotting coagulation ue urea creatinine electrolyte sodium potassium calcium magnesium phosphate "
    "lactate ph bicarbonate hba1c tsh t4 cortisol lft lipid ferritin b12 folate serology pcr biopsy puncture "
    "lp csf ddimer dimer bnp amylase lipase osmolality hcg pregnancy eeg angiogram angiography "
    "spirometry level".split()
)
_NEGATION = re.compile(r"^(?:no|not|avoid|avoiding|do not|dont|don t|never|without|withhold|withholding)\b")


def words(text: str) -> tuple[str, ...]:
    """Normalised words without filler; "U&Es" is one word ("ue"); a plural ``s`` is dropped ("ECGs" -> "ecg")."""
    text = _AMPERSAND_WORD.sub("", text)
    return tuple(_singular(word) for word in normalise_text(text).split() if word not in _FILLER)


def is_negated(text: str) -> bool:
    """A plan line that says *not* to do something ("avoid oxygen", "do not give ...")."""
    return bool(_NEGATION.match(normalise_text(text)))


@dataclass(frozen=True)
class RequestMatch:
    keys: tuple[str, ...]
    how: MatchHow
    score: float = 0.0
    nearest: str | None = None  # nothing matched, but one finding is close and shares a word: "do you mean ...?"


@dataclass(frozen=True)
class ItemMatch:
    index: int | None  # position in the candidate list, None when nothing matched
    how: MatchHow
    score: float = 0.0


class CaseMatcher:
    """Matches with words first, then embeddings; embeddings of case phrases are cached."""

    def __init__(self, embedder: Embedder, *, request_threshold: float = REQUEST_THRESHOLD,
                 item_threshold: float = ITEM_THRESHOLD, margin: float = MARGIN, cache_size: int = 4096):
        self._embedder = embedder
        self._request_threshold = request_threshold
        self._item_threshold = item_threshold
        self._margin = margin
        self._cache: dict[str, np.ndarray] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    # -- requests -> findings -------------------------------------------------------------

    def findings_for(self, request: str, findings: Sequence[Finding], current: frozenset[str] = frozenset()) -> RequestMatch:
        """The findings ``request`` asks for, among ``findings`` (those the stage allows).

        When a word match falls on a finding of the ``current`` stage, word matches on earlier
        stages' findings are dropped: in investigations, "heart tracing" means the ECG even if an
        examination finding answers to "heart".
        """
        asked = set(words(request))
        if not asked or not findings:
            return RequestMatch((), "none")
        matched: dict[str, frozenset[str]] = {}
        for finding in findings:
            hits = [frozenset(p) for p in map(words, _finding_phrases(finding)) if p and set(p) <= asked]
            if hits:
                matched[finding.key] = max(hits, key=len)
        # Keep every finding whose matched words are not all part of a longer match of another
        # finding: "describe the pain" beats "pain", "blood pressure" beats "bloods", while
        # "FBC, clotting and group and save" keeps all three.
        if current & matched.keys():
            matched = {key: got for key, got in matched.items() if key in current}
        keys = [key for key, got in matched.items() if not any(got < other for other in matched.values())]
        if keys:
            return RequestMatch(tuple(keys), "words", float(max(len(matched[key]) for key in keys)))
        owners = [(i, phrase) for i, finding in enumerate(findings) for phrase in _finding_phrases(finding)]
        index, score, top = self._closest(request, owners, self._request_threshold)
        if index is not None:
            return RequestMatch((findings[index].key,), "similar", score)
        near = findings[top] if top is not None and score >= CLARIFY_THRESHOLD else None
        return RequestMatch((), "none", score, near.key if near is not None and _shares_a_word(asked, near) else None)

    # -- free text -> rubric item ---------------------------------------------------------

    def rubric_item(self, text: str, candidates: Sequence[Sequence[str]]) -> ItemMatch:
        """Which candidate (each a list of phrases: name and synonyms) ``text`` names."""
        said = words(text)
        if not said:
            return ItemMatch(None, "none")
        best_len, best_index = 0, None
        for index, phrases in enumerate(candidates):
            for phrase in phrases:
                wanted = words(phrase)
                if wanted and len(wanted) > best_len and contains_words(said, wanted):
                    best_len, best_index = len(wanted), index
        if best_index is not None:
            return ItemMatch(best_index, "words", float(best_len))
        owners = [(index, phrase) for index, phrases in enumerate(candidates) for phrase in phrases]
        index, score, _ = self._closest(text, owners, self._item_threshold)
        return ItemMatch(index, "similar" if index is not None else "none", score)

    # -- embeddings -----------------------------------------------------------------------

    def _closest(self, text: str, owners: list[tuple[int, str]], threshold: float) -> tuple[int | None, float, int | None]:
        """(the owner of the phrase closest to ``text`` if close enough and clearly closer than any
        other owner, the best cosine, the closest owner whatever its score)."""
        if not owners:
            return None, 0.0, None
        query = self._embedder.embed_query(text)
        vectors = self._vectors([phrase for _, phrase in owners])
        scores = vectors @ np.asarray(query)
        by_owner: dict[int, float] = {}
        for (owner, _), score in zip(owners, scores):
            by_owner[owner] = max(by_owner.get(owner, -1.0), float(score))
        ranked = sorted(by_owner.items(), key=lambda item: item[1], reverse=True)
        top_owner, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
        if top >= threshold and top - runner_up >= self._margin:
            return top_owner, top, top_owner
        return None, top, top_owner

    def _vectors(self, phrases: list[str]) -> np.ndarray:
        with self._lock:
            known = {phrase: self._cache[phrase] for phrase in phrases if phrase in self._cache}
        missing = [phrase for phrase in dict.fromkeys(phrases) if phrase not in known]
        if missing:
            fresh = dict(zip(missing, self._embedder.embed_documents(missing)))
            known.update(fresh)
            with self._lock:
                if len(self._cache) + len(fresh) > self._cache_size:
                    self._cache.clear()
                self._cache.update(fresh)
        return np.stack([known[phrase] for phrase in phrases])


def names_a_test(text: str) -> bool:
    """The request names a test or a result ("check her glucose", "send a troponin")."""
    said = words(text)
    return any(word in _TEST_WORDS for word in said) or contains_words(said, ("peak", "flow"))


def _shares_a_word(asked: set[str], finding: Finding) -> bool:
    """The request and the finding share a content word, allowing a typo'd ending ("pressur")."""
    mine = {word[:5] for phrase in _finding_phrases(finding) for word in words(phrase) if len(word) >= 3} - {w[:5] for w in _HOW_WORDS}
    return any(word[:5] in mine for word in asked if len(word) >= 3 and word not in _HOW_WORDS)


def _finding_phrases(finding: Finding) -> tuple[str, ...]:
    return (*finding.ask, finding.label, finding.key.replace("-", " ").replace("_", " "))


def contains_words(said: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """``wanted`` occurs in ``said`` as consecutive words."""
    n = len(wanted)
    return any(said[i:i + n] == wanted for i in range(len(said) - n + 1))


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 2 and word.endswith("s") and not word.endswith(("ss", "us", "is")) else word
