"""Background jobs on Huey: submitted by a page or the CLI, run by a worker, followed from the job store.

Why Huey: one small, well-kept library whose same task code runs on SQLite storage (the
embedded default: ``job-queue.db`` in the data folder, nothing else to install) and on
Redis (``TUTOR_JOBS_URL=redis://...``) where a school runs one. Huey itself only carries
"run job X"; what the job is and how far it got is in :class:`~tutor.jobs.store.JobStore`.

* **Submit**: the uploaded bytes are written to ``spool/<job id>/`` first, then the job
  row, then the Huey message. A closed tab loses nothing after submit returns; if the
  queue storage is unreachable, the row stays queued and the next sweep sends it.
* **Run**: a worker claims the job atomically (so a duplicate message is a no-op), beats
  a heartbeat from a side thread (a file that takes a minute to parse is not mistaken for
  a dead worker), reports progress to the row, and records the result once.
* **Faults**: an engine that is away (Chroma server, a locked store, the model) puts the
  job back with a delay, at most ``max_attempts`` runs; anything else fails it with the
  user's message. A worker killed mid-job stops beating; the sweep of any live worker
  sends the job again after ``stale_after`` and the re-run repeats no work (ingest is
  content-addressed and repairs an interrupted run first).
* **Workers**: :class:`WorkerThreads` runs Huey's own worker and scheduler loops in
  daemon threads, plus the sweep. The app starts them in-process when its Chroma index is
  embedded (one process may own that folder); with a Chroma server, ``tutor worker``
  processes run them instead.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Scheduler, Worker

from tutor.errors import ConfigurationError, IndexUnavailable, ModelUnavailableError, StoreError, TutorError
from tutor.jobs.store import Job, JobStore

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Handler = Callable[[Job, list[tuple[str, bytes]], Progress], dict[str, Any]]
TRANSIENT = (IndexUnavailable, StoreError, ModelUnavailableError)  # an engine away: worth another try
_PROGRESS_EVERY_S = 0.5


def build_huey(jobs_url: str | None, data_dir: Path) -> Huey:
    """Redis where ``jobs_url`` names one, else SQLite storage in the data folder."""
    if jobs_url:
        if not jobs_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(f"TUTOR_JOBS_URL must be a redis:// URL (got {jobs_url!r}).")
        if importlib.util.find_spec("redis") is None:  # Huey's Redis storage needs it; the default does not
            raise ConfigurationError("TUTOR_JOBS_URL names Redis but the redis package is not installed: "
                                     "pip install 'tutor[school]'.")
        return RedisHuey("tutor", url=jobs_url, results=False, utc=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("tutor", filename=str(data_dir / "job-queue.db"), results=False, utc=True, timeout=5)


class JobQueue:
    def __init__(self, store: JobStore, huey: Huey, spool: Path, handlers: dict[str, Handler], *,
                 stale_after_s: float = 60.0, max_attempts: int = 3, retry_delay_s: float = 10.0):
        self.store, self.huey, self.spool = store, huey, Path(spool)
        self._handlers = handlers
        self.stale_after = timedelta(seconds=stale_after_s)
        self.max_attempts, self.retry_delay_s = max_attempts, retry_delay_s
        self._task = huey.task(name="run_job")(self._run)

    @property
    def beat_every_s(self) -> float:
        """How often a running job and a live worker say so: four beats fit in ``stale_after``."""
        return max(self.stale_after.total_seconds() / 4, 0.2)

    # -- submitting -------------------------------------------------------------------
    def submit(self, kind: str, title: str, requested_by: str, payload: dict[str, Any],
               files: list[tuple[str, bytes]] = ()) -> Job:
        if kind not in self._handlers:
            raise ValueError(f"no handler for job kind {kind!r}")
        job_id = os.urandom(16).hex()
        if files:
            self._spool_files(job_id, files)
        job = self.store.create(job_id, kind, title, requested_by, {**payload, "files": [n for n, _ in files]})
        self._send(job.job_id)
        return job

    def _spool_files(self, job_id: str, files: list[tuple[str, bytes]]) -> None:
        partial = self.spool / f"{job_id}.partial"
        try:
            partial.mkdir(parents=True)
            for number, (_name, data) in enumerate(files):
                (partial / f"{number:05d}").write_bytes(data)
            partial.rename(self.spool / job_id)  # all files or none
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise StoreError("The upload could not be saved for indexing (is the data folder full?). "
                             "Nothing was added; please try again.", detail=f"spool {partial}: {exc}") from exc

    def _send(self, job_id: str) -> None:
        try:
            self._task(job_id)
        except Exception as exc:  # the row is queued: a sweep sends it when the queue storage answers again
            log.warning("job %s saved but not yet sent to the queue: %s", job_id, exc)

    def files(self, job: Job) -> list[tuple[str, bytes]]:
        folder = self.spool / job.job_id
        return [(name, (folder / f"{number:05d}").read_bytes()) for number, name in enumerate(job.payload["files"])]

    # -- following --------------------------------------------------------------------
    def get(self, job_id: str) -> Job | None:
        return self.store.get(job_id)

    def recent(self, limit: int = 20) -> list[Job]:
        return self.store.recent(limit)

    def ahead_of(self, job: Job) -> int:
        return self.store.ahead_of(job)

    def workers_alive(self) -> list[str]:
        return self.store.workers_alive(self.stale_after)

    # -- running ----------------------------------------------------------------------
    def _run(self, job_id: str) -> None:
        worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        job = self.store.claim(job_id, worker, stale_after=self.stale_after)
        if job is None:
            return  # already done, or running on a live worker: this message was a duplicate
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job_id, worker, stop), daemon=True, name=f"job-beat-{job_id[:8]}")
        beat.start()
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            if time.monotonic() - last[0] >= _PROGRESS_EVERY_S or fraction >= 1.0:
                last[0] = time.monotonic()
                self.store.beat(job_id, worker, fraction, message)

        try:
            result = self._handlers[job.kind](job, self.files(job), progress)
        except TutorError as exc:
            retry = isinstance(exc, TRANSIENT) and job.attempts < self.max_attempts
            log.warning("job %s (%s) failed on attempt %d: %s", job_id, job.kind, job.attempts, exc)
            if self.store.fail(job_id, worker, exc.user_message, retry=retry) and retry:
                self._task.schedule((job_id,), delay=self.retry_delay_s)
            elif not retry:
                self._forget_files(job_id)
        except Exception as exc:
            log.exception("job %s (%s) failed unexpectedly", job_id, job.kind)
            self.store.fail(job_id, worker, f"The job failed unexpectedly ({type(exc).__name__}). "
                                            "An operator can find the details in the worker's log.", retry=False)
            self._forget_files(job_id)
        else:
            if self.store.finish(job_id, worker, result):
                self._forget_files(job_id)
        finally:
            stop.set()

    def _beat(self, job_id: str, worker: str, stop: threading.Event) -> None:
        while not stop.wait(self.beat_every_s):
            try:
                self.store.beat(job_id, worker)
            except StoreError as exc:  # a busy store: the next beat will do
                log.info("heartbeat of job %s skipped: %s", job_id, exc)

    def _forget_files(self, job_id: str) -> None:
        shutil.rmtree(self.spool / job_id, ignore_errors=True)

    def sweep(self) -> list[str]:
        """Send again the jobs nobody is running (dead worker, lost message); returns their ids."""
        stale = self.store.stale(self.stale_after)
        for job_id in stale:
            self.store.touch_queued(job_id)
            self._send(job_id)
        return stale


class WorkerThreads:
    """Huey's worker and scheduler loops plus the sweep, in daemon threads of this process."""

    def __init__(self, queue: JobQueue, *, workers: int = 1):
        self.queue = queue
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._workers = workers

    def start(self) -> WorkerThreads:
        huey = self.queue.huey
        loops: list[tuple[str, Callable[[], None]]] = []
        for number in range(self._workers):
            worker = Worker(huey, self._stop, default_delay=0.1, max_delay=1.0, backoff=1.15)
            worker.initialize()
            loops.append((f"job-worker-{number}", worker.loop))
        loops.append(("job-scheduler", Scheduler(huey, self._stop, interval=1, periodic=False).loop))
        loops.append(("job-sweep", self._sweep_once))
        for name, loop in loops:
            thread = threading.Thread(target=self._forever, args=(loop,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _forever(self, loop: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                loop()
            except Exception:  # a loop must outlive a bad moment of its storage
                log.exception("job loop error")
                self._stop.wait(1.0)

    def _sweep_once(self) -> None:
        store = self.queue.store
        try:
            store.worker_seen(self.name, socket.gethostname(), os.getpid())
            self.queue.sweep()
        except StoreError as exc:
            log.info("job sweep skipped: %s", exc)
        self._stop.wait(self.queue.beat_every_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout_s)
        try:
            self.queue.store.worker_gone(self.name)
        except StoreError:
            pass

    def run_until_signalled(self) -> None:
        """For ``tutor worker`` (started threads): wait for SIGINT/SIGTERM, let the current step finish, leave."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self._stop.set())
        while not self._stop.wait(1.0):
            pass
        self.stop()
