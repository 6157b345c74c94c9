"""PubMedQA (PQA-L) as a retrieval corpus: one document per abstract.

Each item's abstract paragraphs become one Markdown document named ``<pmid>.md``,
with the paragraph labels (BACKGROUND, METHODS, ...) as sections. The question is
left out of the document (it is the abstract's title, and keeping it would make
retrieval trivial). Each item's question is then asked and its own document is the
expected source.
"""

from __future__ import annotations

import json
from pathlib import Path

from tutor.evaluation.retrieval import EvalQuestion


def write_corpus(pqal_json: Path, out_dir: Path, *, limit: int | None = None) -> list[EvalQuestion]:
    items = json.loads(Path(pqal_json).read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    questions = []
    for pmid, item in list(items.items())[:limit]:
        lines = [f"# PubMed {pmid}", ""]
        for label, paragraph in zip(item["LABELS"], item["CONTEXTS"]):
            lines += [f"## {label.title()}", "", paragraph, ""]
        (out_dir / f"{pmid}.md").write_text("\n".join(lines), encoding="utf-8")
        questions.append(EvalQuestion(question=item["QUESTION"], expected_source=f"{pmid}.md"))
    return questions
