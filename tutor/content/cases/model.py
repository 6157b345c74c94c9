"""The clinical case: what the student may find out, when, and how their reasoning is marked.

A case is authored once, in YAML (see ``content/cases/README.md``), and is the *only*
source of clinical facts in a case discussion: every finding a student can reveal is a
:class:`Finding` of some stage, written by the author. The stage machine
(``tutor.modes.cases.machine``) decides what is revealed and when; the rubric decides the
score. No model writes either.

Stages run in file order. *Enquiry* stages (history, examination, investigations) hold
findings the student requests in free text; a request that matches nothing gets the
stage's ``unlisted`` answer ("not available", or "normal" where the author says anything
unlisted is normal, as for a routine examination). Exactly one *differential* stage asks
for a ranked differential; an optional *plan* stage after it asks for next steps.

The rubric names what a good student would do: the key findings to elicit, the expected
ranked differential (each diagnosis with accepted synonyms, the findings that support it
and those that argue against it), alternatives that the findings argue against, which
diagnoses must not be missed, the expected next steps and the dangerous actions.

Validation happens in two passes, each reporting every problem it finds at once: the
structure (pydantic), then, once the structure holds, the cross-references (finding keys,
objective ids, synonyms claimed by two diagnoses, stage order).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutor.content.questions.model import normalise_text
from tutor.content.references import Reference

Slug = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")
StageKind = Literal["enquiry", "differential", "plan"]
Unlisted = Literal["not_available", "normal"]
Difficulty = Literal["easy", "medium", "hard"]

MAX_TEXT = 4000
MAX_PHRASE = 200


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Objective(_Model):
    id: str = Slug
    text: str = Field(min_length=3, max_length=400)


class Finding(_Model):
    """One fact the student can reveal; ``text`` is shown exactly as written."""

    key: str = Slug
    label: str = Field(min_length=1, max_length=120, description="Shown in the revealed-findings panel")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    ask: tuple[str, ...] = Field(default=(), description="Words a request may use for it: 'potassium', 'K', 'U&E'")
    shown: bool = Field(default=False, description="Revealed as soon as the stage opens (e.g. triage observations)")


class Stage(_Model):
    id: str = Slug
    title: str = Field(min_length=1, max_length=120)
    kind: StageKind = "enquiry"
    intro: str = Field(default="", max_length=MAX_TEXT, description="What the student is told when the stage opens")
    questions: tuple[str, ...] = Field(default=(), description="What the tutor asks the student at this stage")
    findings: tuple[Finding, ...] = ()
    unlisted: Unlisted = Field(default="not_available", description="The answer to a request for anything not listed")
    unlisted_text: str | None = Field(default=None, max_length=400, description="Wording for that answer, if not the default")
    min_requests: int = Field(default=0, ge=0, le=20, description="Requests needed before the student may move on")


class Diagnosis(_Model):
    name: str = Field(min_length=1, max_length=MAX_PHRASE)
    synonyms: tuple[str, ...] = ()
    supported_by: tuple[str, ...] = Field(default=(), description="Keys of findings that support it")
    argues_against: tuple[str, ...] = Field(default=(), description="Keys of findings that argue against it")
    must_not_miss: bool = False
    explanation: str = Field(min_length=1, max_length=MAX_TEXT, description="Why it belongs where the rubric puts it")
    objective: str | None = None
    references: tuple[Reference, ...] = ()

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


class Action(_Model):
    text: str = Field(min_length=1, max_length=MAX_PHRASE)
    synonyms: tuple[str, ...] = ()
    explanation: str = Field(min_length=1, max_length=MAX_TEXT)
    objective: str | None = None
    references: tuple[Reference, ...] = ()

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.text, *self.synonyms)


class Points(_Model):
    """What each rubric item is worth; a dangerous action subtracts (the total never goes below 0)."""

    key_finding: float = Field(default=1.0, ge=0)
    leading_diagnosis: float = Field(default=3.0, ge=0, description="The first expected diagnosis ranked first")
    expected_diagnosis: float = Field(default=1.0, ge=0, description="Each expected diagnosis listed anywhere")
    must_not_miss: float = Field(default=2.0, ge=0, description="Each must-not-miss diagnosis listed")
    next_step: float = Field(default=1.0, ge=0)
    dangerous_action: float = Field(default=2.0, ge=0, description="Subtracted for each dangerous action proposed")


class Rubric(_Model):
    key_findings: tuple[str, ...] = Field(min_length=1, description="Keys of the findings a good student elicits")
    differential: tuple[Diagnosis, ...] = Field(min_length=1, description="Expected, most likely first")
    alternatives: tuple[Diagnosis, ...] = Field(default=(), description="Considered, but the findings argue against")
    next_steps: tuple[Action, ...] = ()
    dangerous_actions: tuple[Action, ...] = ()
    points: Points = Points()

    @property
    def diagnoses(self) -> tuple[Diagnosis, ...]:
        return (*self.differential, *self.alternatives)


class TeachingPoint(_Model):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    references: tuple[Reference, ...] = Field(min_length=1)


class Case(_Model):
    id: str = Slug
    title: str = Field(min_length=3, max_length=200)
    module: str = Field(min_length=1, max_length=80, description="Curriculum module, e.g. cardiology")
    system: str | None = None
    difficulty: Difficulty = "medium"
    setting: str | None = Field(default=None, max_length=200)
    presenting_complaint: str = Field(min_length=10, max_length=MAX_TEXT)
    objectives: tuple[Objective, ...] = Field(min_length=1)
    stages: tuple[Stage, ...] = Field(min_length=2)
    rubric: Rubric
    teaching_points: tuple[TeachingPoint, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if problems := consistency_problems(self):
            raise ValueError("\n".join(problems))
        return self

    # -- reading helpers ------------------------------------------------------------------

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a student sees or is marked on changes."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]

    @property
    def findings(self) -> dict[str, Finding]:
        return {finding.key: finding for stage in self.stages for finding in stage.findings}

    def stage_of(self, finding_key: str) -> Stage:
        return next(stage for stage in self.stages if any(f.key == finding_key for f in stage.findings))

    @property
    def differential_stage(self) -> int:
        return next(i for i, stage in enumerate(self.stages) if stage.kind == "differential")

    @property
    def objective_ids(self) -> tuple[str, ...]:
        return tuple(objective.id for objective in self.objectives)


def consistency_problems(case: Case) -> list[str]:
    """Every cross-reference problem of a structurally valid case, as sentences."""
    problems: list[str] = []
    kinds = [stage.kind for stage in case.stages]
    for label, ids in (("stage id", [s.id for s in case.stages]), ("objective id", list(case.objective_ids)),
                       ("finding key", [f.key for s in case.stages for f in s.findings])):
        problems += [f"{label} {value!r} is used more than once" for value, n in Counter(ids).items() if n > 1]
    if kinds.count("differential") != 1:
        problems.append(f"a case needs exactly one stage of kind 'differential', this one has {kinds.count('differential')}")
    elif "enquiry" not in kinds[: kinds.index("differential")]:
        problems.append("the differential stage must come after at least one enquiry stage (history, examination, ...)")
    if kinds.count("plan") > 1:
        problems.append("a case has at most one stage of kind 'plan'")
    elif "plan" in kinds and "differential" in kinds and kinds.index("plan") < kinds.index("differential"):
        problems.append("the plan stage must come after the differential stage")
    for stage in case.stages:
        if stage.kind != "enquiry" and (stage.findings or stage.min_requests):
            problems.append(f"stage {stage.id!r}: only enquiry stages hold findings and minimum requests")
        if stage.kind == "enquiry" and not stage.findings:
            problems.append(f"stage {stage.id!r}: an enquiry stage needs at least one finding")
    finding_keys = set(case.findings)
    objectives = set(case.objective_ids)
    for key in case.rubric.key_findings:
        if key not in finding_keys:
            problems.append(f"rubric.key_findings: no finding has the key {key!r}")
    for group, items in (("differential", case.rubric.differential), ("alternatives", case.rubric.alternatives)):
        for diagnosis in items:
            where = f"rubric.{group} {diagnosis.name!r}"
            for key in (*diagnosis.supported_by, *diagnosis.argues_against):
                if key not in finding_keys:
                    problems.append(f"{where}: no finding has the key {key!r}")
            if diagnosis.objective and diagnosis.objective not in objectives:
                problems.append(f"{where}: no objective has the id {diagnosis.objective!r}")
    for group, actions in (("next_steps", case.rubric.next_steps), ("dangerous_actions", case.rubric.dangerous_actions)):
        for action in actions:
            if action.objective and action.objective not in objectives:
                problems.append(f"rubric.{group} {action.text!r}: no objective has the id {action.objective!r}")
    if "plan" not in kinds and case.rubric.next_steps:
        problems.append("rubric.next_steps need a stage of kind 'plan' where the student proposes them")
    problems += _shared_phrases("diagnoses", [(d.name, d.phrases) for d in case.rubric.diagnoses])
    problems += _shared_phrases("actions", [(a.text, a.phrases) for a in (*case.rubric.next_steps, *case.rubric.dangerous_actions)])
    return problems


def _shared_phrases(group: str, items: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """A synonym claimed by two rubric items would make matching ambiguous."""
    owner: dict[str, str] = {}
    problems = []
    for name, phrases in items:
        for phrase in phrases:
            norm = normalise_text(phrase)
            if not norm:
                problems.append(f"rubric {group} {name!r}: the synonym {phrase!r} has no letters or digits")
            elif owner.get(norm, name) != name:
                problems.append(f"rubric {group}: {phrase!r} is a synonym of both {owner[norm]!r} and {name!r}")
            else:
                owner[norm] = name
    return problems
