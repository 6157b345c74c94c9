"""Suite 2 figures: ``kill -9`` of the ingest, N runs, one table.

    python -m tests.hardening.crash_figures [--runs 50] [--bundled 4 --generated 6 --pdfs 2]

Runs :mod:`tests.hardening.crash_consistency` (N random kills, one in five of them
fired from inside the child during a Chroma write, then one kill at each of the
deterministic points) and prints one line per run and a Markdown table: kills per
phase, integrity_check failures, unqueryable indexes, wrong chunk sets after the
re-run, duplicates, orphans, rebuild-from-SQLite mismatches, time per run. Exits 1 if
any run failed; a failed run's folder is kept for a post-mortem (its path is printed).
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

from tests.hardening.crash_consistency import PHASES, CrashHarness, run_all, summarise
from tests.hardening.crash_curriculum import Size


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

    harness = CrashHarness(workdir, embedder, Size(args.bundled, args.generated, args.pdfs), log=log)
    records = run_all(harness, args.runs, seed=args.seed, log=log)
    summary = summarise(records)
    command = "python -m tests.hardening.crash_figures " + shlex.join(argv if argv is not None else sys.argv[1:])
    print()
    print(table(summary, command.strip(), where, notes[0]))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; work folder {workdir}")
    failed = [r for r in records if not r.ok]
    for record in failed:
        print(f"FAILED run {record.number} ({workdir / f'run-{record.number:03d}'}): {'; '.join(record.failures)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
