"""Starting the ingest child the crash suite kills, and reading the log of its write steps.

The child (:mod:`tests.hardening.crash_child`) appends one line per write step to an
events file; the harness waits on that file to kill at an exact point, and reads it
afterwards to tell which phase a kill interrupted. Times are ``time.monotonic()``,
which is one clock for every process on the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.hardening.crash_child import EVENTS_ENV, KILL_ENV, PAUSE_ENV
from tutor.settings import PROJECT_ROOT

# The step the last logged event belongs to: what a kill right after that event interrupts.
PHASE_AFTER = {
    None: "startup", "ingest-start": "scan", "repair-start": "repair", "repair-end": "scan",
    "file": "read+parse", "embed-start": "embed", "embed-end": "embed",
    "upsert-start": "upsert", "upsert-end": "after-upsert", "commit-start": "commit",
    "commit-end": "after-commit", "commit-end-stale": "after-commit", "delete-start": "delete-stale",
    "delete-stale-start": "delete-stale",
    "delete-end": "between-files", "remove-start": "remove-doc", "remove-end": "remove-doc",
    "ingest-end": "finished",
}
PHASES = ("startup", "scan", "repair", "read+parse", "embed", "upsert", "after-upsert", "commit",
          "after-commit", "delete-stale", "between-files", "remove-doc", "finished")


def child_env(data_dir: Path, events: Path, pause_at: str | None = None, kill_at: str | None = None,
              place: dict[str, str] | None = None) -> dict[str, str]:
    """Offline: the local embedder only, no API keys, no chat model (ingest never builds one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUTOR_", "OPENAI_", "CRASH_"))}
    env.update({
        "TUTOR_DATA_DIR": str(data_dir), "TUTOR_EMBEDDING_PROVIDER": "local", "TUTOR_LLM_PROVIDER": "scripted",
        "TUTOR_HYBRID_SEARCH": "true", "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
        EVENTS_ENV: str(events), "PYTHONPATH": str(PROJECT_ROOT), **(place or {}),
    })
    if pause_at:
        env[PAUSE_ENV] = pause_at
    if kill_at:
        env[KILL_ENV] = kill_at
    return env


def start_child(folder: Path | None, data_dir: Path, events: Path, pause_at: str | None = None,
                kill_at: str | None = None, place: dict[str, str] | None = None) -> subprocess.Popen:
    """``tutor ingest FOLDER`` in a child process (``tutor reindex`` when ``folder`` is None)."""
    command = ["ingest", str(folder)] if folder is not None else ["reindex"]
    log = open(events.with_suffix(".out"), "wb")
    with log:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.hardening.crash_child", *command],
            env=child_env(data_dir, events, pause_at, kill_at, place), cwd=events.parent, stdout=log, stderr=subprocess.STDOUT,
        )


def read_events(events: Path) -> list[tuple[float, str, str]]:
    if not events.exists():
        return []
    rows = []
    for line in events.read_text().splitlines():
        stamp, name, detail = line.split("\t", 2)
        rows.append((float(stamp), name, detail))
    return rows


def wait_for(events: Path, name: str, child: subprocess.Popen, timeout_s: float = 120.0) -> float | None:
    """Monotonic time of the ``name[:N]`` event (the first by default), or None when the child exited without it."""
    name, _, nth = name.partition(":")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stamps = [stamp for stamp, event, _ in read_events(events) if event == name]
        if len(stamps) >= int(nth or 1):
            return stamps[int(nth or 1) - 1]
        if child.poll() is not None:
            return None
        time.sleep(0.01)
    raise TimeoutError(f"the ingest child logged no {name!r} in {timeout_s} s")


def processes_of(events: Path) -> list[int]:
    """Live processes started for this events log (the child's parse server, say), by environment."""
    marker = f"{EVENTS_ENV}={events}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0") and b"Z" not in _state(entry):
                found.append(int(entry.name))
        except OSError:
            continue  # gone, or not ours
    return found


def _state(entry: Path) -> bytes:
    stat = (entry / "stat").read_bytes()
    return stat[stat.rindex(b")") + 2:][:1]


def phase_at(events: list[tuple[float, str, str]], killed_at: float) -> str:
    """The phase the kill interrupted, from the last event logged before it."""
    before = [name for stamp, name, _ in events if stamp <= killed_at and name not in ("paused", "kill-armed")]
    in_repair = "repair-start" in before and "repair-end" not in before
    last = before[-1] if before else None
    if in_repair:
        return "repair"
    return PHASE_AFTER.get(last, last or "startup")
