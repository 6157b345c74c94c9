"""The judge's data recipe: stable splits, no shortcut text, a clear stop without the data."""

from __future__ import annotations

import random

import pytest

from tutor.judge.training.data import (
    MissingData,
    Topic,
    load_medquad,
    load_pubmedqa,
    medquad_passage,
    split_of,
    without_questions,
)


def test_splits_are_stable_and_in_the_promised_proportions():
    keys = [f"2_GARD_QA/{n:07d}" for n in range(5000)]
    splits = [split_of("medquad", key) for key in keys]
    assert splits == [split_of("medquad", key) for key in keys]  # the same on every run and machine
    share = {name: splits.count(name) / len(splits) for name in ("train", "calib", "test")}
    assert abs(share["train"] - 0.6) < 0.03 and abs(share["calib"] - 0.2) < 0.03 and abs(share["test"] - 0.2) < 0.03
    assert split_of("medquad", "2_GARD_QA/0000004") == split_of("medquad", "2_GARD_QA/0000004")


def test_restated_questions_are_removed_from_passages():
    answer = ("What are the signs and symptoms of ABCD syndrome? The Human Phenotype Ontology lists "
              "albinism and deafness. Is it inherited? It is autosomal recessive.")
    assert without_questions(answer) == "The Human Phenotype Ontology lists albinism and deafness. It is autosomal recessive."
    topic = Topic(doc_id="x/1", focus="ABCD syndrome", qas=(("symptoms", "q", answer),))
    with_heading = medquad_passage(topic, "symptoms", answer)
    assert with_heading.startswith("ABCD syndrome > Symptoms\n") and "?" not in with_heading
    headings = {medquad_passage(topic, "symptoms", answer, random.Random(n)).startswith("ABCD") for n in range(20)}
    assert headings == {True, False}  # the heading is dropped in some passages


def test_training_without_the_data_folder_stops_with_a_clear_message(tmp_path):
    with pytest.raises(MissingData, match="The judge is trained on ../shared/eval"):
        load_medquad(tmp_path)
    with pytest.raises(MissingData, match="pqal_dev.json not found"):
        load_pubmedqa(tmp_path)
