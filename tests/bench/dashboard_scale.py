"""Dashboards at class scale, and progress writes under concurrency: figures for docs/measurements.md.

    python -m tests.bench.dashboard_scale [--learners 2000] [--attempts 1000000] [--keep DIR]

Why a script and not a pytest-benchmark test: generating the class takes half a minute,
the write phase starts separate processes, and the result is one Markdown table to paste
into docs/measurements.md. ``tests/bench/test_dashboard_scale.py`` runs the same code at a small
size in the ordinary test run, with correctness assertions only (no timed assertions).

What it does, on real Services over a fresh data folder (bundled questions and cases
loaded; the curriculum is not indexed, no dashboard needs it):

1. writes a synthetic class (:mod:`tests.synthetic_progress`: 2PL IRT answers, planted
   bad items, review cards, case scores, chat turns) straight into progress.db;
2. times every dashboard call as the UI makes it (a student's own dashboard, the class
   overview for each dimension, item analysis, the student list), then the
   ``ProgressReports`` queries behind them one by one, so a slow part is visible, then
   the streamed CSV export of every attempt. Each is run once to warm up ("first"),
   then ``--repeats`` times (median and max);
3. measures the quiz's write path (``ProgressStore.start_block`` then ``grade`` of one
   attempt with its FSRS review, as ``tutor.modes.quiz.service`` answers a question) with one
   writer, with N writer threads, and with N writer processes on the same file, while
   two reader threads keep loading a student's dashboard. It then counts the rows: a
   lost write stops the script with an error.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import queue
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# tutor.services (Chroma, LangChain) and the modes are imported inside the functions that use
# them: every writer process imports this module and should pay only for the progress store.
from tests.synthetic_progress import SyntheticClass, generate
from tutor.clock import utc_now
from tutor.errors import StoreError
from tutor.progress import scheduling
from tutor.progress.records import Attempt, ReviewCard
from tutor.progress.store import ProgressStore
from tutor.ui.class_view import HEATMAP_ROWS

LEARNERS = 2000
ATTEMPTS = 1_000_000
REPEATS = 5
WRITERS = 16
WRITES = 200
READERS = 2
SEED = 20260301


# -- results --------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    rows: int
    first: float  # seconds, the warm-up call
    samples: list[float]
    result: Any = field(default=None, repr=False)  # what the last call returned (the pytest wrapper checks it)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)


@dataclass
class WriteRun:
    label: str
    writers: int
    writes_each: int
    answer: list[float]  # seconds per grade() (the answer the learner waits for)
    total: list[float]  # seconds per start_block() + grade()
    wall: float
    errors: list[str]  # what each refused write said to the learner (StoreError.user_message), with its detail
    reads: list[float]  # seconds per dashboard load by the reader threads during the run
    stored: int  # attempts counted in the database afterwards
    missing: int = 0  # acknowledged attempts (grade() returned) not found in the database afterwards

    @property
    def writes(self) -> int:
        return len(self.answer)


@dataclass
class Report:
    learners: int
    attempts: int
    made: SyntheticClass
    db_bytes: int
    queries: list[Timing] = field(default_factory=list)
    writes: list[WriteRun] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before the query timings and before the writes


# -- the run --------------------------------------------------------------------------------


def run(
    data_dir: Path,
    *,
    learners: int = LEARNERS,
    attempts: int = ATTEMPTS,
    repeats: int = REPEATS,
    csv_repeats: int = 3,
    writers: int = WRITERS,
    writes: int = WRITES,
    seed: int = SEED,
    embedder: Any = None,
    keep_results: bool = False,
    log: Callable[[str], None] = print,
) -> Report:
    """Build the class in ``data_dir`` (which must not hold a progress.db yet), time, write, count.

    ``keep_results`` keeps what each call returned (for the pytest wrapper's checks); off by
    default because 136,000 heatmap cells kept alive would slow the garbage collector, and so
    every later call, which would then measure the benchmark rather than the dashboards.
    """
    from tutor.services import build_services
    from tutor.settings import PROJECT_ROOT, Settings

    settings = Settings(data_dir=data_dir, content_dir=PROJECT_ROOT / "content")
    if settings.progress_db.exists():
        raise SystemExit(f"{settings.progress_db} exists already: give an empty folder")
    services = build_services(settings, **({"embedder": embedder} if embedder is not None else {}))
    services.load_bundled_questions()
    services.load_bundled_cases()
    course = settings.course
    questions = [(q.id, q.question.answer, len(q.question.options), q.version) for q in services.bank.in_use(course)]
    cases = []
    for entry in services.case_library.catalogue():
        case = services.case_library.get(entry.id)
        cases.append((entry.id, entry.content_hash, tuple(o.id for o in case.objectives)))
    log(f"generating {learners:,} learners, {attempts:,} attempts over {len(questions)} questions ...")
    made = generate(settings.progress_db, course_id=course, questions=questions, learners=learners,
                    attempts=attempts, seed=seed, now=utc_now(), cases=cases)
    log(f"  done in {made.seconds:.1f} s")
    report = Report(learners, attempts, made, _db_bytes(settings.progress_db))
    before_queries = os.getloadavg()[0]  # other work on the machine shows here: say so with the figures
    report.queries = time_queries(services, made, repeats, log, keep=keep_results)
    report.queries.append(time_csv(services, csv_repeats, log))
    before_writes = os.getloadavg()[0]
    report.writes = write_load(services, made, questions, writers, writes, log)
    report.load = (before_queries, before_writes)
    return report


def _students(made: SyntheticClass) -> tuple[int, int]:
    """The busiest student and a typical (median-activity) one."""
    ranked = sorted(range(len(made.learner_ids)), key=lambda i: made.attempts_per_learner[i])
    return made.learner_ids[ranked[-1]], made.learner_ids[ranked[len(ranked) // 2]]


def time_queries(services, made: SyntheticClass, repeats: int, log: Callable[[str], None] = print, *,
                 keep: bool = False) -> list[Timing]:
    from tutor.modes.access import Actor
    from tutor.progress.reports import ProgressReports

    course = services.settings.course
    reports = ProgressReports(services.settings.progress_db)
    busiest, typical = _students(made)
    as_busiest = Actor.of(services.progress.get_learner_by_id(busiest))
    as_typical = Actor.of(services.progress.get_learner_by_id(typical))
    staff = Actor.operator()
    dash = services.dashboards
    now = utc_now()
    calls: list[tuple[str, Callable[[], Any], Callable[[Any], int]]] = [
        ("Student dashboard: `learner` (busiest student)", lambda: dash.learner(as_busiest), lambda d: d.answered),
        ("Student dashboard: `learner` (median student)", lambda: dash.learner(as_typical), lambda d: d.answered),
        *[(f"Class overview as the page asks: `class_overview({d}, heatmap_rows=40)`",
           (lambda d=d: dash.class_overview(staff, d, heatmap_rows=HEATMAP_ROWS)), _cells)
          for d in ("objective", "topic", "system")],
        ("Class overview, heatmap of every student: `class_overview(objective)`",
         lambda: dash.class_overview(staff, "objective"), _cells),
        ("Item analysis: `item_analysis`", lambda: dash.item_analysis(staff), len),
        ("`ProgressReports.question_stats` (whole class)", lambda: reports.question_stats(course), len),
        ("`ProgressReports.question_stats` (one learner)", lambda: reports.question_stats(course, busiest), len),
        ("`ProgressReports.question_stats` (40 learners, a heatmap's rows)",
         lambda: reports.question_stats(course, learner_ids=made.learner_ids[:40]), len),
        ("`ProgressReports.daily_answers` (busiest, 12 weeks)",
         lambda: reports.daily_answers(busiest, course, now - timedelta(weeks=12)), len),
        ("`ProgressReports.students`", lambda: reports.students(course, utc_now()), len),
        ("`ProgressReports.usage` (90 days)", lambda: reports.usage(course, utc_now() - timedelta(days=90)), len),
        ("`ProgressReports.case_scores` (everyone)", lambda: reports.case_scores(), len),
        ("`ProgressReports.case_summaries`", lambda: reports.case_summaries(), len),
    ]
    timings = []
    for name, call, count in calls:
        began = time.perf_counter()
        result = call()
        first = time.perf_counter() - began
        rows, samples = count(result), []
        for _ in range(repeats):
            result = None  # the previous result is garbage before the next call, as in the app
            began = time.perf_counter()
            result = call()
            samples.append(time.perf_counter() - began)
        timing = Timing(name, rows, first, samples, result if keep else None)
        result = None
        log(f"  {name}: median {1000 * timing.median:.1f} ms, max {1000 * timing.max:.1f} ms ({timing.rows:,} rows)")
        timings.append(timing)
    return timings


def _cells(overview) -> int:
    return len(overview.cells)


def time_csv(services, repeats: int, log: Callable[[str], None] = print) -> Timing:
    """Stream the whole attempts export as the download does, counting rows."""
    from tutor.modes.access import Actor

    samples, rows = [], 0
    for _ in range(max(repeats, 1) + 1):
        began = time.perf_counter()
        lines = sum(chunk.count("\n") for chunk in services.dashboards.attempts_csv(Actor.operator()))
        samples.append(time.perf_counter() - began)
        rows = lines - 1  # the header
    timing = Timing("Export: every attempt as CSV (`attempts_csv`, streamed)", rows, samples[0], samples[1:])
    log(f"  {timing.name}: median {timing.median:.1f} s ({rows:,} rows)")
    return timing


# -- writes under concurrency ---------------------------------------------------------------


def _review(current: ReviewCard | None, attempt: Attempt, now: datetime) -> tuple[ReviewCard, dict]:
    """The quiz's review step (tutor.modes.quiz._review): FSRS on the answer."""
    return scheduling.review(current, learner_id=attempt.learner_id, question_id=attempt.question_id,
                             correct=attempt.correct, time_taken_ms=attempt.time_taken_ms, now=now)


def _write_many(store: ProgressStore, course: str, learner: int, questions: Sequence[tuple[str, str, int, int]],
                writes: int, seed: int) -> tuple[list[float], list[float], list[str], list[str]]:
    """Answer ``writes`` questions as the quiz does: one block, one graded attempt with its review.

    Returns the answer and total latencies, the refusals (what the learner was told, then the
    detail) and the ids of the acknowledged attempts (those whose ``grade`` returned).
    """
    rng = random.Random(seed)
    answer, total, errors, acked = [], [], [], []
    for k in range(writes):
        qid, key, n_options, version = questions[(seed + k) % len(questions)]
        chosen = key if rng.random() < 0.7 else rng.choice("ABCDEF"[:n_options])
        began = time.perf_counter()
        try:
            block = store.start_block(learner, course, "tutor", [qid], spec={"mode": "tutor", "size": 1})
            graded_at = time.perf_counter()
            attempt = Attempt(
                attempt_id=f"{block.block_id}:0", learner_id=learner, course_id=course, question_id=qid,
                question_version=version, chosen_option=chosen, correct=chosen == key,
                time_taken_ms=rng.randint(5_000, 150_000), mode="tutor", block_id=block.block_id,
            )
            store.grade(block.block_id, [attempt], review=_review, finish=True)
        except StoreError as exc:
            errors.append(f"{exc.user_message} ({exc})")
            continue
        done = time.perf_counter()
        answer.append(done - graded_at)
        total.append(done - began)
        acked.append(attempt.attempt_id)
    return answer, total, errors, acked


def _writer_process(path: str, course: str, learner: int, questions: list, writes: int, seed: int,
                    barrier: Any, results: Any) -> None:
    try:
        store = ProgressStore(Path(path))
        barrier.wait(timeout=300)
        results.put(_write_many(store, course, learner, questions, writes, seed))
    except BaseException:  # the parent raises with this, instead of only seeing an exit code
        barrier.abort()
        results.put(traceback.format_exc())
        raise


def _present(path: Path, attempt_ids: Sequence[str]) -> set[str]:
    """Which of ``attempt_ids`` are stored (each acknowledged write must be)."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TEMP TABLE acked (attempt_id TEXT PRIMARY KEY)")
        conn.executemany("INSERT OR IGNORE INTO acked VALUES (?)", ((a,) for a in attempt_ids))
        return {row[0] for row in conn.execute("SELECT attempt_id FROM attempts JOIN acked USING (attempt_id)")}


def _counts(path: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM attempts), (SELECT count(*) FROM review_logs),"
            " (SELECT COALESCE(sum(attempts), 0) FROM question_stats),"
            " (SELECT count(*) FROM quiz_blocks WHERE status = 'finished')"
        ).fetchone()


def write_load(services, made: SyntheticClass, questions: Sequence[tuple[str, str, int, int]], writers: int,
               writes: int, log: Callable[[str], None] = print) -> list[WriteRun]:
    runs = [
        _write_run(services, made, questions, "1 writer thread", 1, writes, processes=False),
        _write_run(services, made, questions, f"{writers} writer threads", writers, writes, processes=False),
        _write_run(services, made, questions, f"{writers} writer processes", writers, writes, processes=True),
    ]
    for r in runs:
        log(f"  {r.label} x {r.writes_each}: p50 {1000 * _pct(r.answer, 50):.1f} ms, p99 {1000 * _pct(r.answer, 99):.1f} ms,"
            f" {r.writes / r.wall:.0f} writes/s, {len(r.errors)} errors")
    return runs


def _write_run(services, made: SyntheticClass, questions: Sequence[tuple[str, str, int, int]], label: str,
               writers: int, writes: int, *, processes: bool) -> WriteRun:
    from tutor.modes.access import Actor

    path = services.settings.progress_db
    course = services.settings.course
    busiest, typical = _students(made)
    active = [lid for lid, n in zip(made.learner_ids, made.attempts_per_learner) if n > 0 and lid != busiest]
    if len(active) < writers:
        raise SystemExit(f"{writers} writers need {writers} active students; the class has {len(active)}")
    learners = random.Random(writers).sample(active, writers)
    readers_as = [Actor.of(services.progress.get_learner_by_id(lid)) for lid in (busiest, typical)]
    before = _counts(path)

    stop = threading.Event()
    reads: list[float] = []

    def reader(actor) -> None:
        while True:  # at least one load, however short the run
            began = time.perf_counter()
            services.dashboards.learner(actor)
            reads.append(time.perf_counter() - began)
            if stop.is_set():
                return

    reader_threads = [threading.Thread(target=reader, args=(readers_as[i % 2],), daemon=True) for i in range(READERS)]
    try:
        write = _write_processes if processes else _write_threads
        answer, total, errors, acked, wall = write(services, path, course, learners, questions, writes, reader_threads)
    finally:  # the readers loop until told, so a failed run must still stop them (or the test run never ends)
        stop.set()
        for t in reader_threads:
            if t.is_alive():
                t.join()
    after = _counts(path)
    stored = after[0] - before[0]
    deltas = [a - b for a, b in zip(after, before)]
    missing = len(set(acked) - _present(path, acked))
    if errors or missing or deltas != [len(answer)] * 4 or len(answer) != writers * writes:
        raise RuntimeError(
            f"{label}: writes lost or failed: {len(answer)} of {writers * writes} succeeded, {len(errors)} errors"
            f" ({errors[:3]}), {missing} acknowledged attempts missing, rows added (attempts, review logs,"
            f" question_stats attempts, finished blocks) = {deltas}"
        )
    return WriteRun(label, writers, writes, answer, total, wall, errors, reads, stored, missing)


def _write_processes(services, path: Path, course: str, learners: Sequence[int], questions, writes: int,
                     readers: Sequence[threading.Thread]) -> tuple[list, list, list, list, float]:
    """Each writer is a process of its own; a writer that dies is reported at once, not after a long wait."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(learners) + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer_process, args=(str(path), course, lid, list(questions), writes, 1000 * w,
                                                      barrier, results), daemon=True)
             for w, lid in enumerate(learners)]
    answer, total, errors, acked = [], [], [], []
    try:
        for p in procs:
            p.start()
        for t in readers:
            t.start()
        try:
            barrier.wait(timeout=300)  # every process has imported and opened the store
        except threading.BrokenBarrierError:
            raise RuntimeError(f"the writer processes did not all start: {_first_failure(results)}") from None
        began = time.perf_counter()
        for _ in procs:
            a, t_, e, k = _next_result(results, procs)
            answer += a
            total += t_
            errors += e
            acked += k
        wall = time.perf_counter() - began
    finally:
        for p in (p for p in procs if p.pid is not None):  # those that started
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
                p.join()
    failed = [p.exitcode for p in procs if p.exitcode]
    if failed:
        raise RuntimeError(f"writer processes failed: exit codes {failed}")
    return answer, total, errors, acked, wall


