"""End-to-end evaluation of the grounded tutor over a question set.

For each question: retrieval rank of the expected source, then the tutor's answer.
Reported: recall@1/@5 and MRR (retrieval), citation precision (share of citations
whose source is the expected one, over in-scope answers that cite), fabricated
citations (markers the guard removed), abstention rate on out-of-scope questions
(the tutor said the material does not cover it), false abstentions on in-scope
questions, how many in-scope answers cite the expected source, the sentence support
rate (statements the judge found supported by the passages they cite, over every checked
statement, those of replies declined for low support included), answer latency p50/p95, the
time to the model's first words on screen, and the share of grounded answers' words copied
verbatim from their passages (:mod:`tutor.evaluation.copying`). A question whose model
call fails or times out is recorded as ``failed`` with the error and the run goes on:
one slow answer must not lose the report of the others.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable

from pydantic import BaseModel

from tutor.domain import Answer, SearchResult
from tutor.evaluation.copying import copied_share
from tutor.evaluation.retrieval import EvalQuestion, evaluate_retrieval

ABSTAINED = {"not_covered", "referral", "unsupported"}
FAILED = "failed"
log = logging.getLogger(__name__)


class AnswerOutcome(BaseModel):
    question: str
    expected_source: str | None
    kind: str
    grounded: bool
    cited_sources: list[str]
    removed_citations: int
    latency_ms: int
    answer: str
    claims_checked: int = 0
    unsupported: int = 0
    first_text_ms: int | None = None
    copied_share: float | None = None  # of a grounded answer's words, copied verbatim from its cited passages


class TutorReport(BaseModel):
    questions: int
    in_scope: int
    out_of_scope: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    citation_precision: float | None
    fabricated_citations: int
    in_scope_citing_expected: int
    abstention_rate_out_of_scope: float | None
    false_abstention_rate_in_scope: float | None
    sentence_support_rate: float | None
    answers_with_unsupported: int
    failed: int
    not_covered_out_of_scope_retrieval: float | None
    false_not_covered_in_scope_retrieval: float | None
    verdict_precision: float | None
    verdict_recall: float | None
    latency_p50_ms: float
    latency_p95_ms: float
    first_text_p50_ms: float | None
    first_text_p95_ms: float | None
    copied_share_mean: float | None
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
        try:
            answer = ask(item.question)
        except Exception as exc:  # a failed or timed-out model call: recorded, and the run goes on
            log.warning("question %d failed: %s", number, exc)
            outcomes.append(AnswerOutcome(
                question=item.question, expected_source=item.expected_source, kind=FAILED, grounded=False,
                cited_sources=[], removed_citations=0, latency_ms=int((time.perf_counter() - started) * 1000),
                answer=f"{type(exc).__name__}: {getattr(exc, 'user_message', str(exc))}",
            ))
        else:
            model, prompt_version = answer.model or model, answer.prompt_version or prompt_version
            outcomes.append(AnswerOutcome(
                question=item.question, expected_source=item.expected_source, kind=answer.kind,
                grounded=answer.grounded, cited_sources=[c.source for c in answer.citations],
                removed_citations=answer.removed_citations,
                latency_ms=int((time.perf_counter() - started) * 1000), answer=answer.text,
                claims_checked=answer.claims_checked, unsupported=len(answer.unsupported),
                first_text_ms=answer.first_text_ms,
                copied_share=(round(copied_share(answer.text, [c.text for c in answer.citations]), 3)
                              if answer.grounded else None),
            ))
        if progress:
            progress(number, len(questions))
    failed = [o for o in outcomes if o.kind == FAILED]
    outcomes_ok = [o for o in outcomes if o.kind != FAILED]
    in_scope = [o for o in outcomes_ok if o.expected_source]
    out_of_scope = [o for o in outcomes_ok if not o.expected_source]
    cited = [(o, s) for o in in_scope for s in o.cited_sources]
    latencies = [o.latency_ms for o in outcomes_ok]
    first_texts = [o.first_text_ms for o in outcomes_ok if o.first_text_ms is not None]
    copied = [o.copied_share for o in outcomes_ok if o.copied_share is not None]
    answered = [o for o in outcomes_ok if o.grounded]
    judged = [o for o in outcomes_ok if o.claims_checked]  # declined for low support included
    checked = sum(o.claims_checked for o in judged)
    return TutorReport(
        questions=len(outcomes), in_scope=len(in_scope), out_of_scope=len(out_of_scope),
        recall_at_1=retrieval.recall_at_1, recall_at_5=retrieval.recall_at_5, mrr=retrieval.mrr,
        citation_precision=round(sum(s == o.expected_source for o, s in cited) / len(cited), 3) if cited else None,
        fabricated_citations=sum(o.removed_citations for o in outcomes),
        in_scope_citing_expected=sum(o.expected_source in o.cited_sources for o in in_scope),
        sentence_support_rate=round(1 - sum(o.unsupported for o in judged) / checked, 3) if checked else None,
        answers_with_unsupported=sum(o.unsupported > 0 for o in answered),
        failed=len(failed),
        not_covered_out_of_scope_retrieval=retrieval.not_covered_out_of_scope,
        false_not_covered_in_scope_retrieval=retrieval.false_not_covered_in_scope,
        verdict_precision=retrieval.verdict_precision, verdict_recall=retrieval.verdict_recall,
        abstention_rate_out_of_scope=(
            round(sum(o.kind in ABSTAINED for o in out_of_scope) / len(out_of_scope), 3) if out_of_scope else None
        ),
        false_abstention_rate_in_scope=(
            round(sum(o.kind in ABSTAINED for o in in_scope) / len(in_scope), 3) if in_scope else None
        ),
        latency_p50_ms=_percentile(latencies, 50), latency_p95_ms=_percentile(latencies, 95),
        first_text_p50_ms=_percentile(first_texts, 50) if first_texts else None,
        first_text_p95_ms=_percentile(first_texts, 95) if first_texts else None,
        copied_share_mean=round(sum(copied) / len(copied), 3) if copied else None,
        model=model, prompt_version=prompt_version,
        outcomes=outcomes,
    )
