"""Evidence first: how long after asking the student sees what the material says (figures, not assertions).

Each question of the bundled evaluation set (both parts) is asked the way the Ask page
asks it, on the bundled curriculum with the shipped judge, and timed from the call to the
:class:`~tutor.domain.Evidence` event (retrieval, the judge's rerank and coverage verdict,
the sentence ranking), the model idle; the stream is then closed before the model is
asked. Figures go to test-artifacts/bench.json and docs/measurements.md.

    .venv/bin/python -m pytest tests/bench/test_evidence_latency.py -s
"""

from __future__ import annotations

import statistics
import time

from tests.bench.test_throughput import _record
from tutor.domain import Evidence
from tutor.evaluation.retrieval import load_questions
from tutor.services import Services
from tutor.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "evals" / "data"


def test_evidence_is_on_screen_within_a_second(bundled_services: Services):
    questions = [q.question for part in ("retrieval-part1.jsonl", "retrieval-part2.jsonl")
                 for q in load_questions(DATA / part) if q.expected_source]
    learner = bundled_services.progress.ensure_learner("bench").id
    bundled_services.search(questions[0])  # the judge's and the embedder's first run is not a student's
    elapsed, sentences = [], []
    for question in questions:
        started = time.perf_counter()
        events = bundled_services.tutor.stream(question, learner_id=learner)
        first = next(events)
        elapsed.append((time.perf_counter() - started) * 1000)
        events.close()
        if isinstance(first, Evidence):
            sentences.append(len(first.quotes))
    assert sentences, "no question of the bundled set showed evidence"
    cuts = statistics.quantiles(elapsed, n=100, method="inclusive")
    _record("evidence_first", {"questions": len(questions), "with_evidence": len(sentences),
                               "sentences_mean": round(statistics.mean(sentences), 2),
                               "p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1),
                               "max_ms": round(max(elapsed), 1)})
