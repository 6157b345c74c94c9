"""Suite 2 figures: ``kill -9`` of the ingest, N runs, one table.

    python -m tests.hardening.crash_figures [--runs 50] [--bundled 4 --generated 6 --pdfs 2] [--server]

Runs :mod:`tests.hardening.crash_consistency` (N random kills, one in five of them
fired from inside the child during a Chroma write, then one kill at each of the
deterministic points) and prints one line per run and a Markdown table: kills per
phase, integrity_check failures, unqueryable indexes, wrong chunk sets after the
re-run, duplicates, orphans, rebuild-from-SQLite mismatches, time per run. Exits 1 if
any run failed; a failed run's folder is kept for a post-mortem (its path is printed).
``--server`` keeps the vectors on a real ``chroma run`` server (loopback, its own folder),
as ``tutor school`` deploys it; one random run in five then kills the server instead.
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.chroma_server import ChromaServer
from tests.hardening.crash_consistency import DETERMINISTIC, CrashHarness, RunRecord, describe
from tests.hardening.crash_curriculum import Size
from tests.hardening.crash_launch import PHASES


def run_all(harness: CrashHarness, runs: int, seed: int = 20261123, deterministic: bool = True,
            log: Callable[[str], None] = lambda _: None) -> list[RunRecord]:
    records = []
    for number in range(runs):
        record = harness.random_run(number, runs, seed)
        log(describe(record))
        records.append(record)
    if deterministic:
        for offset, (_, scenario, pause_at) in enumerate(DETERMINISTIC):
            record = harness.run(runs + offset, scenario, "pause", pause_at=pause_at)
            log(describe(record))
            records.append(record)
    return records


def summarise(records: list[RunRecord]) -> dict[str, Any]:
    phases = Counter(r.phase for r in records)
    server_kills = [r for r in records if r.target.startswith("server")]
    return {
        "runs": len(records),
        "killed (child still running)": sum(r.killed for r in records),
        "kills per phase": {p: phases[p] for p in PHASES if phases[p]},
        "repair needed before re-run": sum(bool(r.repair_needed) for r in records),
        "integrity_check failures": sum(bool(r.integrity_failures) for r in records),
        "index unqueryable": sum(r.index_error is not None for r in records),
        "processes left behind by the kill": sum(r.left_behind for r in records),
        "orphans shown by search before re-run": sum(r.search_leak for r in records),
        "search errors before re-run": sum(r.search_error is not None for r in records),
        "wrong chunk set after re-run": sum(bool(r.wrong_chunks or r.wrong_documents) for r in records),
        "duplicates": sum(r.duplicates for r in records),
        "orphans after re-run": sum(r.orphans for r in records),
        "missing vectors after re-run": sum(r.missing for r in records),
        "rebuild-from-SQLite mismatches": sum(bool(r.rebuild_mismatch) for r in records),
        **({"Chroma server killed mid-ingest (ingest still running)": sum(r.killed for r in server_kills),
            "... the ingest ended with the 'not answering' message": sum(
                r.child_exit == 1 and "not answering" in r.child_said for r in server_kills if r.killed)}
           if server_kills else {}),
        "failed runs": sum(not r.ok for r in records),
        "seconds per run (mean / max)": (
            f"{sum(r.seconds for r in records) / max(len(records), 1):.1f} / {max((r.seconds for r in records), default=0):.1f}"),
    }


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start"


def table(summary: dict, command: str, where: str, references: str) -> str:
    lines = [f"`{command}` on {where}; {references}", "", "| Measure | Value |", "|---|---:|"]
    for key, value in summary.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items(), key=lambda kv: PHASES.index(kv[0])))
        lines.append(f"| {key} | {value} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="random kills (the deterministic ones come on top)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--bundled", type=int, default=4, help="files of the bundled curriculum to include")
    parser.add_argument("--generated", type=int, default=6, help="generated Markdown files")
    parser.add_argument("--pdfs", type=int, default=2, help="generated PDFs")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new temporary folder")
    parser.add_argument("--server", action="store_true", help="vectors on a chroma run server, which is also killed")
    args = parser.parse_args(argv)

    from tutor.index.embeddings import MiniLMOnnxEmbedder

    where = machine()
    embedder = MiniLMOnnxEmbedder()
    embedder.load()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tutor-crash-"))
    started = time.perf_counter()
    notes: list[str] = []

    def log(line: str) -> None:
        notes.append(line)
        print(line, flush=True)

    with ExitStack() as stack:
        server = stack.enter_context(ChromaServer(workdir / "chroma-server")) if args.server else None
        harness = CrashHarness(workdir / "runs", embedder, Size(args.bundled, args.generated, args.pdfs), log=log,
                               server=server)
        records = run_all(harness, args.runs, seed=args.seed, log=log)
    summary = summarise(records)
    command = "python -m tests.hardening.crash_figures " + shlex.join(argv if argv is not None else sys.argv[1:])
    print()
    print(table(summary, command.strip(), where, notes[0]))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; work folder {workdir}")
    failed = [r for r in records if not r.ok]
    for record in failed:
        print(f"FAILED run {record.number} ({workdir / 'runs' / f'run-{record.number:03d}'}): {'; '.join(record.failures)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
