"""Many students, one model: the queue, cancelling, a closed tab and a full queue, against a real HTTP server.

The tutor talks to :mod:`tests.fake_openai` on 127.0.0.1 the way it talks to any
OpenAI-compatible server, with one model slot per process (the local default). The fake
streams at a model's pace (a pause before every word), so answers overlap for real.
What must hold: every question waits its turn in order and sees its place; the server
never gets more requests at once than the process has slots; a cancelled question (the
page's generator closed, as Streamlit does on Cancel or a closed tab) is stored as
interrupted or cancelled, its HTTP stream is closed so the server stops, and its place or
slot goes to the next student; a full queue is told at once, with the evidence kept.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.accounts import DR_LEE
from tests.fake_openai import FakeOpenAI
from tutor.domain import Answer, Evidence, Queued
from tutor.llm.prompts import CANCELLED_ANSWER
from tutor.services import Services, build_services
from tutor.settings import Settings

QUESTION = "What is the emergency treatment for a dangerously high potassium?"
PATIENCE_S = 30.0  # a bound on waiting for another thread, not a performance figure


@pytest.fixture
def fake():
    server = FakeOpenAI(word_delay_s=0.05).start()
    yield server
    server.stop()


def _services(fake: FakeOpenAI, tmp_path: Path, curriculum: Path, embedder, **overrides) -> Services:
    settings = Settings(**{"data_dir": tmp_path / "data", "content_dir": curriculum, "llm_provider": "openai",
                           "openai_base_url": fake.base_url, "openai_api_key": "test", "request_timeout_s": 10,
                           "llm_concurrency": 1, "llm_typical_answer_s": 1.0, **overrides})
    services = build_services(settings, embedder=embedder)
    assert services.ingest_bundled_content().ok
    return services


@pytest.fixture
def tutor(fake, tmp_path, mini_curriculum, embedder) -> Services:
    return _services(fake, tmp_path, mini_curriculum, embedder)


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def _learner(services: Services, name: str) -> int:
    return services.progress.ensure_learner(name).id


def test_eight_students_at_once_each_wait_their_turn_and_all_get_answers(tutor: Services, fake: FakeOpenAI):
    learners = [_learner(tutor, f"student{i}") for i in range(8)]
    seen: dict[int, list] = {}
    start = threading.Barrier(len(learners))

    def student(learner: int) -> None:
        start.wait()
        seen[learner] = list(tutor.tutor.stream(QUESTION, learner_id=learner))

    threads = [threading.Thread(target=student, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(PATIENCE_S * 4)
    assert len(seen) == 8
    finals = [events[-1] for events in seen.values()]
    assert all(isinstance(a, Answer) and a.kind == "answer" and a.grounded for a in finals)
    assert fake.max_in_flight == 1 and fake.request_count == 8  # one slot: the server never saw two at once
    places = {learner: [e.ahead for e in events if isinstance(e, Queued)] for learner, events in seen.items()}
    assert sorted(bool(p) for p in places.values()) == [False] + [True] * 7  # all but the first waited
    for ahead in places.values():
        assert ahead == sorted(ahead, reverse=True) and (not ahead or ahead[-1] >= 1)  # only ever moves forward
    assert max(p[0] for p in places.values() if p) == 7  # the last one in saw seven ahead of it
    for learner, events in seen.items():  # a waiting student's place comes first, the evidence before any words
        kinds = [type(e).__name__ for e in events]
        assert kinds[0] == ("Queued" if places[learner] else "Evidence")
        assert kinds.index("Evidence") < kinds.index("str")
    assert tutor.tutor.queue.status() == (0, 0)


def test_cancelling_mid_answer_stores_what_arrived_and_frees_the_model(tutor: Services, fake: FakeOpenAI):
    learner = _learner(tutor, "ada")
    events = tutor.tutor.stream(QUESTION, learner_id=learner, conversation_id="c")
    evidence = next(events)
    partial = next(e for e in events if isinstance(e, str) and len(e.split()) >= 3)
    events.close()  # what Streamlit's Cancel button or a closed tab does to the page's generator
    [turn] = tutor.progress.chat_history(learner, "c")
    assert (turn.status, turn.kind) == ("interrupted", "interrupted")
    assert turn.answer.startswith(partial) and turn.evidence == evidence.quotes
    assert tutor.tutor.queue.status() == (0, 0)
    _until(lambda: fake.disconnects == 1, "the server to see the stream closed")  # it stops generating
    assert tutor.tutor.ask(QUESTION, learner_id=learner).kind == "answer"  # the next question is served


def test_cancelling_while_waiting_gives_the_place_up_and_never_reaches_the_model(tutor: Services, fake: FakeOpenAI):
    first, second = _learner(tutor, "ada"), _learner(tutor, "bea")
    answering = tutor.tutor.stream(QUESTION, learner_id=first)
    next(e for e in answering if isinstance(e, str))  # the first student's answer is streaming: the slot is taken
    waiting = tutor.tutor.stream(QUESTION, learner_id=second, conversation_id="w")
    place = next(e for e in waiting if isinstance(e, Queued))
    assert place.ahead == 1 and tutor.tutor.queue.status() == (1, 1)
    waiting.close()
    assert tutor.tutor.queue.status() == (1, 0)
    [turn] = tutor.progress.chat_history(second, "w")
    assert (turn.status, turn.kind, turn.answer) == ("interrupted", "cancelled", CANCELLED_ANSWER)
    assert list(answering)[-1].kind == "answer" and fake.request_count == 1
    assert tutor.tutor.queue.status() == (0, 0)


def test_a_full_queue_is_told_at_once_and_keeps_the_evidence(fake, tmp_path, mini_curriculum, embedder):
    services = _services(fake, tmp_path, mini_curriculum, embedder, llm_queue_max=1)
    ada, bea, cyd = (_learner(services, n) for n in ("ada", "bea", "cyd"))
    answering = services.tutor.stream(QUESTION, learner_id=ada)
    next(e for e in answering if isinstance(e, str))
    waiting = services.tutor.stream(QUESTION, learner_id=bea)
    next(e for e in waiting if isinstance(e, Queued))
    evidence, busy = list(services.tutor.stream(QUESTION, learner_id=cyd, conversation_id="full"))
    assert isinstance(evidence, Evidence) and busy.kind == "busy" and not busy.grounded
    assert "1 question is waiting" in busy.text and "ask again in about" in busy.text
    assert busy.evidence == evidence.quotes
    [turn] = services.progress.chat_history(cyd, "full")
    assert turn.kind == "busy" and turn.evidence == evidence.quotes
    assert list(answering)[-1].kind == "answer" and list(waiting)[-1].kind == "answer"
    assert services.tutor.queue.status() == (0, 0)


def test_a_model_that_stalls_mid_answer_frees_its_slot(fake, tmp_path, mini_curriculum, embedder):
    fake.set_fault("stall_midway")
    services = _services(fake, tmp_path, mini_curriculum, embedder, request_timeout_s=1.0, llm_max_retries=0)
    learner = _learner(services, "ada")
    final = list(services.tutor.stream(QUESTION, learner_id=learner))[-1]
    assert final.kind == "interrupted" and final.evidence  # what arrived, and the evidence, are kept
    assert services.tutor.queue.status() == (0, 0)


def test_drafting_takes_its_turn_with_the_students_so_the_server_never_sees_more_than_the_limit(
        tutor: Services, fake: FakeOpenAI):
    learners = [_learner(tutor, f"student{i}") for i in range(3)]
    answers: list = []
    drafted: list = []
    note = ("# Sepsis\n\n## Fluids\n\n" + "Give 30 mL/kg of crystalloid within three hours for sepsis-induced "
            "hypotension or a lactate of 4 mmol/L or more, and reassess the response after every bolus. " * 3)
    assert tutor.ingest_uploads(DR_LEE, [("sepsis.md", note.encode())]).ok

    def student(learner: int) -> None:
        answers.append(list(tutor.tutor.stream(QUESTION, learner_id=learner))[-1])

    def instructor() -> None:  # the fake's prose is no valid draft: each draft is one request, then rejected
        drafted.append(tutor.questions.draft(DR_LEE, "sepsis.md", n=2))

    threads = [threading.Thread(target=student, args=(learners[0],)), threading.Thread(target=instructor),
               *(threading.Thread(target=student, args=(learner,)) for learner in learners[1:])]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(PATIENCE_S * 4)
    assert len(answers) == 3 and all(a.kind == "answer" for a in answers)
    assert len(drafted) == 1 and len(drafted[0].rejected) == 2
    assert fake.request_count == 3 + 2 and fake.max_in_flight == 1  # one slot for everyone in the process
    assert tutor.tutor.queue.status() == (0, 0)
