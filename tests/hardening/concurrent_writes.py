"""Suite 3: many students answering at once, with dashboards loading meanwhile.

    python -m tests.hardening.concurrent_writes [--writers 16] [--writes 1000]

Every writer answers as the quiz does (``start_block`` then ``grade`` of one attempt with
its FSRS review and its ``question_stats`` row, one ``BEGIN IMMEDIATE`` transaction) on one
progress.db, first as threads of one process (Streamlit serves each session on a thread),
then as separate processes (two app processes on one file), while two reader threads load
a student's dashboard in a loop. Afterwards every acknowledged attempt id is looked up in
the file, and the rows of all four tables the write touches are counted: the run fails on
one lost, duplicated or refused write. A refusal is what a learner would see: the store's
:class:`~tutor.errors.StoreError` message, never SQLite's "database is locked".

The class underneath is small (the write path does not depend on its size; the dashboard
benchmark, ``tests.bench.dashboard_scale``, measures the same writes on a 1M-attempt file).
``tests/hardening/test_concurrent_writes.py`` runs this at a quick size in ``make test``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.bench.dashboard_scale import WriteRun, _pct, machine, write_load
from tests.synthetic_progress import generate
from tutor.clock import utc_now

LEARNERS, ATTEMPTS, WRITERS, WRITES, SEED = 100, 20_000, 16, 1000, 20261123


def run(data_dir: Path, *, writers: int = WRITERS, writes: int = WRITES, learners: int = LEARNERS,
        attempts: int = ATTEMPTS, embedder: Any = None, log: Callable[[str], None] = print) -> list[WriteRun]:
    """Build a small class in ``data_dir`` and run the writers; raises on any lost or refused write."""
    from tutor.services import build_services
    from tutor.settings import PROJECT_ROOT, Settings

    settings = Settings(data_dir=data_dir, content_dir=PROJECT_ROOT / "content")
    services = build_services(settings, **({"embedder": embedder} if embedder is not None else {}))
    services.load_bundled_questions()
    course = settings.course
    questions = [(q.id, q.question.answer, len(q.question.options), q.version) for q in services.bank.in_use(course)]
    made = generate(settings.progress_db, course_id=course, questions=questions, learners=learners,
                    attempts=attempts, seed=SEED, now=utc_now())
    return write_load(services, made, questions, writers, writes, log)


def markdown(runs: Sequence[WriteRun], command: str) -> str:
    lines = [
        f"`{command}` on {machine()}:",
        "",
        "| Writers | Acknowledged / attempted | Missing afterwards | Refused (\"database is locked\" shown) |"
        " Answer p50 / p99 / max ms | Answers/s | Dashboard loads meanwhile: count (p50 / p99 ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        locked = sum("locked" in e.split(" (")[0] for e in r.errors)
        ms = [1000 * _pct(r.answer, q) for q in (50, 99)] + [1000 * max(r.answer)]
        lines.append(
            f"| {r.label} x {r.writes_each:,} | {r.writes:,} / {r.writers * r.writes_each:,} | {r.missing} |"
            f" {len(r.errors)} ({locked}) | {ms[0]:,.1f} / {ms[1]:,.1f} / {ms[2]:,.1f} | {r.writes / r.wall:,.0f} |"
            f" {len(r.reads)} ({1000 * _pct(r.reads, 50):,.0f} / {1000 * _pct(r.reads, 99):,.0f}) |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m tests.hardening.concurrent_writes", description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=WRITERS, help="writer threads, then writer processes")
    parser.add_argument("--writes", type=int, default=WRITES, help="answers written by each writer")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="concurrent-writes-") as tmp:
        runs = run(Path(tmp) / "data", writers=args.writers, writes=args.writes)
    print()
    print(markdown(runs, shlex.join(["python", "-m", "tests.hardening.concurrent_writes", *argv])))


if __name__ == "__main__":
    main()
