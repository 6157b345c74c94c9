"""`tutor cases` as an instructor would run it, on a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.case_files import MINI_CASE_ID, MINI_CASE_YAML
from tutor.cli import main
from tutor.settings import PROJECT_ROOT


@pytest.fixture
def run(tmp_path: Path, mini_curriculum: Path):
    env = {"TUTOR_DATA_DIR": str(tmp_path / "data"), "TUTOR_CONTENT_DIR": str(mini_curriculum),
           "TUTOR_CASES_DIR": str(tmp_path / "no-cases"), "TUTOR_QUESTIONS_DIR": str(tmp_path / "none")}

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def test_validate_says_ok_or_lists_every_problem_with_its_line(run, tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text(MINI_CASE_YAML, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI_CASE_YAML.replace("kind: plan", "kind: planning").replace("  - id: examination\n", "  - id: Examination\n"),
                   encoding="utf-8")
    result = run("cases", "validate", str(good))
    assert result.exit_code == 0 and result.output.strip() == f"{good}: ok"
    result = run("cases", "validate", str(good), str(bad), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [item["ok"] for item in report] == [True, False]
    assert len(report[1]["problems"]) == 2 and all(p.startswith("line ") for p in report[1]["problems"])


def test_every_bundled_case_validates():
    result = CliRunner().invoke(main, ["cases", "validate", *map(str, sorted((PROJECT_ROOT / "content" / "cases").glob("*.yaml")))])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") >= 8


def test_import_then_list_then_a_bad_file_is_refused(run, tmp_path: Path):
    case = tmp_path / "mini.yaml"
    case.write_text(MINI_CASE_YAML, encoding="utf-8")
    assert run("cases", "import", str(case)).output.strip() == f"mini.yaml: added ({MINI_CASE_ID})"
    assert run("cases", "import", str(case)).output.strip() == f"mini.yaml: unchanged ({MINI_CASE_ID})"
    listed = json.loads(run("cases", "list", "--json").output)
    assert [(c["id"], c["version"], c["origin"]) for c in listed] == [(MINI_CASE_ID, 1, "uploaded")]
    text = tmp_path / "notes.txt"
    text.write_text("not a case")
    result = run("cases", "import", str(text))
    assert result.exit_code == 1 and "a case file is YAML" in result.output


def test_override_needs_a_completed_session(run):
    result = run("cases", "override", "no-such-session", "--score", "80", "--reason", "fair")
    assert result.exit_code != 0 and "could not be found" in result.output
