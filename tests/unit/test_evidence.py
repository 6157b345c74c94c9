"""Evidence first: the sentences shown before the explanation, and the excerpts the model reads.

Real embedder and the shipped judge on real passages: the point is which sentence they pick.
"""

from __future__ import annotations

import pytest

from tutor.domain import SearchHit
from tutor.judge.model import RelevanceJudge, build_judge
from tutor.modes.ask.evidence import excerpts, pick_evidence, ranked_sentences
from tutor.settings import Settings

QUESTION = "What is the emergency treatment for a dangerously high potassium?"
TREATMENT = SearchHit(
    chunk_id="k1", source="renal/hyperkalaemia.md", section="Hyperkalaemia > Emergency treatment", doc_title="Hyperkalaemia",
    score=0.8, relevant=True, page=None,
    text=("Hyperkalaemia is a serum potassium above 5.5 mmol/L. It is common in kidney disease and with some drugs. "
          "Peaked T waves are the earliest ECG sign. Give 10 mL of 10% calcium gluconate intravenously to stabilise the "
          "cardiac membrane when the ECG shows changes. Then give insulin with glucose to shift potassium into cells. "
          "Salbutamol nebulisers add to the effect. Stop drugs that raise potassium and treat the cause."),
)
OTHER = SearchHit(
    chunk_id="h1", source="cardiology/heart-failure.md", section="Heart failure > Drugs", doc_title="Heart failure",
    score=0.5, relevant=True, page=None,
    text="ACE inhibitors and beta blockers improve survival in heart failure with reduced ejection fraction.",
)


@pytest.fixture(scope="module")
def judge() -> RelevanceJudge:
    return build_judge(Settings())


def _embed(embedder):
    return lambda texts: embedder.embed_documents(texts)


def test_the_first_sentence_comes_from_the_best_passage_verbatim_with_its_chip(embedder, judge):
    ranked = ranked_sentences(QUESTION, [TREATMENT, OTHER], _embed(embedder), judge.relevance)
    quotes = pick_evidence(ranked, [TREATMENT, OTHER])
    assert quotes and quotes[0].text in TREATMENT.text  # verbatim, from the passage ranked first
    assert (quotes[0].citation.number, quotes[0].citation.chunk_id) == (1, "k1")
    assert len(quotes) <= 3 and sum(q.citation.chunk_id == "k1" for q in quotes) <= 2  # at most two per passage
    assert [q.score for q in quotes[1:]] == sorted((q.score for q in quotes[1:]), reverse=True)


def test_the_best_passage_leads_even_when_another_has_a_higher_sentence():
    ranked = [(1.5, 1, "Other passage sentence here today."), (1.2, 0, "Best passage sentence here today.")]
    quotes = pick_evidence(ranked, [TREATMENT, OTHER])
    assert [q.citation.chunk_id for q in quotes] == ["k1", "h1"]


def test_without_the_judge_the_embedding_ranks(embedder):
    ranked = ranked_sentences(QUESTION, [TREATMENT], _embed(embedder), None)
    assert ranked and all(score < 0 for score, _, _ in ranked)  # cosine scores sit below any probability
    assert pick_evidence(ranked, [TREATMENT])


def test_a_long_passage_reaches_the_model_as_its_best_sentences_in_order(embedder, judge):
    ranked = ranked_sentences(QUESTION, [TREATMENT, OTHER], _embed(embedder), judge.relevance)
    short, whole = excerpts(ranked, [TREATMENT, OTHER], budget=320)
    assert whole == OTHER.text  # every passage keeps at least its best sentence (here all of it)
    best = [sentence for _, passage, sentence in ranked if passage == 0]
    assert best[0] in short and len(short) + len(whole) <= 320 + 10 and "…" in short  # within the budget, gaps marked
    kept = [s for s in short.replace("…", "").split(". ") if s.strip()]
    positions = [TREATMENT.text.find(s.strip().rstrip(".")) for s in kept]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)  # passage order, verbatim


def test_the_budget_goes_to_the_best_sentences_wherever_they_are():
    first = TREATMENT.model_copy(update={"text": "Alpha one two three four five. Beta one two three four five six. "
                                                 "Gamma one two three four five seven."})
    second = OTHER.model_copy(update={"text": "Delta one two three four five. Epsilon one two three four five six."})
    ranked = [(1.9, 1, "Delta one two three four five."), (1.8, 0, "Alpha one two three four five."),
              (1.7, 1, "Epsilon one two three four five six."), (0.2, 0, "Beta one two three four five six."),
              (0.1, 0, "Gamma one two three four five seven.")]
    one, two = excerpts(ranked, [first, second], budget=100)
    assert two == second.text  # the second passage's two good sentences both fit
    assert one.startswith("Alpha one two three four five.") and "Gamma" not in one  # the weak ones did not
    roomy = excerpts(ranked, [first, second], budget=1000)
    assert roomy == [first.text, second.text]  # room for everything: passages go whole


def test_each_passage_keeps_its_best_sentence_even_over_the_budget():
    ranked = [(1.9, 0, "Alpha one two three four five."), (1.0, 1, "Delta one two three four five.")]
    first = TREATMENT.model_copy(update={"text": "Alpha one two three four five. Beta one two three four five six."})
    second = OTHER.model_copy(update={"text": "Delta one two three four five. Epsilon one two three four five six."})
    one, two = excerpts(ranked, [first, second], budget=40)
    assert one.startswith("Alpha") and two.startswith("Delta")  # both passages still there to cite


def test_no_sentences_no_evidence(embedder, judge):
    stub = TREATMENT.model_copy(update={"text": "Hyperkalaemia"})
    assert ranked_sentences(QUESTION, [stub], _embed(embedder), judge.relevance) == []
    assert pick_evidence([], [stub]) == ()
    assert excerpts([], [stub], budget=200) == ["Hyperkalaemia"]
