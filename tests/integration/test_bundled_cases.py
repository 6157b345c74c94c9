"""The bundled cases: valid, spread across the curriculum, citing real passages, and winnable.

"Winnable" is checked by an ideal student who asks for every key finding by one of its own
``ask`` phrases, lists the expected and must-not-miss diagnoses by their rubric names and
plans every expected step: the matcher must place all of it and the score must be 100%.
This catches ask words that collide and synonyms the matcher cannot reach.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.content.cases.parse import parse_case
from tutor.services import Services
from tutor.settings import PROJECT_ROOT

CASES = sorted((PROJECT_ROOT / "content" / "cases").glob("*.yaml"))
CURRICULUM = PROJECT_ROOT / "content" / "curriculum"


@pytest.fixture(scope="module")
def services(bundled_services: Services) -> Services:
    outcomes = bundled_services.load_bundled_cases()
    assert all(outcome.ok for outcome in outcomes), [o.problems for o in outcomes if not o.ok]
    return bundled_services


def test_at_least_eight_original_cases_cover_eight_modules():
    cases = [parse_case(path.read_bytes(), path.name) for path in CASES]
    assert len(cases) >= 8
    modules = {case.module for case in cases}
    assert len(modules) >= 8 and modules <= {folder.name for folder in CURRICULUM.iterdir() if folder.is_dir()}
    assert len({case.id for case in cases}) == len(cases)
    assert all(path.stem == case.id for path, case in zip(CASES, cases))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_reference_resolves_to_a_real_passage(services: Services, path: Path):
    case = parse_case(path.read_bytes(), path.name)
    rubric = case.rubric
    items = [*rubric.diagnoses, *rubric.next_steps, *rubric.dangerous_actions]
    pairs = [(item.references, item.explanation) for item in items] + [(p.references, p.text) for p in case.teaching_points]
    for references, focus in pairs:
        citations, unresolved = services.cases.citations(references, focus)
        assert unresolved == (), f"{path.name}: {unresolved}"
        assert all(c.text for c in citations)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_an_ideal_student_scores_full_marks(services: Services, path: Path):
    case = parse_case(path.read_bytes(), path.name)
    who = services.progress.ensure_learner(f"ideal-{case.id}").id
    session = services.cases.start(who, case.id).session.session_id
    key_findings = set(case.rubric.key_findings)
    for stage in case.stages:
        if stage.kind == "enquiry":
            for finding in stage.findings:
                if finding.key in key_findings or stage.min_requests:
                    phrase = finding.ask[0] if finding.ask else finding.label
                    reply = services.cases.ask(session, who, phrase)
                    assert finding.key in [f.key for f in reply.findings], f"{case.id}: asking {phrase!r} did not reveal {finding.key}"
        elif stage.kind == "differential":
            names = [d.name for d in case.rubric.differential]
            names += [d.name for d in case.rubric.alternatives if d.must_not_miss]
            view = services.cases.submit_differential(session, who, names)
            assert all(f.matched for f in view.marks.differential), [f.text for f in view.marks.differential if not f.matched]
        else:
            services.cases.submit_plan(session, who, [step.text for step in case.rubric.next_steps])
        services.cases.advance(session, who)
    view = services.cases.view(session, who)
    assert view.state.finished and view.session.score == 1.0, [l for l in view.marks.lines if l.status != "met"]
    assert not any(f.verdict == "dangerous" for f in view.marks.plan)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_every_finding_is_reachable_by_its_label_or_an_ask_phrase(services: Services, path: Path):
    """No finding is hidden behind words nobody would type: each ask phrase reveals its finding."""
    case = parse_case(path.read_bytes(), path.name)
    who = services.progress.ensure_learner(f"explorer-{case.id}").id
    session = services.cases.start(who, case.id).session.session_id
    for stage in case.stages:
        if stage.kind != "enquiry":
            break
        for finding in stage.findings:
            for phrase in finding.ask or (finding.label,):
                keys = [f.key for f in services.cases.ask(session, who, phrase).findings]
                assert finding.key in keys, f"{case.id}: {phrase!r} reveals {keys}, not {finding.key}"
        services.cases.advance(session, who)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_a_finding_asked_for_too_early_is_never_called_normal_or_absent(services: Services, path: Path):
    """Every phrase of every later stage's finding, asked in each earlier enquiry stage, gets "not yet"
    (or reveals a finding of the current stage that the same words name), never the stage's
    unlisted reply: "nothing abnormal" about a glucose of 27.4 is a false finding."""
    case = parse_case(path.read_bytes(), path.name)
    who = services.progress.ensure_learner(f"early-{case.id}").id
    session = services.cases.start(who, case.id).session.session_id
    enquiries = [stage for stage in case.stages if stage.kind == "enquiry"]
    for position, stage in enumerate(enquiries[:-1]):
        for later in enquiries[position + 1 :]:
            for finding in later.findings:
                for phrase in (*finding.ask, finding.label):
                    reply = services.cases.ask(session, who, f"check {phrase}")
                    assert reply.kind != "unlisted", f"{case.id}/{stage.id}: {phrase!r} got {reply.text!r}"
                    if reply.kind == "later":
                        assert later.title in reply.text
        services.cases.advance(session, who)


def test_a_test_the_case_does_not_hold_is_not_called_normal_in_an_examination(services: Services):
    case = parse_case((PROJECT_ROOT / "content" / "cases" / "endocrinology-dka.yaml").read_bytes(), "dka.yaml")
    who = services.progress.ensure_learner("troponin-in-exam").id
    session = services.cases.start(who, case.id).session.session_id
    for request in ("what happened", "what about her insulin"):
        services.cases.ask(session, who, request)
    services.cases.advance(session, who)  # history -> examination, whose unlisted answer is "normal"
    glucose = services.cases.ask(session, who, "Check her capillary glucose and ketones")
    assert glucose.kind == "later" and "Investigations" in glucose.text and "27.4" not in glucose.text
    troponin = services.cases.ask(session, who, "send a troponin")
    assert "abnormal" not in troponin.text and "Investigations" in troponin.text
    feet = services.cases.ask(session, who, "examine her feet")
    assert feet.kind == "unlisted" and "Nothing abnormal" in feet.text
