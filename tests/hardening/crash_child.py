"""The process the crash-consistency harness kills: the real ``tutor`` CLI, with probes.

    CRASH_EVENTS=/tmp/events.log python -m tests.hardening.crash_child ingest FOLDER

It runs ``tutor.cli.app.main`` (the same click command as ``.venv/bin/tutor``) with
every outside connection refused, after wrapping the write steps of the ingest at
class level *in this process only* so that each step appends one line to the file
named by ``CRASH_EVENTS`` (monotonic time, event, detail). The harness reads that log
to tell which phase a ``kill -9`` hit. Production code has no hooks for this.

``CRASH_PAUSE_AT=EVENT[:N]`` makes the child stop for good right after the N-th
(default first) ``EVENT``: it logs ``paused`` and sleeps, so the harness can kill it at
an exact point (during embedding, after the vectors are upserted but before the SQLite
commit, after the commit but before the stale vectors are deleted).
``CRASH_KILL_AT=EVENT:N:SECONDS`` instead arms a timer at the N-th ``EVENT`` that sends
this process ``SIGKILL`` after SECONDS: a kill *inside* a Chroma write (an upsert or a
delete takes tens of milliseconds, too short to hit from outside on purpose).

Events, in the order one file produces them: ``file`` (the skip check of the next
file), ``embed-start``/``embed-end``, ``upsert-start``/``upsert-end``,
``commit-start``/``commit-end`` (plus ``commit-end-stale`` when the commit dropped
chunks), ``delete-start``/``delete-end`` (plus ``delete-stale-start`` when there are
vectors to delete); around them ``ingest-start``/``ingest-end``,
``repair-start``/``repair-end`` and ``remove-start``/``remove-end`` (a document gone
from the folder).
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import time
from collections import Counter

EVENTS_ENV = "CRASH_EVENTS"
PAUSE_ENV = "CRASH_PAUSE_AT"
KILL_ENV = "CRASH_KILL_AT"


class _Log:
    def __init__(self, path: str | None, pause_at: str | None, kill_at: str | None = None):
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if path else None
        name, _, nth = (pause_at or "").partition(":")
        self._pause = (name, int(nth or 1)) if name else None
        kill = (kill_at or "").split(":")
        self._kill = ((kill[0], int(kill[1])), float(kill[2])) if len(kill) == 3 else None
        self._seen: Counter[str] = Counter()

    def event(self, name: str, detail: object = "") -> None:
        self._seen[name] += 1
        self._write(name, detail)
        if self._kill and self._kill[0] == (name, self._seen[name]):
            self._write("kill-armed", self._kill[1])
            timer = threading.Timer(self._kill[1], os.kill, (os.getpid(), signal.SIGKILL))
            timer.daemon = True
            timer.start()
        if self._pause == (name, self._seen[name]):
            self._write("paused", name)
            while True:  # the harness kills us here
                time.sleep(60)

    def _write(self, name: str, detail: object) -> None:
        if self._fd is not None:  # one write() per line: a kill never leaves half a line
            os.write(self._fd, f"{time.monotonic():.6f}\t{name}\t{detail}\n".encode())


def _around(cls: type, method: str, log: _Log, start: str, end: str | None,
            describe=lambda args, result: "") -> None:
    original = getattr(cls, method)

    @functools.wraps(original)
    def probe(self, *args, **kwargs):
        log.event(start, describe(args, None))
        result = original(self, *args, **kwargs)
        if end:
            log.event(end, describe(args, result))
        return result

    setattr(cls, method, probe)


def install_probes(log: _Log) -> None:
    from tutor.index.embeddings import MiniLMOnnxEmbedder
    from tutor.index.ingest import Ingestor
    from tutor.index.registry import LibraryRegistry
    from tutor.index.vector_store import ChromaIndex

    count = lambda args, result: len(args[0]) if args and hasattr(args[0], "__len__") else ""  # noqa: E731
    _around(Ingestor, "ingest_paths", log, "ingest-start", "ingest-end")
    _around(Ingestor, "reconcile", log, "repair-start", "repair-end")
    _around(LibraryRegistry, "pipeline_of", log, "file", None, lambda args, result: args[0])
    _around(MiniLMOnnxEmbedder, "embed_documents", log, "embed-start", "embed-end", count)
    _around(ChromaIndex, "upsert", log, "upsert-start", "upsert-end", count)
    _around(LibraryRegistry, "delete_document", log, "remove-start", "remove-end", lambda args, result: args[0])

    replace = LibraryRegistry.replace_document

    @functools.wraps(replace)
    def replace_probe(self, doc, chunks):
        log.event("commit-start", doc["doc_id"])
        stale = replace(self, doc, chunks)
        log.event("commit-end", len(stale))
        if stale:
            log.event("commit-end-stale", len(stale))
        return stale

    LibraryRegistry.replace_document = replace_probe

    delete = ChromaIndex.delete

    @functools.wraps(delete)
    def delete_probe(self, ids):
        ids = list(ids)
        log.event("delete-start", len(ids))
        if ids:
            log.event("delete-stale-start", len(ids))
        delete(self, ids)
        log.event("delete-end", len(ids))

    ChromaIndex.delete = delete_probe


def main(argv: list[str]) -> int:
    from tests.network import loopback_only

    install_probes(_Log(os.environ.get(EVENTS_ENV), os.environ.get(PAUSE_ENV), os.environ.get(KILL_ENV)))
    from tutor.cli.app import main as tutor

    with loopback_only():
        try:
            tutor.main(args=argv, prog_name="tutor", standalone_mode=False)
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