def _first_failure(results: Any) -> str:
    try:
        report = results.get(timeout=10)
    except queue.Empty:
        return "none reported an error within 10 s"
    return report if isinstance(report, str) else "one of them reported results"


def _next_result(results: Any, procs: Sequence[Any]) -> tuple:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            result = results.get(timeout=1)
        except queue.Empty:
            dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"a writer process died before reporting: exit codes {dead}") from None
            continue
        if isinstance(result, str):
            raise RuntimeError(f"a writer process failed:\n{result}")
        return result
    raise RuntimeError("no writer process reported within 600 s")


def _write_threads(services, path: Path, course: str, learners: Sequence[int], questions, writes: int,
                   readers: Sequence[threading.Thread]) -> tuple[list, list, list, list, float]:
    """Each writer is a thread sharing the app's store, as Streamlit sessions do."""
    barrier = threading.Barrier(len(learners) + 1)
    collected: list[tuple[list[float], list[float], list[str], list[str]]] = []

    def writer(w: int, lid: int) -> None:
        barrier.wait()
        collected.append(_write_many(services.progress, course, lid, questions, writes, 1000 * w))

    threads = [threading.Thread(target=writer, args=(w, lid), daemon=True) for w, lid in enumerate(learners)]
    for t in threads + list(readers):
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    answer, total, errors, acked = [], [], [], []
    for a, t_, e, k in collected:
        answer += a
        total += t_
        errors += e
        acked += k
    return answer, total, errors, acked, wall


