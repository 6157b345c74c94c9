"""``tutor export``: the course's attempts and item analysis as CSV, for a spreadsheet or R.

Written a page of rows at a time, so a million attempts never sit in memory; to a file
with ``--out``, else to standard output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli.common import OPERATOR, build
from tutor.progress.item_analysis import MIN_RESPONSES


@click.group()
def export() -> None:
    """Export progress data as CSV."""


@export.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def attempts(out: Path | None) -> None:
    """Every quiz attempt in the course, with the learner's username."""
    _write(build().dashboards.attempts_csv(OPERATOR), out)


@export.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option("--min-responses", type=click.IntRange(1), default=MIN_RESPONSES, show_default=True)
def items(out: Path | None, min_responses: int) -> None:
    """Item analysis: difficulty, discrimination, option choice rates and flags per question."""
    _write([build().dashboards.items_csv(OPERATOR, min_responses)], out)


def _write(chunks, out: Path | None) -> None:
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)
    click.echo(f"Wrote {out}", err=True)
