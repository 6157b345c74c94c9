"""Builds the judge's train / calib / test pair files from the recipe in :mod:`.data`.

Hard negatives need to know which topics *look* alike, so neighbours are found with the
tutor's own embedding model (the retriever's view: what it would put near a question),
within one split only, so a test topic never shapes a training pair. Writes
``pairs-{split}.jsonl`` to the work folder and returns the counts.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tutor.judge.training.data import (
    Pair,
    Topic,
    first_window,
    load_medquad,
    load_pubmedqa,
    medquad_pairs,
    pubmedqa_pairs,
    split_of,
)

NEIGHBOURS = 10


def _nearest(vectors: np.ndarray, queries: np.ndarray, k: int, exclude_self: bool) -> list[list[int]]:
    similarity = queries @ vectors.T
    if exclude_self:
        np.fill_diagonal(similarity, -2.0)
    return [list(np.argsort(-row)[:k]) for row in similarity]


def _embed(texts: list[str]) -> np.ndarray:
    from tutor.index.embeddings import MiniLMOnnxEmbedder

    return MiniLMOnnxEmbedder().embed_documents(texts)


def build(data_dir: Path, work: Path, *, seed: int = 13, log=print) -> dict[str, dict[str, int]]:
    work.mkdir(parents=True, exist_ok=True)
    topics = load_medquad(data_dir)
    items = load_pubmedqa(data_dir)
    counts: dict[str, dict[str, int]] = {}
    for split in ("train", "calib", "test"):
        rng = random.Random(f"{seed}:{split}")
        chosen: list[Topic] = [t for t in topics if split_of("medquad", t.doc_id) == split]
        log(f"{split}: embedding {len(chosen)} MedQuAD topics for neighbours")
        vectors = _embed([f"{t.focus}. {first_window(t.qas[0][2], 600)}" for t in chosen])
        near = dict(enumerate(_nearest(vectors, vectors, NEIGHBOURS, exclude_self=True)))
        pairs: list[Pair] = medquad_pairs(chosen, near, rng)

        pmids = [p for p in items if split_of("pubmedqa", p) == split]
        docs = _embed([first_window(" ".join(items[p]["CONTEXTS"]), 1500) for p in pmids])
        questions = _embed([items[p]["QUESTION"] for p in pmids])
        nearest = _nearest(docs, questions, NEIGHBOURS + 1, exclude_self=True)
        pubmed_near = {p: [pmids[j] for j in row if pmids[j] != p][:NEIGHBOURS] for p, row in zip(pmids, nearest)}
        pairs += pubmedqa_pairs(items, pmids, pubmed_near, rng)

        rng.shuffle(pairs)
        with open(work / f"pairs-{split}.jsonl", "w", encoding="utf-8") as fh:
            for pair in pairs:
                fh.write(json.dumps(asdict(pair)) + "\n")
        counts[split] = dict(Counter(p.kind for p in pairs))
        log(f"{split}: {len(pairs)} pairs {counts[split]}")
    (work / "pairs-counts.json").write_text(json.dumps(counts, indent=2))
    return counts


def read_pairs(path: Path) -> list[Pair]:
    with open(path, encoding="utf-8") as fh:
        return [Pair(**json.loads(line)) for line in fh if line.strip()]
