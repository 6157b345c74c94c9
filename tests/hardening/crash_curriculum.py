"""The curriculum the crash-consistency harness ingests, in two versions.

Version A is some files of the bundled curriculum plus generated Markdown files and
PDFs (reportlab), so the run takes a few seconds and goes through both loaders.
Version B is A with files changed (sections appended, so old chunks stay and new ones
come; one file rewritten, so most of its chunks go stale; a PDF with a page more), two
files removed and one added: re-ingesting B over A exercises the changed-file, the
delete-stale and the removed-document paths. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.factories import make_pdf
from tests.markdown_files import BUNDLED_CURRICULUM, write_markdown

@dataclass(frozen=True)
class Size:
    """How much curriculum: bundled files copied, generated Markdown files and PDFs."""

    bundled: int
    generated: int
    pdfs: int


QUICK = Size(bundled=0, generated=4, pdfs=1)
FULL = Size(bundled=22, generated=8, pdfs=2)

_TOPICS = ["Sepsis", "Asthma", "Anaemia", "Stroke", "Pneumonia", "Gout", "Migraine", "Cirrhosis",
           "Pancreatitis", "Epilepsy", "Psoriasis", "Glaucoma"]


def _paragraph(rng: random.Random, topic: str, n: int) -> str:
    words = ["assessment", "treatment", "diagnosis", "monitoring", "complication", "examination", "history",
             "investigation", "referral", "prognosis", "dose", "response", "risk", "guideline", "patient"]
    sentences = [f"In {topic.lower()} the {rng.choice(words)} of {rng.choice(words)} guides the "
                 f"{rng.choice(words)} and {rng.choice(words)} (note {n}.{i})." for i in range(rng.randint(6, 10))]
    return " ".join(sentences)


def _generated_markdown(folder: Path, rng: random.Random, number: int, version: int = 0) -> None:
    topic = _TOPICS[number % len(_TOPICS)]
    sections = "\n\n".join(
        f"## {topic} part {s}\n\n{_paragraph(rng, topic, s)}\n\n{_paragraph(rng, topic, s + 100)}" for s in range(4)
    )
    extra = f"\n\n## Revision {version}\n\n{_paragraph(rng, topic, 900 + version)}" if version else ""
    write_markdown(folder, f"generated/{topic.lower()}.md", f"# {topic}\n\n{sections}{extra}",
                   title=topic, module="Generated")


def _generated_pdf(folder: Path, rng: random.Random, number: int, version: int = 0) -> None:
    topic = f"Pharmacology {number}"
    pages = [(f"{topic} chapter {p}", "\n\n".join(_paragraph(rng, topic, p * 10 + q) for q in range(3)))
             for p in range(4 + version)]
    path = folder / "pdf" / f"pharmacology-{number}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(make_pdf(pages, title=topic))


def write_versions(root: Path, size: Size, seed: int = 7) -> tuple[Path, Path]:
    """Two versions of one curriculum: A, and B = A with files changed, removed and added."""
    version_a, version_b = root / "A", root / "B"
    bundled = sorted(p for p in BUNDLED_CURRICULUM.rglob("*") if p.is_file())[: size.bundled]
    for path in bundled:
        target = version_a / path.relative_to(BUNDLED_CURRICULUM)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for number in range(size.generated):
        _generated_markdown(version_a, random.Random(seed + number), number)
    for number in range(size.pdfs):
        _generated_pdf(version_a, random.Random(seed + 1000 + number), number)

    shutil.copytree(version_a, version_b)
    # Changed: a section appended to two generated files (their old chunks stay, new ones come) and
    # one generated file rewritten (most chunks stale); a PDF gets a page more.
    for number in range(min(2, size.generated)):
        _generated_markdown(version_b, random.Random(seed + number), number, version=1)
    if size.generated > 2:
        _generated_markdown(version_b, random.Random(seed + 500), 2)
    if size.pdfs:
        _generated_pdf(version_b, random.Random(seed + 1000), 0, version=1)
    # Removed: the last generated file and the last bundled one. Added: one new file.
    if size.generated > 3:
        topic = _TOPICS[(size.generated - 1) % len(_TOPICS)].lower()
        (version_b / "generated" / f"{topic}.md").unlink()
    if bundled:
        (version_b / bundled[-1].relative_to(BUNDLED_CURRICULUM)).unlink()
    _generated_markdown(version_b, random.Random(seed + 777), len(_TOPICS) - 1)
    return version_a, version_b
