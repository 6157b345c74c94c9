"""End-to-end evaluation of the grounded tutor over a question set.

For each question: retrieval rank of the expected source, then the tutor's answer.
Reported: recall@1/@5 and MRR (retrieval), citation precision (share of citations
whose source is the expected one, over in-scope answers that cite), fabricated
citations (markers the guard removed), abstention rate on out-of-scope questions
(the tutor said the material does not cover it), false abstentions on in-scope
questions, and answer latency p50/p95.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from pydantic import BaseModel

from tutor.domain import Answer, SearchResult
from tutor.evaluation.retrieval import EvalQuestion, evaluate_retrieval

ABSTAINED = {"not_covered", "referral", "unsupported"}


class AnswerOutcome(BaseModel):
    question: str
    expected_source: str | None
    kind: str
    grounded: bool
    cited_sources: list[str]
    removed_citations: int
    latency_ms: int
    answer: str


class TutorReport(BaseModel):
    questions: int
    in_scope: int
    out_of_scope: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    citation_precision: float | None
    fabricated_citations: int
    abstention_rate_out_of_scope: float | None
    false_abstention_rate_in_scope: float | None
    latency_p50_ms: float
    latency_p95_ms: float
    model: str
    prompt_version: str
    outcomes: list[AnswerOutcome]

    def summary(self) -> dict:
        return self.model_dump(exclude={"outcomes"})


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return round(values[0], 1) if values else 0.0
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


def evaluate_tutor(
    ask: Callable[[str], Answer],
    search: Callable[[str], SearchResult],
    questions: list[EvalQuestion],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> TutorReport:
    retrieval = evaluate_retrieval(search, questions)
    outcomes: list[AnswerOutcome] = []
    model = prompt_version = ""
    for number, item in enumerate(questions, 1):
        started = time.perf_counter()
        answer = ask(item.question)
        model, prompt_version = answer.model or model, answer.prompt_version or prompt_version
        outcomes.append(AnswerOutcome(
            question=item.question, expected_source=item.expected_source, kind=answer.kind,
            grounded=answer.grounded, cited_sources=[c.source for c in answer.citations],
            removed_citations=answer.removed_citations,
            latency_ms=int((time.perf_counter() - started) * 1000), answer=answer.text,
        ))
        if progress:
            progress(number, len(questions))
    in_scope = [o for o in outcomes if o.expected_source]
    out_of_scope = [o for o in outcomes if not o.expected_source]
    cited = [(o, s) for o in in_scope for s in o.cited_sources]
    latencies = [o.latency_ms for o in outcomes]
    return TutorReport(
        questions=len(outcomes), in_scope=len(in_scope), out_of_scope=len(out_of_scope),
        recall_at_1=retrieval.recall_at_1, recall_at_5=retrieval.recall_at_5, mrr=retrieval.mrr,
        citation_precision=round(sum(s == o.expected_source for o, s in cited) / len(cited), 3) if cited else None,
        fabricated_citations=sum(o.removed_citations for o in outcomes),
        abstention_rate_out_of_scope=(
            round(sum(o.kind in ABSTAINED for o in out_of_scope) / len(out_of_scope), 3) if out_of_scope else None
        ),
        false_abstention_rate_in_scope=(
            round(sum(o.kind in ABSTAINED for o in in_scope) / len(in_scope), 3) if in_scope else None
        ),
        latency_p50_ms=_percentile(latencies, 50), latency_p95_ms=_percentile(latencies, 95),
        model=model, prompt_version=prompt_version,
        outcomes=outcomes,
    )
