"""Suite 3 at a quick size: 16 writer threads, then 16 writer processes, with dashboards loading.

The full size (16 x 1,000 each way) is ``python -m tests.hardening.concurrent_writes``; its
figures are in docs/security.md. Assertions are about what was stored, never about time.
"""

from __future__ import annotations

from pathlib import Path

from tests.hardening.concurrent_writes import markdown, run

WRITERS, WRITES = 16, 25


def test_every_acknowledged_answer_is_stored_once_and_none_is_refused(tmp_path: Path, embedder):
    runs = run(tmp_path / "data", writers=WRITERS, writes=WRITES, learners=40, attempts=2_000,
               embedder=embedder, log=lambda line: None)

    assert [r.label for r in runs] == ["1 writer thread", f"{WRITERS} writer threads", f"{WRITERS} writer processes"]
    for r in runs:
        assert r.errors == []  # no learner was told "could not be saved", let alone "database is locked"
        assert r.writes == r.writers * WRITES and r.missing == 0 and r.stored == r.writes
        assert r.reads  # the dashboards were loading during the writes
    assert "| 16 writer processes x 25 | 400 / 400 | 0 | 0 (0) |" in markdown(runs, "quick")
