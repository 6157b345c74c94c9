"""Suite 7, PHI screening, quick size: recall on seeded vignettes, false flags on clean text.

Full-size figures come from ``python -m tests.hardening.phi_figures`` (1,000 + 1,000);
here 200 vignettes and 200 generated paragraphs keep ``make test`` fast. Thresholds sit
below the measured full-size figures (pattern kinds 100% recall, names 92.5%; 0 of 405
bundled paragraphs, 0 of 1,000 generated, 2 of 1,000 PubMedQA abstracts flagged) with
room for sampling noise, so a regression fails and a different seed does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.phi_corpus import PUBMEDQA, bundled_clean, generated_clean, pubmedqa_clean, recall_by_kind, vignettes
from tutor.content.phi_screen import PATTERN_KINDS, screen
from tutor.settings import PROJECT_ROOT

VIGNETTES = 200
CLEAN = 200


@pytest.fixture(scope="module")
def recall() -> dict[str, tuple[int, int]]:
    return recall_by_kind(vignettes(VIGNETTES, seed=7), screen)


def _flagged(paragraphs: list[str], kinds: set[str]) -> list[str]:
    return [p for p in paragraphs if {f.kind for f in screen(p)} & kinds]


def test_every_pattern_kind_is_planted_and_found(recall):
    assert set(PATTERN_KINDS) <= set(recall)
    for kind in PATTERN_KINDS:
        found, planted = recall[kind]
        assert found / planted >= 0.95, (kind, found, planted)
    found = sum(recall[k][0] for k in PATTERN_KINDS)
    planted = sum(recall[k][1] for k in PATTERN_KINDS)
    assert found / planted >= 0.98


def test_names_are_found_best_effort(recall):
    found, planted = recall["name"]
    assert found / planted >= 0.85


def test_the_bundled_curriculum_is_never_flagged():
    paragraphs = bundled_clean()
    assert len(paragraphs) > 300
    assert _flagged(paragraphs, set(PATTERN_KINDS) | {"name"}) == []


@pytest.mark.parametrize("folder", ["cases", "questions"])
def test_bundled_cases_and_questions_hold_no_pattern_identifiers(folder: str):
    """Cases name fictional patients ("Mrs Caddick"): names are allowed there, nothing else."""
    for path in sorted((PROJECT_ROOT / "content" / folder).glob("*.yaml")):
        found = [(f.kind, f.excerpt) for f in screen(path.read_text(encoding="utf-8")) if f.kind != "name"]
        assert found == [], path.name


def test_generated_teaching_text_full_of_numbers_is_rarely_flagged():
    paragraphs = generated_clean(CLEAN)
    assert len(_flagged(paragraphs, set(PATTERN_KINDS))) / len(paragraphs) <= 0.01
    assert len(_flagged(paragraphs, {"name"})) / len(paragraphs) <= 0.10


@pytest.mark.skipif(not Path(PUBMEDQA).exists(), reason="../shared/eval/pubmedqa is not present")
def test_real_abstracts_are_rarely_flagged():
    paragraphs = pubmedqa_clean(CLEAN)
    assert len(_flagged(paragraphs, set(PATTERN_KINDS))) / len(paragraphs) <= 0.02
    assert len(_flagged(paragraphs, {"name"})) / len(paragraphs) <= 0.02
