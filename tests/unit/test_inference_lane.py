"""Background inference runs on the lane's lower-priority threads; a click's own inference does not."""

from __future__ import annotations

import os
import threading

import pytest

from tutor.inference_lane import InferenceLane, background_inference


def _where() -> tuple[int, int]:
    tid = threading.get_native_id()
    return tid, os.getpriority(os.PRIO_PROCESS, tid)


@pytest.fixture
def lane() -> InferenceLane:
    return InferenceLane(nice=7, workers=2)


def test_unmarked_calls_run_in_the_callers_thread_at_its_priority(lane):
    tid, nice = lane.run(_where)
    assert tid == threading.get_native_id() and nice == os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_background_calls_run_on_a_lowered_thread(lane):
    with background_inference():
        tid, nice = lane.run(_where)
    assert tid != threading.get_native_id()
    assert lane.lowered and nice == 7
    # the mark ends with the block: the next call is the caller's again
    assert lane.run(_where)[0] == threading.get_native_id()


def test_a_background_call_that_nests_another_does_not_wait_for_itself():
    lane = InferenceLane(nice=7, workers=1)  # one thread: a nested submit would deadlock
    with background_inference():
        inner = lane.run(lambda: lane.run(_where))
    assert inner[1] == 7


def test_results_and_errors_come_back_to_the_caller(lane):
    def fails():
        raise ValueError("bad input")

    with background_inference():
        assert lane.run(sum, [1, 2, 3]) == 6
        with pytest.raises(ValueError, match="bad input"):
            lane.run(fails)


def test_nice_zero_means_no_lane():
    lane = InferenceLane(nice=0, workers=2)
    with background_inference():
        assert lane.run(_where)[0] == threading.get_native_id()


def test_the_mark_is_per_thread(lane):
    seen = {}

    def other_thread():
        seen["tid"] = lane.run(_where)[0] == threading.get_native_id()

    with background_inference():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen["tid"]  # another thread's calls were not marked by this one's block


def test_the_app_models_share_the_lane_of_the_settings():
    from tutor.index.embeddings import build_embedder
    from tutor.inference_lane import inference_lane
    from tutor.judge.model import build_judge
    from tutor.settings import Settings

    settings = Settings(inference_nice=9)
    assert build_embedder(settings)._lane is build_judge(settings)._lane is inference_lane(9)
