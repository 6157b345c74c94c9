"""Throughput and latency benchmarks: figures for docs/measurements.md, never timed assertions.

* embedding: raw sentences/s of the local model over the bundled passages;
* ingest: passages/s for the whole pipeline (parse, chunk, embed, Chroma, SQLite);
* search: p50/p95 latency (embed the query, ANN search, registry join) at scale, on the
  embedded index and on a ``chroma run`` server (the ratio is the multi-process cost).

`make bench` runs them with pytest-benchmark enabled and the full 20,000-passage
index (TUTOR_BENCH_PASSAGES); the default test run does each once at 2,000 so the
code stays exercised. Figures are written to test-artifacts/bench.json.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from tutor.domain import Chunk
from tutor.services import Services, build_services
from tutor.settings import PROJECT_ROOT, Settings
from tests.chroma_server import fresh_collection
from tests.markdown_files import BUNDLED_CURRICULUM

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PASSAGES = int(os.environ.get("TUTOR_BENCH_PASSAGES", "2000"))
QUESTIONS = [
    "first-line treatment for an acute asthma attack", "how is acute kidney injury staged",
    "signs of hyperkalaemia on an ECG", "what score predicts stroke risk in atrial fibrillation",
    "antidote for dabigatran", "when to give thrombolysis in ischaemic stroke",
    "management of diabetic ketoacidosis", "what is the CURB-65 score",
]


def _record(name: str, figures: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "bench.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = figures
    path.write_text(json.dumps(data, indent=2))
    print(f"\n{name}: {figures}")


def test_embedding_throughput(benchmark, bundled_services: Services, embedder):
    texts = [r.chunk.embedding_text for rows in bundled_services.registry.iter_chunk_rows() for r in rows]
    started = time.perf_counter()
    benchmark.pedantic(embedder.embed_documents, args=(texts,), rounds=3 if benchmark.enabled else 1)
    seconds = benchmark.stats.stats.mean if benchmark.enabled else time.perf_counter() - started
    _record("embedding", {"passages": len(texts), "passages_per_s": round(len(texts) / seconds, 1)})


def test_ingest_throughput(benchmark, tmp_path: Path, embedder):
    runs = iter(range(100))

    def fresh():
        data = tmp_path / f"run{next(runs)}"
        return (build_services(Settings(data_dir=data, content_dir=BUNDLED_CURRICULUM), embedder=embedder),), {}

    reports = []
    benchmark.pedantic(lambda s: reports.append(s.ingest_bundled_content()), setup=fresh,
                       rounds=3 if benchmark.enabled else 1)
    report = reports[-1]
    assert report.ok
    _record("ingest", {
        "documents": len(report.added), "passages": report.chunks_added, "seconds": report.seconds,
        "passages_per_s": round(report.chunks_added / report.seconds, 1),
    })


@pytest.fixture(scope="module", params=["embedded", "server"])
def large_index(request, tmp_path_factory, embedder, bundled_services: Services) -> Services:
    """PASSAGES passages: the bundled ones plus perturbed copies (text and vector), in either index mode.

    ``server`` puts the same passages on a real ``chroma run`` (the session's, loopback),
    so search latency is measured over HTTP exactly as several app processes would see it.

    Embedding 20,000 real passages takes ~5 minutes on 2 cores; the copies' vectors are
    the originals plus Gaussian noise (renormalised), so the ANN index has 20,000
    distinct points with the curriculum's geometry, and every copy has a registry row.
    """
    where = {}
    if request.param == "server":
        where = {"chroma_url": request.getfixturevalue("chroma_server").url, "collection": fresh_collection()}
    services = build_services(Settings(data_dir=tmp_path_factory.mktemp("large") / "data", **where), embedder=embedder)
    base = [r for rows in bundled_services.registry.iter_chunk_rows() for r in rows]
    base_vectors = embedder.embed_documents([r.chunk.embedding_text for r in base])
    rng = np.random.default_rng(7)
    per_doc, made = 100, 0
    while made < PASSAGES:
        doc_id = f"bench{made // per_doc:05d}"
        picks = rng.integers(0, len(base), size=min(per_doc, PASSAGES - made))
        chunks = [
            Chunk(chunk_id=f"{doc_id}-{i}", doc_id=doc_id, source=f"bench/{doc_id}.md", ordinal=i,
                  section=base[p].chunk.section, text=f"{base[p].chunk.text} (variant {made + i})")
            for i, p in enumerate(picks)
        ]
        noisy = base_vectors[picks] + rng.normal(0, 0.05, size=(len(picks), base_vectors.shape[1]))
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        services.registry.replace_document(
            {"doc_id": doc_id, "course": "bench", "source": f"bench/{doc_id}.md", "root": "bench", "kind": "markdown",
             "title": doc_id, "module": "Bench", "topic": None, "objectives": "[]", "tags": "[]",
             "content_hash": doc_id, "size_bytes": 0, "n_chunks": len(chunks), "pipeline": "bench", "ingested_at": ""},
            chunks,
        )
        services.index.upsert(chunks, noisy.astype(np.float32), [{"course": "bench", "module": "Bench"}] * len(chunks))
        made += len(chunks)
    return services


def test_search_latency_at_scale(benchmark, large_index: Services):
    assert large_index.index.count() == PASSAGES
    for question in QUESTIONS[:3]:  # warm-up: first queries load the HNSW segment
        large_index.search(question)
    timings = []
    for round_ in range(25):
        for question in QUESTIONS:
            started = time.perf_counter()
            large_index.search(f"{question}?" if round_ % 2 else question)
            timings.append((time.perf_counter() - started) * 1000)
    benchmark.pedantic(large_index.search, args=(QUESTIONS[0],), rounds=20 if benchmark.enabled else 1)
    quantiles = statistics.quantiles(timings, n=100)
    figures = {"passages": PASSAGES, "queries": len(timings),
               "p50_ms": round(statistics.median(timings), 1), "p95_ms": round(quantiles[94], 1)}
    if large_index.index.link.remote:
        embedded = json.loads((ARTIFACTS / "bench.json").read_text()).get("search", {})
        if embedded.get("passages") == PASSAGES:
            figures["p95_vs_embedded"] = round(figures["p95_ms"] / embedded["p95_ms"], 2)
    _record("search_chroma_server" if large_index.index.link.remote else "search", figures)
