"""Ingest and search end to end: real files, real SQLite, real Chroma, real embeddings.

Every test runs twice: on the embedded index and on a real ``chroma run`` server.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.accounts import DR_LEE
from tests.factories import make_docx, make_pdf
from tutor.content.references import Reference
from tutor.domain import Chunk
from tutor.errors import IndexUnavailable, InvalidQuery
from tutor.index.chroma_client import chroma_link
from tutor.index.ingest import index_gaps
from tutor.index.vector_store import ChromaIndex
from tutor.services import Services, build_services
from tutor.settings import Settings

pytestmark = pytest.mark.both_chroma_modes


def test_folder_ingest_then_search_cites_source_and_section(services: Services, mini_curriculum: Path):
    report = services.ingestor.ingest_paths([mini_curriculum])

    assert sorted(report.added) == ["cardiology/heart-failure.md", "renal/aki.md", "renal/hyperkalaemia.md"]
    assert report.failed == () and report.chunks_added == services.registry.count_chunks() == services.index.count()
    top = services.search("Which blood test makes a failing heart unlikely when someone is short of breath?").hits[0]
    assert (top.source, top.section, top.page) == ("cardiology/heart-failure.md", "Heart failure > Natriuretic peptides", None)
    assert "BNP" in top.text and top.doc_title == "Heart failure" and top.module == "Cardiology"


def test_reingesting_unchanged_files_does_no_work(services: Services, mini_curriculum: Path):
    services.ingestor.ingest_paths([mini_curriculum])
    again = services.ingestor.ingest_paths([mini_curriculum])
    assert len(again.unchanged) == 3 and again.added == again.updated == () and again.chunks_added == 0


def test_changed_file_replaces_exactly_its_old_chunks(services: Services, mini_curriculum: Path):
    services.ingestor.ingest_paths([mini_curriculum])
    path = mini_curriculum / "renal/hyperkalaemia.md"
    doc_id = next(d.doc_id for d in services.documents() if d.source == "renal/hyperkalaemia.md")
    before = services.registry.chunk_ids(doc_id)
    others_before = {d.source: services.registry.chunk_ids(d.doc_id) for d in services.documents() if d.doc_id != doc_id}

    path.write_text(path.read_text().replace("Peaked T waves", "Tall tented T waves"))
    report = services.ingestor.ingest_paths([mini_curriculum])

    after = services.registry.chunk_ids(doc_id)
    assert report.updated == ("renal/hyperkalaemia.md",)
    assert report.chunks_added == len(after - before) == 1 and report.chunks_removed == len(before - after) == 1
    assert services.index.ids() == {cid for rows in services.registry.iter_chunk_rows() for cid in (r.chunk.chunk_id for r in rows)}
    assert {d.source: services.registry.chunk_ids(d.doc_id) for d in services.documents() if d.doc_id != doc_id} == others_before
    assert "Tall tented" in services.search("T wave shape when potassium is high").hits[0].text


def test_file_deleted_from_folder_is_removed(services: Services, mini_curriculum: Path):
    services.ingestor.ingest_paths([mini_curriculum])
    (mini_curriculum / "renal/aki.md").unlink()
    report = services.ingestor.ingest_paths([mini_curriculum])
    assert report.removed == ("renal/aki.md",) and report.chunks_removed >= 1
    assert all(h.source != "renal/aki.md" for h in services.search("creatinine staging of kidney injury", k=10).hits)
    assert services.index.count() == services.registry.count_chunks()


def test_pdf_and_docx_uploads_are_found_with_page_and_section(services: Services):
    pdf = make_pdf(
        [
            ("Asthma", "Inhaled corticosteroids reduce airway inflammation and prevent asthma attacks."),
            ("Status asthmaticus", "Give oxygen, nebulised salbutamol and ipratropium, and oral prednisolone promptly."),
        ],
        title="Respiratory emergencies",
    )
    docx = make_docx([
        ("Title", "Gout"),
        ("Heading 1", "Acute attack"),
        ("Normal", "Colchicine or an NSAID settles an acute gout flare; allopurinol is not started during the flare."),
    ])
    report = services.ingest_uploads(DR_LEE, [("respiratory.pdf", pdf), ("gout notes.docx", docx)])
    assert sorted(report.added) == ["gout notes.docx", "respiratory.pdf"], report.failed

    asthma = services.search("which nebulised drugs are given in status asthmaticus?").hits[0]
    assert (asthma.source, asthma.page) == ("respiratory.pdf", 2)
    assert asthma.section.endswith("Status asthmaticus")
    gout = services.search("what settles a flare of gout?").hits[0]
    assert (gout.source, gout.page) == ("gout notes.docx", None) and gout.section.endswith("Acute attack")


def test_bad_files_are_reported_and_the_rest_of_the_batch_still_ingests(services: Services, tmp_path: Path):
    big = b"x" * (services.settings.max_upload_bytes + 1)
    report = services.ingest_uploads(DR_LEE, [
        ("good.md", b"# Sepsis\nGive antibiotics within one hour of recognising septic shock.\n"),
        ("empty.txt", b""),
        ("broken.pdf", b"%PDF-1.7\nthis is not really a pdf"),
        ("notes.exe", b"MZ\x90\x00"),
        ("huge.txt", big),
        ("bad-front-matter.md", b"---\ntitle: [unclosed\n---\n# Body\ntext\n"),
    ])
    assert report.added == ("good.md",)
    reasons = {f.source: f.reason for f in report.failed}
    assert set(reasons) == {"empty.txt", "broken.pdf", "notes.exe", "huge.txt", "bad-front-matter.md"}
    assert "no readable text" in reasons["empty.txt"]
    assert "not supported" in reasons["notes.exe"]
    assert "MiB limit" in reasons["huge.txt"]
    assert "YAML" in reasons["bad-front-matter.md"]
    assert [d.source for d in services.documents()] == ["good.md"]
    assert services.index.count() == services.registry.count_chunks()


def test_a_file_that_becomes_unreadable_keeps_its_previous_version(services: Services):
    services.ingest_uploads(DR_LEE, [("notes.md", b"# Notes\nAdrenaline 0.5 mg intramuscularly treats anaphylaxis.\n")])
    report = services.ingest_uploads(DR_LEE, [("notes.md", b"---\n: : bad yaml\n---\n")])
    assert [f.source for f in report.failed] == ["notes.md"]
    assert "Adrenaline" in services.search("drug for anaphylaxis").hits[0].text


def test_upload_names_cannot_escape_into_paths(services: Services):
    report = services.ingest_uploads(DR_LEE, [("../../etc/passwd.md", b"# Passwords\nnothing here\n")])
    assert report.added == ("passwd.md",)


def test_orphan_vectors_never_surface_and_are_swept(services: Services, mini_curriculum: Path, embedder):
    """A crash between the vector upsert and the registry commit leaves orphans behind."""
    services.ingestor.ingest_paths([mini_curriculum])
    ghost = Chunk(chunk_id="ghost", doc_id="nodoc", source="ghost.md", ordinal=0, section="", text="BNP rules out heart failure")
    services.index.upsert([ghost], embedder.embed_documents([ghost.text]), [{}])

    hits = services.search("BNP rules out heart failure", k=10).hits
    assert "ghost" not in {h.chunk_id for h in hits}
    assert services.ingestor.reconcile() == (0, 1)
    assert "ghost" not in services.index.ids()


def test_an_index_with_as_many_vectors_as_passages_but_the_wrong_ones_is_repaired(services: Services, mini_curriculum: Path, embedder):
    """Two interrupted runs can leave one orphan and one missing vector: the counts agree, the ids do not."""
    services.ingestor.ingest_paths([mini_curriculum])
    expected = services.registry.chunk_ids()
    services.index.delete({sorted(expected)[0]})
    ghost = Chunk(chunk_id="ghost", doc_id="nodoc", source="ghost.md", ordinal=0, section="", text="BNP rules out heart failure")
    services.index.upsert([ghost], embedder.embed_documents([ghost.text]), [{}])
    assert services.index.count() == len(expected)
    assert index_gaps(services.index, services.registry) == ({"ghost"}, {sorted(expected)[0]})

    services.ingest_uploads(DR_LEE, [("notes.md", b"# Notes\nAdrenaline 0.5 mg intramuscularly treats anaphylaxis.\n")])
    assert services.index.ids() == services.registry.chunk_ids() == expected | services.registry.chunk_ids(
        next(d.doc_id for d in services.documents() if d.source == "notes.md"))


def test_reindex_rebuilds_the_index_from_sqlite(services: Services, mini_curriculum: Path):
    services.ingestor.ingest_paths([mini_curriculum])
    expected = services.index.ids()
    assert services.reindex(DR_LEE) == len(expected)
    assert services.index.ids() == expected
    assert services.search("treatment of high potassium").hits[0].source == "renal/hyperkalaemia.md"


def test_a_fresh_chroma_client_can_query_by_text_through_the_registered_embedder(services: Services, mini_curriculum: Path):
    services.ingestor.ingest_paths([mini_curriculum])
    client = chroma_link(services.settings).client()
    collection = client.get_collection(services.settings.collection)  # no embedding function passed
    result = collection.query(query_texts=["calcium gluconate for hyperkalaemia"], n_results=1)
    assert result["metadatas"][0][0]["source"] == "renal/hyperkalaemia.md"


def test_an_index_built_with_another_model_is_refused(settings: Settings, embedder):
    client = chroma_link(settings).client()
    client.create_collection(settings.collection, metadata={"embedder": "some-other-model"}, embedding_function=None)
    with pytest.raises(IndexUnavailable) as refused:
        ChromaIndex(chroma_link(settings), settings.collection, embedder).count()
    assert "different embedding model" in refused.value.user_message


def test_module_filter_and_query_validation(services: Services, mini_curriculum: Path):
    services.ingestor.ingest_paths([mini_curriculum])
    hits = services.search("potassium", k=10, filters={"module": "Renal"}).hits
    assert hits and {h.module for h in hits} == {"Renal"}
    with pytest.raises(InvalidQuery):
        services.search("   ")
    with pytest.raises(InvalidQuery):
        services.search("x" * 5000)
    with pytest.raises(InvalidQuery):
        services.search("potassium", filters={"password": "x"})


def test_out_of_scope_question_is_not_covered(services: Services, mini_curriculum: Path):
    services.ingestor.ingest_paths([mini_curriculum])
    assert services.search("How do I change the oil in a diesel car engine?").covered is False
    assert services.search("What ECG changes does a high potassium cause?").covered is True


def test_hybrid_search_similarities_stay_cosine(settings: Settings, embedder, mini_curriculum: Path):
    from tutor.services import build_services

    hybrid = build_services(settings.model_copy(update={"hybrid_search": True}), embedder=embedder)
    hybrid.ingestor.ingest_paths([mini_curriculum])
    result = hybrid.search("peaked T waves")
    top = result.hits[0]
    expected = float(embedder.embed_documents([f"{top.section}\n{top.text}"])[0] @ embedder.embed_query("peaked T waves"))
    assert top.source == "renal/hyperkalaemia.md" and np.isclose(top.similarity, expected, atol=1e-3)
    cosine_only = build_services(settings.model_copy(update={"hybrid_search": True, "relevance_judge": False}),
                                 embedder=embedder).search("peaked T waves").hits[0]
    assert np.isclose(cosine_only.score, expected, atol=1e-3)  # with the judge off, the score is the cosine


def test_an_instructors_title_and_module_apply_to_search_and_survive_a_reupload(services: Services):
    services.ingest_uploads(DR_LEE, [("notes.md", b"# Notes\nAdrenaline 0.5 mg intramuscularly treats anaphylaxis.\n")],
                            module="Emergencies")
    [doc] = [d for d in services.documents() if d.source == "notes.md"]
    assert doc.module == "Emergencies"
    services.edit_document(DR_LEE, doc.doc_id, title="Anaphylaxis notes", module="Immunology")
    hits = services.search("adrenaline for anaphylaxis", 3, {"module": "Immunology"}).hits
    assert hits and {(h.doc_title, h.module) for h in hits} == {("Anaphylaxis notes", "Immunology")}
    assert services.search("adrenaline for anaphylaxis", 3, {"module": "Emergencies"}).hits == ()

    services.ingest_uploads(DR_LEE, [("notes.md", b"# Notes\nAdrenaline 0.5 mg IM treats anaphylaxis; repeat in 5 minutes.\n")])
    [doc] = [d for d in services.documents() if d.source == "notes.md"]
    assert (doc.title, doc.module) == ("Anaphylaxis notes", "Immunology")
    with pytest.raises(InvalidQuery, match="title"):
        services.edit_document(DR_LEE, doc.doc_id, title="  ", module=None)


def test_a_library_change_made_by_another_process_reaches_cached_citations(settings: Settings, embedder, mini_curriculum: Path):
    """Two Services on one data folder stand for two app processes (or the app and the job worker)."""
    writer, reader = build_services(settings, embedder=embedder), build_services(settings, embedder=embedder)
    writer.ingestor.ingest_paths([mini_curriculum])
    reference = Reference(source="renal/aki.md")
    cited, missing = reader.links.citations([reference], "creatinine rise")
    assert [c.source for c in cited] == ["renal/aki.md"] and missing == ()
    before = reader.registry.generation()

    writer.delete_document(DR_LEE, next(d.doc_id for d in writer.documents() if d.source == "renal/aki.md"))
    assert reader.registry.generation() > before
    assert reader.links.citations([reference], "creatinine rise") == ((), (reference,))  # not the cached passage
