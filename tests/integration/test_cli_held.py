"""`tutor ingest` says which files PHI screening held, and `tutor held` reviews them, on a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tutor.cli import main

EMAIL, PHONE = "jane.doe@example.org", "617-555-0123"
CLEAN = "# Gout\n\nColchicine or an NSAID settles an acute flare; allopurinol is started after it.\n"
FLAGGED = (f"# Discharge letter\n\nMrs Doe can be reached at {PHONE} or {EMAIL} about her potassium of "
           "6.8 mmol/L, treated with calcium gluconate.\n")
SECOND = f"# Clinic note\n\nFollow-up calls go to {PHONE}. Insulin with glucose shifts potassium into cells.\n"


@pytest.fixture
def run(tmp_path: Path, mini_curriculum: Path, embedder):
    env = {"TUTOR_DATA_DIR": str(tmp_path / "data"), "TUTOR_CONTENT_DIR": str(mini_curriculum),
           "TUTOR_CASES_DIR": str(tmp_path / "no-cases"), "TUTOR_QUESTIONS_DIR": str(tmp_path / "no-bank")}

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    (folder / "gout.md").write_text(CLEAN, encoding="utf-8")
    (folder / "letter.md").write_text(FLAGGED, encoding="utf-8")
    (folder / "clinic.md").write_text(SECOND, encoding="utf-8")
    return folder


def test_ingest_names_the_held_files_and_the_review_releases_or_discards_them(run, uploads):
    ingested = run("ingest", str(uploads))
    assert ingested.exit_code == 0, ingested.output  # held is not failed
    assert "added: 1" in ingested.output and "held: 2" in ingested.output
    assert "letter.md: a phone number (1), an e-mail address (1)" in ingested.output
    assert "tutor held list" in ingested.output
    assert EMAIL not in ingested.output and PHONE not in ingested.output

    listed = run("held", "list")
    assert "letter.md" in listed.output and "clinic.md" in listed.output
    assert "an e-mail address (1)" in listed.output and "line 1: " in listed.output
    assert "added by `tutor ingest`" in listed.output
    assert EMAIL not in listed.output and PHONE not in listed.output  # findings are shown masked
    held = {row["source"]: row["held_id"] for row in json.loads(run("held", "list", "--json").output)}
    assert set(held) == {"letter.md", "clinic.md"}

    as_is = run("held", "release", str(held["letter.md"]), "--as-is")
    assert as_is.exit_code == 1 and "Give a reason" in as_is.output and "Traceback" not in as_is.output

    released = run("held", "release", str(held["letter.md"]))
    assert released.exit_code == 0 and "Released letter.md with identifiers replaced" in released.output
    passage = run("search", "potassium calcium gluconate discharge letter", "--json")
    texts = [hit["text"] for hit in json.loads(passage.output)["hits"] if hit["source"] == "letter.md"]
    assert texts and "[EMAIL]" in texts[0] and EMAIL not in texts[0]

    discarded = run("held", "discard", str(held["clinic.md"]), "--reason", "a real clinic note")
    assert discarded.exit_code == 0 and "Discarded" in discarded.output
    assert run("held", "list").output.strip() == "No file is waiting for review."

    again = run("held", "discard", str(held["clinic.md"]))
    assert again.exit_code == 1 and "no longer waiting for review" in again.output
