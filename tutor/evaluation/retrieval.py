"""Retrieval quality over a question set: recall@k, MRR and the abstention threshold.

A question set is JSONL of ``{"question", "expected_source", "expected_section"?}``;
``expected_source: null`` marks a question the material does not cover. In-scope
questions give recall@1, recall@5 and MRR (by source, and by section where given);
both kinds together calibrate the relevance threshold: the score of the best passage
that best separates covered from not-covered questions. The search's own verdict
(``SearchResult.covered``, the judge's when it is on) is scored too: how often it says
"not covered" for questions the material does not cover, and wrongly for ones it does,
and its precision and recall as a detector of covered questions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from tutor.domain import SearchResult


class EvalQuestion(BaseModel):
    question: str
    expected_source: str | None = None
    expected_section: str | None = None


class QuestionOutcome(BaseModel):
    question: str
    expected_source: str | None
    rank: int | None  # 1-based rank of the first passage from the expected source
    section_rank: int | None
    best_score: float
    covered: bool = True  # the search's own verdict


class RetrievalReport(BaseModel):
    questions: int
    in_scope: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    section_recall_at_5: float | None
    threshold: float | None
    abstention_accuracy: float | None  # share of all questions judged right at that threshold
    not_covered_out_of_scope: float | None = None  # the verdict said "not covered" where it is not
    false_not_covered_in_scope: float | None = None  # ... and where it is
    verdict_precision: float | None = None  # of questions judged covered, the share really in scope
    verdict_recall: float | None = None  # of questions in scope, the share judged covered
    outcomes: list[QuestionOutcome]

    def summary(self) -> dict:
        return self.model_dump(exclude={"outcomes"})


def load_questions(path: Path) -> list[EvalQuestion]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [EvalQuestion.model_validate_json(line) for line in lines if line.strip()]


def _rank(result: SearchResult, match: Callable[[str, str], bool]) -> int | None:
    for position, hit in enumerate(result.hits, 1):
        if match(hit.source, hit.section):
            return position
    return None


def best_threshold(scored: Iterable[tuple[float, bool]]) -> tuple[float, float]:
    """The cut on the best-passage score that classifies covered/not covered best.

    Returns (threshold, accuracy); the threshold sits halfway between neighbouring
    scores so it does not overfit to one question.
    """
    pairs = sorted(scored)
    if not pairs:
        return 0.0, 0.0
    best = (pairs[0][0] - 1e-6, sum(covered for _, covered in pairs) / len(pairs))
    for i in range(1, len(pairs)):
        cut = (pairs[i - 1][0] + pairs[i][0]) / 2
        correct = sum((score >= cut) == covered for score, covered in pairs)
        if correct / len(pairs) > best[1]:
            best = (cut, correct / len(pairs))
    return round(best[0], 3), best[1]


def evaluate_retrieval(
    search: Callable[[str], SearchResult], questions: list[EvalQuestion], *, k: int = 5
) -> RetrievalReport:
    outcomes: list[QuestionOutcome] = []
    for item in questions:
        result = search(item.question)
        best = max((h.score for h in result.hits), default=-1.0)
        rank = section_rank = None
        if item.expected_source:
            rank = _rank(result, lambda source, _s: source == item.expected_source)
            if item.expected_section:
                section_rank = _rank(
                    result, lambda source, section: source == item.expected_source and section == item.expected_section
                )
        outcomes.append(QuestionOutcome(
            question=item.question, expected_source=item.expected_source,
            rank=rank, section_rank=section_rank, best_score=best, covered=result.covered,
        ))
    in_scope = [o for o in outcomes if o.expected_source]
    n = max(len(in_scope), 1)
    with_section = [o for o, q in zip(outcomes, questions) if q.expected_source and q.expected_section]
    has_negatives = any(o.expected_source is None for o in outcomes)
    threshold, accuracy = (
        best_threshold((o.best_score, o.expected_source is not None) for o in outcomes) if has_negatives else (None, None)
    )
    return RetrievalReport(
        questions=len(outcomes),
        in_scope=len(in_scope),
        recall_at_1=round(sum(o.rank == 1 for o in in_scope) / n, 3),
        recall_at_5=round(sum(o.rank is not None and o.rank <= k for o in in_scope) / n, 3),
        mrr=round(sum(1 / o.rank for o in in_scope if o.rank) / n, 3),
        section_recall_at_5=(
            round(sum(o.section_rank is not None for o in with_section) / len(with_section), 3) if with_section else None
        ),
        threshold=threshold,
        abstention_accuracy=round(accuracy, 3) if accuracy is not None else None,
        **verdict_figures(outcomes),
        outcomes=outcomes,
    )


def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


def verdict_figures(outcomes: list[QuestionOutcome]) -> dict[str, float | None]:
    """How the search's covered / not covered verdict did against the truth."""
    inside = [o for o in outcomes if o.expected_source]
    outside = [o for o in outcomes if not o.expected_source]
    judged_covered = [o for o in outcomes if o.covered]
    return {
        "not_covered_out_of_scope": _share(sum(not o.covered for o in outside), len(outside)),
        "false_not_covered_in_scope": _share(sum(not o.covered for o in inside), len(inside)),
        "verdict_precision": _share(sum(bool(o.expected_source) for o in judged_covered), len(judged_covered)),
        "verdict_recall": _share(sum(o.covered for o in inside), len(inside)),
    }
