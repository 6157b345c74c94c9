"""The designs the cross-encoder was chosen over, measured on the same held-out pairs.

    python -m tutor.judge.training.baseline --work build/judge

1. **Cosine** of the tutor's own embeddings (what decided coverage before the judge).
2. **Features + logistic regression**: the cosine plus lexical evidence a bi-encoder blurs
   (IDF-weighted share of the question's words found in the passage and in its heading,
   share of its rare words found, longest shared word run).

Both use the judge's ``train`` pairs (word statistics and the fit) and are scored like it:
threshold from ``calib`` at the same recall target, figures on ``test``. Writes
``baseline.json`` in the work folder.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np

from tutor.judge.training.calibrate import RELEVANCE_RECALL, SUPPORT_RECALL, figures, is_support, recall_cut
from tutor.judge.training.data import Pair

_WORD = re.compile(r"[a-z0-9]+")
_STOP = set("a an the of to in on for and or is are was were be by with what how which who why when does do "
            "can i my it its this that as at from about".split())


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


class Features:
    def __init__(self, passages: list[str]):
        counts = Counter(w for p in passages for w in set(_words(p)))
        self.n = len(passages)
        self.idf = {w: math.log((self.n + 1) / (c + 1)) + 1 for w, c in counts.items()}

    def __call__(self, first: str, passage: str, cosine: float) -> list[float]:
        words, body = _words(first), set(_words(passage))
        heading = set(_words(passage.split("\n", 1)[0]))
        weight = [self.idf.get(w, math.log(self.n + 1) + 1) for w in words] or [1.0]
        total = sum(weight)
        found = sum(wt for w, wt in zip(words, weight) if w in body) / total
        in_heading = sum(wt for w, wt in zip(words, weight) if w in heading) / total
        rare = [w for w, wt in zip(words, weight) if wt > 4]
        rare_found = sum(w in body for w in rare) / len(rare) if rare else 1.0
        run = best = 0
        for w in words:
            run = run + 1 if w in body else 0
            best = max(best, run)
        return [cosine, found, in_heading, rare_found, min(best, 6) / 6, 1.0]


def _cosines(pairs: list[Pair]) -> np.ndarray:
    from tutor.index.embeddings import MiniLMOnnxEmbedder

    embedder = MiniLMOnnxEmbedder()
    firsts = embedder.embed_documents([p.first for p in pairs])
    passages = embedder.embed_documents([p.passage for p in pairs])
    return (firsts * passages).sum(axis=1)


def _fit(x: np.ndarray, y: np.ndarray, steps: int = 3000, lr: float = 0.5) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= lr * (x.T @ (p - y) / len(y) + 1e-4 * w)
    return w


def main(argv: list[str] | None = None) -> None:
    from tutor.judge.training.dataset import read_pairs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("build/judge"))
    args = parser.parse_args(argv)
    splits = {name: read_pairs(args.work / f"pairs-{name}.jsonl") for name in ("train", "calib", "test")}
    features = Features([p.passage for p in splits["train"]])  # word statistics from training passages only
    data = {}
    for name, pairs in splits.items():
        cosine = _cosines(pairs)
        data[name] = (np.array([features(p.first, p.passage, c) for p, c in zip(pairs, cosine)]),
                      np.array([p.label for p in pairs]), np.array([is_support(p) for p in pairs]))
    report: dict = {}
    for task, support, recall in (("relevance", False, RELEVANCE_RECALL), ("support", True, SUPPORT_RECALL)):
        x, y, kind = data["train"]
        w = _fit(x[kind == support], y[kind == support])
        for design, score in (("cosine", lambda x: x[:, 0]), ("features+logistic", lambda x: 1 / (1 + np.exp(-(x @ w))))):
            cx, cy, ck = data["calib"]
            threshold = recall_cut(score(cx[ck == support]), cy[ck == support], recall)
            tx, ty, tk = data["test"]
            report[f"{task}/{design}"] = figures(score(tx[tk == support]), ty[tk == support], threshold)
    (args.work / "baseline.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
