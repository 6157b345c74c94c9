"""The ``tutor`` command: ingest, search, reindex and doctor, for instructors and ops.

``--json`` prints exactly one JSON document on stdout; progress and messages go to
stderr, so the JSON can be piped. Errors are translated here, in one place: a
:class:`TutorError` prints its user message and exits 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from tutor.errors import TutorError
from tutor.settings import load_settings

EXIT_PARTIAL = 1


class _TutorGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TutorError as exc:
            click.secho(f"Error: {exc.user_message}", err=True, fg="red")
            sys.exit(1)


def _services():
    from tutor.services import build_services

    return build_services(load_settings())


def _emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


@contextmanager
def _progress_bar(label: str, enabled: bool) -> Iterator[Callable[[float, str], None] | None]:
    """A terminal progress bar on stderr, or nothing when stderr is not a terminal."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    with click.progressbar(length=1000, label=label, file=sys.stderr, show_eta=False) as bar:
        shown = 0

        def update(fraction: float, message: str) -> None:
            nonlocal shown
            target = int(fraction * 1000)
            bar.label = f"{label} {message[:50]:<50}"
            if target > shown:
                bar.update(target - shown)
                shown = target

        yield update


@click.group(cls=_TutorGroup)
@click.version_option(package_name="tutor")
def main() -> None:
    """tutor: a medical-education tutor grounded in your course material."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
def ingest(paths: tuple[Path, ...], as_json: bool) -> None:
    """Add or update curriculum files and folders (Markdown, text, PDF, DOCX).

    Unchanged files are skipped; files deleted from an ingested folder are removed.
    Exits 1 when any file failed (the others are still ingested).
    """
    services = _services()
    with _progress_bar("Ingesting", enabled=True) as progress:
        report = services.ingestor.ingest_paths(list(paths), progress)
    if as_json:
        _emit_json(report.model_dump(mode="json"))
    else:
        for label, names in (("added", report.added), ("updated", report.updated),
                             ("unchanged", report.unchanged), ("removed", report.removed)):
            click.echo(f"{label:>9}: {len(names)}" + (f"  ({', '.join(names[:5])}{' ...' if len(names) > 5 else ''})" if names else ""))
        click.echo(f"   failed: {len(report.failed)}")
        for failure in report.failed:
            click.secho(f"           {failure.source}: {failure.reason}", fg="red")
        click.echo(f"{report.chunks_added} passages embedded, {report.chunks_removed} removed in {report.seconds:.1f} s")
    if report.failed:
        sys.exit(EXIT_PARTIAL)


@main.command()
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 50), default=None, help="Number of passages.")
@click.option("--module", default=None, help="Only passages from this module (e.g. Cardiology).")
@click.option("--source", default=None, help="Only passages from this source file.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
def search(query: str, k: int | None, module: str | None, source: str | None, as_json: bool) -> None:
    """Find the curriculum passages that answer QUERY."""
    result = _services().search(query, k, {"module": module, "source": source})
    if as_json:
        _emit_json(result.model_dump(mode="json"))
        return
    if not result.covered:
        click.secho("The course material does not seem to cover this (no passage above the relevance threshold).", fg="yellow")
    for rank, hit in enumerate(result.hits, 1):
        where = f"{hit.source}" + (f", p. {hit.page}" if hit.page else "")
        click.secho(f"{rank}. [{hit.score:.2f}] {where} — {hit.section or hit.doc_title}", bold=True)
        snippet = " ".join(hit.text.split())
        click.echo(f"   {snippet[:240]}{'…' if len(snippet) > 240 else ''}")


@main.command()
def reindex() -> None:
    """Rebuild the vector index from the library registry in SQLite."""
    services = _services()
    with _progress_bar("Re-indexing", enabled=True) as progress:
        count = services.ingestor.reindex(progress)
    click.echo(f"Re-indexed {count} passages.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as one JSON document.")
def doctor(as_json: bool) -> None:
    """Check settings, model files, databases and the index."""
    from tutor.health import run_checks

    checks = run_checks(load_settings())
    if as_json:
        _emit_json([c.model_dump() for c in checks])
    else:
        for check in checks:
            mark = click.style("ok ", fg="green") if check.ok else click.style("FAIL", fg="red")
            click.echo(f"{mark} {check.name:<18} {check.detail}")
    if not all(c.ok for c in checks):
        sys.exit(1)
