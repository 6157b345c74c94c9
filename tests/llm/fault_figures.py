"""Run each model fault once against the fake OpenAI-compatible server; print a Markdown table.

    python -m tests.llm.fault_figures

The real app (embedder, SQLite, Chroma, agent) is configured like an operator would
(``llm_provider=openai``, a base URL on 127.0.0.1) with a 1 s request timeout and 2
retries, and asks the mini curriculum's hyperkalaemia question once per fault. The
table is what the "Model faults" suite of docs/security.md quotes; the guarantees behind it
are asserted in ``tests/integration/test_model_faults.py``. Nothing leaves the machine.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from tests.fake_openai import FakeOpenAI
from tests.network import loopback_only
from tests.markdown_files import write_mini_curriculum
from tutor.domain import Answer
from tutor.errors import TutorError
from tutor.index.embeddings import MiniLMOnnxEmbedder
from tutor.services import build_services
from tutor.settings import Settings

QUESTION = "What is the emergency treatment for a dangerously high potassium?"
TIMEOUT_S = 1.0
RETRIES = 2

FAULTS = [
    ("ok", "none (normal streamed answer)"),
    ("rate_limit", "429 with `Retry-After: 1`"),
    ("server_error", "500"),
    ("unauthorized", "401"),
    ("stall", "no answer within the timeout"),
    ("malformed", "malformed SSE event (invalid JSON)"),
    ("drop_midway", "stream dropped after 3 chunks"),
    ("stall_midway", "stream stalls after 3 chunks"),
    ("truncated", "stream ends early (no finish_reason, no `[DONE]`)"),
]


def main() -> None:
    logging.disable(logging.WARNING)
    embedder = MiniLMOnnxEmbedder()
    embedder.load()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, loopback_only():
        fake = FakeOpenAI(stall_s=TIMEOUT_S * 20).start()
        try:
            settings = Settings(
                data_dir=Path(tmp) / "data", content_dir=write_mini_curriculum(Path(tmp) / "curriculum"),
                llm_provider="openai", openai_base_url=fake.base_url, openai_api_key="test",
                request_timeout_s=TIMEOUT_S, llm_max_retries=RETRIES,
            )
            services = build_services(settings, embedder=embedder)
            services.ingest_bundled_content()
            learner = services.progress.ensure_learner("ada").id
            for fault, label in FAULTS:
                fake.reset()
                fake.set_fault(fault)  # type: ignore[arg-type]
                started = time.monotonic()
                try:
                    answer: Answer = services.tutor.ask(QUESTION, learner_id=learner, conversation_id=fault)
                    if answer.kind == "interrupted":
                        saw = f"the partial answer, marked interrupted: “{answer.text}”"
                    else:
                        saw = f"{answer.kind} ({len(answer.citations)} citation(s)): “{answer.text[:45]}…”"
                except TutorError as exc:
                    saw = exc.user_message
                elapsed = time.monotonic() - started
                turns = services.progress.chat_history(learner, fault)
                stored = ", ".join(f"{t.status}/{t.kind}" for t in turns)
                rows.append((label, saw, f"{elapsed:.1f}", str(fake.request_count), f"{len(turns)} ({stored})"))
        finally:
            fake.stop()

    print(f"Request timeout {TIMEOUT_S:g} s, {RETRIES} retries (`TUTOR_REQUEST_TIMEOUT_S`, `TUTOR_LLM_MAX_RETRIES`).\n")
    print("| Fault | What the student saw | Time to give up (s) | Requests the server received | Chat turns stored |")
    print("|---|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")


if __name__ == "__main__":
    main()
