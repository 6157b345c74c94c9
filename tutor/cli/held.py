"""``tutor held``: the uploads PHI screening kept out of the library, reviewed from a terminal.

The same review as the Library page's "Held for review" section, for whoever runs
``tutor ingest`` on the server: list the held files with their findings (masked, with
where they are), then release each with the identifiers replaced by placeholders,
release it as it is with a recorded reason, or discard it. Decisions are recorded under
the operator's name, as the page records the instructor's.
"""

from __future__ import annotations

import sys

import click

from tutor.cli.common import EXIT_PARTIAL, OPERATOR, build, emit_json
from tutor.content.phi_screen import KIND_LABELS
from tutor.domain import HeldFinding, IngestReport

_SHOWN_PER_KIND = 5


@click.group()
def held() -> None:
    """Review uploads held because they seem to contain patient identifiers."""


@held.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the held files as one JSON document.")
def list_(as_json: bool) -> None:
    """Every file waiting for review, with what was found and where."""
    uploads = build().held_uploads(OPERATOR)
    if as_json:
        emit_json([u.model_dump(mode="json") for u in uploads])
        return
    if not uploads:
        click.echo("No file is waiting for review.")
        return
    for upload in uploads:
        click.secho(f"[{upload.held_id}] {upload.source}", bold=True)
        who = upload.uploaded_by or "`tutor ingest`"
        click.echo(f"    {upload.size_bytes:,} bytes, added by {who} at {upload.held_at}")
        for line in describe(upload.findings):
            click.echo(f"    {line}")
    click.echo("\nRelease with `tutor held release ID` (identifiers replaced), or `--as-is --reason ...`;"
               " drop with `tutor held discard ID`.")


def describe(findings: tuple[HeldFinding, ...]) -> list[str]:
    """Findings grouped by kind, in the screen's order, a few masked excerpts each."""
    lines = []
    for kind in (k for k in KIND_LABELS if any(f.kind == k for f in findings)):
        found = [f for f in findings if f.kind == kind]
        lines.append(f"{found[0].label} ({len(found)})")
        for finding in found[:_SHOWN_PER_KIND]:
            lines.append(f"  {finding.where}: {finding.excerpt}")
        if len(found) > _SHOWN_PER_KIND:
            lines.append(f"  ... and {len(found) - _SHOWN_PER_KIND} more")
    return lines


@held.command()
@click.argument("held_id", type=int)
@click.option("--as-is", is_flag=True, help="Index the file unchanged (needs --reason: you judge the flags false).")
@click.option("--reason", default="", help="Why; recorded with your decision.")
def release(held_id: int, as_is: bool, reason: str) -> None:
    """Index a held file, with its identifiers replaced by placeholders (or --as-is)."""
    report = build().release(OPERATOR, held_id, redact=not as_is, reason=reason)
    _report(report, "as it is" if as_is else "with identifiers replaced")


@held.command()
@click.argument("held_id", type=int)
@click.option("--reason", default="", help="Why; recorded with your decision.")
def discard(held_id: int, reason: str) -> None:
    """Drop a held file: its bytes are deleted; who, when and why are kept."""
    build().discard(OPERATOR, held_id, reason=reason)
    click.echo(f"Discarded held file {held_id}.")


def _report(report: IngestReport, how: str) -> None:
    if report.failed:
        for failure in report.failed:
            click.secho(f"Not released: {failure.source}: {failure.reason} (it stays held).", fg="red", err=True)
        sys.exit(EXIT_PARTIAL)
    names = ", ".join(report.added + report.updated)
    click.echo(f"Released {names} {how}: {report.chunks_added} passages indexed.")
