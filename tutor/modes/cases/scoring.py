"""Marking a case against its rubric: pure functions of the case and the session state.

The matcher has already said which rubric item each committed entry names (stored in the
state with the entry), so marking is arithmetic on the case file and is reproducible: the
same state always gets the same score and the same feedback, and a test can check a score
by hand from the rubric. Points (per item kind) come from the rubric; see
``content/cases/README.md``:

* a key finding the student revealed (by asking, or shown on entering a stage);
* the first expected diagnosis ranked first (*leading diagnosis*);
* each expected diagnosis listed anywhere;
* each must-not-miss diagnosis listed anywhere (expected or alternative);
* each expected next step in the plan;
* minus the penalty for each dangerous action proposed (a negated line never counts).

The score is earned over possible, between 0 and 1 (penalties never take it below 0).
Items tied to a learning objective also add up per objective, which is what counts
toward the learner's mastery of that objective.

Feedback per differential entry says whether the revealed findings *support* it, *argue
against* it, or were never elicited, names those findings and cites the rubric's
references; every must-not-miss diagnosis the student left out is called out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tutor.content.cases.model import Action, Case, Diagnosis
from tutor.content.references import Reference
from tutor.modes.cases.machine import Answer, CaseState

Verdict = Literal["supported", "argues_against", "not_elicited", "not_in_rubric", "repeated"]
LineStatus = Literal["met", "missed", "penalty"]


@dataclass(frozen=True)
class DiagnosisFeedback:
    rank: int
    text: str  # the student's words
    verdict: Verdict
    matched: str | None = None  # the rubric's name for it
    expected_rank: int | None = None  # 1-based rank in the expected differential; None for an alternative
    must_not_miss: bool = False
    supporting: tuple[str, ...] = ()  # labels of revealed findings that support it
    against: tuple[str, ...] = ()  # labels of revealed findings that argue against it
    explanation: str = ""
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class PlanFeedback:
    text: str
    verdict: Literal["expected", "dangerous", "not_in_rubric", "repeated"]
    matched: str | None = None
    explanation: str = ""
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class RubricLine:
    section: Literal["Key findings", "Differential", "Must not miss", "Next steps", "Dangerous actions"]
    item: str
    status: LineStatus
    earned: float
    possible: float
    objective: str | None = None
    note: str = ""
    references: tuple[Reference, ...] = ()


@dataclass(frozen=True)
class Marks:
    lines: tuple[RubricLine, ...]
    differential: tuple[DiagnosisFeedback, ...] = ()
    plan: tuple[PlanFeedback, ...] = ()
    missed_must_not_miss: tuple[str, ...] = ()
    by_objective: dict[str, tuple[float, float]] = field(default_factory=dict)  # objective id -> (earned, possible)

    @property
    def earned(self) -> float:
        return max(0.0, sum(line.earned for line in self.lines))

    @property
    def possible(self) -> float:
        return sum(line.possible for line in self.lines)

    @property
    def score(self) -> float:
        """Earned over possible, 0 to 1."""
        return round(min(1.0, self.earned / self.possible), 4) if self.possible else 0.0


def differential_feedback(case: Case, state: CaseState) -> tuple[DiagnosisFeedback, ...]:
    """Per-entry feedback on the committed differential (empty before it is committed)."""
    labels = {key: finding.label for key, finding in case.findings.items()}
    revealed = state.revealed_keys
    feedback, seen = [], set()
    for rank, answer in enumerate(state.differential or (), start=1):
        diagnosis = _rubric_item(case, answer)
        if diagnosis is None:
            feedback.append(DiagnosisFeedback(rank, answer.text, "not_in_rubric", explanation=(
                "Not part of this case's expected differential. If you had a reason, check it against the findings.")))
            continue
        if diagnosis.name in seen:
            feedback.append(DiagnosisFeedback(rank, answer.text, "repeated", diagnosis.name,
                                              explanation=f"Already listed as {diagnosis.name}."))
            continue
        seen.add(diagnosis.name)
        supporting = tuple(labels[k] for k in diagnosis.supported_by if k in revealed)
        against = tuple(labels[k] for k in diagnosis.argues_against if k in revealed)
        expected = answer.group == "differential"
        if expected:
            verdict: Verdict = "supported" if supporting else "not_elicited"
        else:
            verdict = "argues_against" if against else "not_elicited"
        feedback.append(DiagnosisFeedback(
            rank=rank, text=answer.text, verdict=verdict, matched=diagnosis.name,
            expected_rank=answer.index + 1 if expected and answer.index is not None else None,
            must_not_miss=diagnosis.must_not_miss, supporting=supporting, against=against,
            explanation=diagnosis.explanation, references=diagnosis.references,
        ))
    return tuple(feedback)


def plan_feedback(case: Case, state: CaseState) -> tuple[PlanFeedback, ...]:
    feedback, seen = [], set()
    for answer in state.plan or ():
        action = _rubric_item(case, answer)
        if action is None:
            feedback.append(PlanFeedback(answer.text, "not_in_rubric", explanation="Not one of the steps this case's rubric expects."))
        elif (answer.group, answer.index) in seen:
            feedback.append(PlanFeedback(answer.text, "repeated", action.text, explanation=f"Already listed as {action.text}."))
        else:
            seen.add((answer.group, answer.index))
            verdict = "dangerous" if answer.group == "dangerous_actions" else "expected"
            feedback.append(PlanFeedback(answer.text, verdict, action.text, action.explanation, action.references))
    return tuple(feedback)


def mark(case: Case, state: CaseState) -> Marks:
    """The rubric lines, per-entry feedback and score of a session as it stands."""
    points = case.rubric.points
    revealed = state.revealed_keys
    labels = {key: finding.label for key, finding in case.findings.items()}
    lines: list[RubricLine] = []
    for key in case.rubric.key_findings:
        got = key in revealed
        lines.append(RubricLine("Key findings", labels[key], "met" if got else "missed",
                                points.key_finding if got else 0.0, points.key_finding,
                                note="" if got else "Not elicited."))
    listed = _listed(state.differential or (), "differential")
    listed_alternatives = _listed(state.differential or (), "alternatives")
    first = (state.differential or (None,))[0]
    leading = case.rubric.differential[0]
    led = first is not None and first.group == "differential" and first.index == 0
    lines.append(RubricLine("Differential", f"{leading.name} ranked first", "met" if led else "missed",
                            points.leading_diagnosis if led else 0.0, points.leading_diagnosis,
                            leading.objective, "" if led else leading.explanation, leading.references))
    for index, diagnosis in enumerate(case.rubric.differential):
        got = index in listed
        lines.append(RubricLine("Differential", diagnosis.name, "met" if got else "missed",
                                points.expected_diagnosis if got else 0.0, points.expected_diagnosis,
                                diagnosis.objective, "" if got else diagnosis.explanation, diagnosis.references))
    missed_mnm = []
    for group, pool, chosen in (("differential", case.rubric.differential, listed),
                                ("alternatives", case.rubric.alternatives, listed_alternatives)):
        for index, diagnosis in enumerate(pool):
            if not diagnosis.must_not_miss:
                continue
            got = index in chosen
            if not got:
                missed_mnm.append(diagnosis.name)
            lines.append(RubricLine("Must not miss", diagnosis.name, "met" if got else "missed",
                                    points.must_not_miss if got else 0.0, points.must_not_miss, diagnosis.objective,
                                    "" if got else f"Must not be missed. {diagnosis.explanation}", diagnosis.references))
    steps = _listed(state.plan or (), "next_steps")
    for index, action in enumerate(case.rubric.next_steps):
        got = index in steps
        lines.append(RubricLine("Next steps", action.text, "met" if got else "missed",
                                points.next_step if got else 0.0, points.next_step, action.objective,
                                "" if got else action.explanation, action.references))
    for index in sorted(_listed(state.plan or (), "dangerous_actions")):
        action = case.rubric.dangerous_actions[index]
        lines.append(RubricLine("Dangerous actions", action.text, "penalty", -points.dangerous_action, 0.0,
                                action.objective, action.explanation, action.references))
    return Marks(
        lines=tuple(lines),
        differential=differential_feedback(case, state),
        plan=plan_feedback(case, state),
        missed_must_not_miss=tuple(missed_mnm) if state.differential is not None else (),
        by_objective=_by_objective(lines),
    )


def _listed(answers: tuple[Answer, ...], group: str) -> set[int]:
    return {answer.index for answer in answers if answer.group == group and answer.index is not None}


def _rubric_item(case: Case, answer: Answer) -> Diagnosis | Action | None:
    """The rubric item a committed answer was matched to (None: it matched nothing)."""
    rubric = case.rubric
    pools = {"differential": rubric.differential, "alternatives": rubric.alternatives,
             "next_steps": rubric.next_steps, "dangerous_actions": rubric.dangerous_actions}
    pool = pools.get(answer.group or "")
    return pool[answer.index] if pool is not None and answer.index is not None and answer.index < len(pool) else None


def _by_objective(lines: list[RubricLine]) -> dict[str, tuple[float, float]]:
    totals: dict[str, tuple[float, float]] = {}
    for line in lines:
        if line.objective:
            earned, possible = totals.get(line.objective, (0.0, 0.0))
            totals[line.objective] = (earned + line.earned, possible + line.possible)
    return {objective: (max(0.0, earned), possible) for objective, (earned, possible) in totals.items()}
