"""Builds the judge's train / calib / test pair files from the recipe in :mod:`.data`.

Hard negatives need to know which topics *look* alike, so neighbours are found with the
tutor's own embedding model (the retriever's view: what it would put near a question),
within one split only, so a test topic never shapes a training pair. Writes
``pairs-{split}.jsonl`` to the work folder and returns the counts. The project's own
question bank goes to ``train`` only (:func:`bank_pairs`).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tutor.judge.model import passage_text
from tutor.judge.training.data import (
    RECIPE_VERSION,
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


def build(data_dir: Path, work: Path, *, content_root: Path | None = None, seed: int = 13,
          log=print) -> dict[str, dict[str, int]]:
    content_root = content_root or Path(__file__).resolve().parents[3] / "content"
    work.mkdir(parents=True, exist_ok=True)
    topics = load_medquad(data_dir)
    items = load_pubmedqa(data_dir)
    counts: dict[str, dict[str, int]] = {}
    for split in ("train", "calib", "test"):
        rng = random.Random(f"{seed}:{split}")
        chosen: list[Topic] = [t for t in topics if split_of("medquad", t.focus.lower()) == split]
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
        if split == "train":
            pairs += bank_pairs(content_root, rng)

        rng.shuffle(pairs)
        with open(work / f"pairs-{split}.jsonl", "w", encoding="utf-8") as fh:
            for pair in pairs:
                fh.write(json.dumps(asdict(pair)) + "\n")
        counts[split] = dict(Counter(p.kind for p in pairs))
        log(f"{split}: {len(pairs)} pairs {counts[split]}")
    (work / "pairs-counts.json").write_text(json.dumps({"recipe": RECIPE_VERSION, "seed": seed, **counts}, indent=2))
    return counts


def is_current(work: Path, seed: int) -> bool:
    """True when the pair files in ``work`` were written by this recipe version with this seed."""
    try:
        stamp = json.loads((work / "pairs-counts.json").read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("recipe") == RECIPE_VERSION and stamp.get("seed") == seed


def _curriculum_chunks(curriculum: Path):
    from tutor.content.chunking import chunk_document
    from tutor.content.loaders import load_document

    chunks = []
    for path in sorted(curriculum.rglob("*.md")):
        source = path.relative_to(curriculum).as_posix()
        chunks += chunk_document(load_document(path.read_bytes(), source), source)
    return chunks


def bank_pairs(content_root: Path, rng: random.Random) -> list[Pair]:
    """The question bank's stems and objectives against the passages their references name,
    and against the two nearest passages of other documents.

    Each pair is written twice, with and without the heading path, like MedQuAD's.
    """
    import yaml

    chunks = _curriculum_chunks(content_root / "curriculum")
    if not chunks:
        return []
    vectors = _embed([c.embedding_text for c in chunks])
    pairs: list[Pair] = []
    for path in sorted((content_root / "questions").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("questions", []):
            queries = [" ".join(item["stem"].split()), item.get("objective") or ""]
            queries = [q for q in queries if q]
            for reference in item.get("references", []):
                section = reference.get("section", "")
                own = [i for i, c in enumerate(chunks) if c.source == reference["source"]
                       and (not section or c.section.endswith(section))]
                if not own:
                    continue
                for query, qv in zip(queries, _embed(queries)):
                    similarity = vectors @ qv
                    best = max(own, key=lambda i: similarity[i])
                    # Negatives from other documents only: a document's own "Key points" often answers too.
                    other_doc = [i for i in np.argsort(-similarity) if chunks[i].source != chunks[best].source][:2]
                    for index, label, kind in ([(best, 1, "bank-relevant")]
                                               + [(i, 0, "bank-neighbour") for i in other_doc]):
                        chunk = chunks[int(index)]
                        for heading in (chunk.section, ""):
                            pairs.append(Pair(query, passage_text(heading, chunk.text), label, kind))
    return pairs


def read_pairs(path: Path) -> list[Pair]:
    with open(path, encoding="utf-8") as fh:
        return [Pair(**json.loads(line)) for line in fh if line.strip()]
