"""The state of every background job, in ``jobs.db``: what the Library page and ``tutor jobs`` show.

The queue engine (Huey, :mod:`tutor.jobs.queue`) only carries "run job X" messages; what
a job is, how far it got and how it ended lives here, in SQLite shared by every process
on the host. That split is what makes jobs safe to retry:

* a job is *claimed* by one atomic update, so a message delivered twice (a retry, a
  sweep that raced a slow worker) runs the job once;
* a running job beats its ``heartbeat_at``; a job whose worker died (killed, host
  restarted) stops beating and is handed back to the queue by the next sweep, and its
  re-run repeats no work because ingest is content-addressed;
* workers record themselves in ``workers`` so the page can say "no worker is running"
  instead of showing a queued upload forever.

Times are injected (``now``) and stored as fixed-width ISO text (:mod:`tutor.clock`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlite_utils import Migrations

from tutor.clock import to_iso
from tutor.db import SQLiteStore
from tutor.domain import IngestReport

MIGRATIONS = Migrations("tutor.jobs")
JobStatus = Literal["queued", "running", "done", "failed"]
ACTIVE: tuple[JobStatus, ...] = ("queued", "running")


@MIGRATIONS()
def m001_create_jobs_and_workers(db):
    db["jobs"].create(
        {"job_id": str, "kind": str, "title": str, "status": str, "requested_by": str, "payload": str,
         "progress": float, "message": str, "result": str, "error": str, "attempts": int, "worker": str,
         "created_at": str, "started_at": str, "heartbeat_at": str, "finished_at": str},
        pk="job_id", not_null={"kind", "title", "status", "requested_by", "payload", "created_at"},
        defaults={"progress": 0.0, "message": "", "attempts": 0},
    )
    db["jobs"].create_index(["status", "created_at"])
    db["workers"].create({"name": str, "host": str, "pid": int, "seen_at": str}, pk="name", not_null={"seen_at"})


@dataclass(frozen=True)
class Job:
    job_id: str
    kind: str
    title: str
    status: JobStatus
    requested_by: str
    payload: dict[str, Any]
    progress: float
    message: str
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_at: str
    finished_at: str | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def report(self) -> IngestReport | None:
        """The ingest report of a finished job (every kind of job today is an ingest)."""
        return IngestReport.model_validate(self.result) if self.status == "done" and self.result else None


def _job(row: dict) -> Job:
    return Job(
        job_id=row["job_id"], kind=row["kind"], title=row["title"], status=row["status"],
        requested_by=row["requested_by"], payload=json.loads(row["payload"]), progress=row["progress"] or 0.0,
        message=row["message"] or "", result=json.loads(row["result"]) if row["result"] else None,
        error=row["error"], attempts=row["attempts"] or 0, created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


class JobStore(SQLiteStore):
    migrations = MIGRATIONS
    open_failed = "The job list (jobs.db) cannot be opened. An operator should check the data folder."
    write_failed = "The job list could not be updated just now. Please try again."

    def create(self, job_id: str, kind: str, title: str, requested_by: str, payload: dict[str, Any]) -> Job:
        row = {"job_id": job_id, "kind": kind, "title": title, "status": "queued",
               "requested_by": requested_by, "payload": json.dumps(payload), "progress": 0.0, "message": "",
               "attempts": 0, "created_at": to_iso(self._now())}
        with self._write() as db:
            db["jobs"].insert(row)
        return self.get(row["job_id"])

    def get(self, job_id: str) -> Job | None:
        with self._read() as db:
            rows = list(db["jobs"].rows_where("job_id = ?", [job_id]))
        return _job(rows[0]) if rows else None

    def recent(self, limit: int = 20) -> list[Job]:
        """Active jobs first (oldest first: the order they run in), then the latest finished ones."""
        with self._read() as db:
            active = db["jobs"].rows_where("status in ('queued', 'running')", order_by="created_at")
            done = db["jobs"].rows_where("status not in ('queued', 'running')", order_by="finished_at desc",
                                         limit=limit)
            return [_job(r) for r in [*active, *done]]

    def ahead_of(self, job: Job) -> int:
        """Active jobs created before this one (it runs after them)."""
        with self._read() as db:
            return db.execute("select count(*) from jobs where status in ('queued', 'running') and created_at < ?",
                              [job.created_at]).fetchone()[0]

    def claim(self, job_id: str, worker: str, *, stale_after: timedelta) -> Job | None:
        """Take the job to run it: queued, or running on a worker that stopped beating. None: not ours to run."""
        now = self._now()
        with self._write() as db:
            claimed = db.execute(
                "update jobs set status = 'running', worker = ?, attempts = attempts + 1, started_at = ?, "
                "heartbeat_at = ?, error = null where job_id = ? and "
                "(status = 'queued' or (status = 'running' and heartbeat_at < ?))",
                [worker, to_iso(now), to_iso(now), job_id, to_iso(now - stale_after)],
            ).rowcount
        return self.get(job_id) if claimed else None

    def beat(self, job_id: str, worker: str, progress: float | None = None, message: str | None = None) -> None:
        """The running job is alive (and, optionally, how far it got)."""
        sets, args = ["heartbeat_at = ?"], [to_iso(self._now())]
        if progress is not None:
            sets.append("progress = ?"), args.append(min(max(progress, 0.0), 1.0))
        if message is not None:
            sets.append("message = ?"), args.append(message[:300])
        with self._write() as db:
            db.execute(f"update jobs set {', '.join(sets)} where job_id = ? and worker = ? and status = 'running'",
                       [*args, job_id, worker])

    def finish(self, job_id: str, worker: str, result: dict[str, Any]) -> bool:
        """Record the outcome once; False when another worker took the job over meanwhile."""
        with self._write() as db:
            return db.execute(
                "update jobs set status = 'done', progress = 1.0, result = ?, finished_at = ?, message = 'Done' "
                "where job_id = ? and worker = ? and status = 'running'",
                [json.dumps(result), to_iso(self._now()), job_id, worker],
            ).rowcount == 1

    def fail(self, job_id: str, worker: str, error: str, *, retry: bool) -> bool:
        """A failed run: back in the queue (``retry``) or failed for good, with a message for the instructor."""
        status, finished = ("queued", None) if retry else ("failed", to_iso(self._now()))
        with self._write() as db:
            return db.execute(
                "update jobs set status = ?, error = ?, message = ?, finished_at = ? "
                "where job_id = ? and worker = ? and status = 'running'",
                [status, error[:1000], "Waiting to try again" if retry else "Failed", finished, job_id, worker],
            ).rowcount == 1

    def stale(self, stale_after: timedelta) -> list[str]:
        """Running jobs whose worker stopped beating, and queued ones nobody took for as long: to send again."""
        cutoff = to_iso(self._now() - stale_after)
        with self._read() as db:
            return [r[0] for r in db.execute(
                "select job_id from jobs where (status = 'running' and heartbeat_at < ?) "
                "or (status = 'queued' and coalesce(heartbeat_at, created_at) < ?) order by created_at",
                [cutoff, cutoff])]

    def touch_queued(self, job_id: str) -> None:
        """A queued job was sent to the queue again: it is not stale for another while."""
        with self._write() as db:
            db.execute("update jobs set heartbeat_at = ? where job_id = ? and status = 'queued'",
                       [to_iso(self._now()), job_id])

    # -- workers -------------------------------------------------------------------
    def worker_seen(self, name: str, host: str, pid: int) -> None:
        with self._write() as db:
            db["workers"].upsert({"name": name, "host": host, "pid": pid, "seen_at": to_iso(self._now())}, pk="name")

    def worker_gone(self, name: str) -> None:
        with self._write() as db:
            db.execute("delete from workers where name = ?", [name])

    def workers_alive(self, within: timedelta) -> list[str]:
        with self._read() as db:
            return [r[0] for r in db.execute("select name from workers where seen_at >= ? order by name",
                                             [to_iso(self._now() - within)])]
