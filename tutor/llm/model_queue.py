"""One bounded, first-come-first-served queue of model requests per app process.

A model server answers a few requests at once (the local llama.cpp server one: on 2
cores parallel decoding only splits the same throughput). Sent all at once, requests
wait inside the server where nobody can see them, and the later ones hit the client's
read timeout although nothing is wrong. So every student's answer (the Ask page, the
process's main use of the model) first takes a :class:`Ticket` here:

* at most ``slots`` tickets are *served* (talking to the model) at a time; the rest wait
  in order, at most ``max_waiting`` of them: one more gets :class:`QueueFull` at once,
  with an estimate of when to try again, instead of a timeout later;
* a waiting ticket knows its :class:`Place`: how many requests are ahead of it and about
  how long until it is served, estimated from how long requests of this process have
  recently held a slot (an exponential average, seeded with ``typical_s``);
* leaving (answer done, failed, cancelled, or the student closed the tab and the page's
  generator was closed) always frees the place or the slot: use the ticket as a context
  manager.

The model's other users in the process (a case request the matchers could not place,
an instructor's question drafts) take a slot through :meth:`ModelQueue.slot`: they wait
their turn like everyone else, so the per-process limit holds for every request sent to
a model server, but they show no place and do not feed the answer-time estimate.

Pure apart from its lock: time comes from the injected ``clock``, so the estimates are
tested without sleeping.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tutor.errors import ModelUnavailableError

_SMOOTHING = 0.3  # weight of the latest duration in the running average
_MIN_REMAINING = 0.1  # a request past the average is assumed to need at least this share of it again


@dataclass(frozen=True)
class Place:
    """Where a ticket stands: ``ahead`` requests before it (0 when served) and the estimated wait."""

    ahead: int
    wait_s: float
    served: bool


class QueueFull(ModelUnavailableError):
    """Too many requests are waiting for the model; the student is told when to try again."""

    def __init__(self, waiting: int, retry_after_s: float):
        self.waiting, self.retry_after_s = waiting, retry_after_s
        super().__init__(
            f"Many students are asking right now ({waiting} {'question is' if waiting == 1 else 'questions are'} waiting). "
            f"Please ask again in about {_rounded(retry_after_s)}.",
            detail=f"model queue full: {waiting} waiting",
        )


class Ticket:
    """A place in the queue; leave it (or use ``with``) whatever happens."""

    def __init__(self, queue: "ModelQueue"):
        self._queue = queue

    def place(self) -> Place:
        return self._queue.place(self)

    def wait(self, timeout_s: float) -> Place:
        """Block until served or ``timeout_s`` passed; the place then."""
        return self._queue.wait(self, timeout_s)

    def leave(self, *, completed: bool = True) -> None:
        self._queue.leave(self, completed=completed)

    def __enter__(self) -> "Ticket":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.leave(completed=kind is None)


class ModelQueue:
    def __init__(self, slots: int, max_waiting: int, *, typical_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        if slots < 1 or max_waiting < 0:
            raise ValueError("a model queue needs at least one slot and a non-negative waiting limit")
        self.slots, self.max_waiting, self.clock = slots, max_waiting, clock
        self.mean_s = typical_s
        self._cond = threading.Condition()
        self._waiting: list[Ticket] = []
        self._served: dict[Ticket, float] = {}  # when each was served

    def join(self) -> Ticket:
        """A new ticket at the back of the queue (served at once when a slot is free)."""
        with self._cond:
            if len(self._served) >= self.slots and len(self._waiting) >= self.max_waiting:
                raise QueueFull(len(self._waiting), self._start_after(len(self._waiting)))
            ticket = Ticket(self)
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def place(self, ticket: Ticket) -> Place:
        with self._cond:
            return self._place(ticket)

    def wait(self, ticket: Ticket, timeout_s: float) -> Place:
        with self._cond:
            if ticket in self._waiting:
                self._cond.wait(timeout_s)
            return self._place(ticket)

    def leave(self, ticket: Ticket, *, completed: bool = True) -> None:
        with self._cond:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            elif ticket in self._served:
                started = self._served.pop(ticket)
                if completed:  # a cancelled or failed request says nothing about how long answers take
                    self.mean_s += _SMOOTHING * ((self.clock() - started) - self.mean_s)
            self._admit()
            self._cond.notify_all()

    @contextmanager
    def slot(self, wait_s: float) -> Iterator[None]:
        """Hold a slot for one request that shows no place; ModelUnavailableError after ``wait_s`` waiting.

        Raises :class:`QueueFull` at once when the queue is full. The time the slot is
        held is not timed: a draft is not an answer.
        """
        ticket = self.join()
        try:
            deadline = time.monotonic() + wait_s
            while not ticket.place().served:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ModelUnavailableError(
                        "The tutor's model is busy with other requests; please try again shortly.",
                        detail=f"no model slot within {wait_s:.0f} s",
                    )
                ticket.wait(left)
            yield
        finally:
            ticket.leave(completed=False)

    def status(self) -> tuple[int, int]:
        """(served, waiting) now: for health pages and tests."""
        with self._cond:
            return len(self._served), len(self._waiting)

    # -- internals (lock held) ------------------------------------------------------
    def _admit(self) -> None:
        while self._waiting and len(self._served) < self.slots:
            self._served[self._waiting.pop(0)] = self.clock()
            self._cond.notify_all()

    def _place(self, ticket: Ticket) -> Place:
        if ticket in self._served:
            return Place(ahead=0, wait_s=0.0, served=True)
        if ticket not in self._waiting:  # it left: nothing to wait for
            return Place(ahead=0, wait_s=0.0, served=False)
        ahead = self._waiting.index(ticket)
        return Place(ahead=ahead + len(self._served), wait_s=self._start_after(ahead), served=False)

    def _start_after(self, ahead: int) -> float:
        """Seconds until a slot is free for a request with ``ahead`` waiting requests before it."""
        now = self.clock()
        free = [max(self.mean_s - (now - started), _MIN_REMAINING * self.mean_s) for started in self._served.values()]
        free += [0.0] * (self.slots - len(free))
        heapq.heapify(free)
        for _ in range(ahead):
            heapq.heappush(free, heapq.heappop(free) + self.mean_s)
        return free[0]


def _rounded(seconds: float) -> str:
    if seconds < 60:
        return f"{max(5, round(seconds / 5) * 5)} s"
    return f"{round(seconds / 60)} min"


def wait_text(ahead: int, wait_s: float) -> str:
    """What the student reads while waiting: "2 questions ahead of yours, about 20 s"."""
    return f"{ahead} question{'s' if ahead != 1 else ''} ahead of yours, about {_rounded(wait_s)}"
