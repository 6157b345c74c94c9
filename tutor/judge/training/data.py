"""The judge's data recipe: labelled (question or statement, passage) pairs from open data.

Sources (all under ``../shared/eval`` or written by this project):

* **MedQuAD** (NIH question-answer pairs, CC BY 4.0): a question and the first passage of
  its own answer are a positive (without the sentences that restate the question, which
  most GARD answers open with, and with the heading path in half of the passages: both are
  shortcuts that make the model match strings instead of reading); the passages that the tutor's own retriever puts nearest to
  the question from *other* topics are hard negatives (the failure this judge exists for:
  a neighbouring disease's page that looks relevant), plus a random other topic.
* **PubMedQA** (PQA-L development half, MIT): a question and its abstract's paragraphs are
  positives, the nearest other abstracts negatives; the abstract's conclusion is a
  paraphrased statement its results paragraph supports and a neighbour's does not.
* **The project's question bank** (``content/questions``, written by this project): a
  question's stem, and its learning objective, with the curriculum passage its reference
  names are positives; the nearest passages of other sections are negatives. These are the
  paraphrased, clinical questions MedQuAD lacks (its questions are templates that name
  the topic). The 76-question evaluation set is never used.
* **Support statements** (written here): a sentence of a passage is supported by it; the
  same sentence with its disease swapped for a neighbour's, or a number changed, is not,
  nor is a sentence from a neighbouring topic.

Every source is split by a stable hash of its topic (MedQuAD ``focus``, lower-cased: the
same disease often has a page in two collections, GARD and GHR) or abstract (PubMed id)
into train / calib / test, so no topic is in two splits: the model trains on
``train``, thresholds are calibrated on ``calib`` and every reported figure comes from
``test`` (:func:`split_of`). The same split function decides which topics the MedQuAD and
PubMedQA evaluation commands may use. Pure except for reading the files; randomness comes
from the ``seed`` argument only.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from tutor.judge.model import passage_text

RECIPE_VERSION = 2  # bump when the pairs this recipe writes change; stale pair files are then rebuilt
PASSAGE_CHARS = 1000  # about the judge's token budget; chunks in the index are up to 1,200 characters
SPLITS = {"medquad": (60, 80), "pubmedqa": (50, 70)}  # percent cut points: train < a <= calib < b <= test
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")


class MissingData(RuntimeError):
    """The shared evaluation data is not where the recipe expects it."""


@dataclass(frozen=True)
class Pair:
    first: str
    passage: str
    label: int
    kind: str  # where the pair comes from, for per-kind figures


@dataclass(frozen=True)
class Topic:
    """One MedQuAD topic document: its focus and its (question type, question, answer) triples."""

    doc_id: str
    focus: str
    qas: tuple[tuple[str, str, str], ...]


def split_of(source: str, key: str) -> str:
    """``train``, ``calib`` or ``test`` for a topic or abstract, stable across runs and machines."""
    bucket = int(hashlib.sha256(f"{source}:{key}".encode()).hexdigest()[:8], 16) % 100
    train_end, calib_end = SPLITS[source]
    return "train" if bucket < train_end else "calib" if bucket < calib_end else "test"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise MissingData(
            f"{path} not found. The judge is trained on ../shared/eval (MedQuAD and PubMedQA); "
            "copy that folder beside the project or pass --data-dir."
        )
    return path


def load_medquad(data_dir: Path) -> list[Topic]:
    path = _require(Path(data_dir) / "medquad" / "medquad_dev.jsonl.gz")
    topics = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            qas = tuple((p["qtype"], p["question"], p["answer"]) for p in row["pairs"] if p["answer"].strip())
            if qas:
                topics.append(Topic(doc_id=f'{row["collection"]}/{row["doc_id"]}', focus=row["focus"].strip(), qas=qas))
    return topics


def load_pubmedqa(data_dir: Path) -> dict[str, dict]:
    return json.loads(_require(Path(data_dir) / "pubmedqa" / "pqal_dev.json").read_text(encoding="utf-8"))


def first_window(text: str, limit: int = PASSAGE_CHARS) -> str:
    """The start of an answer cut at a sentence end, as the chunker would cut a long section."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", limit // 2, limit)
    return text[: cut + 1] if cut > 0 else text[:limit]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if 40 <= len(s.strip()) <= 300]


def medquad_section(topic: Topic, qtype: str) -> str:
    """The heading path a MedQuAD topic document gives its answers (see :mod:`tutor.evaluation.medquad`)."""
    return f"{topic.focus} > {qtype.capitalize()}"


def without_questions(text: str) -> str:
    """The answer without sentences that ask (GARD answers open by restating the question)."""
    kept = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if not s.rstrip().endswith("?")]
    return " ".join(kept)


