"""`tutor questions` as an instructor would run it: import, export and generate, on a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.markdown_files import write_markdown
from tests.question_files import MINI_BANK_YAML, POTASSIUM_QUOTE, potassium_passage
from tutor.cli import main
from tutor.content.questions.formats import parse_question_file

GIFT = """::cli-1:: A man with potassium 7.1 mmol/L has peaked T waves. What lowers potassium fastest? {
=Insulin with glucose#Shifts potassium into cells within 30 minutes.
~Calcium gluconate#Protects the heart but does not lower potassium.
~Furosemide#Too slow.
}

::cli-2:: Which is true? {T}
"""
PASSAGE = potassium_passage()


@pytest.fixture
def run(tmp_path: Path):
    curriculum = tmp_path / "curriculum"
    write_markdown(curriculum, "renal/hyperkalaemia.md", PASSAGE, title="Hyperkalaemia", module="Renal")
    env = {"TUTOR_DATA_DIR": str(tmp_path / "data"), "TUTOR_CONTENT_DIR": str(curriculum),
           "TUTOR_QUESTIONS_DIR": str(tmp_path / "none")}

    def invoke(*args: str, extra_env: dict[str, str] | None = None):
        return CliRunner().invoke(main, list(args), env={**env, **(extra_env or {})}, catch_exceptions=False)

    invoke("ingest", str(curriculum))
    return invoke


def test_import_reports_each_bad_question_and_keeps_the_good_ones(run, tmp_path: Path):
    gift = tmp_path / "k.gift"
    gift.write_text(GIFT)
    bank = tmp_path / "mini.yaml"
    bank.write_text(MINI_BANK_YAML)

    result = run("questions", "import", str(gift), str(bank), "--json")

    assert result.exit_code == 1  # one question could not be imported
    gift_report, yaml_report = json.loads(result.stdout)
    assert gift_report["added"] == ["cli-1"] and gift_report["format"] == "gift"
    [problem] = gift_report["problems"]
    assert problem["label"].startswith("cli-2") and "single-best-answer" in " ".join(problem["messages"])
    assert len(yaml_report["added"]) == 4 and yaml_report["problems"] == []

    again = run("questions", "import", str(bank))
    assert again.exit_code == 0 and "0 added, 0 updated, 4 unchanged" in again.stdout


def test_export_round_trips_through_import(run, tmp_path: Path):
    bank = tmp_path / "mini.yaml"
    bank.write_text(MINI_BANK_YAML)
    run("questions", "import", str(bank))
    originals = parse_question_file("mini.yaml", MINI_BANK_YAML.encode()).questions

    for fmt, name in (("yaml", "out.yaml"), ("gift", "out.gift"), ("csv", "out.csv")):
        out = tmp_path / name
        result = run("questions", "export", "--format", fmt, "-o", str(out))
        assert result.exit_code == 0
        parsed = parse_question_file(name, out.read_bytes())
        assert parsed.problems == [] and sorted(parsed.questions, key=lambda q: q.id) == sorted(originals, key=lambda q: q.id)
    assert (tmp_path / "out.csv").read_text().startswith("#separator:Comma")


def test_generate_puts_checked_drafts_in_the_review_queue(run, tmp_path: Path):
    quote = POTASSIUM_QUOTE
    script = tmp_path / "script.json"
    script.write_text(json.dumps([
        json.dumps({"vignette": "A man with potassium 7.2 mmol/L has broad QRS complexes.",
                    "options": [{"text": t, "explanation": f"About {t}."} for t in ("Furosemide", "Insulin", "Salbutamol")]
                    + [{"text": "Calcium gluconate", "explanation": "It stabilises the cardiac membrane within minutes."}],
                    "answer": "D", "supporting_quote": quote}),
    ]))
    scripted = {"TUTOR_LLM_PROVIDER": "scripted", "TUTOR_LLM_SCRIPT": str(script)}

    result = run("questions", "generate", "--source", "renal/hyperkalaemia.md", "-n", "1", "--json", extra_env=scripted)

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["kept"]) == 1 and report["rejected"] == [] and report["seconds_per_kept"] > 0
    drafts = run("questions", "export", "--status", "draft", "--format", "yaml")
    assert "What is the most appropriate treatment?" in drafts.stdout  # the lead-in written by code
    approved = run("questions", "export", "--format", "yaml")
    assert "What is the most appropriate treatment?" not in approved.stdout  # not for students until approved

    missing = run("questions", "generate", "--source", "nowhere.md", extra_env=scripted)
    assert missing.exit_code == 1 and "not in the library" in missing.stderr
