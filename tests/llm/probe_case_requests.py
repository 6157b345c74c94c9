"""How the configured chat model sorts case requests the word and embedding matchers miss (not part of pytest).

    .venv/bin/python -m tests.llm.probe_case_requests            # the bundled local model
    TUTOR_LLM_PROVIDER=openai .venv/bin/python -m tests.llm.probe_case_requests   # a remote one

On the bundled STEMI case, in the investigations stage, each probe request goes first to
the matcher (words, then embeddings) exactly as in the app; only what it does not place is
sent to the model, through the same checks as in the app (schema of the case's keys, cited
words in the request). Prints each outcome, its time, and how many were right (an
answerable request must get exactly its finding, an unanswerable one nothing).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from tutor.modes.cases import machine
from tutor.services import build_services
from tutor.settings import Settings

PROBES = [  # (request, the finding it asks for, or None when the case does not hold it)
    ("Has his heart tracing been done?", "ecg"),
    ("What did the film of his chest show?", "chest-x-ray"),
    ("Any markers of heart muscle damage?", "troponin"),
    ("Is he on anything regularly from his GP?", "medications"),
    ("Does anyone in the family have heart trouble?", "risk-factors"),
    ("Is the pain worse when he breathes?", "pleuritic"),
    ("How are his kidneys?", "bloods"),
    ("What is his INR?", None),
    ("Has he had a CT scan of the aorta?", None),
    ("Tell me a joke", None),
]


def main() -> None:
    services = build_services(Settings(data_dir=Path(tempfile.mkdtemp()), case_model_requests=True))
    services.load_bundled_cases()
    case = services.case_library.get("cardiology-inferior-stemi")
    state = machine.opening(case)
    while machine.current_stage(case, state).id != "investigations":
        while machine.blocker(case, state):
            state, _ = machine.reveal(case, state, (), "words")
        state = machine.advance(case, state)
    allowed = machine.requestable(case, state)
    current = frozenset(f.key for f in machine.current_stage(case, state).findings)
    rows = []
    for request, expected in PROBES:
        began = time.perf_counter()
        match = services.cases._matcher.findings_for(request, allowed, current)
        keys, how = match.keys, match.how
        if not keys:
            keys, how = services.cases._model_keys(request, allowed), "model"
        rows.append({"request": request, "expected": expected, "got": list(keys), "by": how,
                     "seconds": round(time.perf_counter() - began, 1)})
        print(rows[-1], flush=True)
    right = sum(row["got"] == ([row["expected"]] if row["expected"] else []) for row in rows)
    print(json.dumps({"right": right, "of": len(rows)}))


if __name__ == "__main__":
    main()
