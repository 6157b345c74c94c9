"""Coverage, reranking and claim-level support decided by the relevance judge.

Real retrieval, embeddings, judge, SQLite and Chroma; only the chat model is scripted
(entering through build_services like the real one), so each reply below is exactly
what a model might write: right, partly wrong, or about something else.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.integration.test_ask import make_tutor  # noqa: F401 (the same fixture: scripted model, mini curriculum)
from tutor.agent.support import UNSUPPORTED_MARK
from tutor.index.retrieve import Retriever
from tutor.llm.prompts import NOT_COVERED_ANSWER
from tutor.services import Services

HYPERKALAEMIA_Q = "What is the emergency treatment for a dangerously high potassium?"
RIGHT = "Calcium gluconate stabilises the cardiac membrane [1]. Insulin with glucose shifts potassium into cells [1]."
WRONG = ("Acute angle-closure glaucoma is treated with topical pilocarpine and intravenous acetazolamide [1]. "
         "Laser peripheral iridotomy prevents recurrence in both eyes [1].")


def test_search_carries_the_judges_verdict_and_can_be_ordered_by_it(bundled_services: Services):
    question = "Which blood test helps rule out heart failure in a breathless patient?"
    result = bundled_services.search(question)
    assert result.judged and result.covered and "cardiology/heart-failure.md" in [h.source for h in result.hits]
    assert all(hit.similarity is not None for hit in result.hits) and any(hit.relevant for hit in result.hits)
    settings = bundled_services.settings.model_copy(update={"rerank_by_judge": True})
    judged = Retriever(bundled_services.registry, bundled_services.index, bundled_services.embedder, settings,
                       bundled_services.judge).search(question)
    scores = [hit.score for hit in judged.hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("question", [
    "Which blood test helps rule out heart failure in a breathless patient?",
    "How is acute angle-closure glaucoma treated?",
])
def test_calibration_reads_exactly_what_search_decides_on(bundled_services: Services, question):
    result = bundled_services.search(question)
    rows = bundled_services.retriever.judged_candidates(question)
    rule = bundled_services.judge.coverage
    assert len(rows) == bundled_services.settings.rerank_candidates
    assert (rule.scores(rows).max() >= rule.threshold) == result.covered
    assert np.isfinite(rows).all()  # no infinite log-odds from a probability of exactly 0 or 1
    # the same candidates in the same order: the shown scores are the rows' judge probabilities
    assert all(abs(h.score - 1 / (1 + math.exp(-x))) < 1e-3 for h, x in zip(result.hits, rows[:, 0]))


@pytest.mark.parametrize("question", [
    "How is acute angle-closure glaucoma treated?",
    "What is the first-line treatment for scabies?",
    "Which vaccine schedule is recommended for hepatitis B in newborns?",
])
def test_neighbouring_topics_the_curriculum_does_not_hold_are_not_covered(bundled_services: Services, question):
    result = bundled_services.search(question)
    assert result.judged and not result.covered, [(h.source, h.score) for h in result.hits[:3]]


def test_a_supported_answer_is_grounded_with_every_statement_checked(make_tutor):
    services, _, learner = make_tutor(RIGHT)
    answer = services.tutor.ask(HYPERKALAEMIA_Q, learner_id=learner)
    assert (answer.kind, answer.grounded) == ("answer", True)
    assert answer.claims_checked == 2 and answer.unsupported == () and UNSUPPORTED_MARK not in answer.text
    [citation] = answer.citations
    assert answer.quotes and all(q.text in citation.text for q in answer.quotes)


def test_an_unsupported_statement_is_marked_counted_and_stored(make_tutor):
    services, _, learner = make_tutor(RIGHT + " Dialysis in the first hour is mandatory for every patient with a potassium above 5.5 mmol/L [1].")
    answer = services.tutor.ask(HYPERKALAEMIA_Q, learner_id=learner)
    assert (answer.kind, answer.grounded, answer.claims_checked) == ("answer", True, 3)
    assert [s for s in answer.unsupported if "Dialysis" in s] and UNSUPPORTED_MARK in answer.text
    assert answer.text.index(UNSUPPORTED_MARK) > answer.text.index("Dialysis")
    [turn] = services.progress.chat_history(learner)
    assert turn.unsupported == answer.unsupported and turn.claims_checked == 3


def test_a_mostly_unsupported_answer_is_declined_with_related_reading(make_tutor):
    services, _, learner = make_tutor(WRONG)
    answer = services.tutor.ask(HYPERKALAEMIA_Q, learner_id=learner)
    assert (answer.kind, answer.grounded, answer.text, answer.citations) == ("not_covered", False, NOT_COVERED_ANSWER, ())
    assert answer.related and answer.related[0].source == "renal/hyperkalaemia.md"
    [turn] = services.progress.chat_history(learner)
    assert turn.kind == "not_covered" and turn.related == answer.related and len(turn.unsupported) == 2


def test_where_general_knowledge_is_allowed_it_is_shown_labelled_instead(make_tutor):
    services, _, learner = make_tutor(WRONG, allow_general_knowledge=True)
    answer = services.tutor.ask(HYPERKALAEMIA_Q, learner_id=learner)
    assert (answer.kind, answer.grounded) == ("general_knowledge", False) and UNSUPPORTED_MARK in answer.text


def test_a_question_the_material_does_not_answer_offers_related_reading_and_no_model_call(make_tutor):
    services, model, learner = make_tutor("unused")
    answer = services.tutor.ask("How is acute angle-closure glaucoma treated?", learner_id=learner)
    assert answer.kind == "not_covered" and model.prompts_seen == []


def test_with_the_judge_turned_off_the_cosine_threshold_decides(make_tutor):
    services, _, learner = make_tutor(RIGHT, relevance_judge=False)
    result = services.search(HYPERKALAEMIA_Q)
    assert not result.judged and result.threshold == services.settings.relevance_threshold
    answer = services.tutor.ask(HYPERKALAEMIA_Q, learner_id=learner)
    assert answer.kind == "answer" and answer.claims_checked == 0
