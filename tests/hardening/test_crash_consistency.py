"""Suite 2 at its quick size: the ingest killed with SIGKILL, then checked and re-run.

A few random kills (stratified over the ingest's measured duration, half of them
while a changed folder is re-ingested) and one kill at each point the write order is
designed around, on the embedded index and again with the vectors on a real ``chroma
run`` server (as ``tutor school`` deploys it). With the server, the server itself is
also killed in the middle of an ingest: the ingest ends with the app's "not answering"
message, and once the server is back the re-run gives exactly the never-killed library.
``TUTOR_CRASH_RUNS=50`` runs the full number of random kills; the table comes from
``python -m tests.hardening.crash_figures [--server]``. What each run checks is in
:mod:`tests.hardening.crash_consistency`.
"""

from __future__ import annotations

import os

import pytest

from tests.chroma_server import ChromaServer
from tests.hardening.crash_consistency import DETERMINISTIC, CrashHarness, describe
from tests.hardening.crash_curriculum import QUICK

RANDOM_RUNS = int(os.environ.get("TUTOR_CRASH_RUNS", "2"))
SEED = 20261123


@pytest.fixture(scope="module")
def embedded_harness(tmp_path_factory, embedder) -> CrashHarness:
    return CrashHarness(tmp_path_factory.mktemp("crash-embedded"), embedder, QUICK)


@pytest.fixture(scope="module")
def server_harness(tmp_path_factory, embedder) -> CrashHarness:
    workdir = tmp_path_factory.mktemp("crash-server")
    with ChromaServer(workdir / "chroma") as server:  # its own server: these tests kill it
        yield CrashHarness(workdir / "runs", embedder, QUICK, server=server)


@pytest.fixture(params=["embedded", "server"])
def harness(request) -> CrashHarness:
    return request.getfixturevalue(f"{request.param}_harness")


def test_random_kills_leave_a_library_that_the_rerun_completes_exactly(harness):
    records = [harness.random_run(number, RANDOM_RUNS, SEED) for number in range(RANDOM_RUNS)]
    failed = [describe(r) for r in records if not r.ok]
    assert not failed, "\n".join(failed)
    assert sum(r.killed for r in records) >= RANDOM_RUNS // 2, [describe(r) for r in records]


@pytest.mark.parametrize(("name", "scenario", "pause_at"), DETERMINISTIC, ids=[d[2] for d in DETERMINISTIC])
def test_kill_at_each_point_of_the_write_order(harness, name, scenario, pause_at):
    record = harness.run(100 + DETERMINISTIC.index((name, scenario, pause_at)), scenario, "pause", pause_at=pause_at)
    assert record.ok, describe(record)
    assert record.killed
    assert not record.integrity_failures and record.index_error is None and record.search_leak == 0
    if scenario == "reindex":
        # The registry is whole, the index empty: search still works (dense half empty) and the re-run refills it.
        assert record.search_error is None and record.repair_needed and record.missing_before > 0
    elif pause_at.startswith("embed"):
        # Nothing of the interrupted file was written: registry and index still agree.
        assert record.phase == "embed" and not record.repair_needed and record.orphans_before == 0
    else:
        # Vectors without registry rows were left behind (never shown), and the re-run swept them.
        assert record.repair_needed and record.orphans_before > 0 and record.missing_before == 0


SERVER_KILLS = (
    # (scenario, the child's event at which the server dies): between files, and as a write is sent
    ("first", "embed-start:2"),
    ("reingest", "upsert-start:2"),
    ("reingest", "delete-stale-start:1"),
)


@pytest.mark.parametrize(("scenario", "at_event"), SERVER_KILLS, ids=[k[1] for k in SERVER_KILLS])
def test_a_chroma_server_killed_mid_ingest_loses_nothing(server_harness, scenario, at_event):
    record = server_harness.run(200 + SERVER_KILLS.index((scenario, at_event)), scenario, "server", server_at=at_event)
    assert record.ok, describe(record)
    assert record.killed  # the ingest was still running when its server died ...
    assert record.child_exit == 1 and "not answering" in record.child_said, record.child_said  # ... and said so
    assert not record.integrity_failures and record.index_error is None and record.search_leak == 0
