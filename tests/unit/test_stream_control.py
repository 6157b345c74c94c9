"""A history read waits for a reply of its conversation that is still being stored (a cancel in flight)."""

from __future__ import annotations

import threading

from tutor.modes.ask.stream_control import InFlight


def test_a_history_read_waits_for_the_reply_in_flight_and_only_for_its_own_conversation():
    flight = InFlight()
    flight.enter("c1")
    assert flight.wait_idle("c2", timeout_s=0.01)  # another conversation does not wait
    assert not flight.wait_idle("c1", timeout_s=0.01)  # bounded: a stuck reply never blocks the page for good
    done = []
    reader = threading.Thread(target=lambda: done.append(flight.wait_idle("c1", timeout_s=30)))
    reader.start()
    flight.leave("c1")
    reader.join(30)
    assert done == [True]


def test_two_replies_in_one_conversation_are_both_waited_for():
    flight = InFlight()
    flight.enter("c1")
    flight.enter("c1")
    flight.leave("c1")
    assert not flight.wait_idle("c1", timeout_s=0.01)
    flight.leave("c1")
    assert flight.wait_idle("c1", timeout_s=0.01)
