"""Figures for the malformed-uploads suite: ``python -m tests.hardening.malformed_figures [--pdfs 1000]``.

Builds the corpus, uploads it through the real ingest (fresh data folder, real SQLite,
Chroma and MiniLM, the parse sandbox with the default limits) and prints: files by kind,
fully ingested, refused (grouped by reason), app crashes, partial ingests, timeouts,
memory-limit kills, peak memory of the app process and of the parse children, total and
per-file time; then the sandbox's overhead per file against parsing in-process.

Peak memory: the app's is ``ru_maxrss`` of this process (it includes generating the
corpus, about 0.1 GB); the children's is the largest ``ru_maxrss`` of any parse child (from
``wait4`` in the parse server, killed children included). ``RUSAGE_CHILDREN`` (read after
the parse servers have exited) is printed too but overstates: on Linux a child that execs
keeps the high-water mark of the memory it was forked from, so it reports at least the
app's own RSS at the moment a parse server was started.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.factories import make_pdf
from tests.network import loopback_only
from tests.hardening.malformed_files import TOPICS, corpus
from tests.hardening.malformed_ingest import ingest_corpus, partial_ingests
from tutor.content.loaders import load_document
from tutor.index.embeddings import MiniLMOnnxEmbedder
from tutor.index.ingest import upload_source_name
from tutor.index.parse_sandbox import SandboxedParser
from tutor.services import build_services
from tutor.settings import Settings


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--pdfs", type=int, default=1000, help="mutated PDFs (default 1000)")
    options.add_argument("--seed", type=int, default=7)
    args = options.parse_args()

    with tempfile.TemporaryDirectory() as folder, loopback_only():
        settings = Settings(data_dir=Path(folder) / "data", content_dir=Path(folder) / "none")
        embedder = MiniLMOnnxEmbedder()
        embedder.load()
        services = build_services(settings, embedder=embedder)
        samples = corpus(seed=args.seed, pdfs=args.pdfs, max_upload_bytes=settings.max_upload_bytes)
        started = time.perf_counter()
        run = ingest_corpus(services, samples)
        seconds = time.perf_counter() - started
        partial = partial_ingests(run)
        hits = services.search("calcium gluconate stabilises the myocardium").hits
        parser: SandboxedParser = services.ingestor.parse
        stats = parser.stats
        parser.close()
        overhead = measure_overhead()

    by_kind: dict[str, Counter] = {}
    reasons: Counter = Counter()
    for sample in samples:
        outcome = run.outcome(upload_source_name(sample.name))
        label = outcome[0] if len(outcome) == 1 else f"?{outcome}"
        by_kind.setdefault(sample.kind, Counter())[label] += 1
        if label == "failed":
            reasons[_reason_group(run.reason(upload_source_name(sample.name)))] += 1

    print(f"Malformed uploads: {len(samples)} files ({args.pdfs} mutated PDFs, seed {args.seed}) "
          f"+ {len(run.sentinels)} valid files, one after each batch of 25\n")
    print("| kind | files | fully ingested | refused with a reason | other |\n|---|---|---|---|---|")
    for kind, counts in sorted(by_kind.items()):
        other = sum(v for k, v in counts.items() if k not in ("added", "failed"))
        print(f"| {kind} | {sum(counts.values())} | {counts['added']} | {counts['failed']} | {other} |")
    print("\n| reason a file was refused | files |\n|---|---|")
    for reason, count in reasons.most_common():
        print(f"| {reason} | {count} |")
    sentinels_ok = sum(run.outcome(name) == ["added"] for name in run.sentinels)
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"""
| figure | value |
|---|---|
| app crashes (exceptions out of ingest_uploads) | {len(run.crashes)} |
| partial ingests | {len(partial)} |
| valid file after bad ones ingested | {sentinels_ok}/{len(run.sentinels)} |
| library searchable afterwards | {"yes" if hits else "NO"} |
| parse timeouts (limit {settings.parse_timeout_s:g} s) | {stats.timeouts} |
| memory-limit kills (limit {settings.parse_memory_mb} MB) | {stats.memory_kills} |
| reader crashes | {stats.crashes} |
| parses in the sandbox | {stats.parses} |
| peak RSS, app process | {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB |
| peak RSS, largest parse child | {stats.peak_child_rss_kb / 1024:.0f} MB |
| peak RSS, RUSAGE_CHILDREN (see note) | {children_rss / 1024:.0f} MB |
| total ingest time | {seconds:.1f} s |
| per file | {1000 * seconds / (len(samples) + len(run.sentinels)):.0f} ms |
| sandbox overhead per file (valid PDF, {overhead[2]} parses) | {overhead[0]:.1f} ms in-process, {overhead[1]:.1f} ms sandboxed |""")
    for line in run.crashes + partial:
        print("  !", line)


def _reason_group(reason: str) -> str:
    """Reasons with numbers or quoted parts folded together."""
    for prefix in ("the file is ", "the front matter is not valid YAML", "the front matter key",
                   "reading the file needed more than", "the file took too long"):
        if reason.startswith(prefix) and prefix != "the file is ":
            return prefix + " ..."
    if " MiB, over the " in reason:
        return "the file is N MiB, over the upload limit"
    return reason


def measure_overhead(n: int = 60) -> tuple[float, float, int]:
    """Milliseconds per parse of a small valid PDF: in-process, then in the sandbox (warm)."""
    pdf = make_pdf([(title, body * 6) for title, body in TOPICS[:3]], title="Overhead")
    parser = SandboxedParser()
    parser.parse(pdf, "warm.pdf")
    started = time.perf_counter()
    for _ in range(n):
        load_document(pdf, "a.pdf")
    in_process = (time.perf_counter() - started) / n
    started = time.perf_counter()
    for _ in range(n):
        parser.parse(pdf, "a.pdf")
    sandboxed = (time.perf_counter() - started) / n
    parser.close()
    return 1000 * in_process, 1000 * sandboxed, n


if __name__ == "__main__":
    main()
