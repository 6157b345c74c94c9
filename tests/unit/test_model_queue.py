"""The model queue: first come first served, places and waits, a bounded length, nothing leaked."""

from __future__ import annotations

import threading

import pytest

from tutor.errors import ModelUnavailableError
from tutor.llm.model_queue import ModelQueue, Place, QueueFull, wait_text


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_tickets_are_served_in_order_as_slots_free(clock):
    queue = ModelQueue(slots=1, max_waiting=5, typical_s=10, clock=clock)
    first, second, third = queue.join(), queue.join(), queue.join()
    assert first.place().served and not second.place().served
    assert (second.place().ahead, third.place().ahead) == (1, 2)  # the one being served is ahead too
    first.leave()
    assert second.place().served and third.place().ahead == 1
    assert queue.status() == (1, 1)


def test_the_wait_counts_the_served_request_down_and_each_waiting_one_in_full(clock):
    queue = ModelQueue(slots=1, max_waiting=5, typical_s=10, clock=clock)
    queue.join()
    second, third = queue.join(), queue.join()
    assert (second.place().wait_s, third.place().wait_s) == (10, 20)
    clock.now += 4
    assert (second.place().wait_s, third.place().wait_s) == (6, 16)
    clock.now += 30  # far past the average: assume a little more, never a negative wait
    assert second.place().wait_s == pytest.approx(1.0)


def test_two_slots_halve_the_wait(clock):
    queue = ModelQueue(slots=2, max_waiting=5, typical_s=10, clock=clock)
    queue.join(), queue.join()
    waiting = [queue.join() for _ in range(3)]
    assert [t.place().wait_s for t in waiting] == [10, 10, 20]


def test_completed_answers_teach_the_average_and_cancelled_ones_do_not(clock):
    queue = ModelQueue(slots=1, max_waiting=5, typical_s=10, clock=clock)
    with queue.join():
        clock.now += 20
    assert queue.mean_s == pytest.approx(13.0)  # 10 + 0.3 * (20 - 10)
    ticket = queue.join()
    clock.now += 1
    ticket.leave(completed=False)
    assert queue.mean_s == pytest.approx(13.0)


def test_an_exception_leaves_the_slot_free(clock):
    queue = ModelQueue(slots=1, max_waiting=5, typical_s=10, clock=clock)
    with pytest.raises(RuntimeError), queue.join():
        raise RuntimeError("model failed")
    assert queue.status() == (0, 0) and queue.join().place().served


def test_a_full_queue_says_so_at_once_with_when_to_come_back(clock):
    queue = ModelQueue(slots=1, max_waiting=2, typical_s=10, clock=clock)
    tickets = [queue.join() for _ in range(3)]
    with pytest.raises(QueueFull) as full:
        queue.join()
    assert full.value.waiting == 2 and full.value.retry_after_s == 30
    assert "2 questions are waiting" in full.value.user_message and "30 s" in full.value.user_message
    tickets[2].leave()  # one waiting student left: there is room again
    assert not queue.join().place().served


def test_leaving_twice_or_after_being_served_is_harmless(clock):
    queue = ModelQueue(slots=1, max_waiting=2, typical_s=10, clock=clock)
    ticket = queue.join()
    ticket.leave()
    ticket.leave()
    assert queue.status() == (0, 0) and ticket.place() == Place(ahead=0, wait_s=0.0, served=False)


def test_a_waiting_thread_wakes_when_its_turn_comes():
    queue = ModelQueue(slots=1, max_waiting=2, typical_s=10)
    first, second = queue.join(), queue.join()
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(second.wait(30)))
    waiter.start()
    first.leave()
    waiter.join(30)
    assert woke and woke[0].served


def test_the_student_reads_the_place_and_a_rounded_wait():
    assert wait_text(2, 21.4) == "2 questions ahead of yours, about 20 s"
    assert wait_text(1, 2) == "1 question ahead of yours, about 5 s"
    assert wait_text(9, 130) == "9 questions ahead of yours, about 2 min"


def test_a_queue_needs_a_slot():
    with pytest.raises(ValueError):
        ModelQueue(slots=0, max_waiting=1)


def test_a_slot_for_a_case_request_or_draft_waits_its_turn_and_is_not_timed(clock):
    queue = ModelQueue(slots=1, max_waiting=5, typical_s=10, clock=clock)
    student = queue.join()
    entered = threading.Event()

    def draft():
        with queue.slot(wait_s=30):
            entered.set()
            clock.now += 500  # a long draft must not teach the queue that answers take minutes

    worker = threading.Thread(target=draft)
    worker.start()
    assert not entered.wait(0.2) and queue.status() == (1, 1)  # behind the student's answer
    student.leave(completed=False)
    worker.join(5)
    assert entered.is_set() and queue.status() == (0, 0) and queue.mean_s == 10


def test_a_slot_not_given_in_time_is_a_plain_busy_error_and_leaves_no_place(clock):
    queue = ModelQueue(slots=1, max_waiting=1, typical_s=10, clock=clock)
    holder = queue.join()
    with pytest.raises(ModelUnavailableError) as busy:
        with queue.slot(wait_s=0.05):
            pass
    assert "busy" in busy.value.user_message and queue.status() == (1, 0)
    waiting = queue.join()
    with pytest.raises(QueueFull):  # a full queue refuses at once (QueueFull is a ModelUnavailableError)
        with queue.slot(wait_s=30):
            pass
    holder.leave(), waiting.leave()
    assert queue.status() == (0, 0)
