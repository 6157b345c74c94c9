"""What the relevance judge costs a question: figures for docs/measurements.md, never timed assertions.

* rerank: judging the 20 hybrid candidates of a question (the per-question cost the judge
  adds to search), p50/p95 over the benchmark questions on the bundled curriculum;
* search: the whole search with and without the judge, so the difference is measured
  rather than assumed;
* memory: resident memory the loaded judge adds to a process (measured in a fresh child
  process, so other tests' allocations do not blur it).

`make bench` runs them with more rounds; figures go to test-artifacts/bench.json.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from tests.bench.test_throughput import QUESTIONS, _record
from tutor.index.retrieve import Retriever
from tutor.judge.model import passage_text
from tutor.services import Services


def _times(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            fn(question)
            out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def test_judge_cost_per_question(benchmark, bundled_services: Services):
    judge = bundled_services.judge
    settings = bundled_services.settings
    plain = Retriever(bundled_services.registry, bundled_services.index, bundled_services.embedder, settings)
    candidates = {q: [passage_text(h.section, h.text) for h in plain.search(q, k=settings.rerank_candidates).hits]
                  for q in QUESTIONS}
    rounds = 5 if benchmark.enabled else 1
    judge.relevance(QUESTIONS[0], candidates[QUESTIONS[0]])  # load once, outside the figures
    benchmark.pedantic(lambda: [judge.relevance(q, candidates[q]) for q in QUESTIONS], rounds=1)
    figures = {
        "candidates": settings.rerank_candidates,
        "judge_candidates": _summary(_times(lambda q: judge.relevance(q, candidates[q]), rounds)),
        "search_without_judge": _summary(_times(lambda q: plain.search(q), rounds)),
        "search_with_judge": _summary(_times(lambda q: bundled_services.retriever.search(q), rounds)),
    }
    _record("judge", figures)
    assert all(len(c) == settings.rerank_candidates for c in candidates.values())


MEMORY_PROBE = """
import resource, sys
from tutor.index.embeddings import MiniLMOnnxEmbedder
from tutor.judge.model import RelevanceJudge
MiniLMOnnxEmbedder().embed_query("warm up the shared libraries")
before = open("/proc/self/statm").read().split()[1]
judge = RelevanceJudge()
judge.relevance("How is hyperkalaemia treated?", ["Calcium gluconate stabilises the membrane. " * 40] * 20)
after = open("/proc/self/statm").read().split()[1]
print((int(after) - int(before)) * resource.getpagesize() / 2**20)
"""


def test_judge_memory():
    added = float(subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True,
                                 check=True).stdout.strip())
    _record("judge_memory", {"resident_mb_added": round(added, 1)})
    assert added > 0
