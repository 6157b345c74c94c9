"""The ``tutor`` command group and its library commands: ingest, search, reindex, doctor, ask."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli.common import EXIT_PARTIAL, TutorGroup, build, cli_learner, emit_json, progress_bar
from tutor.cli.jobs import follow
from tutor.content import phi_screen
from tutor.errors import TutorError
from tutor.modes.access import Actor
from tutor.settings import load_settings

@click.group(cls=TutorGroup)
@click.version_option(package_name="tutor")
def main() -> None:
    """tutor: a medical-education tutor grounded in your course material."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
def ingest(paths: tuple[Path, ...], as_json: bool) -> None:
    """Add or update curriculum files and folders (Markdown, text, PDF, DOCX).

    Unchanged files are skipped; files deleted from an ingested folder are removed.
    Exits 1 when any file failed (the others are still ingested). When a job worker is
    running (the app, or `tutor worker`), the ingest runs there as a job and this command
    follows it: the running app's index is never written by a second process.
    """
    services = build()
    with progress_bar("Ingesting", enabled=True) as progress:
        if services.jobs.workers_alive():
            job = follow(services, services.submit_ingest_paths(Actor.operator(), list(paths)), progress)
            report = job.report()
            if report is None:
                raise TutorError(f"The ingest job failed: {job.error}")
        else:
            report = services.ingestor.ingest_paths(list(paths), progress)
    if as_json:
        emit_json(report.model_dump(mode="json"))
    else:
        for label, names in (("added", report.added), ("updated", report.updated),
                             ("unchanged", report.unchanged), ("removed", report.removed)):
            click.echo(f"{label:>9}: {len(names)}" + (f"  ({', '.join(names[:5])}{' ...' if len(names) > 5 else ''})" if names else ""))
        click.echo(f"   failed: {len(report.failed)}")
        for failure in report.failed:
            click.secho(f"           {failure.source}: {failure.reason}", fg="red")
        if report.held:
            click.secho(f"     held: {len(report.held)} (they seem to contain patient identifiers; not indexed)", fg="yellow")
            for item in report.held:
                click.secho(f"           [{item.held_id}] {item.source}: {phi_screen.describe(item.counts)}", fg="yellow")
            click.echo("           Review them with `tutor held list` or on the Library page.")
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
    result = build().search(query, k, {"module": module, "source": source})
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    if not result.covered:
        click.secho("The course material does not seem to cover this (no passage is judged to answer it); "
                    "the nearest passages follow.", fg="yellow")
    for rank, hit in enumerate(result.hits, 1):
        where = f"{hit.source}" + (f", p. {hit.page}" if hit.page else "")
        click.secho(f"{rank}. [{hit.score:.2f}] {where} — {hit.section or hit.doc_title}", bold=True)
        snippet = " ".join(hit.text.split())
        click.echo(f"   {snippet[:240]}{'…' if len(snippet) > 240 else ''}")


@main.command()
def reindex() -> None:
    """Rebuild the vector index from the library registry in SQLite."""
    services = build()
    with progress_bar("Re-indexing", enabled=True) as progress:
        count = services.ingestor.reindex(progress)
    click.echo(f"Re-indexed {count} passages.")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as one JSON document.")
def doctor(as_json: bool) -> None:
    """Check settings, model files, databases and the index."""
    from tutor.health import run_checks

    checks = run_checks(load_settings())
    if as_json:
        emit_json([c.model_dump() for c in checks])
    else:
        for check in checks:
            mark = click.style("ok ", fg="green") if check.ok else click.style("FAIL", fg="red")
            click.echo(f"{mark} {check.name:<18} {check.detail}")
    if not all(c.ok for c in checks):
        sys.exit(1)


def _answer_json(answer) -> dict:
    return {
        "answer": answer.text,
        "grounded": answer.grounded,
        "kind": answer.kind,
        "citations": [
            {"source": c.source, "section": c.section, "page": c.page, "chunk_id": c.chunk_id} for c in answer.citations
        ],
        "quotes": [{"citation": q.citation_number, "text": q.text} for q in answer.quotes],
        "removed_citations": answer.removed_citations,
        "claims_checked": answer.claims_checked,
        "unsupported": list(answer.unsupported),
        "related": [{"source": c.source, "section": c.section, "page": c.page, "chunk_id": c.chunk_id}
                    for c in answer.related],
        "model": answer.model,
        "prompt_version": answer.prompt_version,
        "latency_ms": answer.latency_ms,
    }


@main.command()
@click.argument("question")
@click.option("--mode", type=click.Choice(["explain", "socratic"]), default="explain", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON document.")
def ask(question: str, mode: str, as_json: bool) -> None:
    """Ask the tutor a question about the course material."""
    from tutor.domain import Answer

    services = build()
    if not services.tutor.model_loaded:
        click.echo("Starting the language model…", err=True)
        services.tutor.warm_up()
    answer = None
    for event in services.tutor.stream(question, learner_id=cli_learner(services), mode=mode):
        if isinstance(event, Answer):
            answer = event
    if as_json:
        emit_json(_answer_json(answer))
        return
    if not answer.grounded:
        click.secho(f"[{answer.kind.replace('_', ' ')}]", fg="yellow", err=True)
    click.echo(answer.text)
    for citation in answer.citations:
        click.echo(f"  [{citation.number}] {citation.source} — {citation.section}" + (f", p. {citation.page}" if citation.page else ""))
    for quote in answer.quotes:
        click.secho(f"  > {quote.text} [{quote.citation_number}]", dim=True)
    if answer.unsupported:
        click.secho(f"  {len(answer.unsupported)} statement(s) marked ⚠️ are not supported by the cited material.", fg="yellow")
    for citation in answer.related:
        click.echo(f"  related reading: {citation.source} — {citation.section}" + (f", p. {citation.page}" if citation.page else ""))
