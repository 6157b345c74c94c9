"""``tutor questions``: import, export and draft questions for the bank (instructors)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli.common import EXIT_PARTIAL, OPERATOR, build, emit_json, progress_bar


@click.group()
def questions() -> None:
    """Manage the question bank: import, export, generate drafts for review."""


@questions.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
def import_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Import question files: native YAML/JSON, GIFT, Aiken, Moodle XML or CSV.

    Valid questions are stored even when others in the same file are not; each bad question
    is reported. Questions lacking an explanation for some option go to the review queue.
    Exits 1 when any question or file could not be imported.
    """
    services = build()
    reports = [services.questions.import_file(OPERATOR, path.name, path.read_bytes()) for path in files]
    if as_json:
        emit_json([_import_json(report) for report in reports])
    else:
        for report in reports:
            _print_import(report)
    if not all(report.ok for report in reports):
        sys.exit(EXIT_PARTIAL)


@questions.command(name="export")
@click.option("--format", "fmt", type=click.Choice(["yaml", "gift", "csv"]), default="yaml", show_default=True)
@click.option("--status", type=click.Choice(["approved", "draft", "rejected"]), default="approved", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def export_command(fmt: str, status: str, output: Path | None) -> None:
    """Export the bank (CSV is Anki-importable: front, back, tags)."""
    text, _extension = build().questions.export(OPERATOR, fmt, status)  # type: ignore[arg-type]
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)


@questions.command()
@click.option("--source", required=True, help="Curriculum source to draft from, e.g. cardiology/heart-failure.md.")
@click.option("-n", "n", type=click.IntRange(1, 20), default=3, show_default=True, help="Number of drafts to attempt.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
def generate(source: str, n: int, as_json: bool) -> None:
    """Draft questions from SOURCE with the configured model into the review queue.

    Every draft passes code checks first (valid, distinct options, not a near-duplicate,
    the keyed answer supported by the passage: by the support judge, or without it by a
    second model pass); none reaches students before an instructor approves it. Drafts
    that fail a check are kept as rejected, with why, to read or rescue on the Question
    bank page.
    """
    services = build()
    if not as_json:
        click.echo("Starting the language model and drafting (this takes a while on a CPU)…", err=True)
    with progress_bar("Drafting", enabled=True) as progress:
        report = services.questions.draft(OPERATOR, source, n, progress)
    if as_json:
        emit_json({
            "source": report.source,
            "kept": [question.model_dump(mode="json") for question in report.kept],
            "rejected": [{"section": r.section, "stem": r.stem, "gate": r.failed.name, "reason": r.failed.detail,
                          "question_id": r.question_id} for r in report.rejected],
            "seconds": round(report.seconds, 1),
            "seconds_per_kept": None if report.seconds_per_kept is None else round(report.seconds_per_kept, 1),
        })
        return
    click.echo(f"{len(report.kept)} draft(s) added to the review queue, {len(report.rejected)} rejected by the checks "
               f"({report.seconds:.0f} s).")
    for question in report.kept:
        click.echo(f"  + {question.id}: {question.stem[:90]}")
    for rejected in report.rejected:
        click.secho(f"  - {rejected.section or report.source}: {rejected.failed.name}: {rejected.failed.detail}", fg="yellow")


def _import_json(report) -> dict:
    outcome = report.outcome
    return {
        "source": report.source,
        "format": report.format,
        "error": report.error,
        "added": outcome.added,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "to_review": outcome.to_review,
        "kept_rejected": outcome.kept_rejected,
        "problems": [{"position": p.position, "label": p.label, "messages": list(p.messages)} for p in report.problems],
    }


def _print_import(report) -> None:
    if report.error:
        click.secho(f"{report.source}: {report.error}", fg="red")
        return
    outcome = report.outcome
    click.echo(
        f"{report.source} ({report.format}): {len(outcome.added)} added, {len(outcome.updated)} updated,"
        f" {len(outcome.unchanged)} unchanged, {len(outcome.to_review)} need review, {len(report.problems)} not imported"
    )
    for problem in report.problems:
        click.secho(f"  {problem}", fg="red")
