"""Suite 7, PHI screening, end to end: held uploads and what a remote model receives.

Real parts throughout (SQLite, Chroma, the MiniLM embedder). A flagged upload is held,
not searchable, listed for staff with masked findings; a release with identifiers removed
makes it searchable without them; a release as it is needs a reason and records it; a
discard deletes the bytes. Students are refused every step. The chat model is the real
OpenAI client pointed at :mod:`tests.fake_openai` on 127.0.0.1 (``llm_provider="openai"``,
as an operator would configure a remote model), which records every request: no planted
identifier may appear in any of them, for questions, history and case requests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.accounts import DR_LEE
from tests.case_files import MINI_CASE_ID, MINI_CASE_YAML
from tests.classroom import to_stage
from tests.fake_openai import FakeOpenAI
from tutor.errors import AccessDenied, TutorError
from tutor.modes.access import Actor
from tutor.services import Services, build_services
from tutor.settings import Settings

pytestmark = pytest.mark.both_chroma_modes  # retrieval runs on the embedded index and on a Chroma server

STUDENT = Actor(learner_id=99, username="sam", display_name="Sam", role="student")
PHONE, DOB, MRN, EMAIL = "(555) 867-5309", "03/14/1950", "48151623", "jo.bloggs@example.com"
IDENTIFIERS = (PHONE, "867-5309", DOB, MRN, EMAIL, "John Smith")
NOTE = (
    "# Hyperkalaemia ward round\n\n"
    f"Mr John Smith (MRN: {MRN}, DOB {DOB}) had a potassium of 7.1 mmol/L with peaked T waves. "
    f"His daughter can be reached on {PHONE}. Calcium gluconate stabilised the myocardium.\n"
).encode()


@pytest.fixture
def services(tmp_path: Path, mini_curriculum: Path, embedder) -> Services:
    services = build_services(Settings(data_dir=tmp_path / "data", content_dir=mini_curriculum), embedder=embedder)
    assert services.ingest_bundled_content().ok
    return services


def _held_one(services: Services) -> int:
    report = services.ingest_uploads(DR_LEE, [("ward-round.md", NOTE)])
    assert report.ok and not report.added and len(report.held) == 1
    held = report.held[0]
    assert held.source == "ward-round.md" and held.counts["phone"] == 1 and held.counts["dob"] == 1
    return held.held_id


def _in_library(services: Services) -> bool:
    return any(d.source == "ward-round.md" for d in services.documents())


def test_a_flagged_upload_is_held_not_indexed_and_listed_masked(services: Services):
    held_id = _held_one(services)
    assert not _in_library(services)
    assert all(h.source != "ward-round.md" for h in services.search("potassium peaked T waves ward round").hits)
    [upload] = services.held_uploads(DR_LEE)
    assert upload.held_id == held_id and upload.uploaded_by == "dr-lee" and upload.status == "held"
    assert {f.kind for f in upload.findings} >= {"phone", "dob", "mrn", "name"}
    assert all(f.line >= 1 for f in upload.findings)
    shown = json.dumps(upload.model_dump())
    for identifier in (PHONE, "867-5309", DOB, MRN):
        assert identifier not in shown
    # the same file uploaded again is the same entry, not a second one
    assert services.ingest_uploads(DR_LEE, [("ward-round.md", NOTE)]).held[0].held_id == held_id
    assert len(services.held_uploads(DR_LEE)) == 1


def test_a_clean_upload_is_indexed_as_before(services: Services):
    report = services.ingest_uploads(DR_LEE, [("sodium.md", b"# Sodium\n\nHyponatraemia is Na below 135 mmol/L.\n")])
    assert report.added == ("sodium.md",) and report.held == ()


def test_release_with_identifiers_removed_makes_it_searchable_without_them(services: Services):
    held_id = _held_one(services)
    report = services.release(DR_LEE, held_id, redact=True)
    assert report.added == ("ward-round.md",) and report.chunks_added >= 1
    text = " ".join(r.chunk.text for r in services.registry.chunk_rows_for_source("ward-round.md"))
    assert "[PHONE]" in text and "[DOB]" in text and "[MRN]" in text and "7.1 mmol/L" in text
    for identifier in IDENTIFIERS:
        assert identifier not in text
    assert any(h.source == "ward-round.md" for h in services.search("potassium peaked T waves calcium gluconate").hits)
    assert services.held_uploads(DR_LEE) == []
    [decided] = services.registry.held_uploads(status=None)
    assert decided.status == "released" and decided.decided_by == "dr-lee"
    assert services.registry.held_file(held_id) is None  # the original bytes are gone
    with pytest.raises(TutorError) as again:
        services.release(DR_LEE, held_id)
    assert "no longer waiting" in again.value.user_message


def test_release_as_is_needs_a_reason_and_records_it(services: Services):
    held_id = _held_one(services)
    with pytest.raises(TutorError) as missing:
        services.release(DR_LEE, held_id, redact=False)
    assert "reason" in missing.value.user_message and not _in_library(services)
    services.release(DR_LEE, held_id, redact=False, reason="  synthetic teaching case,  invented details ")
    text = " ".join(r.chunk.text for r in services.registry.chunk_rows_for_source("ward-round.md"))
    assert PHONE in text
    [decided] = services.registry.held_uploads(status=None)
    assert (decided.status, decided.decided_by, decided.reason) == (
        "released_as_is", "dr-lee", "synthetic teaching case, invented details")


def test_discard_deletes_the_file_and_keeps_who_and_when(services: Services):
    held_id = _held_one(services)
    services.discard(DR_LEE, held_id)
    assert services.held_uploads(DR_LEE) == [] and not _in_library(services)
    assert services.registry.held_file(held_id) is None
    [decided] = services.registry.held_uploads(status=None)
    assert decided.status == "discarded" and decided.decided_by == "dr-lee" and decided.decided_at
    with pytest.raises(TutorError):
        services.discard(DR_LEE, held_id)


def test_a_student_can_neither_list_nor_release_nor_discard(services: Services):
    held_id = _held_one(services)
    for call in (lambda: services.held_uploads(STUDENT), lambda: services.release(STUDENT, held_id),
                 lambda: services.release(STUDENT, held_id, redact=False, reason="mine"),
                 lambda: services.discard(STUDENT, held_id)):
        with pytest.raises(AccessDenied):
            call()
    assert [h.held_id for h in services.held_uploads(DR_LEE)] == [held_id]


def test_screening_off_indexes_everything(tmp_path: Path, mini_curriculum: Path, embedder):
    services = build_services(Settings(data_dir=tmp_path / "data", content_dir=mini_curriculum, phi_screening=False),
                              embedder=embedder)
    assert services.ingest_uploads(DR_LEE, [("ward-round.md", NOTE)]).added == ("ward-round.md",)


# -- chat: what a remote model receives ---------------------------------------------------------

@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


def _remote(tmp_path: Path, mini_curriculum: Path, embedder, fake: FakeOpenAI) -> Services:
    cases = tmp_path / "cases"
    cases.mkdir(exist_ok=True)
    (cases / "mini.yaml").write_text(MINI_CASE_YAML, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", content_dir=mini_curriculum, cases_dir=cases, llm_provider="openai",
        openai_base_url=fake.base_url, openai_api_key="test", request_timeout_s=5, llm_max_retries=0,
        case_model_requests=True,
    )
    services = build_services(settings, embedder=embedder)
    assert services.ingest_bundled_content().ok
    services.load_bundled_cases()
    return services


def _sent(fake: FakeOpenAI) -> str:
    return json.dumps(fake.requests)


def test_a_remote_model_never_receives_a_planted_identifier_in_questions_or_history(
    tmp_path: Path, mini_curriculum: Path, embedder, fake: FakeOpenAI,
):
    services = _remote(tmp_path, mini_curriculum, embedder, fake)
    who = services.progress.ensure_learner("ada").id
    # Teaching questions (no "my patient", no MRN: those are referred without any model call).
    first = services.tutor.ask(
        f"From the ward list of Mr John Smith seen on {DOB}, phone {PHONE}: "
        "what is the emergency treatment for a dangerously high potassium?",
        learner_id=who, conversation_id="c1",
    )
    assert first.kind != "referral", first.text
    assert first.text.startswith("_Patient details removed before sending: ")
    assert "a phone number" in first.text and "a date" in first.text and "don't paste" in first.text
    second = services.tutor.ask(
        f"A 92-year-old, notes sent from {EMAIL}, acct {MRN}: why is insulin given with glucose for potassium?",
        learner_id=who, conversation_id="c1")
    assert second.kind != "referral", second.text
    assert fake.request_count >= 2, (second.kind, second.text)
    sent = _sent(fake)
    assert "potassium" in sent and "[PHONE]" in sent and "[DATE]" in sent  # the questions went, redacted
    for identifier in (*IDENTIFIERS, "92-year-old"):
        assert identifier not in sent, identifier
    stored = json.dumps([t.model_dump() if hasattr(t, "model_dump") else t.__dict__ for t in
                         services.tutor.history(who, "c1")], default=str)
    for identifier in IDENTIFIERS:
        assert identifier not in stored, identifier  # progress.db holds the redacted text too


def test_a_remote_model_never_receives_a_planted_identifier_in_a_case_request(
    tmp_path: Path, mini_curriculum: Path, embedder, fake: FakeOpenAI,
):
    services = _remote(tmp_path, mini_curriculum, embedder, fake)
    who = services.progress.ensure_learner("ada").id
    session = services.cases.start(who, MINI_CASE_ID).session.session_id
    to_stage(services, who, session, "investigations")
    reply = services.cases.ask(session, who, f"what is the glucose for John Smith DOB {DOB} tel {PHONE}")
    assert reply.text.startswith("_Patient details removed before sending: ")
    assert fake.request_count >= 1  # the model was asked to sort the request
    sent = _sent(fake)
    assert "glucose" in sent
    for identifier in IDENTIFIERS:
        assert identifier not in sent, identifier
    transcript = " ".join(turn.content for turn in services.cases.view(session, who).transcript)
    for identifier in IDENTIFIERS:
        assert identifier not in transcript


def test_a_library_from_before_this_feature_gains_the_held_table(tmp_path: Path):
    from sqlite_utils import Migrations

    from tutor.db import SQLiteFile
    from tutor.index.registry import LibraryRegistry, m001_create_documents_and_chunks

    previous = Migrations("tutor.library")
    previous()(m001_create_documents_and_chunks)
    SQLiteFile(tmp_path / "library.db", previous)
    registry = LibraryRegistry(tmp_path / "library.db")
    assert registry.applied_migrations() == ["m001_create_documents_and_chunks", "m002_create_held_uploads",
                                             "m003_add_instructor_labels", "m004_add_library_generation"]
    assert registry.held_uploads() == []
