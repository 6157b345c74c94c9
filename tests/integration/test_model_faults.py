"""Suite 6, model faults: the real app against a misbehaving OpenAI-compatible server.

The tutor is configured the way an operator would (``llm_provider="openai"`` and a
base URL) and pointed at :mod:`tests.fake_openai` on 127.0.0.1, which injects one
fault per request: 429 with Retry-After, 500, 401, a stall past the client's
timeout, a stream dropped, stalled or cut short midway, and a malformed SSE event.
For each fault the call must end in bounded time, the server must see a bounded
number of requests, the student must get a plain TutorError message (no traceback,
no raw server body) or, when part of the answer arrived, that part marked
interrupted, and the progress store must hold exactly one turn per question.

Nothing leaves the machine: every non-loopback connection is refused for the module.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import openai
import pytest

from tests.fake_openai import GOOD_ANSWER, RAW_BODY_MARKER, FakeOpenAI
from tutor.domain import Answer, Evidence
from tutor.errors import ModelUnavailableError, TutorError
from tutor.services import Services, build_services
from tutor.settings import Settings

QUESTION = "What is the emergency treatment for a dangerously high potassium?"
TIMEOUT_S = 1.0
RETRIES = 2
SLACK_S = 10.0  # a loaded 2-core machine: the bound proves "bounded", not "fast"
BACKOFF_S = 0.5 + 1.0  # the OpenAI client's two exponential backoff sleeps (at most)
PARTIAL = "Give calcium gluconate to stabilise the cardiac membrane"  # what the fake sends before a mid-stream fault


@pytest.fixture
def fake():
    server = FakeOpenAI(stall_s=TIMEOUT_S * 20).start()
    yield server
    server.stop()


@pytest.fixture
def tutor(fake: FakeOpenAI, tmp_path: Path, mini_curriculum: Path, embedder) -> tuple[Services, int]:
    settings = Settings(
        data_dir=tmp_path / "data", content_dir=mini_curriculum,
        llm_provider="openai", openai_base_url=fake.base_url, openai_api_key="test",
        request_timeout_s=TIMEOUT_S, llm_max_retries=RETRIES,
    )
    services = build_services(settings, embedder=embedder)
    report = services.ingest_bundled_content()
    assert report.ok, report.failed
    return services, services.progress.ensure_learner("ada").id


def _turns(services: Services, learner: int, conversation: str):
    return services.progress.chat_history(learner, conversation)


def _assert_plain(message: str) -> None:
    """A sentence for a student: no traceback, no raw body, no URL, no exception repr."""
    for leak in (RAW_BODY_MARKER, "Traceback", "Error code", "127.0.0.1", "http", "{", "Exception"):
        assert leak not in message, (leak, message)
    assert message.endswith(".") and 20 < len(message) < 200


def test_the_network_is_blocked_outside_loopback():
    with pytest.raises(ConnectionRefusedError, match="network blocked"):
        socket.create_connection(("10.255.255.1", 80), timeout=1)


def test_fake_server_answers_plain_json_too(fake: FakeOpenAI):
    client = openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0, timeout=TIMEOUT_S * 5)
    reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == GOOD_ANSWER and fake.request_count == 1


def test_streamed_answer_through_the_fake_server_is_grounded_and_cites(tutor, fake: FakeOpenAI):
    services, learner = tutor
    events = list(services.tutor.stream(QUESTION, learner_id=learner, conversation_id="ok"))

    evidence, _drafting, *partials, answer = events
    assert isinstance(evidence, Evidence) and evidence.quotes  # shown before the model was asked
    assert len(partials) > 3 and all(isinstance(p, str) for p in partials)  # it really streamed
    assert isinstance(answer, Answer)
    assert (answer.kind, answer.grounded) == ("answer", True)
    assert "[1]" in answer.text and answer.citations[0].source == "renal/hyperkalaemia.md"
    assert fake.request_count == 1
    sent = fake.requests[0]
    assert sent["stream"] is True and sent["model"] == services.settings.llm_model
    assert any(QUESTION in str(m.get("content")) for m in sent["messages"])
    [turn] = _turns(services, learner, "ok")
    assert (turn.status, turn.kind, turn.answer) == ("complete", "answer", answer.text)


# fault, the words the student sees, requests the server may receive, least seconds the client must wait
FAILING = [
    pytest.param("rate_limit", "busy right now", RETRIES + 1, RETRIES * 1.0, id="429-retry-after"),
    pytest.param("unavailable", "busy right now", RETRIES + 1, RETRIES * 1.0, id="503-retry-after"),
    pytest.param("server_error", "reported an error (500)", RETRIES + 1, 0.0, id="500"),
    pytest.param("unauthorized", "could not sign in", 1, 0.0, id="401-no-retry"),
    pytest.param("stall", "did not answer in time", RETRIES + 1, (RETRIES + 1) * TIMEOUT_S, id="stall"),
    pytest.param("malformed", "failed unexpectedly", 1, 0.0, id="malformed-sse"),
]


@pytest.mark.parametrize(("fault", "says", "requests", "at_least_s"), FAILING)
def test_a_failed_request_ends_in_bounded_time_with_a_plain_message(tutor, fake, fault, says, requests, at_least_s):
    services, learner = tutor
    fake.set_fault(fault)

    started = time.monotonic()
    with pytest.raises(TutorError) as caught:
        services.tutor.ask(QUESTION, learner_id=learner, conversation_id=fault)
    elapsed = time.monotonic() - started

    retry_after = RETRIES * 1.0 if fault in ("rate_limit", "unavailable") else BACKOFF_S
    assert at_least_s * 0.9 <= elapsed < (RETRIES + 1) * TIMEOUT_S + retry_after + SLACK_S
    assert isinstance(caught.value, ModelUnavailableError)
    assert says in caught.value.user_message
    _assert_plain(caught.value.user_message)
    assert fake.request_count == requests  # retries are bounded (and 401/bad data are not retried)
    [turn] = _turns(services, learner, fault)  # one turn for one question, however many retries
    assert (turn.status, turn.kind, turn.answer, turn.grounded) == ("error", "interrupted", "", False)


@pytest.mark.parametrize("fault", ["drop_midway", "stall_midway", "truncated"])
def test_a_stream_cut_midway_keeps_the_partial_text_marked_interrupted(tutor, fake, fault):
    services, learner = tutor
    fake.set_fault(fault)

    started = time.monotonic()
    _drafting, *partials, answer = list(services.tutor.stream(QUESTION, learner_id=learner, conversation_id=fault))
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT_S + SLACK_S
    assert partials[-1] == "Give calcium gluconate"  # the student saw the words as they came, five behind
    assert isinstance(answer, Answer)
    assert (answer.kind, answer.grounded, answer.citations) == ("interrupted", False, ())
    assert answer.text == PARTIAL
    assert fake.request_count == 1  # a started stream is never silently re-requested
    [turn] = _turns(services, learner, fault)
    assert (turn.status, turn.kind, turn.answer) == ("interrupted", "interrupted", PARTIAL)


def test_one_turn_per_question_when_a_retry_succeeds_and_after_a_failure(tutor, fake: FakeOpenAI):
    services, learner = tutor
    fake.plan.extend(["rate_limit", "ok"])  # the first request is refused, its retry answers
    first = services.tutor.ask(QUESTION, learner_id=learner, conversation_id="c")
    assert first.kind == "answer" and fake.request_count == 2

    fake.set_fault("server_error")
    with pytest.raises(ModelUnavailableError):
        services.tutor.ask("How is hyperkalaemia treated in an emergency?", learner_id=learner, conversation_id="c")
    assert fake.request_count == 2 + RETRIES + 1

    fake.set_fault("ok")
    third = services.tutor.ask(QUESTION, learner_id=learner, conversation_id="c")
    assert third.kind == "answer"
    turns = _turns(services, learner, "c")
    assert [(t.status, t.kind) for t in turns] == [("complete", "answer"), ("error", "interrupted"), ("complete", "answer")]
    assert len({t.turn_id for t in turns}) == 3
    # the failed turn is not replayed to the model as conversation history
    history = [m.get("content") for m in fake.requests[-1]["messages"]]
    assert not any("How is hyperkalaemia treated" in str(c) for c in history)
