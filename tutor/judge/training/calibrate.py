"""Pair-level calibration and figures of an exported judge, and its card file.

* The **support threshold** is chosen on the ``calib`` pairs of the support kinds: the
  lowest cut that keeps at least :data:`SUPPORT_RECALL` of supported statements, so a
  correct sentence is rarely marked; how many unsupported ones it then catches is
  reported on ``test``.
* The **coverage rule** written here is provisional (the judge alone, at the cut that keeps
  95% of relevant pairs on ``calib``) and ``coverage_calibration`` is reset: the shipped rule
  is fitted per question, with real retrieval over an index, by
  ``tutor judge-calibrate`` (:mod:`tutor.cli.evals`), which records the model's hash with it.
* Figures on ``test``: precision, recall and accuracy at both thresholds, per source
  kind, and ROC AUC; written to ``metrics.json`` in the work folder and the card.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from tutor.judge.coverage import CoverageRule
from tutor.judge.model import CARD_PATH, MODEL_PATH, JudgeCard, RelevanceJudge, sha256_of
from tutor.judge.training.data import Pair

SUPPORT_RECALL = 0.90
RELEVANCE_RECALL = 0.95
NAME = "tutor-judge-minilm-l6-int8"


def is_support(pair: Pair) -> bool:
    return pair.kind.startswith("support")


def recall_cut(scores: np.ndarray, labels: np.ndarray, recall: float) -> float:
    """The highest threshold that still keeps ``recall`` of the positives."""
    positives = np.sort(scores[labels == 1])
    if not len(positives):
        return 0.5
    index = int(np.floor((1 - recall) * len(positives)))
    return float(positives[min(index, len(positives) - 1)]) - 1e-6


def figures(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    predicted = scores >= threshold
    tp = int((predicted & (labels == 1)).sum())
    fp = int((predicted & (labels == 0)).sum())
    fn = int((~predicted & (labels == 1)).sum())
    return {
        "pairs": int(len(labels)), "threshold": round(threshold, 4),
        "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / max(tp + fn, 1), 3),
        "accuracy": round(float((predicted == (labels == 1)).mean()), 3) if len(labels) else None,
        "negatives_rejected": round(float((~predicted[labels == 0]).mean()), 3) if (labels == 0).any() else None,
        "roc_auc": roc_auc(scores, labels),
    }


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if not len(positives) or not len(negatives):
        return None
    ranks = np.argsort(np.argsort(np.concatenate([positives, negatives]))) + 1
    return round(float((ranks[: len(positives)].sum() - len(positives) * (len(positives) + 1) / 2)
                       / (len(positives) * len(negatives))), 4)


def _score(judge: RelevanceJudge, pairs: list[Pair]) -> tuple[np.ndarray, np.ndarray]:
    scores = judge.score([p.first for p in pairs], [p.passage for p in pairs])
    return scores, np.array([p.label for p in pairs])


def provisional_rule(cut: float) -> CoverageRule:
    """Until ``tutor judge-calibrate`` fits the real one: a candidate answers when the judge's
    probability reaches the pair-level cut (the rule's first feature is the judge's log-odds)."""
    cut = min(max(cut, 1e-6), 1 - 1e-6)
    return CoverageRule(weights=(1.0, 0.0, 0.0, 0.0), bias=0.0, mean=(0.0,) * 4, scale=(1.0,) * 4,
                        threshold=math.log(cut / (1 - cut)))


def write_card(path: Path, *, sha256: str, max_tokens: int, coverage: float, support: float, extra: dict) -> None:
    card = {"name": NAME, "sha256": sha256, "max_tokens": max_tokens,
            "relevance_pair_threshold": round(coverage, 4), "support_threshold": round(support, 4),
            "coverage_rule": provisional_rule(coverage).to_card(), **extra}
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def calibrate(work: Path, *, hyper: dict, model_path: Path = MODEL_PATH, card_path: Path = CARD_PATH) -> dict:
    from tutor.judge.training.dataset import read_pairs

    provisional = JudgeCard(name=NAME, sha256=sha256_of(model_path), max_tokens=hyper["max_tokens"],
                            coverage=provisional_rule(0.5), support_threshold=0.5)
    judge = RelevanceJudge(model_path=model_path, card=provisional)
    calib, test = read_pairs(work / "pairs-calib.jsonl"), read_pairs(work / "pairs-test.jsonl")
    thresholds = {}
    for task, pick, recall in (("relevance", lambda p: not is_support(p), RELEVANCE_RECALL),
                               ("support", is_support, SUPPORT_RECALL)):
        scores, labels = _score(judge, [p for p in calib if pick(p)])
        thresholds[task] = recall_cut(scores, labels, recall)
    report: dict = {"thresholds_from_calib": {k: round(v, 4) for k, v in thresholds.items()}, "test": {}}
    by_kind: dict[str, list[Pair]] = defaultdict(list)
    for pair in test:
        by_kind[pair.kind].append(pair)
    for task, pick in (("relevance", lambda p: not is_support(p)), ("support", is_support)):
        scores, labels = _score(judge, [p for p in test if pick(p)])
        report["test"][task] = figures(scores, labels, thresholds[task])
    for kind, pairs in sorted(by_kind.items()):
        scores, labels = _score(judge, pairs)
        threshold = thresholds["support" if kind.startswith("support") else "relevance"]
        report["test"][kind] = {"pairs": len(pairs), "judged_positive": round(float((scores >= threshold).mean()), 3),
                                "label": int(labels[0])}
    (work / "metrics.json").write_text(json.dumps(report, indent=2))
    write_card(card_path, sha256=provisional.sha256, max_tokens=hyper["max_tokens"],
               coverage=thresholds["relevance"], support=thresholds["support"],
               extra={"hyperparameters": hyper, "pair_metrics_test": report["test"], "coverage_calibration": None})
    return report