# -- the figures ----------------------------------------------------------------------------


def _pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]  # nearest rank


def _db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPU ({model}), nproc {len(os.sched_getaffinity(0))}, Python {platform.python_version()},"
            f" SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def markdown(report: Report, command: str) -> str:
    made = report.made
    lines = [
        f"### Dashboards at scale: {report.learners:,} learners, {made.attempts:,} attempts",
        "",
        f"Machine: {machine()}; 1-minute load average {report.load[0]:.1f} before the query timings,"
        f" {report.load[1]:.1f} before the writes (this run's own single-threaded timings count about 1).  ",
        f"Command: `{command}`  ",
        f"Data: generated in {made.seconds:.1f} s ({made.question_stats:,} `question_stats` rows, "
        f"{made.review_cards:,} review cards, {made.case_sessions:,} case sessions, {made.chat_turns:,} chat turns; "
        f"progress.db {report.db_bytes / 2**20:,.0f} MiB). "
        f"Each call: one warm-up (first), then {len(report.queries[0].samples)} timed runs.",
        "",
        "| Call | Rows | Median ms | Max ms | First ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in report.queries:
        lines.append(f"| {t.name} | {t.rows:,} | {1000 * t.median:,.1f} | {1000 * t.max:,.1f} | {1000 * t.first:,.1f} |")
    if report.writes:
        lines += [
            "",
            "Answer writes (`start_block` + `grade` of one attempt with its FSRS review, as the quiz does), "
            f"while {READERS} reader threads reload student dashboards. Latency of `grade`; "
            "the total includes `start_block`. No write lost (rows counted afterwards).",
            "",
            "| Writers | Writes | p50 ms | p95 ms | p99 ms | Max ms | Total p50 / p99 ms | Answers/s | Dashboard loads (median ms) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in report.writes:
            ms = [1000 * _pct(r.answer, q) for q in (50, 95, 99, 100)]
            lines.append(
                f"| {r.label} x {r.writes_each} | {r.writes:,} | {ms[0]:,.1f} | {ms[1]:,.1f} | {ms[2]:,.1f} | {ms[3]:,.1f} |"
                f" {1000 * _pct(r.total, 50):,.1f} / {1000 * _pct(r.total, 99):,.1f} | {r.writes / r.wall:,.0f} |"
                f" {len(r.reads):,} ({1000 * _pct(r.reads, 50):,.0f}) |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m tests.bench.dashboard_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=LEARNERS)
    parser.add_argument("--attempts", type=int, default=ATTEMPTS)
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed runs of each dashboard call (after a warm-up)")
    parser.add_argument("--csv-repeats", type=int, default=3, help="timed runs of the CSV export (after a warm-up)")
    parser.add_argument("--writers", type=int, default=WRITERS, help="concurrent writer threads, then processes")
    parser.add_argument("--writes", type=int, default=WRITES, help="answers written by each writer")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--keep", type=Path, help="build the data folder here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "-m", "tests.bench.dashboard_scale", *argv])
    kwargs = dict(learners=args.learners, attempts=args.attempts, repeats=args.repeats, csv_repeats=args.csv_repeats,
                  writers=args.writers, writes=args.writes, seed=args.seed)
    if args.keep:
        report = run(args.keep, **kwargs)
    else:
        with tempfile.TemporaryDirectory(prefix="dashboard-scale-") as tmp:
            report = run(Path(tmp) / "data", **kwargs)
    print()
    print(markdown(report, command))


if __name__ == "__main__":
    main()
