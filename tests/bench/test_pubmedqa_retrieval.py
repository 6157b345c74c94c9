"""Retrieval on PubMedQA: a real corpus written by other people, 500 abstracts.

Each abstract is one document; each item's question should retrieve its own
abstract. Also measured: with the gold abstracts removed, how often the coverage
verdict correctly says "not covered" (the tutor's abstention, at retrieval level).
Skips when ../shared/eval/pubmedqa is absent (the project must not need it).
Figures go to test-artifacts/pubmedqa.json and the README.
"""

from __future__ import annotations

import json

import pytest

from tests.accounts import DR_LEE
from tutor.evaluation.pubmedqa import write_corpus
from tutor.evaluation.retrieval import evaluate_retrieval
from tutor.index.retrieve import Retriever
from tutor.services import build_services
from tutor.settings import PROJECT_ROOT, Settings

PQAL = PROJECT_ROOT.parent / "shared" / "eval" / "pubmedqa" / "pqal_dev.json"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
REMOVED = 100  # gold documents removed for the abstention measurement


@pytest.mark.skipif(not PQAL.is_file(), reason=f"PubMedQA data not found at {PQAL}")
def test_pubmedqa_retrieval_and_abstention(tmp_path, embedder):
    questions = write_corpus(PQAL, tmp_path / "pubmedqa")
    # Published abstracts, not patient records: 2 of 500 name a full study date, which the PHI screen would hold.
    services = build_services(Settings(data_dir=tmp_path / "data", course="pubmedqa", phi_screening=False), embedder=embedder)
    ingest = services.ingestor.ingest_paths([tmp_path / "pubmedqa"])
    assert ingest.ok and len(ingest.added) == len(questions)

    figures = {"documents": len(questions), "passages": ingest.chunks_added, "ingest_s": ingest.seconds}
    for label, hybrid in (("dense", False), ("hybrid", True)):
        settings = services.settings.model_copy(update={"hybrid_search": hybrid})
        retriever = Retriever(services.registry, services.index, services.embedder, settings)
        figures[label] = evaluate_retrieval(lambda q: retriever.search(q, k=5), questions).summary()

    removed = questions[:REMOVED]
    for item in removed:
        doc_id = next(d.doc_id for d in services.documents() if d.source == item.expected_source)
        services.delete_document(DR_LEE, doc_id)
    for label, hybrid in (("dense", False), ("hybrid", True)):
        settings = services.settings.model_copy(update={"hybrid_search": hybrid})
        retriever = Retriever(services.registry, services.index, services.embedder, settings)
        abstained = sum(not retriever.search(item.question).covered for item in removed)
        figures[label]["abstention_rate_gold_removed"] = round(abstained / len(removed), 3)

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "pubmedqa.json").write_text(json.dumps(figures, indent=2))
    print(f"\npubmedqa: {json.dumps(figures)}")
    assert figures["dense"]["recall_at_5"] >= 0.8
