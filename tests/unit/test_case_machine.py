"""The case stage machine: what is revealed, when, and when the student may move on."""

from __future__ import annotations

import pytest

from tests.case_files import MINI_CASE_YAML
from tutor.content.cases.parse import parse_case
from tutor.errors import CaseError
from tutor.modes.cases import machine
from tutor.modes.cases.machine import Answer

CASE = parse_case(MINI_CASE_YAML.encode(), "mini.yaml")


def keys(findings) -> list[str]:
    return [f.key for f in findings]


def test_a_new_session_is_in_the_first_stage_with_nothing_revealed():
    state = machine.opening(CASE)
    assert state.stage == 0 and state.revealed == () and not state.finished
    assert state.case_hash == CASE.content_hash
    assert keys(machine.requestable(CASE, state)) == ["medications", "chest-pain"]


def test_requests_reach_the_current_and_earlier_stages_never_a_later_one():
    state = machine.opening(CASE)
    with pytest.raises(CaseError):
        machine.reveal(CASE, state, ("potassium",), "words")  # an investigation, still in the history
    state, fresh = machine.reveal(CASE, state, ("medications",), "words")
    state = machine.advance(CASE, machine.advance(CASE, state))
    assert CASE.stages[state.stage].id == "investigations"
    state, fresh = machine.reveal(CASE, state, ("chest-pain", "potassium"), "words")  # history still reachable
    assert keys(fresh) == ["chest-pain", "potassium"]


def test_a_key_that_is_not_in_the_case_is_refused_and_changes_nothing():
    state = machine.opening(CASE)
    with pytest.raises(CaseError):
        machine.reveal(CASE, state, ("troponin",), "model")
    with pytest.raises(CaseError):
        machine.reveal(CASE, state, ("medications", "made-up"), "model")


def test_shown_findings_are_revealed_on_entering_their_stage():
    state, _ = machine.reveal(CASE, machine.opening(CASE), ("medications",), "words")
    state = machine.advance(CASE, state)
    assert [(r.key, r.how, r.stage) for r in state.revealed][-1] == ("observations", "shown", "examination")


def test_revealing_again_counts_the_request_but_adds_nothing():
    state, first = machine.reveal(CASE, machine.opening(CASE), ("medications",), "words")
    state, second = machine.reveal(CASE, state, ("medications",), "words")
    assert keys(first) == ["medications"] and second == ()
    assert state.requests == {"history": 2} and len(state.revealed) == 1


def test_min_requests_blocks_moving_on_and_an_unmatched_request_counts():
    state = machine.opening(CASE)
    assert machine.blocker(CASE, state) == "Ask at least 1 more question in this stage before moving on."
    with pytest.raises(CaseError, match="Ask at least 1 more"):
        machine.advance(CASE, state)
    state, fresh = machine.reveal(CASE, state, (), "words")  # a request answered "not available"
    assert fresh == () and machine.blocker(CASE, state) is None


def test_the_differential_and_the_plan_are_committed_once_in_their_stage_then_the_case_finishes():
    state, _ = machine.reveal(CASE, machine.opening(CASE), ("medications",), "words")
    with pytest.raises(CaseError, match="differential-diagnosis stage"):
        machine.commit_differential(CASE, state, (Answer(text="Hyperkalaemia"),))
    state = machine.advance(CASE, machine.advance(CASE, machine.advance(CASE, state)))
    assert machine.requestable(CASE, state) == ()
    assert machine.blocker(CASE, state) == "Commit to a ranked differential diagnosis before moving on."
    with pytest.raises(CaseError, match="at least one"):
        machine.commit_differential(CASE, state, ())
    with pytest.raises(CaseError, match="at most 6"):
        machine.commit_differential(CASE, state, tuple(Answer(text=f"dx {i}") for i in range(7)))
    state = machine.commit_differential(CASE, state, (Answer(text="Hyperkalaemia", group="differential", index=0),))
    with pytest.raises(CaseError, match="already committed"):
        machine.commit_differential(CASE, state, (Answer(text="AKI"),))
    state = machine.advance(CASE, state)
    assert machine.blocker(CASE, state) == "Commit to a management plan before moving on."
    state = machine.commit_plan(CASE, state, (Answer(text="IV calcium"),))
    state = machine.advance(CASE, state)
    assert state.finished and machine.blocker(CASE, state) == "The case is finished."
    with pytest.raises(CaseError):
        machine.advance(CASE, state)


def test_every_change_bumps_the_step_and_states_round_trip_through_json():
    state = machine.opening(CASE)
    steps = [state.step]
    state, _ = machine.reveal(CASE, state, ("medications",), "words")
    steps.append(state.step)
    state = machine.advance(CASE, state)
    steps.append(state.step)
    assert steps == sorted(set(steps))
    assert machine.CaseState.model_validate(state.model_dump(mode="json")) == state


def test_clean_entries_drops_blanks_and_hidden_characters():
    assert machine.clean_entries(["  Hyperkalaemia\u200b ", "", "   ", "AKI"]) == ("Hyperkalaemia", "AKI")
