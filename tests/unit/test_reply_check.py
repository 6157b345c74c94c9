"""Echoes a small model leaves in a reply: where-stated sentences and the prompt's passage frames."""

from __future__ import annotations

from tutor.agent.tutor_agent import passage_label
from tutor.domain import SearchHit
from tutor.modes.ask.reply_check import without_passage_frames, without_where_stated

HIT = SearchHit(source="renal/chronic-kidney-disease.md", page=None, chunk_id="c1", score=0.9, text="…",
                section="Chronic kidney disease > Complications of CKD > CKD–mineral and bone disorder",
                doc_title="Chronic kidney disease")


def test_the_label_is_the_title_and_the_sections_own_heading_not_the_file():
    assert passage_label(HIT) == "Chronic kidney disease — CKD–mineral and bone disorder"
    assert passage_label(HIT.model_copy(update={"section": "Chronic kidney disease", "page": 4})) == \
        "Chronic kidney disease (p. 4)"


def test_an_echoed_passage_frame_is_cut_and_the_statement_kept():
    reply = " [1] Chronic kidney disease — CKD–mineral and bone disorder\n<<<\nParathyroid hormone rises [1].\n>>>"
    assert without_passage_frames(reply, [HIT]) == "Parathyroid hormone rises [1]."


def test_where_stated_folds_into_the_statement_before_it():
    assert without_where_stated("Iron works better every other day. This is stated in passage [1].") == \
        "Iron works better every other day [1]."
    assert without_where_stated("Iron works. It is mentioned in the passages [1], [2]. More.") == "Iron works [1], [2]. More."
    assert without_where_stated("Iron works. This is stated in passage. Next [2].") == "Iron works. Next [2]."
    assert without_where_stated("This is stated clearly by the guideline.") == "This is stated clearly by the guideline."
