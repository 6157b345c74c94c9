"""The `tutor` command as an instructor would run it, against a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor.cli import main
from tutor.domain import Chunk
from tutor.services import build_services
from tutor.settings import Settings


@pytest.fixture
def run(tmp_path: Path, mini_curriculum: Path):
    env = {"TUTOR_DATA_DIR": str(tmp_path / "data"), "TUTOR_CONTENT_DIR": str(mini_curriculum)}

    def invoke(*args: str, extra_env: dict[str, str] | None = None):
        return CliRunner().invoke(main, list(args), env={**env, **(extra_env or {})}, catch_exceptions=False)

    return invoke


def test_ingest_json_reports_each_file(run, mini_curriculum: Path, tmp_path: Path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf at all")
    result = run("ingest", str(mini_curriculum), str(bad), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1  # one file failed
    assert len(report["added"]) == 3 and report["failed"][0]["source"] == "bad.pdf"
    assert report["failed"][0]["reason"]

    again = run("ingest", str(mini_curriculum), "--json")
    assert again.exit_code == 0 and len(json.loads(again.stdout)["unchanged"]) == 3


def test_search_json_has_citation_fields(run, mini_curriculum: Path):
    run("ingest", str(mini_curriculum))
    result = run("search", "emergency drugs for high potassium", "-k", "2", "--json")
    payload = json.loads(result.stdout)
    assert result.exit_code == 0 and payload["covered"] is True and len(payload["hits"]) == 2
    top = payload["hits"][0]
    assert set(top) >= {"source", "section", "page", "chunk_id", "score", "text"}
    assert (top["source"], top["section"]) == ("renal/hyperkalaemia.md", "Hyperkalaemia > Emergency treatment")


def test_search_prints_readable_hits_and_errors_without_traceback(run, mini_curriculum: Path):
    run("ingest", str(mini_curriculum))
    text = run("search", "loop diuretic in heart failure")
    assert text.exit_code == 0 and "cardiology/heart-failure.md" in text.output
    empty = run("search", "   ")
    assert empty.exit_code == 1 and "Error:" in empty.output and "Traceback" not in empty.output


def test_reindex_and_doctor(run, mini_curriculum: Path):
    run("ingest", str(mini_curriculum))
    assert "Re-indexed" in run("reindex").output
    result = run("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert result.exit_code == 0, checks
    assert checks["vector index"]["ok"] and checks["embedding model"]["ok"] and checks["question bank"]["ok"]
    assert checks["relevance judge"]["ok"] and "hash verified" in checks["relevance judge"]["detail"]
    assert checks["accounts"]["ok"] and "first visitor creates the administrator" in checks["accounts"]["detail"]


def test_doctor_finds_an_index_whose_vectors_are_the_wrong_ones(run, tmp_path: Path, mini_curriculum: Path, embedder):
    run("ingest", str(mini_curriculum))
    services = build_services(Settings(data_dir=tmp_path / "data", content_dir=mini_curriculum), embedder=embedder)
    services.index.delete({sorted(services.registry.chunk_ids())[0]})  # one passage loses its vector ...
    ghost = Chunk(chunk_id="ghost", doc_id="nodoc", source="ghost.md", ordinal=0, section="", text="BNP")
    services.index.upsert([ghost], embedder.embed_documents([ghost.text]), [{}])  # ... and one vector has no passage
    result = run("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert result.exit_code == 1 and not checks["vector index"]["ok"]
    assert "1 passages without a vector, 1 vectors without a passage" in checks["vector index"]["detail"]


@pytest.fixture
def scripted(tmp_path: Path, run):
    def with_replies(replies: list):
        script = tmp_path / "script.json"
        script.write_text(json.dumps(replies))

        return lambda *args: run(*args, extra_env={"TUTOR_LLM_PROVIDER": "scripted", "TUTOR_LLM_SCRIPT": str(script)})

    return with_replies


def test_ask_json_has_the_documented_shape(run, scripted, mini_curriculum: Path):
    run("ingest", str(mini_curriculum))
    result = scripted(["Calcium gluconate stabilises the cardiac membrane [1]."])(
        "ask", "What is the emergency treatment for hyperkalaemia?", "--json")
    payload = json.loads(result.stdout)
    assert result.exit_code == 0
    assert set(payload) >= {"answer", "grounded", "citations", "model", "prompt_version"}
    assert payload["grounded"] is True and payload["model"] == "scripted"
    assert payload["citations"][0] == {
        "source": "renal/hyperkalaemia.md", "section": "Hyperkalaemia > Emergency treatment", "page": None,
        "chunk_id": payload["citations"][0]["chunk_id"],
    }


def test_ask_reports_a_model_failure_as_one_sentence(run, scripted, mini_curriculum: Path):
    run("ingest", str(mini_curriculum))
    result = scripted([{"fault": "boom"}])("ask", "What is the emergency treatment for hyperkalaemia?")
    assert result.exit_code == 1 and "stopped unexpectedly" in result.output and "Traceback" not in result.output


def test_eval_reports_citation_precision_and_abstention(run, scripted, mini_curriculum: Path, tmp_path: Path):
    run("ingest", str(mini_curriculum))
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"question": "What is the emergency treatment for hyperkalaemia?", "expected_source": "renal/hyperkalaemia.md"},
        {"question": "How do I bake sourdough bread?", "expected_source": None},
    ]))
    result = scripted(["Calcium gluconate stabilises the cardiac membrane [1] [4]."])("eval", str(questions), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (report["recall_at_1"], report["citation_precision"], report["abstention_rate_out_of_scope"]) == (1.0, 1.0, 1.0)
    assert report["fabricated_citations"] >= 1 and report["latency_p95_ms"] >= report["latency_p50_ms"]


def test_eval_pubmedqa_indexes_in_a_scratch_folder_and_tests_abstention(scripted, tmp_path: Path):
    items = {
        str(1000 + i): {"QUESTION": q, "CONTEXTS": [c], "LABELS": ["RESULTS"], "final_decision": "yes"}
        for i, (q, c) in enumerate([
            ("Does aspirin reduce recurrent stroke?", "Aspirin reduced recurrent ischaemic stroke by a fifth in the trial."),
            ("Is vitamin D linked to falls in older adults?", "Vitamin D supplementation reduced falls among adults over seventy."),
            ("Does exercise improve knee osteoarthritis pain?", "Supervised exercise lowered knee osteoarthritis pain scores."),
        ])
    }
    pqal = tmp_path / "pqal.json"
    pqal.write_text(json.dumps(items))
    result = scripted(["The result is supported [1]."])("eval-pubmedqa", str(pqal), "--split", "all", "--limit", "2", "--remove-gold", "1", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert (report["in_scope"], report["out_of_scope"], report["recall_at_1"]) == (2, 1, 1.0)
    assert not (tmp_path / "data").exists()  # the course's data folder was not touched
    assert report["false_not_covered_in_scope_retrieval"] == 0.0 and report["failed"] == 0


def test_eval_medquad_writes_topics_holds_some_out_and_skips_cleanly_without_data(scripted, tmp_path: Path):
    import gzip

    absent = scripted(["unused"])("eval-medquad", "--data-dir", str(tmp_path / "nowhere"))
    assert absent.exit_code == 0 and "Skipped: MedQuAD data not found" in absent.output

    folder = tmp_path / "eval" / "medquad"
    folder.mkdir(parents=True)
    topics = [("Hyperkalaemia", "What is the treatment for Hyperkalaemia ?",
               "Calcium gluconate stabilises the heart; insulin with glucose shifts potassium into cells."),
              ("Gout", "What are the symptoms of Gout ?", "Gout causes sudden, severe pain and swelling of the big toe."),
              ("Scurvy", "What causes Scurvy ?", "Scurvy is caused by a lack of vitamin C in the diet over months."),
              ("Rickets", "What causes Rickets ?", "Rickets is caused by a lack of vitamin D, calcium or phosphate.")]
    with gzip.open(folder / "medquad_dev.jsonl.gz", "wt") as fh:
        for n, (focus, question, answer) in enumerate(topics):
            fh.write(json.dumps({"collection": "X", "doc_id": str(n), "url": "", "focus": focus, "pairs": [
                {"qid": f"{n}-1", "qtype": "information", "question": question, "answer": answer}]}) + "\n")
    result = scripted(["unused"])("eval-medquad", "--data-dir", str(tmp_path / "eval"), "--split", "all",
                                  "--retrieval-only", "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["questions"] == 4 and report["in_scope"] + sum(o["expected_source"] is None for o in report["outcomes"]) == 4


def test_eval_records_a_failed_model_call_and_goes_on(run, scripted, mini_curriculum: Path, tmp_path: Path):
    run("ingest", str(mini_curriculum))
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps({"question": q, "expected_source": "renal/hyperkalaemia.md"}) for q in (
        "What is the emergency treatment for hyperkalaemia?", "Which drugs lower a high potassium quickly?")))
    result = scripted([{"fault": "boom"}, "Calcium gluconate stabilises the cardiac membrane [1]."])(
        "eval", str(questions), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1  # the report is whole, and the exit status says it covers fewer questions
    assert report["failed"] == 1 and report["questions"] == 2
    assert [o["kind"] for o in report["outcomes"]][0] == "failed"
