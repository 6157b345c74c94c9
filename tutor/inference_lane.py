"""Background model inference at a lower CPU priority than the students' requests.

Why: an app process (or a ``tutor worker`` beside it) shares its cores between requests a
student waits for (a quiz answer, a case step, a page, a question asked) and batch work
nobody waits for in the moment (embedding an instructor's upload, checking drafted
questions: minutes of onnxruntime). Under load the batch work took the cores and every
click queued behind it: 100 simulated students with a 200-document ingest running, a quiz
answer took 6.3 s p50 and 13.3 s p95 (docs/measurements.md, "Several processes").

Linux schedules threads, not processes, and lets a process raise the nice value of one of
its own threads. So background inference (marked with :func:`background_inference`) runs
on threads of its own with a higher nice value, and the worker threads that onnxruntime
and the tokenizer start from them inherit it: when a click and an ingest batch want the
same core, the click gets it. On an idle machine nothing changes (a niced thread runs at
full speed when nobody else wants the core).

Answering a question is not background work, although its reading of the evidence is the
heaviest inference a student causes (about 1 s of CPU): measured with it on the lane, the
clicks got faster but under overload the answers starved, held their model-queue places
and timed out (177 errors in 5 minutes), where at equal priority every request slows down
together and none fails. Where a thread's priority cannot be changed (not Linux), the lane
still works, at equal priority.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from typing import TypeVar

T = TypeVar("T")
_marked = threading.local()


@contextmanager
def background_inference() -> Iterator[None]:
    """Model calls made in this block, by this thread, are background work: they run on the lane.

    Keep ``yield`` out of the block (a generator suspended inside it would leave the mark on
    whatever its consumer runs next).
    """
    depth = getattr(_marked, "depth", 0)
    _marked.depth = depth + 1
    try:
        yield
    finally:
        _marked.depth = depth


class InferenceLane:
    """Runs background calls on ``workers`` threads at nice ``nice``; others (and all, with ``nice=0``) in the caller's thread."""

    def __init__(self, nice: int, workers: int):
        self.nice = nice
        self.lowered = False  # whether the operating system accepted the lower priority
        self._inside = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inference",
                                        initializer=self._enter) if nice > 0 else None

    def _enter(self) -> None:
        self._inside.yes = True
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)  # Linux: this thread only
            self.lowered = True
        except (AttributeError, OSError):
            pass  # no per-thread priority here: same threads, same priority as the rest

    def run(self, call: Callable[..., T], *args, **kwargs) -> T:
        """``call(*args, **kwargs)``, on a lane thread inside :func:`background_inference`; its result or exception."""
        if self._pool is None or not getattr(_marked, "depth", 0) or getattr(self._inside, "yes", False):
            return call(*args, **kwargs)  # no lane, a click's own work, or already on the lane
        return self._pool.submit(call, *args, **kwargs).result()


IN_THREAD = InferenceLane(nice=0, workers=0)
"""No lane: every call in the caller's thread (models built outside the app's factories: tests, training)."""


@lru_cache(maxsize=4)
def inference_lane(nice: int) -> InferenceLane:
    """The process's lane for this nice value: every model in the process shares its threads.

    Eight threads, not one per core: the lane is about priority, not a queue (with two, the
    work of several jobs and drafts would wait in line for the lane on top of the cores).
    """
    return InferenceLane(nice, workers=8)
