"""The docs stay true: settings and commands match the code, examples import, commands run.

As sqlite-utils and datasette do, the documentation is tested: the settings table of
``docs/operators.md`` names every setting and nothing else; every ``tutor`` command line
written anywhere in the docs names a real command with real options, and the reference lists
every command; the question-format examples of ``docs/instructors.md`` import through the
real parsers with no problem; and the offline commands (the backup recipe, validating a case)
run for real.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tutor.cli import main
from tutor.content.questions.formats import parse_question_file
from tutor.settings import PROJECT_ROOT, Settings

DOCS = PROJECT_ROOT / "docs"
DOC_FILES = [PROJECT_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(path: Path, language: str | None = None) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if language in (None, lang)]


def _section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _commands() -> dict[str, click.Command]:
    """Every command by its full name ("ingest", "users add"), groups included."""
    found: dict[str, click.Command] = {}

    def walk(command: click.Command, prefix: str) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            full = f"{prefix}{name}"
            found[full] = sub
            walk(sub, full + " ")

    walk(main, "")
    return found


def _tutor_lines() -> list[tuple[Path, str]]:
    """Every ``tutor ...`` command line in a shell block of the docs (comments and pipes cut)."""
    lines = []
    for path in DOC_FILES:
        for block in _blocks(path, "bash"):
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("tutor "):
                    lines.append((path, line))
    return lines


def test_the_settings_table_names_every_setting_and_nothing_else():
    table = _section(DOCS / "operators.md", "Settings")
    documented = set(re.findall(r"^\| `(TUTOR_[A-Z0-9_]+)`", table, re.MULTILINE))
    settings = {f"TUTOR_{name.upper()}" for name in Settings.model_fields}
    assert documented == settings, {"undocumented": settings - documented, "no such setting": documented - settings}


def test_the_command_reference_lists_every_command():
    reference = _section(DOCS / "operators.md", "Command line")
    missing = [name for name, command in _commands().items() if not isinstance(command, click.Group)
               and not re.search(rf"^tutor {re.escape(name)}(?![\w-])", reference, re.MULTILINE)]
    assert missing == []


@pytest.mark.parametrize("path, line", _tutor_lines(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_every_command_line_in_the_docs_names_a_real_command_and_real_options(path, line):
    words = shlex.split(line.replace("[", " ").replace("]", " ").replace("|", " "))[1:]
    commands = _commands()
    name = words[0] if words[0] in commands else None
    if name and len(words) > 1 and f"{name} {words[1]}" in commands:
        name = f"{name} {words[1]}"
    assert name, f"{path.name}: no command 'tutor {words[0]}'"
    assert not isinstance(commands[name], click.Group), f"{path.name}: `{line}` names no command of 'tutor {name}'"
    options = {opt for param in commands[name].params for opt in (*param.opts, *param.secondary_opts)}
    used = {w.split("=")[0] for w in words if w.startswith("-") and w != "-"}
    assert used <= options, f"{path.name}: `{line}` uses {sorted(used - options)}"


@pytest.mark.parametrize("language, suffix", [("yaml", ".yaml"), ("gift", ".gift"), ("aiken", ".aiken"),
                                              ("xml", ".xml"), ("csv", ".csv")])
def test_every_question_format_example_imports_without_a_problem(language, suffix):
    [example] = _blocks(DOCS / "instructors.md", language)
    bank = parse_question_file(f"example{suffix}", example.encode())
    assert bank.problems == [] and len(bank.questions) == 1
    [question] = bank.questions
    assert question.correct_option.text == "Calcium gluconate"


def test_the_backup_recipe_copies_every_database(tmp_path: Path, services):
    services.progress.ensure_learner("ada")  # a row to find in the copy
    data = services.settings.data_dir
    [recipe] = [b for b in _blocks(DOCS / "operators.md", "bash") if "backup" in b]
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(data)
    subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=work, check=True,
                   env={**os.environ, "PYTHON": sys.executable})  # the recipe's own override
    for db in ("progress", "library", "questions", "cases", "jobs"):
        copy = sqlite3.connect(work / "backup" / f"{db}.db")
        assert copy.execute("pragma integrity_check").fetchone() == ("ok",)
        tables = {r[0] for r in copy.execute("select name from sqlite_master where type='table'")}
        assert tables, db
    copy = sqlite3.connect(work / "backup" / "progress.db")
    assert copy.execute("select count(*) from learners").fetchone()[0] >= 1


def test_the_case_commands_of_the_docs_run(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    [line] = [line for path, line in _tutor_lines() if path.name == "instructors.md"
              and line.startswith("tutor cases validate")]
    case = next((PROJECT_ROOT / "content" / "cases").glob("*.yaml"))
    args = [str(case) if word.endswith(".yaml") else word for word in shlex.split(line)[1:]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
