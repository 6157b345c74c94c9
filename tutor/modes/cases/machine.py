"""The case stage machine: what has been revealed, which stage the student is in, when they may move on.

Pure and deterministic: every function takes the case and the current :class:`CaseState`
and returns a new state (states are immutable and stored as JSON in the progress store).
Only this module changes a state, and it only ever reveals findings that exist in the
case file and belong to a stage the student has reached: :func:`reveal` refuses any
other key, whoever proposed it (the word matcher, the embedding matcher or a model).

Rules:

* Stages run in file order. On entering a stage its ``shown`` findings are revealed.
* Requests are taken in enquiry stages only, and may reach the findings of the current
  and every earlier enquiry stage (a student in investigations may still ask about the
  history, as on a ward round), never a later one.
* A student moves on when the stage's requirement is met: ``min_requests`` requests in
  an enquiry stage, a committed differential in the differential stage, a committed plan
  in the plan stage. Moving on from the last stage finishes the case.
* A differential (1 to :data:`MAX_DIFFERENTIAL` entries, most likely first) and a plan
  (1 to :data:`MAX_PLAN` lines) are committed once and cannot be changed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutor.content.cases.model import Case, Finding, Stage
from tutor.content.text_cleaning import clean_text
from tutor.errors import CaseError

MAX_DIFFERENTIAL = 6
MAX_PLAN = 10
MAX_ENTRY_CHARS = 200

RevealHow = Literal["shown", "words", "similar", "model"]


class Revealed(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    stage: str  # id of the stage the student was in when it was revealed
    how: RevealHow


class Answer(BaseModel):
    """One committed differential entry or plan line, with the rubric item it matched."""

    model_config = ConfigDict(frozen=True)

    text: str
    group: str | None = None  # "differential" | "alternatives" | "next_steps" | "dangerous_actions"
    index: int | None = None  # position in that rubric group
    how: str = "none"
    score: float = 0.0


class CaseState(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_hash: str
    stage: int = 0
    step: int = Field(default=0, description="Bumped by every change; guards against two tabs writing at once")
    revealed: tuple[Revealed, ...] = ()
    requests: dict[str, int] = Field(default_factory=dict)
    differential: tuple[Answer, ...] | None = None
    plan: tuple[Answer, ...] | None = None
    finished: bool = False

    @property
    def revealed_keys(self) -> frozenset[str]:
        return frozenset(item.key for item in self.revealed)


def opening(case: Case) -> CaseState:
    """The state of a new session: in the first stage, its shown findings revealed."""
    return _enter(case, CaseState(case_hash=case.content_hash), 0)


def current_stage(case: Case, state: CaseState) -> Stage:
    return case.stages[state.stage]


def requestable(case: Case, state: CaseState) -> tuple[Finding, ...]:
    """The findings a request may reveal now (empty outside enquiry stages or once finished)."""
    if state.finished or current_stage(case, state).kind != "enquiry":
        return ()
    return tuple(f for stage in case.stages[: state.stage + 1] if stage.kind == "enquiry" for f in stage.findings)


def upcoming(case: Case, state: CaseState) -> tuple[tuple[Stage, Finding], ...]:
    """Findings of enquiry stages not reached yet, with their stage: what a request may name too early."""
    if state.finished:
        return ()
    return tuple((stage, f) for stage in case.stages[state.stage + 1 :] if stage.kind == "enquiry" for f in stage.findings)


def reveal(case: Case, state: CaseState, keys: tuple[str, ...], how: RevealHow) -> tuple[CaseState, tuple[Finding, ...]]:
    """Count one request and reveal ``keys``; returns the new state and the newly revealed findings.

    Raises :class:`CaseError` for a key the student may not see now (not in the case, in a
    later stage, or outside an enquiry stage): callers pass only matcher output, so this
    is the guard that a proposed key cannot get past.
    """
    allowed = {finding.key: finding for finding in requestable(case, state)}
    if not allowed:
        raise CaseError("Requests are answered in the history, examination and investigation stages.")
    if stray := [key for key in keys if key not in allowed]:
        raise CaseError(detail=f"refused to reveal {stray!r}: not requestable in stage {current_stage(case, state).id!r}")
    stage_id = current_stage(case, state).id
    fresh = tuple(allowed[key] for key in dict.fromkeys(keys) if key not in state.revealed_keys)
    requests = {**state.requests, stage_id: state.requests.get(stage_id, 0) + 1}
    revealed = state.revealed + tuple(Revealed(key=f.key, stage=stage_id, how=how) for f in fresh)
    return _bump(state, requests=requests, revealed=revealed), fresh


def blocker(case: Case, state: CaseState) -> str | None:
    """Why the student may not move on yet (None: they may)."""
    if state.finished:
        return "The case is finished."
    stage = current_stage(case, state)
    if stage.kind == "enquiry":
        missing = stage.min_requests - state.requests.get(stage.id, 0)
        if missing > 0:
            return f"Ask at least {missing} more question{'s' if missing != 1 else ''} in this stage before moving on."
    elif stage.kind == "differential" and state.differential is None:
        return "Commit to a ranked differential diagnosis before moving on."
    elif stage.kind == "plan" and state.plan is None:
        return "Commit to a management plan before moving on."
    return None


def advance(case: Case, state: CaseState) -> CaseState:
    """Move to the next stage (or finish after the last one)."""
    if (reason := blocker(case, state)) is not None:
        raise CaseError(reason)
    if state.stage + 1 >= len(case.stages):
        return _bump(state, finished=True)
    return _enter(case, state, state.stage + 1)


def commit_differential(case: Case, state: CaseState, answers: tuple[Answer, ...]) -> CaseState:
    if current_stage(case, state).kind != "differential" or state.finished:
        raise CaseError("The differential is committed in the differential-diagnosis stage.")
    if state.differential is not None:
        raise CaseError("Your differential is already committed.")
    return _bump(state, differential=_checked(answers, MAX_DIFFERENTIAL, "diagnosis", "diagnoses"))


def commit_plan(case: Case, state: CaseState, answers: tuple[Answer, ...]) -> CaseState:
    if current_stage(case, state).kind != "plan" or state.finished:
        raise CaseError("The plan is committed in the management stage.")
    if state.plan is not None:
        raise CaseError("Your plan is already committed.")
    return _bump(state, plan=_checked(answers, MAX_PLAN, "step", "steps"))


def clean_entries(texts: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The non-blank entries of a form, cleaned and trimmed, in order."""
    return tuple(clean_text(text).strip() for text in texts if text and clean_text(text).strip())


def _checked(answers: tuple[Answer, ...], limit: int, one: str, many: str) -> tuple[Answer, ...]:
    if not answers:
        raise CaseError(f"Enter at least one {one}.")
    if len(answers) > limit:
        raise CaseError(f"Enter at most {limit} {many}, most important first.")
    if any(len(answer.text) > MAX_ENTRY_CHARS for answer in answers):
        raise CaseError(f"Keep each {one} under {MAX_ENTRY_CHARS} characters.")
    return answers


def _enter(case: Case, state: CaseState, index: int) -> CaseState:
    stage = case.stages[index]
    have = state.revealed_keys
    shown = tuple(Revealed(key=f.key, stage=stage.id, how="shown") for f in stage.findings if f.shown and f.key not in have)
    return _bump(state, stage=index, revealed=state.revealed + shown)


def _bump(state: CaseState, **changes) -> CaseState:
    return state.model_copy(update={**changes, "step": state.step + 1})
