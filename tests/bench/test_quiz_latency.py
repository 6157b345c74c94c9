"""Quiz latency: starting a block and marking an answer, for a learner with a long history.

A figure for docs/measurements.md, never a timed assertion. The bank is the bundled one (64
questions, citations resolved against the bundled curriculum); the learner has
TUTOR_BENCH_ATTEMPTS earlier attempts (default 500; `make bench` uses what you set).
Measured per call: start a 10-question tutor block (filters, FSRS due cards, history,
selection, insert), and answer one question (attempt + FSRS review in one transaction,
then the feedback with its resolved citations).
"""

from __future__ import annotations

import os
import statistics
import time

from tests.accounts import DR_LEE
from tests.bench.test_throughput import _record
from tutor.modes.quiz.models import BlockSpec
from tutor.progress.records import Attempt
from tutor.settings import PROJECT_ROOT

ATTEMPTS = int(os.environ.get("TUTOR_BENCH_ATTEMPTS", "500"))


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1)}


def test_quiz_block_and_answer_latency(bundled_services):
    services = bundled_services
    services.questions.load_bundled(PROJECT_ROOT / "content" / "questions")
    learner = services.progress.ensure_learner("bench-learner").id
    ids = [item.id for item in services.questions.browse(DR_LEE, "approved")]
    for i in range(ATTEMPTS):
        services.progress.record_attempt(Attempt(
            learner_id=learner, course_id=services.settings.course, question_id=ids[i % len(ids)],
            chosen_option="A", correct=i % 3 == 0, time_taken_ms=30_000,
        ))
    starts, answers = [], []
    for round_ in range(20):
        began = time.perf_counter()
        block = services.quiz.start(learner, BlockSpec(size=10), seed=round_)
        starts.append(time.perf_counter() - began)
        for position in range(3):
            question = services.quiz.question(block, position)
            began = time.perf_counter()
            services.quiz.answer(learner, block.block_id, position, question.answer, time_taken_ms=20_000)
            answers.append(time.perf_counter() - began)
        services.quiz.finish(learner, block.block_id)
    _record("quiz", {"prior_attempts": ATTEMPTS, "start_block": _ms(starts), "answer_with_feedback": _ms(answers)})
    assert len(services.progress.attempts_for(learner)) == ATTEMPTS + 20 * 3  # sets ended early count only answers
