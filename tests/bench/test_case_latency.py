"""Case-discussion latency on the bundled STEMI case: a figure for docs/measurements.md, never a timed assertion.

Per call, through the services (session load, case version from the library, matching,
stage machine, one BEGIN IMMEDIATE write of state + turns): a request placed by words, a
request that needs the embedding matcher (no word match), committing a 4-entry
differential, and finishing (marking + per-objective scores written). The chat model is
off (``case_model_requests`` false): its latency is the model's, measured in tests/llm.
"""

from __future__ import annotations

import statistics
import time

from tests.bench.test_throughput import _record
from tutor.services import build_services

CASE = "cardiology-inferior-stemi"
ROUNDS = 15


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(1000 * statistics.median(ordered), 1),
            "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1)}


def test_case_step_latency(bundled_services, embedder):
    # The same data folder (index already built), with the model kept out of request sorting.
    services = build_services(bundled_services.settings.model_copy(update={"case_model_requests": False}), embedder=embedder)
    services.load_bundled_cases()
    cases = services.cases
    who = services.progress.ensure_learner("bench-case").id
    words, similar, differential, finish = [], [], [], []
    for _ in range(ROUNDS):
        session = cases.start(who, CASE).session.session_id
        began = time.perf_counter()
        cases.ask(session, who, "What is the pain like?")
        words.append(time.perf_counter() - began)
        began = time.perf_counter()
        cases.ask(session, who, "Is there anything else I should know?")  # no word match: embeddings decide
        similar.append(time.perf_counter() - began)
        cases.ask(session, who, "radiation")
        while cases.view(session, who).stage.kind == "enquiry":
            cases.advance(session, who)
        began = time.perf_counter()
        cases.submit_differential(session, who, ["Inferior STEMI", "aortic dissection", "pericarditis", "GORD"])
        differential.append(time.perf_counter() - began)
        cases.advance(session, who)
        cases.submit_plan(session, who, ["aspirin 300 mg", "primary PCI"])
        began = time.perf_counter()
        view = cases.advance(session, who)
        finish.append(time.perf_counter() - began)
        assert view.state.finished
    _record("cases", {"ask_by_words": _ms(words), "ask_by_embedding": _ms(similar),
                      "commit_differential": _ms(differential), "finish_and_mark": _ms(finish)})
