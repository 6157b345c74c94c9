"""Evaluation commands: the bundled question set, PubMedQA, MedQuAD, and the judge's calibration.

The external corpora are indexed in a scratch data folder, never the course's. They
come from ``../shared/eval`` (real data written by others); a command whose data is
absent says so and exits cleanly (``judge-calibrate``, a maintainer's command, stops with
an error instead). PubMedQA and MedQuAD questions are drawn from one
split of the judge's (:func:`tutor.judge.training.data.split_of`): ``judge-calibrate``
uses ``calib``, the reported figures come from ``test``, and no ``train`` question is
ever asked. ``--retrieval-only`` measures the coverage verdict and the ranking without
the chat model (seconds instead of minutes per question on a CPU). ``judge-calibrate`` also
uses the first half of the bundled evaluation set (``retrieval-part1.jsonl``); the second
half is only ever reported on.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import click

from tutor.cli.common import OPERATOR, cli_learner, emit_json, progress_bar
from tutor.settings import PROJECT_ROOT, load_settings

SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
SPLITS = click.Choice(["calib", "test", "all"])  # "all": every question, for a file that is not the shared data


def _report(report, as_json: bool) -> None:
    """Print the report; exit 1 when some questions failed (the figures then cover the rest only)."""
    if as_json:
        emit_json(report.model_dump(mode="json"))
    else:
        for key, value in report.summary().items():
            click.echo(f"{key:>38}: {value}")
    if getattr(report, "failed", 0):
        click.secho(f"{report.failed} question(s) failed (model errors or timeouts); see their outcomes.", err=True,
                    fg="yellow")
        raise SystemExit(1)


def _progress(bar) -> Callable[[int, int], None] | None:
    return (lambda done, total: bar(done / total, f"{done}/{total}")) if bar else None


@contextmanager
def _scratch_library(corpus_writer: Callable[[Path], object], course: str, **overrides):
    """Services over a scratch data folder holding only the corpus the writer puts in ``corpus/``."""
    from tutor.services import build_services

    settings = load_settings().model_copy(update=overrides)
    with tempfile.TemporaryDirectory(prefix=f"tutor-{course}-") as scratch:
        scratch_dir = Path(scratch)
        written = corpus_writer(scratch_dir / "corpus")
        # Published abstracts and NIH pages, not patient records: dates of studies would be held by the PHI screen.
        services = build_services(settings.model_copy(update={"data_dir": scratch_dir / "data", "course": course,
                                                               "phi_screening": False}))
        with progress_bar("Indexing", enabled=True) as bar:
            services.ingestor.ingest_paths([scratch_dir / "corpus"], bar)
        yield services, written


def _evaluate(services, questions, retrieval_only: bool):
    from tutor.evaluation.retrieval import evaluate_retrieval
    from tutor.evaluation.tutor_eval import evaluate_tutor

    if retrieval_only:
        return evaluate_retrieval(services.search, questions)
    learner = cli_learner(services)
    services.tutor.warm_up()  # the model's start is not part of any question's latency
    with progress_bar("Asking", enabled=True) as bar:
        return evaluate_tutor(lambda q: services.tutor.ask(q, learner_id=learner), services.search, questions,
                              progress=_progress(bar))


@click.command(name="eval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option("--retrieval-only", is_flag=True, help="Measure retrieval and the coverage verdict only (no chat model).")
@click.option("--json", "as_json", is_flag=True, help="Print the full report (with every answer) as JSON.")
def eval_command(questions: Path, limit: int | None, retrieval_only: bool, as_json: bool) -> None:
    """Evaluate retrieval and answers on a JSONL file of {"question", "expected_source"}.

    expected_source null marks an out-of-scope question: the tutor should abstain.
    """
    from tutor.cli.common import build
    from tutor.evaluation.retrieval import load_questions

    _report(_evaluate(build(), load_questions(questions)[:limit], retrieval_only), as_json)


def pubmedqa_questions(pqal_json: Path, split: str):
    """A corpus writer for every abstract that returns the questions of one split, in file order."""
    from tutor.evaluation.pubmedqa import write_corpus
    from tutor.judge.training.data import split_of

    def writer(folder: Path):
        items = write_corpus(pqal_json, folder)
        return [q for q in items if split in ("all", split_of("pubmedqa", q.expected_source.removesuffix(".md")))]

    return writer


@click.command(name="eval-pubmedqa")
@click.argument("pqal_json", type=click.Path(dir_okay=False, path_type=Path),
                default=SHARED_EVAL / "pubmedqa" / "pqal_dev.json")
@click.option("--split", type=SPLITS, default="test", show_default=True, help="The judge's split the questions come from.")
@click.option("--limit", type=int, default=30, show_default=True, help="In-scope questions to ask.")
@click.option("--remove-gold", type=int, default=30, show_default=True,
              help="Also ask N questions whose own abstract was removed: the tutor should say it is not covered.")
@click.option("--retrieval-only", is_flag=True, help="Measure retrieval and the coverage verdict only (no chat model).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_pubmedqa(pqal_json: Path, split: str, limit: int, remove_gold: int, retrieval_only: bool, as_json: bool) -> None:
    """Evaluate on PubMedQA (PQA-L format): index every abstract in a scratch folder, then ask."""
    if not pqal_json.is_file():
        click.echo(f"Skipped: PubMedQA data not found at {pqal_json}.")
        return
    with _scratch_library(pubmedqa_questions(pqal_json, split), "pubmedqa") as (services, questions):
        report = _evaluate(services, _remove_gold(services, questions, limit, remove_gold), retrieval_only)
    _report(report, as_json)


def _remove_gold(services, questions, limit: int, remove_gold: int):
    asked, removed = questions[:limit], questions[limit : limit + remove_gold]
    by_source = {d.source: d.doc_id for d in services.documents()}
    for item in removed:  # their own abstracts go: the tutor must now say it is not covered
        services.delete_document(OPERATOR, by_source[item.expected_source])
    return asked + [item.model_copy(update={"expected_source": None}) for item in removed]


@click.command(name="eval-medquad")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=SHARED_EVAL, show_default=True)
@click.option("--split", type=SPLITS, default="test", show_default=True, help="The judge's split the topics come from.")
@click.option("--topics", type=int, default=None, help="Use only N topics of the split (all by default).")
@click.option("--limit", type=int, default=30, show_default=True, help="In-scope questions to ask.")
@click.option("--held-out", type=int, default=30, show_default=True, help="Questions on topics held out of the index.")
@click.option("--retrieval-only", is_flag=True, help="Measure retrieval and the coverage verdict only (no chat model).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_medquad(data_dir: Path, split: str, topics: int | None, limit: int, held_out: int, retrieval_only: bool,
                 as_json: bool) -> None:
    """Evaluate on MedQuAD: one split's topics indexed, 20% of them held out for "not covered"."""
    from tutor.evaluation.medquad import write_corpus

    if not (data_dir / "medquad" / "medquad_dev.jsonl.gz").is_file():
        click.echo(f"Skipped: MedQuAD data not found under {data_dir / 'medquad'}.")
        return
    with _scratch_library(lambda folder: write_corpus(data_dir, folder, split=split, topics=topics), "medquad") as (
        services, (inside, outside)
    ):
        report = _evaluate(services, inside[:limit] + outside[:held_out], retrieval_only)
    _report(report, as_json)


