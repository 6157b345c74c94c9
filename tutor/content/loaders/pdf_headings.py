"""Headings of a PDF that has no outline, read from how its text is drawn.

Most lecture handouts and exported slides carry no bookmarks, so every passage of such a
PDF had a page number but no section, and a PDF whose metadata title was "(anonymous)"
was shown to students under that name. Their headings are still plain to a reader:
larger than the body text, or a short bold line on its own. pypdf reports the font and
the size of every run of text it extracts (``visitor_text``); this module takes:

* the **body size** as the size that draws most of the document's characters;
* a **heading** as a run at least :data:`HEADING_RATIO` times that size, or a bold run
  that is a whole line of at most :data:`MAX_HEADING_CHARS` characters not ending in a
  full stop;
* the heading **level** from its size (the largest heading size is level 1).

Pure functions over the runs, so they are tested without building PDFs; the loader
(:mod:`tutor.content.loaders.pdf`) feeds them and splits pages at the headings.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

HEADING_RATIO = 1.15
MAX_HEADING_CHARS = 120
_GENERIC_TITLES = frozenset({
    "", "untitled", "(anonymous)", "anonymous", "document", "untitled document", "presentation",
    "powerpoint presentation", "slide 1", "title", "no title", "(untitled)",
})
_FILE_LIKE = re.compile(r"^(?:microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pptx?|pdf|odt|tex|rtf))$", re.I)


@dataclass(frozen=True)
class Run:
    text: str
    size: float
    bold: bool


def is_generic_title(title: str | None) -> bool:
    """A metadata title that names nothing: empty, a placeholder, or a file name."""
    text = " ".join((title or "").split()).casefold()
    return text in _GENERIC_TITLES or bool(_FILE_LIKE.match(text))


def body_size(runs: list[Run]) -> float | None:
    counts: Counter[float] = Counter()
    for run in runs:
        counts[round(run.size, 1)] += len(run.text.strip())
    return counts.most_common(1)[0][0] if counts else None


def headings(runs: list[Run], body: float | None, page_lines: set[str]) -> list[tuple[str, float]]:
    """(heading text, size) for the runs of one page that are headings, in reading order.

    ``page_lines`` are the page's extracted lines: a bold run counts only when it is a whole
    line (a bold word inside a sentence is emphasis, not a heading).
    """
    if body is None:
        return []
    found: list[tuple[str, float]] = []
    for run in runs:
        text = " ".join(run.text.split())
        if not text or len(text) > MAX_HEADING_CHARS or not re.search(r"[A-Za-z]", text):
            continue
        large = run.size >= body * HEADING_RATIO
        bold_line = run.bold and text in page_lines and not text.endswith((".", ",", ";"))
        if large or bold_line:
            size = run.size if large else body * (HEADING_RATIO - 0.01)  # a bold line ranks below any larger heading
            if found and found[-1][1] == size and text not in page_lines:  # one heading drawn in several runs
                found[-1] = (f"{found[-1][0]} {text}", size)
            else:
                found.append((text, size))
    return found


def levels(sizes: list[float]) -> dict[float, int]:
    """Heading size -> level (1 for the largest)."""
    return {size: level for level, size in enumerate(sorted(set(sizes), reverse=True), start=1)}
