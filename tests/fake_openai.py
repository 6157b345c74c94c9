"""A fake OpenAI-compatible chat server on 127.0.0.1 that can be told to misbehave.

It serves ``POST /v1/chat/completions`` the way OpenAI, vLLM or llama.cpp do
(streamed ``data: {...}`` chunks ending in ``data: [DONE]``, or one JSON body) and,
per request, injects a fault: 429 or 503 with ``Retry-After: 1``, 500, 401, a stall longer
than the client's timeout (before the headers or mid-stream), a stream dropped
midway (HTTP/1.1 chunked body cut off without its terminating chunk), a stream
that ends cleanly but early (no ``finish_reason``, no ``[DONE]``: what a dropped
HTTP/1.0 or proxied connection looks like), or a malformed SSE event. The real app is pointed at it the way an operator would, by
``TUTOR_OPENAI_BASE_URL``; it is the fault-injection seam for suite 6 ("Model
faults") and for ``python -m tests.llm.fault_figures``.

Every error body carries :data:`RAW_BODY_MARKER`, so a test can prove that no raw
server response leaks into what a student sees.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, Literal


Fault = Literal["ok", "rate_limit", "unavailable", "server_error", "unauthorized", "stall", "stall_midway", "drop_midway", "malformed",
                "truncated"]
FAULTS: tuple[Fault, ...] = ("rate_limit", "unavailable", "server_error", "unauthorized", "stall", "stall_midway", "drop_midway", "malformed")

RAW_BODY_MARKER = "FAKE-SERVER-RAW-BODY-7f3a"
GOOD_ANSWER = (
    "Give calcium gluconate to stabilise the cardiac membrane [1]. "
    "Insulin with glucose shifts potassium into cells [1]."
)
PARTIAL_CHUNKS = 8  # chunks (words) sent before a stream is dropped or stalls midway


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


class FakeOpenAI:
    """The server, its per-request fault plan and what it received.

    ``plan`` is consumed one fault per request; when it is empty ``default`` applies.
    """

    def __init__(self, *, answer: str = GOOD_ANSWER, stall_s: float = 30.0, word_delay_s: float = 0.0):
        self.answer = answer
        self.stall_s = stall_s
        self.word_delay_s = word_delay_s  # a pause before each streamed word: a model generating at its pace
        self.disconnects = 0  # streams the client closed before the end (a cancelled answer)
        self.in_flight = self.max_in_flight = 0
        self.default: Fault = "ok"
        self.plan: deque[Fault] = deque()
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._release = threading.Event()  # set at shutdown so stalled handlers end at once
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # a client that hung up is not news
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    # -- control ---------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def set_fault(self, fault: Fault) -> None:
        """Answer every following request with ``fault``."""
        self.default = fault
        self.plan.clear()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
        self.set_fault("ok")

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next_fault(self, body: dict) -> Fault:
        with self._lock:
            self.requests.append(body)
            return self.plan.popleft() if self.plan else self.default

    # -- the HTTP side -------------------------------------------------------------
    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked streaming, so a cut-off body is detectable

            def log_message(self, format, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": f"{RAW_BODY_MARKER} no route {self.path}"}})
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                fault = fake._next_fault(body)
                with fake._lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    self._serve(fault, body)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    with fake._lock:  # the client gave up first: that is the point of a stall, or a cancel
                        fake.disconnects += 1
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def _serve(self, fault: Fault, body: dict) -> None:
                if fault == "rate_limit":
                    self._json(429, _error("Rate limit reached", "rate_limit_exceeded"), {"Retry-After": "1"})
                elif fault == "unavailable":  # a fleet's proxy with every backend busy, or one still loading
                    self._json(503, _error("Service unavailable", "overloaded"), {"Retry-After": "1"})
                elif fault == "server_error":
                    self._json(500, _error("Internal server error", "server_error"))
                elif fault == "unauthorized":
                    self._json(401, _error("Incorrect API key provided", "invalid_api_key"))
                elif fault == "stall":
                    fake._release.wait(fake.stall_s)  # then answer, long after the client's timeout
                    self._json(200, _completion(fake.answer, body))
                elif not body.get("stream"):
                    self._json(200, _completion(fake.answer, body))
                else:
                    self._stream(fault, body)

            def _stream(self, fault: Fault, body: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                model = body.get("model", "fake-model")
                if fault == "malformed":
                    self._chunk(f'data: {{"id": "x", "choices": [{{"delta": {{"content": "{RAW_BODY_MARKER}\n\n')
                    self._chunk("data: [DONE]\n\n")
                    self._end()
                    return
                pieces = _pieces(fake.answer)
                for i, piece in enumerate(pieces):
                    if i == PARTIAL_CHUNKS and fault == "drop_midway":
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)  # no terminating chunk: a cut-off body
                        self.close_connection = True
                        return
                    if i == PARTIAL_CHUNKS and fault == "truncated":
                        self._end()  # a well-formed body that simply stops: no finish_reason, no [DONE]
                        return
                    if i == PARTIAL_CHUNKS and fault == "stall_midway":
                        fake._release.wait(fake.stall_s)
                    if fake.word_delay_s:
                        time.sleep(fake.word_delay_s)
                    delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                    self._event(_chunk_obj(model, delta, None))
                self._event(_chunk_obj(model, {}, "stop"))
                self._chunk("data: [DONE]\n\n")
                self._end()

            def _event(self, obj: dict) -> None:
                self._chunk(f"data: {json.dumps(obj)}\n\n")

            def _chunk(self, text: str) -> None:
                data = text.encode()
                self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _end(self) -> None:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _json(self, status: int, obj: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

        return Handler


def _error(message: str, code: str) -> dict:
    return {"error": {"message": f"{message} ({RAW_BODY_MARKER})", "type": code, "code": code}}


def _chunk_obj(model: str, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(text: str, body: dict) -> dict:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@contextmanager
def fake_openai(**kwargs) -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(**kwargs).start()
    try:
        yield server
    finally:
        server.stop()
