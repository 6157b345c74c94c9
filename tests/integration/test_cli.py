"""The `tutor` command as an instructor would run it, against a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor.cli import main


@pytest.fixture
def run(tmp_path: Path, mini_curriculum: Path):
    env = {"TUTOR_DATA_DIR": str(tmp_path / "data"), "TUTOR_CONTENT_DIR": str(mini_curriculum)}

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

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
    assert checks["vector index"]["ok"] and checks["embedding model"]["ok"]
