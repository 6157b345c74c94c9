"""`tutor users` and `tutor export` as an operator runs them, on a real data folder."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.question_files import MINI_BANK_YAML
from tutor.cli import main
from tutor.modes.access import Actor
from tutor.modes.quiz.models import BlockSpec
from tutor.services import build_services
from tutor.settings import Settings

PASSWORD = "a long test password"


@pytest.fixture
def env(tmp_path: Path, mini_curriculum: Path) -> dict[str, str]:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "mini.yaml").write_text(MINI_BANK_YAML, encoding="utf-8")
    return {"TUTOR_DATA_DIR": str(tmp_path / "data"), "TUTOR_CONTENT_DIR": str(mini_curriculum),
            "TUTOR_CASES_DIR": str(tmp_path / "no-cases"), "TUTOR_QUESTIONS_DIR": str(bank)}


@pytest.fixture
def run(env):
    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return invoke


def test_add_list_role_disable_and_password_from_stdin(run, env, embedder):
    assert run("users", "add", "dr-lee", "--name", "Dr Lee", "--role", "instructor", "--password-stdin",
               input=PASSWORD + "\n").exit_code == 0
    assert run("users", "add", "ada", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    result = run("users", "add", "ada", "--password-stdin", input=PASSWORD + "\n")
    assert result.exit_code == 1 and "already taken" in result.output
    weak = run("users", "add", "bob", "--password-stdin", input="short\n")
    assert weak.exit_code == 1 and "10 to 256 characters" in weak.output and "Traceback" not in weak.output

    assert run("users", "role", "ada", "instructor").exit_code == 0
    assert run("users", "disable", "ada").exit_code == 0
    listed = run("users", "list")
    assert "dr-lee" in listed.output and "instructor" in listed.output and "(deactivated)" in listed.output

    services = build_services(Settings(data_dir=Path(env["TUTOR_DATA_DIR"])), embedder=embedder)
    assert services.accounts.sign_in("dr-lee", PASSWORD).role == "instructor"


def test_a_password_typed_at_the_prompt_is_asked_twice(run):
    result = run("users", "add", "ada", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and PASSWORD not in result.output


def test_a_roster_creates_the_good_rows_and_names_the_bad_ones(run, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text("username,display_name,role,password\nada,Ada,student,a long test password\n"
                      "bob,Bob,student,short\nlee,Dr Lee,instructor,a long test password\n", encoding="utf-8")
    result = run("users", "import", str(roster))
    assert result.exit_code == 1
    assert "2 account(s) created, 1 refused" in result.output and "line 3: 'bob' not created" in result.output


def test_export_attempts_and_items_as_csv(run, env, tmp_path: Path, embedder):
    services = build_services(Settings(data_dir=Path(env["TUTOR_DATA_DIR"]), content_dir=Path(env["TUTOR_CONTENT_DIR"]),
                                       questions_dir=Path(env["TUTOR_QUESTIONS_DIR"])), embedder=embedder)
    services.load_bundled_questions()
    ada = services.accounts.add(Actor.operator(), "ada", "Ada", "student", PASSWORD)
    block = services.quiz.start(ada.id, BlockSpec(size=2), seed=1)
    for position in range(2):
        services.quiz.answer(ada.id, block.block_id, position, "A")

    out = tmp_path / "attempts.csv"
    assert run("export", "attempts", "--out", str(out)).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["username"] for r in rows] == ["ada", "ada"] and {r["question_id"] for r in rows} <= set(block.question_ids)

    items = run("export", "items", "--min-responses", "1")
    parsed = list(csv.DictReader(io.StringIO(items.output)))
    assert sorted(r["question_id"] for r in parsed) == sorted(block.question_ids)
    assert {r["responses"] for r in parsed} == {"1"}


def test_a_roster_without_the_needed_columns_is_refused_whole(run, tmp_path: Path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAda,ada@example.org\n", encoding="utf-8")
    result = run("users", "import", str(roster))
    assert result.exit_code == 1 and "username and password are required" in result.output
