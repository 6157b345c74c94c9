"""Suite 2: ``kill -9`` of the ingest at random moments, then check that nothing is lost or doubled.

    python -m tests.hardening.crash_figures [--runs 50]

The ingest promises (``tutor/index/ingest.py``): parse and embed, upsert the vectors,
replace the document's rows in SQLite in one transaction (the commit point), delete
the stale vectors; a kill anywhere leaves a library that the next run repairs. This
harness tests the promise on the real thing: the ``tutor`` CLI in a separate process
(:mod:`tests.hardening.crash_child`, which only adds a log of the write steps) on a
real SQLite file and a real Chroma index, killed with ``SIGKILL``.

A run starts the child on a curriculum folder, either into an empty data folder
(``first``) or over a complete ingest of the previous version of the folder
(``reingest``: files changed, removed and added, so the changed-file and delete-stale
paths are killed too), waits a random time within the ingest's measured duration (or,
for a deterministic run, until the child pauses at a named step) and kills it. One run
in five instead has the child kill itself a few milliseconds into a Chroma upsert or
delete (too short a window to hit from outside). One deterministic run kills ``tutor
reindex`` right after it dropped the index (the rebuild from SQLite interrupted). Then:

1. ``PRAGMA integrity_check`` on every SQLite file of the data folder (the library
   registry and Chroma's own ``chroma.sqlite3``);
2. the Chroma index opens and answers a query, and a search shows only passages that
   the registry knows (orphan vectors must never surface);
3. the ingest is run again to completion, in this process, through ``build_services``
   as the CLI does; the registry must then hold exactly the chunk ids, documents and
   per-document ``n_chunks`` of a never-killed ingest of the same folder (computed
   once, into a fresh data folder), with no duplicates, and the index's ids must equal
   the registry's (no orphans, none missing); a search returns registry passages only;
4. the index is rebuilt from SQLite (``reindex``) and must again equal the registry.

With a Chroma server (``CrashHarness(..., server=...)``, as ``tutor school`` deploys it)
the same runs keep their vectors in a collection of their own on a real ``chroma run``
(:mod:`tests.hardening.crash_state` copies a reference state with it), the server's own
SQLite file is checked too, and a ``server`` run kills the server instead of the ingest:
the ingest must end by itself with the app's "not answering" message, and after the
server is restarted the same checks hold.

Each run is recorded (kill time, the phase the kill hit from the child's log, whether
the re-run had to repair the index, every failure); ``crash_figures.summarise`` makes the table.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.hardening.crash_curriculum import QUICK, Size, write_versions
from tests.hardening.crash_launch import phase_at, processes_of, read_events, start_child, wait_for
from tests.hardening.crash_state import EmbeddedPlace, Library, ServerPlace, duplicates, integrity

QUERY = "How is hyperkalaemia treated in an emergency?"


# -- one run -------------------------------------------------------------------------
@dataclass
class RunRecord:
    number: int
    scenario: str  # "first" (empty data folder), "reingest" (over the previous version) or "reindex" (of A)
    target: str  # "random", "startup" or "pause:EVENT[:N]"
    delay_s: float | None = None  # after ingest-start (after launch for startup kills)
    killed: bool = False  # False: the child had finished before the kill
    phase: str = ""
    last_event: str = ""
    integrity_failures: list[str] = field(default_factory=list)
    index_error: str | None = None  # Chroma did not open or did not answer a query
    left_behind: int = 0  # processes of the killed ingest still alive 5 s after the kill
    search_error: str | None = None  # a search before the re-run raised
    search_leak: int = 0  # passages shown before the re-run that the registry does not know
    repair_needed: bool | None = None
    orphans_before: int = 0
    missing_before: int = 0
    rerun_failed: list[str] = field(default_factory=list)
    wrong_chunks: int = 0  # symmetric difference with the never-killed ingest
    wrong_documents: int = 0  # documents whose n_chunks or stored rows differ from it
    duplicates: int = 0
    orphans: int = 0
    missing: int = 0
    search_unknown: int = 0
    rebuild_mismatch: int = 0
    child_exit: int | None = None  # server kills: how the ingest ended once its server was gone
    child_said: str = ""  # ... and the last line it printed
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # kill, checks, rerun, reindex (seconds)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class CrashHarness:
    """Kills ingests in ``workdir``; the embedder is the parent's own (the re-run and reindex use it).

    With ``server`` (a started :class:`tests.chroma_server.ChromaServer` that this harness
    may kill and restart) every data folder keeps its vectors on that server, as the
    deployment does with ``TUTOR_CHROMA_URL``, and :meth:`server_run` kills the server
    itself in the middle of an ingest.
    """

    def __init__(self, workdir: Path, embedder: Any, size: Size = QUICK, log: Callable[[str], None] = lambda _: None,
                 server: Any = None):
        self.workdir = Path(workdir)
        self.embedder = embedder
        self.log = log
        self.server = server
        self.place = ServerPlace(server, self.workdir) if server is not None else EmbeddedPlace()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.version_a, self.version_b = write_versions(self.workdir / "versions", size)
        self.curriculum = self.workdir / "curriculum"  # one path: the registry remembers the folder
        self.references: dict[str, Library] = {}
        self.durations: dict[str, float] = {}
        self.startup_s = 0.0
        self._prepare()

    # -- references --------------------------------------------------------------
    def _use(self, version: Path) -> None:
        shutil.rmtree(self.curriculum, ignore_errors=True)
        shutil.copytree(version, self.curriculum)

    def _complete_child(self, name: str, version: Path, data_dir: Path) -> float:
        """An uninterrupted child ingest; returns ingest-start -> ingest-end seconds."""
        self._use(version)
        events = self.workdir / f"{name}.events"
        events.unlink(missing_ok=True)
        launched = time.monotonic()
        child = start_child(self.curriculum, data_dir, events, place=self.place.env(data_dir))
        code = child.wait(timeout=600)
        rows = {name: stamp for stamp, name, _ in read_events(events)}
        if code != 0 or "ingest-end" not in rows:
            raise RuntimeError(f"reference ingest {name} failed ({code}): {events.with_suffix('.out').read_text()[-2000:]}")
        self.startup_s = max(self.startup_s, rows["ingest-start"] - launched)
        return rows["ingest-end"] - rows["ingest-start"]

    def _prepare(self) -> None:
        from tutor.services import build_services

        started = time.perf_counter()
        # Expected libraries: never-killed ingests into fresh data folders. A is made by the child
        # (its timing sets the kill delays of "first" runs), B in this process.
        self.durations["first"] = self._complete_child("reference-A", self.version_a, self.workdir / "reference-A")
        self.references["first"] = Library.read(self.workdir / "reference-A" / "library.db")
        self._use(self.version_b)
        settings = self.place.settings(self.workdir / "reference-B", self.curriculum)
        services = build_services(settings, embedder=self.embedder)
        services.ingestor.ingest_paths([self.curriculum])
        _close_parser(services)
        self.references["reingest"] = Library.read(settings.library_db)
        self._forget_chroma()
        # "reingest" runs start from a copy of reference-A; one uninterrupted run times them and
        # checks that B over A is the same library as B afresh.
        self.place.copy(self.workdir / "reference-A", self.workdir / "reference-AB", self.embedder)
        self.durations["reingest"] = self._complete_child("reference-AB", self.version_b, self.workdir / "reference-AB")
        if Library.read(self.workdir / "reference-AB" / "library.db") != self.references["reingest"]:
            raise AssertionError("re-ingesting B over A does not give the same library as ingesting B afresh")
        self.log(f"references ready in {time.perf_counter() - started:.1f} s: "
                 f"A {len(self.references['first'].chunk_ids)} chunks, B {len(self.references['reingest'].chunk_ids)}; "
                 f"ingest {self.durations['first']:.1f} s, re-ingest {self.durations['reingest']:.1f} s, "
                 f"startup {self.startup_s:.1f} s")

    @staticmethod
    def _forget_chroma() -> None:
        """Drop this process's cached Chroma clients: each run has its own path, used once."""
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()

    # -- runs --------------------------------------------------------------------
    def random_run(self, number: int, runs: int, seed: int) -> RunRecord:
        """Run ``number`` of ``runs``: kill times are stratified, so even a few runs cover the whole ingest."""
        rng = random.Random(seed * 1_000_003 + number)
        scenario = ("first", "reingest")[number % 2]
        if rng.random() < 0.1:
            return self.run(number, scenario, "startup", delay_s=rng.uniform(0, self.startup_s))
        if number % 5 == 4:  # a kill inside a Chroma write, from a timer in the child
            event = rng.choice(["upsert-start", "delete-stale-start"])
            return self.run(number, "reingest", "chroma", kill_at=f"{event}:{rng.randint(1, 2)}:{rng.uniform(0, 0.06):.4f}")
        stratum = (number // 2, max((runs + 1) // 2, 1))  # this scenario's share of the runs
        fraction = (stratum[0] + rng.random()) / stratum[1]
        if self.server is not None and number % 5 == 2:  # with a server: one run in five kills the server instead
            return self.run(number, scenario, "server", delay_s=fraction * self.durations[scenario])
        return self.run(number, scenario, "random", delay_s=fraction * self.durations[scenario] * 1.05)

    def run(self, number: int, scenario: str, target: str, delay_s: float | None = None,
            pause_at: str | None = None, kill_at: str | None = None, server_at: str | None = None) -> RunRecord:
        """One kill and every check after it; never raises for a finding (see ``failures``).

        ``target="server"`` kills the Chroma server instead of the ingest: at the ``server_at``
        event of the child (``EVENT[:N]``), or ``delay_s`` after the ingest started.
        """
        started = time.perf_counter()
        label = (f"pause:{pause_at}" if pause_at else f"self:{kill_at}" if kill_at
                 else f"server:{server_at or 'random'}" if target == "server" else target)
        record = RunRecord(number=number, scenario=scenario, target=label, delay_s=delay_s)
        run_dir = self.workdir / f"run-{number:03d}"
        data_dir = run_dir / "data"
        self.place.discard(data_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir()
        if scenario in ("reingest", "reindex"):
            self.place.copy(self.workdir / "reference-A", data_dir, self.embedder)
        self._use(self.version_b if scenario == "reingest" else self.version_a)
        events = run_dir / "events.log"
        try:
            self._kill(record, data_dir, events, pause_at, kill_at, server_at)
            record.timings["kill"] = round(time.perf_counter() - started, 2)
            self._check(record, data_dir, scenario)
        except Exception as exc:  # a check that could not even run is a failure, not a crash of the harness
            record.failures.append(f"harness: {type(exc).__name__}: {exc}")
        finally:
            self._forget_chroma()
        record.seconds = round(time.perf_counter() - started, 2)
        if record.ok:  # failed runs keep their folder (and collection) for a post-mortem
            self.place.discard(data_dir)
            shutil.rmtree(run_dir, ignore_errors=True)
        return record

    def _kill(self, record: RunRecord, data_dir: Path, events: Path, pause_at: str | None,
              kill_at: str | None, server_at: str | None = None) -> None:
        folder = None if record.scenario == "reindex" else self.curriculum
        child = start_child(folder, data_dir, events, pause_at, kill_at, self.place.env(data_dir))
        try:
            if record.target.startswith("server"):
                killed_at = self._kill_server(record, child, events, server_at)
            elif kill_at:  # the child kills itself; it may also finish first
                record.killed = child.wait(timeout=300) == -signal.SIGKILL
                killed_at = float("inf")
            elif pause_at:
                if wait_for(events, "paused", child) is None:
                    raise RuntimeError(f"the child never reached {pause_at!r}")
            elif record.target == "startup":
                time.sleep(record.delay_s or 0)
            elif wait_for(events, "ingest-start", child) is not None:
                time.sleep(record.delay_s or 0)
            if not kill_at and not record.target.startswith("server"):
                record.killed = child.poll() is None
                killed_at = time.monotonic()
                if record.killed:
                    os.kill(child.pid, signal.SIGKILL)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait()
        deadline = time.monotonic() + 5
        while processes_of(events) and time.monotonic() < deadline:
            time.sleep(0.05)
        stragglers = processes_of(events)
        record.left_behind = len(stragglers)
        if stragglers:
            record.failures.append(f"{len(stragglers)} process(es) of the killed ingest still running: {stragglers}")
            for pid in stragglers:  # ours: started by the child we killed
                os.kill(pid, signal.SIGKILL)
        rows = read_events(events)
        if record.killed:
            record.phase = phase_at(rows, killed_at)
        else:
            record.phase = "finished"
            stamps = {name: stamp for stamp, name, _ in rows}
            if record.scenario in self.durations and {"ingest-start", "ingest-end"} <= stamps.keys():
                # The machine got faster than when the references ran: aim the next kills at this pace.
                self.durations[record.scenario] = stamps["ingest-end"] - stamps["ingest-start"]
        record.last_event = next((name for _, name, _ in reversed(rows) if name != "paused"), "")

    def _kill_server(self, record: RunRecord, child: subprocess.Popen, events: Path, at_event: str | None) -> float:
        """SIGKILL the Chroma server while the ingest writes to it; restart it once the ingest has ended.

        The ingest must end by itself (each file it could not write reported as failed, with
        the app's "not answering" message), never hang on the dead server.
        """
        if self.server is None:
            raise ValueError("server kills need a harness with a Chroma server")
        if at_event:
            if wait_for(events, at_event, child) is None:
                raise RuntimeError(f"the child never reached {at_event!r}")
        elif wait_for(events, "ingest-start", child) is not None:
            time.sleep(record.delay_s or 0)
        record.killed = child.poll() is None
        killed_at = time.monotonic()
        self.server.kill()
        try:
            record.child_exit = child.wait(timeout=180)
        except subprocess.TimeoutExpired:
            record.failures.append("the ingest did not end within 180 s of its Chroma server dying")
        finally:
            self.server.start()
        said = [line for line in events.with_suffix(".out").read_text(errors="replace").splitlines() if line.strip()]
        record.child_said = next((line.strip() for line in said if "not answering" in line), said[-1].strip() if said else "")
        if "Traceback" in "\n".join(said):
            record.failures.append(f"the ingest crashed with a traceback when its server died: {said[-3:]}")
        return killed_at

    def _check(self, record: RunRecord, data_dir: Path, scenario: str) -> None:
        from tutor.index.registry import LibraryRegistry
        from tutor.index.chroma_client import chroma_link
        from tutor.index.vector_store import ChromaIndex
        from tutor.services import build_services

        settings = self.place.settings(data_dir, self.curriculum)
        fail = record.failures.append

        # 1. every SQLite file is intact (the server's too), before anything of ours opens and repairs it
        for path, verdict in {**integrity(data_dir), **self.place.integrity()}.items():
            if verdict != "ok":
                record.integrity_failures.append(f"{path}: {verdict}")
                fail(f"integrity_check {path}: {verdict}")
        if self.server is not None and settings.chroma_dir.exists():
            fail("the ingest wrote an embedded index instead of using the Chroma server")

        # 2. the index opens and answers; orphans may exist but never surface in a search
        registry = LibraryRegistry(settings.library_db)
        try:
            index = ChromaIndex(chroma_link(settings), settings.collection, self.embedder)
            indexed = index.ids()
            index.query(self.embedder.embed_query(QUERY), 5)
        except Exception as exc:
            record.index_error = f"{type(exc).__name__}: {exc}"
            fail(f"index unusable after the kill: {record.index_error}")
            return
        known = {row.chunk.chunk_id for rows in registry.iter_chunk_rows() for row in rows}
        record.repair_needed = indexed != known  # what the next ingest checks (tutor.index.ingest.index_gaps)
        record.orphans_before, record.missing_before = len(indexed - known), len(known - indexed)
        services = build_services(settings, embedder=self.embedder)
        try:
            record.search_leak = sum(1 for hit in services.search(QUERY, 10).hits if hit.chunk_id not in known)
        except Exception as exc:
            record.search_error = f"{type(exc).__name__}: {exc}"
            fail(f"a search before the re-run failed: {record.search_error}")
        if record.search_leak:
            fail(f"a search before the re-run showed {record.search_leak} passages the registry does not know")

        # 3. the re-run completes and gives exactly the never-killed library
        clock = time.perf_counter()
        try:
            report = services.ingestor.ingest_paths([self.curriculum])
        finally:
            _close_parser(services)
        record.timings["rerun"] = round(time.perf_counter() - clock, 2)
        record.rerun_failed = [f"{f.source}: {f.reason}" for f in report.failed]
        if record.rerun_failed:
            fail(f"re-run failed files: {record.rerun_failed}")
        self._compare(record, services, scenario, fail)

        # 4. the index rebuilt from SQLite equals the registry
        clock = time.perf_counter()
        services.ingestor.reindex()
        record.timings["reindex"] = round(time.perf_counter() - clock, 2)
        library = Library.read(settings.library_db)
        rebuilt = services.index.ids()
        record.rebuild_mismatch = len(rebuilt ^ library.chunk_ids) + abs(services.index.count() - len(rebuilt))
        if record.rebuild_mismatch:
            fail(f"reindex: {record.rebuild_mismatch} ids differ between the rebuilt index and the registry")

    def _compare(self, record: RunRecord, services: Any, scenario: str, fail: Callable[[str], None]) -> None:
        expected = self.references["reingest" if scenario == "reingest" else "first"]
        library = Library.read(services.settings.library_db)
        record.wrong_chunks = len(library.chunk_ids ^ expected.chunk_ids)
        if record.wrong_chunks:
            fail(f"re-run: {len(library.chunk_ids - expected.chunk_ids)} unexpected and "
                 f"{len(expected.chunk_ids - library.chunk_ids)} missing chunk ids")
        wrong_docs = {s for s in set(expected.n_chunks) | set(library.n_chunks)
                      if library.n_chunks.get(s) != expected.n_chunks.get(s)
                      or library.counted.get(s) != expected.n_chunks.get(s)}
        record.wrong_documents = len(wrong_docs)
        if wrong_docs:
            fail(f"re-run: documents differ from the never-killed ingest: {sorted(wrong_docs)[:5]}")
        record.duplicates = duplicates(services.settings.library_db)
        indexed = services.index.ids()
        record.duplicates += abs(services.index.count() - len(indexed))
        if record.duplicates:
            fail(f"re-run: {record.duplicates} duplicated passages")
        record.orphans, record.missing = len(indexed - library.chunk_ids), len(library.chunk_ids - indexed)
        if record.orphans or record.missing:
            fail(f"re-run: index has {record.orphans} orphan vectors and misses {record.missing}")
        hits = services.search(QUERY, 10).hits
        record.search_unknown = sum(1 for hit in hits if hit.chunk_id not in library.chunk_ids)
        if not hits or record.search_unknown:
            fail(f"re-run: search gave {len(hits)} hits, {record.search_unknown} unknown to the registry")


def _close_parser(services: Any) -> None:
    """Stop the ingest's parse servers now (this process builds a fresh Ingestor per run)."""
    close = getattr(getattr(services.ingestor, "parse", None), "close", None)
    if close:
        close()


DETERMINISTIC = (
    # (name, scenario, pause point): the three points the write order is designed around
    ("during embedding", "first", "embed-start:2"),
    ("after upsert, before the SQLite commit", "reingest", "upsert-end:1"),
    ("after the commit, before stale vectors are deleted", "reingest", "commit-end-stale:1"),
    ("after a removed document's rows are deleted, before its vectors are", "reingest", "remove-end:1"),
    # Not the ingest, but the "rebuilt from SQLite": `tutor reindex` killed after it dropped the index.
    ("during a rebuild from SQLite, after the old index was dropped", "reindex", "embed-start:1"),
)


def describe(record: RunRecord) -> str:
    delay = f"{record.delay_s:.2f} s" if record.delay_s is not None else "-"
    return (f"run {record.number:>3} {record.scenario:<8} {record.target:<24} kill after {delay:>8} "
            f"phase {record.phase:<13} repair {'yes' if record.repair_needed else 'no ':<3} "
            f"{record.seconds:5.1f} s  {'ok' if record.ok else 'FAIL: ' + '; '.join(record.failures)}")
