"""``tutor cases``: check, import and list clinical case files; re-score a session (instructors)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli.common import EXIT_PARTIAL, OPERATOR, build, emit_json
from tutor.modes.cases.admin import validate_case_file


@click.group()
def cases() -> None:
    """Clinical cases: validate and import case files, list the library, override a score."""


@cases.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as one JSON document.")
def validate(files: tuple[Path, ...], as_json: bool) -> None:
    """Check case files without storing them; every problem is listed with its line.

    Exits 1 when any file has a problem.
    """
    problems = {str(path): list(validate_case_file(path)) for path in files}
    if as_json:
        emit_json([{"file": file, "ok": not found, "problems": found} for file, found in problems.items()])
    else:
        for file, found in problems.items():
            if not found:
                click.echo(f"{file}: ok")
            for problem in found:
                click.echo(f"{file}: {problem}")
    if any(problems.values()):
        sys.exit(EXIT_PARTIAL)


@cases.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(files: tuple[Path, ...]) -> None:
    """Add or update case files in the case library (a new version keeps the old for sessions on it)."""
    outcomes = build().case_files.upload(OPERATOR, [(path.name, path.read_bytes()) for path in files])
    for outcome in outcomes:
        if outcome.ok:
            click.echo(f"{outcome.file}: {outcome.result} ({outcome.case_id})")
        for problem in outcome.problems:
            click.echo(f"{outcome.file}: {problem}")
    if not all(outcome.ok for outcome in outcomes):
        sys.exit(EXIT_PARTIAL)


@cases.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as one JSON document.")
def list_command(as_json: bool) -> None:
    """The cases students can choose."""
    services = build()
    services.load_bundled_cases()
    entries = services.case_library.catalogue()
    if as_json:
        emit_json([{"id": e.id, "title": e.title, "module": e.module, "difficulty": e.difficulty,
                    "origin": e.origin, "version": e.version} for e in entries])
        return
    for entry in entries:
        click.echo(f"{entry.id}  [{entry.module}, {entry.difficulty}, v{entry.version}]  {entry.title}")


@cases.command()
@click.argument("session_id")
@click.option("--score", "percent", type=click.FloatRange(0, 100), required=True, help="The new score in percent.")
@click.option("--reason", required=True, help="Why the rubric score is being replaced (shown to the student).")
def override(session_id: str, percent: float, reason: str) -> None:
    """Replace the rubric score of a completed case session (recorded as the operator's)."""
    session = build().cases.override(OPERATOR, session_id, percent=percent, reason=reason)
    click.echo(f"{session_id}: rubric {session.score:.0%}, now {session.score_override:.0%} ({reason})")
