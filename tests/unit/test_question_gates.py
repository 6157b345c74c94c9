"""The quality gates for generated questions, on fixed inputs."""

from __future__ import annotations

import numpy as np

from tests.question_files import make_question
from tutor.modes.bank import gates

PASSAGE = "A normal BNP makes heart failure unlikely in a breathless patient, so it is used to rule the diagnosis out."


def test_distinct_options_ignores_case_punctuation_and_spacing():
    assert gates.distinct_options(["Furosemide", "Bisoprolol", "Ramipril"]).passed
    failed = gates.distinct_options(["Furosemide", "Ramipril", "furosemide."])
    assert not failed.passed and "A and C" in failed.detail


def test_near_duplicate_uses_the_threshold():
    a, b = np.array([1.0, 0.0]), np.array([0.6, 0.8])
    assert gates.not_duplicate(a, {}, 0.9).passed
    assert not gates.not_duplicate(a, {"q-1": a}, 0.9).passed
    assert gates.not_duplicate(a, {"q-2": b}, 0.9).passed  # cosine 0.6


def test_one_best_answer_fails_when_another_option_is_also_supported():
    question = make_question(answer="B")
    assert gates.one_best_answer(question, gates.Verdict(best="B", also_correct=["b"])).passed  # the key itself
    failed = gates.one_best_answer(question, gates.Verdict(best="B", also_correct=["D"]))
    assert not failed.passed and "D" in failed.detail


def test_supported_needs_the_same_key_and_a_verbatim_quote():
    question = make_question(answer="B")
    quote = "A normal BNP makes heart failure unlikely"
    assert gates.supported(question, gates.Verdict(best="b", quote=quote), PASSAGE, "").passed
    assert gates.supported(question, gates.Verdict(best="B", quote="invented"), PASSAGE, quote).passed  # draft quote
    assert not gates.supported(question, gates.Verdict(best="A", quote=quote), PASSAGE, quote).passed
    paraphrase = "BNP that is normal means heart failure is unlikely"
    assert not gates.supported(question, gates.Verdict(best="B", quote=paraphrase), PASSAGE, paraphrase).passed


def test_quotes_must_be_long_enough_to_mean_something():
    assert not gates.quote_in_passage("BNP", PASSAGE)
    assert gates.quote_in_passage("  a NORMAL bnp makes heart-failure unlikely ", PASSAGE)


def test_a_stem_must_end_with_its_question():
    assert gates.lead_in("A 60-year-old man has chest pain.\nWhich test comes first?").passed
    assert not gates.lead_in("A 60-year-old man has chest pain. His ECG shows ST elevation.").passed
