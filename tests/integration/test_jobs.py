"""Background jobs on real engines: Huey on SQLite and on a real redis-server, a real Chroma server,
a real ``tutor worker`` process killed mid-job.

What must hold: an upload is saved before submit returns and runs exactly once however
often its message is delivered; a job whose engine is away waits and completes when it
returns; a worker killed mid-job is replaced and the re-run leaves no duplicates; a
locked queue storage loses nothing; ``tutor ingest`` beside a running worker goes
through it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.accounts import DR_LEE
from tests.chroma_server import ChromaServer
from tests.engines import RedisServer
from tests.network import OFFLINE_ENV
from tutor.cli import main
from tutor.index.chroma_client import SERVER_AWAY
from tutor.index.ingest import index_gaps
from tutor.services import Services, build_services
from tutor.settings import Settings

PATIENCE_S = 120.0  # a bound on waiting for another thread or process, not a performance figure


def _note(title: str, fact: str) -> bytes:
    return f"---\ntitle: {title}\n---\n# {title}\n\n## Key point\n\n{fact}\n".encode()


SEPSIS = _note("Sepsis", "Give 30 mL/kg of crystalloid within three hours for sepsis-induced hypotension.")
GOUT = _note("Gout", "Colchicine or an NSAID settles an acute gout flare; allopurinol is not started during it.")


@pytest.fixture(params=["sqlite", "redis"])
def storage(request, tmp_path):
    if request.param == "sqlite":
        yield None
    else:
        with RedisServer(tmp_path / "redis") as server:
            yield server.url


def _build(tmp_path: Path, embedder, **extra) -> Services:
    return build_services(Settings(data_dir=tmp_path / "data", content_dir=tmp_path / "none", **extra), embedder=embedder)


def _until(condition, what: str, patience: float = PATIENCE_S):
    deadline = time.monotonic() + patience
    while not (value := condition()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)
    return value


def _finished(services: Services, job_id: str):
    return _until(lambda: (j := services.jobs.get(job_id)) and not j.active and j, f"job {job_id} to finish")


def test_an_upload_job_runs_once_however_often_it_is_delivered(tmp_path, embedder, storage):
    services = _build(tmp_path, embedder, jobs_url=storage)
    job = services.submit_uploads(DR_LEE, [("sepsis.md", SEPSIS), ("gout.md", GOUT)], module="Acute care")
    assert (job.status, job.requested_by, job.payload["files"]) == ("queued", "dr-lee", ["sepsis.md", "gout.md"])
    assert sorted(p.name for p in (tmp_path / "data" / "spool" / job.job_id).iterdir()) == ["00000", "00001"]
    services.jobs.sweep()  # nothing stale yet: no second message
    services.jobs._send(job.job_id)  # a duplicate delivery, as a retry or a racing sweep would make

    worker = services.start_job_worker()
    try:
        done = _finished(services, job.job_id)
    finally:
        worker.stop()
    assert (done.status, done.attempts, done.progress, done.error) == ("done", 1, 1.0, None)
    assert sorted(done.result["added"]) == ["gout.md", "sepsis.md"] and done.result["failed"] == []
    assert not (tmp_path / "data" / "spool" / job.job_id).exists()  # the saved bytes go once indexed
    assert {d.module for d in services.documents()} == {"Acute care"}
    assert index_gaps(services.index, services.registry) == (set(), set())
    assert services.search("how much fluid in septic shock").hits[0].source == "sepsis.md"
    assert [j.job_id for j in services.recent_jobs(DR_LEE)] == [job.job_id]
    assert services.jobs.workers_alive() == []  # a stopped worker says so


def test_a_job_whose_index_server_is_away_waits_and_completes_when_it_returns(tmp_path, embedder):
    with ChromaServer(tmp_path / "chroma") as server:
        services = _build(tmp_path, embedder, chroma_url=server.url)
        services.jobs.retry_delay_s = 0.5
        server.stop()
        job = services.submit_uploads(DR_LEE, [("sepsis.md", SEPSIS)])
        worker = services.start_job_worker()
        try:
            waiting = _until(lambda: (j := services.jobs.get(job.job_id)).attempts >= 1 and j.status == "queued" and j,
                             "the first attempt to fail")
            assert waiting.error == SERVER_AWAY and waiting.message == "Waiting to try again"
            server.start()
            done = _finished(services, job.job_id)
        finally:
            worker.stop()
    assert done.status == "done" and done.attempts >= 2 and done.result["added"] == ["sepsis.md"]


def test_a_job_that_keeps_failing_stops_after_its_attempts_with_the_reason(tmp_path, embedder):
    with ChromaServer(tmp_path / "chroma") as server:
        services = _build(tmp_path, embedder, chroma_url=server.url)
    services.jobs.retry_delay_s = 0.2
    job = services.submit_uploads(DR_LEE, [("sepsis.md", SEPSIS)])
    worker = services.start_job_worker()
    try:
        failed = _finished(services, job.job_id)
    finally:
        worker.stop()
    assert (failed.status, failed.attempts, failed.error) == ("failed", services.jobs.max_attempts, SERVER_AWAY)
    assert not (tmp_path / "data" / "spool" / job.job_id).exists()


def test_a_worker_killed_mid_job_is_replaced_and_the_rerun_leaves_no_duplicates(tmp_path, embedder):
    folder = tmp_path / "handbook"
    folder.mkdir()
    for number in range(40):
        (folder / f"topic-{number:02d}.md").write_bytes(
            _note(f"Topic {number}", f"Fact {number}: " + "a sentence about clinical care. " * 40))
    env = {**os.environ, **OFFLINE_ENV, "TUTOR_DATA_DIR": str(tmp_path / "data"),
           "TUTOR_CONTENT_DIR": str(tmp_path / "none"), "TUTOR_JOBS_STALE_AFTER_S": "2"}
    services = _build(tmp_path, embedder, jobs_stale_after_s=2)
    log = open(tmp_path / "worker.log", "wb")
    child = subprocess.Popen([str(Path(sys.executable).with_name("tutor")), "worker"], env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        _until(services.jobs.workers_alive, "the worker process to start")
        job = services.submit_ingest_paths(DR_LEE, [folder])
        _until(lambda: services.jobs.get(job.job_id).progress >= 0.2, "the job to be well under way")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        log.close()
    assert services.jobs.get(job.job_id).status == "running"  # the dead worker's job, as it left it

    worker = services.start_job_worker()  # another worker (here: this process) takes over
    try:
        done = _finished(services, job.job_id)
    finally:
        worker.stop()
    assert done.status == "done" and done.attempts == 2
    assert len(services.documents()) == 40 and services.registry.count_chunks() == services.index.count()
    assert index_gaps(services.index, services.registry) == (set(), set())


def test_a_locked_queue_storage_loses_no_upload(tmp_path, embedder):
    services = _build(tmp_path, embedder, jobs_stale_after_s=1)
    holder = sqlite3.connect(tmp_path / "data" / "job-queue.db", timeout=1)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the queue's write lock past the busy timeout
    try:
        job = services.submit_uploads(DR_LEE, [("sepsis.md", SEPSIS)])  # saved; the message could not be sent
    finally:
        holder.rollback()
        holder.close()
    assert services.jobs.get(job.job_id).status == "queued" and services.jobs.huey.pending_count() == 0
    worker = services.start_job_worker()  # the sweep finds the unsent job and sends it
    try:
        done = _finished(services, job.job_id)
    finally:
        worker.stop()
    assert done.status == "done" and done.result["added"] == ["sepsis.md"]


def test_tutor_ingest_beside_a_running_worker_goes_through_it(tmp_path, embedder, mini_curriculum, monkeypatch):
    services = _build(tmp_path, embedder)
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTOR_CONTENT_DIR", str(tmp_path / "none"))
    worker = services.start_job_worker()
    try:
        _until(services.jobs.workers_alive, "the worker to register")
        result = CliRunner().invoke(main, ["ingest", str(mini_curriculum), "--json"])
    finally:
        worker.stop()
    assert result.exit_code == 0, result.output
    [job] = services.recent_jobs(DR_LEE)
    assert job.kind == "ingest_paths" and job.status == "done" and job.requested_by.startswith("operator:")
    assert '"added"' in result.output and len(services.documents()) == 3