def medquad_passage(topic: Topic, qtype: str, answer: str, rng: random.Random | None = None) -> str:
    """A passage as the index would hold it; with ``rng``, the heading path is left out half the time."""
    body = first_window(without_questions(answer) or answer)
    heading = medquad_section(topic, qtype) if rng is None or rng.random() < 0.5 else ""
    return passage_text(heading, body)


def _swap_entity(sentence: str, focus: str, other: str) -> str | None:
    pattern = re.compile(re.escape(focus), re.I)
    return pattern.sub(other, sentence) if pattern.search(sentence) and focus.lower() != other.lower() else None


def _change_number(sentence: str, rng: random.Random) -> str | None:
    numbers = _NUMBER.findall(sentence)
    if not numbers:
        return None
    old = rng.choice(numbers)
    value = float(old)
    new = value * rng.choice([2, 3, 0.5, 10]) + rng.choice([0, 1, 5])
    new_text = str(int(new)) if new.is_integer() and "." not in old else f"{new:.1f}"
    return None if new_text == old else re.sub(rf"\b{re.escape(old)}\b", new_text, sentence, count=1)


def medquad_pairs(topics: list[Topic], neighbours: dict[int, list[int]], rng: random.Random) -> list[Pair]:
    """Relevance and support pairs for the given topics (``neighbours``: nearest other topics by index)."""
    pairs: list[Pair] = []
    for i, topic in enumerate(topics):
        near = [j for j in neighbours.get(i, []) if topics[j].focus.lower() != topic.focus.lower()]
        if not near:
            continue
        qtype, question, answer = rng.choice(topic.qas)
        pairs.append(Pair(question, medquad_passage(topic, qtype, answer, rng), 1, "medquad-relevant"))
        hard = topics[near[0]]
        same_type = [qa for qa in hard.qas if qa[0] == qtype] or list(hard.qas)
        qt, _, ans = rng.choice(same_type)
        pairs.append(Pair(question, medquad_passage(hard, qt, ans, rng), 0, "medquad-neighbour"))
        other = topics[rng.choice(near[1:6])] if len(near) > 1 and rng.random() < 0.5 else rng.choice(topics)
        if other.focus.lower() != topic.focus.lower():
            qt, _, ans = rng.choice(other.qas)
            pairs.append(Pair(question, medquad_passage(other, qt, ans, rng), 0, "medquad-other"))
        if rng.random() < 0.5:
            pairs.extend(_support_pairs(topic, hard, rng))
    return pairs


def _support_pairs(topic: Topic, neighbour: Topic, rng: random.Random) -> list[Pair]:
    qtype, _, answer = rng.choice(topic.qas)
    passage = medquad_passage(topic, qtype, answer, rng)
    candidates = sentences(first_window(without_questions(answer) or answer))
    if not candidates:
        return []
    statement = rng.choice(candidates)
    out = [Pair(statement, passage, 1, "support-sentence")]
    swapped = _swap_entity(statement, topic.focus, neighbour.focus)
    changed = _change_number(statement, rng)
    if swapped:
        out.append(Pair(swapped, passage, 0, "support-swapped-entity"))
    elif changed:
        out.append(Pair(changed, passage, 0, "support-changed-number"))
    foreign = sentences(first_window(without_questions(rng.choice(neighbour.qas)[2])))
    if foreign:
        out.append(Pair(rng.choice(foreign), passage, 0, "support-neighbour-sentence"))
    return out


def pubmed_passages(pmid: str, item: dict) -> list[str]:
    return [passage_text(f"PubMed {pmid} > {label.title()}", first_window(text))
            for label, text in zip(item["LABELS"], item["CONTEXTS"])]


def pubmedqa_pairs(items: dict[str, dict], pmids: list[str], neighbours: dict[str, list[str]],
                   rng: random.Random) -> list[Pair]:
    pairs: list[Pair] = []
    for pmid in pmids:
        item, near = items[pmid], neighbours.get(pmid, [])
        if not near:
            continue
        own = pubmed_passages(pmid, item)
        question = item["QUESTION"]
        for passage in rng.sample(own, min(2, len(own))):
            pairs.append(Pair(question, passage, 1, "pubmedqa-relevant"))
        for other in near[:2]:
            pairs.append(Pair(question, rng.choice(pubmed_passages(other, items[other])), 0, "pubmedqa-neighbour"))
        conclusion = sentences(item.get("LONG_ANSWER", ""))
        if conclusion:
            statement = rng.choice(conclusion)
            pairs.append(Pair(statement, own[-1], 1, "support-conclusion"))
            pairs.append(Pair(statement, pubmed_passages(near[0], items[near[0]])[-1], 0, "support-neighbour-abstract"))
    return pairs
