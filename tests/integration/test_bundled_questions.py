"""The bundled question bank: valid, complete, spread over every module, and every citation real."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.accounts import DR_LEE
from tutor.settings import PROJECT_ROOT

QUESTIONS = PROJECT_ROOT / "content" / "questions"


@pytest.fixture(scope="module")
def loaded(bundled_services):
    reports = bundled_services.questions.load_bundled(QUESTIONS)
    return bundled_services, reports


def test_every_bundled_file_loads_without_problems(loaded):
    _, reports = loaded
    assert reports and all(report.ok for report in reports), [(r.source, r.error, [str(p) for p in r.problems]) for r in reports]


def test_at_least_sixty_complete_questions_across_every_module(loaded):
    services, _ = loaded
    questions = [item.question for item in services.questions.browse(DR_LEE, "approved") if item.origin == "bundled"]
    assert len(questions) >= 60
    assert all(not q.missing_explanations and q.references and q.objective for q in questions)
    modules = {q.references[0].source.split("/")[0] for q in questions}
    assert modules == {p.name for p in (PROJECT_ROOT / "content" / "curriculum").iterdir() if p.is_dir()}
    keys = Counter(q.answer for q in questions)
    assert max(keys.values()) <= 0.4 * len(questions), keys  # the key is not always the same letter


def test_every_reference_resolves_to_a_passage_of_the_named_section(loaded):
    services, _ = loaded
    for item in services.questions.browse(DR_LEE, "approved"):
        citations, unresolved = services.questions.citations(item.question)
        assert not unresolved, (item.id, unresolved)
        for citation, reference in zip(citations, item.question.references):
            assert citation.source == reference.source
            assert citation.section.casefold().endswith(reference.section.split(">")[-1].strip().casefold()), item.id


def test_loading_again_changes_nothing(loaded):
    services, _ = loaded
    again = services.questions.load_bundled(QUESTIONS)
    assert all(r.outcome.stored == 0 for r in again)
