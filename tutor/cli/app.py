"""The ``tutor`` command group and its library commands: ingest, search, reindex, doctor, ask, eval."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli.common import EXIT_PARTIAL, OPERATOR, TutorGroup, build, cli_learner, emit_json, progress_bar
from tutor.content import phi_screen
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
    Exits 1 when any file failed (the others are still ingested).
    """
    services = build()
    with progress_bar("Ingesting", enabled=True) as progress:
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
        click.secho("The course material does not seem to cover this (no passage above the relevance threshold).", fg="yellow")
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


def _report_eval(report, as_json: bool) -> None:
    if as_json:
        emit_json(report.model_dump(mode="json"))
        return
    for key, value in report.summary().items():
        click.echo(f"{key:>32}: {value}")


@main.command(name="eval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option("--json", "as_json", is_flag=True, help="Print the full report (with every answer) as JSON.")
def eval_command(questions: Path, limit: int | None, as_json: bool) -> None:
    """Evaluate retrieval and answers on a JSONL file of {"question", "expected_source"}.

    expected_source null marks an out-of-scope question: the tutor should abstain.
    """
    from tutor.evaluation.retrieval import load_questions
    from tutor.evaluation.tutor_eval import evaluate_tutor

    services = build()
    items = load_questions(questions)[:limit]
    learner = cli_learner(services)
    with progress_bar("Evaluating", enabled=True) as progress:
        report = evaluate_tutor(
            lambda q: services.tutor.ask(q, learner_id=learner), services.search, items,
            progress=(lambda done, total: progress(done / total, f"{done}/{total}")) if progress else None,
        )
    _report_eval(report, as_json)


@main.command(name="eval-pubmedqa")
@click.argument("pqal_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--limit", type=int, default=50, show_default=True, help="Questions to ask (answers are slow on a CPU).")
@click.option("--remove-gold", type=int, default=20, show_default=True,
              help="Also ask N questions whose own abstract was removed: the tutor should abstain.")
@click.option("--json", "as_json", is_flag=True, help="Print both reports as JSON.")
def eval_pubmedqa(pqal_json: Path, limit: int, remove_gold: int, as_json: bool) -> None:
    """Evaluate on PubMedQA (PQA-L format): index the abstracts in a scratch folder, then ask.

    The corpus and its index live in a temporary data folder, never in the course's.
    """
    import tempfile

    from tutor.evaluation.pubmedqa import write_corpus
    from tutor.evaluation.tutor_eval import evaluate_tutor
    from tutor.services import build_services

    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="tutor-pubmedqa-") as scratch:
        scratch_dir = Path(scratch)
        questions = write_corpus(pqal_json, scratch_dir / "corpus")
        # Published abstracts, not patient records: study-period dates ("1 April 2000") would be held by the PHI screen.
        services = build_services(settings.model_copy(update={"data_dir": scratch_dir / "data", "course": "pubmedqa",
                                                               "phi_screening": False}))
        with progress_bar("Indexing", enabled=True) as progress:
            services.ingestor.ingest_paths([scratch_dir / "corpus"], progress)
        learner = cli_learner(services)
        asked, held_out = questions[:limit], questions[limit : limit + remove_gold]
        for item in held_out:  # their own abstracts go: the tutor must now say it is not covered
            services.delete_document(OPERATOR, next(d.doc_id for d in services.documents() if d.source == item.expected_source))
        held_out = [item.model_copy(update={"expected_source": None}) for item in held_out]
        with progress_bar("Asking", enabled=True) as progress:
            report = evaluate_tutor(
                lambda q: services.tutor.ask(q, learner_id=learner), services.search, asked + held_out,
                progress=(lambda done, total: progress(done / total, f"{done}/{total}")) if progress else None,
            )
    _report_eval(report, as_json)
