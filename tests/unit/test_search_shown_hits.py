"""The passages shown agree with the coverage verdict: one that answers is never cut from the top k."""

from __future__ import annotations

from tutor.domain import SearchHit
from tutor.index.retrieve import _keeping_answers


def _hits(*relevant: bool) -> list[SearchHit]:
    return [SearchHit(source=f"s{i}.md", section="S", page=None, chunk_id=f"c{i}", score=0.5, text="t",
                      similarity=0.5, relevant=r) for i, r in enumerate(relevant)]


def _ids(hits) -> list[str]:
    return [h.chunk_id for h in hits]


def test_a_deeper_answering_passage_replaces_the_lowest_one_that_does_not():
    hits = _hits(False, True, False, False, True, False, True)
    assert _ids(_keeping_answers(hits, 3)) == ["c1", "c4", "c6"]


def test_the_fused_order_is_kept_when_the_top_k_already_hold_every_answer():
    hits = _hits(True, False, False, False)
    assert _ids(_keeping_answers(hits, 3)) == ["c0", "c1", "c2"]
    assert _ids(_keeping_answers(hits, 10)) == ["c0", "c1", "c2", "c3"]


def test_more_answers_than_places_keep_the_first_ones():
    hits = _hits(True, True, False, True, True)
    assert _ids(_keeping_answers(hits, 2)) == ["c0", "c1"]
