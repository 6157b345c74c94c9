"""MedQuAD as a library of near neighbours, with topics held out to test "not covered".

Each topic of one split (train / calib / test, the judge's own split of
:func:`tutor.judge.training.data.split_of` by the topic's focus, so evaluation never sees a
disease the judge was trained on, even where MedQuAD has a page for it in two collections)
becomes one Markdown document: the focus as its title and one section per question type,
holding NIH's answers. A share of the split's topics (``hold_out_percent``, by a second
stable hash) is *not* written: their questions are the out-of-scope set, and the library
holds their neighbours (other syndromes, other cancers of the same organ), which is what
makes "not covered" hard. A held-out question whose focus names an indexed topic (MedQuAD
repeats some foci across its collections) is left out, since the library does cover it.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

from tutor.evaluation.retrieval import EvalQuestion
from tutor.judge.training.data import Topic, load_medquad, split_of

_UNSAFE = re.compile(r"[^a-z0-9]+")


def _held_out(topic: Topic, percent: int) -> bool:
    return int(hashlib.sha256(f"held-out:{topic.doc_id}".encode()).hexdigest()[:8], 16) % 100 < percent


def _file_name(topic: Topic) -> str:
    return _UNSAFE.sub("-", topic.doc_id.lower()).strip("-") + ".md"


def _document(topic: Topic) -> str:
    lines = [f"# {topic.focus}", ""]
    for qtype in dict.fromkeys(q for q, _, _ in topic.qas):
        lines += [f"## {qtype.capitalize()}", ""]
        for answer in (a for q, _, a in topic.qas if q == qtype):
            lines += [" ".join(answer.split()), ""]
    return "\n".join(lines)


def write_corpus(
    data_dir: Path, out_dir: Path, *, split: str = "test", hold_out_percent: int = 20,
    topics: int | None = None, seed: int = 13,
) -> tuple[list[EvalQuestion], list[EvalQuestion]]:
    """Write the split's indexed topics to ``out_dir``; return (in-scope, held-out) questions, one per topic."""
    chosen = [t for t in load_medquad(data_dir) if split in ("all", split_of("medquad", t.focus.lower()))]
    rng = random.Random(f"{seed}:medquad-eval:{split}")
    rng.shuffle(chosen)
    chosen = chosen[:topics]
    out_dir.mkdir(parents=True, exist_ok=True)
    indexed = [t for t in chosen if not _held_out(t, hold_out_percent)]
    indexed_foci = {t.focus.lower() for t in indexed}
    inside, outside = [], []
    for topic in indexed:
        (out_dir / _file_name(topic)).write_text(_document(topic), encoding="utf-8")
        inside.append(EvalQuestion(question=rng.choice(topic.qas)[1], expected_source=_file_name(topic)))
    for topic in chosen:
        if _held_out(topic, hold_out_percent) and topic.focus.lower() not in indexed_foci:
            outside.append(EvalQuestion(question=rng.choice(topic.qas)[1], expected_source=None))
    return inside, outside