def _candidates(services, questions) -> list:
    """(in scope, the coverage rule's feature rows of its judged candidates) of each question."""
    return [(bool(item.expected_source), services.retriever.judged_candidates(item.question)) for item in questions]


@click.command(name="judge-calibrate")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=SHARED_EVAL, show_default=True)
@click.option("--max-false-not-covered", type=float, default=0.05, show_default=True,
              help="Share of answerable calibration questions the rule may wrongly decline, on each corpus.")
@click.option("--write/--no-write", default=True, help="Write the rule into tutor/judge/judge.json.")
def judge_calibrate(data_dir: Path, max_false_not_covered: float, write: bool) -> None:
    """Fit the coverage rule on the calib splits of MedQuAD and PubMedQA and the bundled part 1."""
    from tutor.evaluation.coverage import fit_rule
    from tutor.evaluation.medquad import write_corpus
    from tutor.evaluation.retrieval import load_questions
    from tutor.judge.model import CARD_PATH

    pqal = data_dir / "pubmedqa" / "pqal_dev.json"
    if not pqal.is_file() or not (data_dir / "medquad" / "medquad_dev.jsonl.gz").is_file():
        raise click.ClickException(f"Calibration needs MedQuAD and PubMedQA under {data_dir}.")
    corpora: dict[str, list] = {}
    with _scratch_library(lambda folder: write_corpus(data_dir, folder, split="calib", topics=400), "medquad",
                          relevance_judge=True) as (services, (inside, outside)):
        corpora["medquad"] = _candidates(services, inside[:150] + outside)
    with _scratch_library(pubmedqa_questions(pqal, "calib"), "pubmedqa", relevance_judge=True) as (services, questions):
        half = len(questions) // 2
        corpora["pubmedqa"] = _candidates(services, _remove_gold(services, questions, half, len(questions) - half))
    bundled = PROJECT_ROOT / "content" / "curriculum"
    with _scratch_library(lambda folder: shutil.copytree(bundled, folder), "bundled", relevance_judge=True) as (
        services, _
    ):
        corpora["bundled"] = _candidates(services, load_questions(PROJECT_ROOT / "tests" / "evals" / "data" / "retrieval-part1.jsonl"))
    result = fit_rule(corpora, max_false_not_covered=max_false_not_covered)
    result["max_false_not_covered"] = max_false_not_covered
    if write:
        card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
        result["model_sha256"] = card["sha256"]  # the calibration belongs to this model file only
        card.pop("coverage_threshold", None), card.pop("coverage_cosine", None)  # the rule before this one
        card["coverage_rule"] = result["rule"]
        card["coverage_calibration"] = {k: v for k, v in result.items() if k != "rule"}
        CARD_PATH.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    emit_json(result)
