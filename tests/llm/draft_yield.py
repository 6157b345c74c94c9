"""Kept drafts per document and time per kept draft on the configured chat model (not part of pytest).

    .venv/bin/python -m tests.llm.draft_yield            # the bundled local model, 3 drafts per document
    .venv/bin/python -m tests.llm.draft_yield --n 2 --json

Drafts from three bundled curriculum documents and from a PDF made from a fourth one
(headings drawn large, no outline, metadata title "(anonymous)": how an instructor's
export often looks), each in a scratch data folder, through the same service the
Question bank page calls. Prints, per document, drafts kept, the checks that discarded
the others, and seconds per kept draft.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from tests.accounts import DR_LEE
from tests.factories import make_pdf
from tutor.services import build_services
from tutor.settings import PROJECT_ROOT, Settings

DOCUMENTS = ["renal/acute-kidney-injury.md", "cardiology/heart-failure.md", "endocrinology/thyroid-disease.md"]
PDF_FROM = "respiratory/asthma-and-copd.md"


def _pdf_pages(markdown: str) -> list[tuple[str | None, str]]:
    """The document's ``##`` sections as PDF pages (heading, body)."""
    body = re.sub(r"^---.*?---\s*", "", markdown, flags=re.S)
    parts = re.split(r"^##\s+(.+)$", body, flags=re.M)
    return [(parts[i].strip(), re.sub(r"[#*_`]", "", parts[i + 1]).strip()) for i in range(1, len(parts) - 1, 2)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    curriculum = PROJECT_ROOT / "content" / "curriculum"
    scratch = Path(tempfile.mkdtemp(prefix="draft-yield-"))
    upload = scratch / "upload"
    upload.mkdir()
    pdf_name = "asthma-lecture.pdf"
    (upload / pdf_name).write_bytes(make_pdf(_pdf_pages((curriculum / PDF_FROM).read_text()), title="(anonymous)",
                                             outline=False))
    services = build_services(Settings(data_dir=scratch / "data", content_dir=curriculum))
    assert services.ingest_bundled_content().ok
    services.ingestor.ingest_paths([upload])
    rows = []
    for source in [*DOCUMENTS, pdf_name]:
        started = time.monotonic()
        report = services.questions.draft(DR_LEE, source, args.n)
        rows.append({
            "source": source, "asked": args.n, "kept": len(report.kept),
            "discarded": [f"{r.failed.name}: {r.failed.detail[:90]}" for r in report.rejected],
            "kept_questions": [{"stem": q.stem, "key": q.options[q.letters.index(q.answer)].text,
                                "options": [o.text for o in q.options]} for q in report.kept],
            "seconds": round(time.monotonic() - started, 1),
            "seconds_per_kept": None if not report.kept else round(report.seconds / len(report.kept), 1),
        })
        if not args.json:
            print(json.dumps(rows[-1]), flush=True)
    kept = sum(r["kept"] for r in rows)
    total = sum(r["seconds"] for r in rows)
    summary = {"documents": len(rows), "asked": args.n * len(rows), "kept": kept, "seconds": round(total, 1),
               "seconds_per_kept": round(total / kept, 1) if kept else None,
               "model": services.settings.local_model, "rows": rows}
    print(json.dumps(summary if args.json else {k: v for k, v in summary.items() if k != "rows"}))


if __name__ == "__main__":
    main()
