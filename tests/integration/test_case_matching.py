"""The case matcher with the real MiniLM embedder: words first, then meaning, never a guess."""

from __future__ import annotations

import pytest

from tests.case_files import MINI_CASE_YAML
from tutor.content.cases.parse import parse_case
from tutor.modes.cases.matching import CaseMatcher, is_negated, words

CASE = parse_case(MINI_CASE_YAML.encode(), "mini.yaml")
FINDINGS = tuple(CASE.findings.values())
DIAGNOSES = [d.phrases for d in CASE.rubric.diagnoses]


@pytest.fixture(scope="module")
def matcher(embedder) -> CaseMatcher:
    return CaseMatcher(embedder)


def test_words_are_normalised_the_same_way_on_both_sides():
    assert words("Send the U&Es, please!") == ("send", "ue")
    assert words("ECGs") == words("ecg") == ("ecg",)
    assert words("K+") == ("k",)


@pytest.mark.parametrize(("request_", "keys"), [
    ("check the potassium", ("potassium",)),
    ("U&Es", ("potassium", "creatinine")),
    ("potassium and an ECG", ("potassium", "ecg")),
    ("What TABLETS is he on?", ("medications",)),
    ("any chest pain?", ("chest-pain",)),
])
def test_requests_are_placed_by_their_words(matcher, request_, keys):
    match = matcher.findings_for(request_, FINDINGS)
    assert (set(match.keys), match.how) == (set(keys), "words")


def test_a_longer_match_wins_and_the_current_stage_comes_first(matcher):
    # "chest pain" (2 words) beats the 1-word "pain" match that the same finding also has
    assert matcher.findings_for("chest pain", FINDINGS).keys == ("chest-pain",)
    both = matcher.findings_for("ECG and medications", FINDINGS)
    assert set(both.keys) == {"ecg", "medications"}
    current = frozenset({"potassium", "creatinine", "ecg"})
    assert matcher.findings_for("ECG and medications", FINDINGS, current).keys == ("ecg",)


@pytest.mark.parametrize(("request_", "key"), [
    ("medicines", "medications"), ("electrocardiograph", "ecg"), ("chest discomfort", "chest-pain"), ("creatinin", "creatinine"),
])
def test_close_wording_is_placed_by_meaning(matcher, request_, key):
    match = matcher.findings_for(request_, FINDINGS)
    assert (match.keys, match.how) == ((key,), "similar")


def test_a_request_for_nothing_in_the_case_matches_nothing(matcher):
    for request_ in ("check the magnesium", "troponin", "tell me a joke", "", "???"):
        match = matcher.findings_for(request_, FINDINGS)
        assert match.keys == () and match.how == "none"


def test_do_you_mean_needs_closeness_and_a_shared_word(matcher):
    near = matcher.findings_for("serum potasium", FINDINGS)  # a typo: no word match, close, shares "serum"
    assert near.keys == () and near.nearest == "potassium"
    far = matcher.findings_for("examine the abdomen", FINDINGS)
    assert far.keys == () and far.nearest is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Hyperkalaemia", "Hyperkalaemia"),
    ("severe hyperkalemia with ECG changes", "Hyperkalaemia"),
    ("AKI", "Acute kidney injury"),
    ("acute renal failure secondary to dehydration", "Acute kidney injury"),
    ("inferior STEMI", "Myocardial infarction"),
    ("NSTEMI", None),  # a whole-word match only: NSTEMI is not STEMI
    ("Addison's disease", None),
    ("pulmonary oedema", None),
])
def test_diagnoses_are_matched_by_synonym_or_not_at_all(matcher, text, expected):
    found = matcher.rubric_item(text, DIAGNOSES)
    assert (CASE.rubric.diagnoses[found.index].name if found.index is not None else None) == expected


def test_negated_plan_lines_are_recognised():
    assert is_negated("Avoid potassium chloride") and is_negated("do not give potassium") and is_negated("No oxygen")
    assert not is_negated("Give potassium chloride") and not is_negated("Stop ramipril")
