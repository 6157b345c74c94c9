"""Citations for anything that points into the curriculum: questions, case feedback, teaching points.

A :class:`Reference` names a source and optionally a section heading path (or the exact
chunk, for generated questions). It is resolved against the registry only: a reference
to a document or section the library does not hold is reported as unresolved and shown
as such, never replaced by a guess. Inside a section of several passages, the passage
that best supports a *focus* text (the keyed answer's explanation, the feedback being
cited) is the one cited: by the relevance judge's support probability, the same judge
that decides coverage for questions (by embedding closeness when the operator turned the
judge off).

Resolved citations are cached by (references, focus); the cache is dropped whenever the
library's generation changes (a counter in library.db that every change bumps, so an
upload ingested by the job worker in another process is seen here too).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from tutor.content.questions.model import Question
from tutor.content.references import Reference
from tutor.domain import Citation
from tutor.index.embeddings import Embedder
from tutor.index.registry import ChunkRow, LibraryRegistry
from tutor.index.vector_store import ChromaIndex
from tutor.judge.model import RelevanceJudge, passage_text

_CACHE_SIZE = 1024

Resolved = tuple[tuple[Citation, ...], tuple[Reference, ...]]


class CurriculumLinks:
    def __init__(self, registry: LibraryRegistry, index: ChromaIndex, embedder: Embedder,
                 judge: RelevanceJudge | None = None):
        self._registry = registry
        self._index = index
        self._embedder = embedder
        self._judge = judge
        self._cache: OrderedDict[tuple[tuple[Reference, ...], str], Resolved] = OrderedDict()
        self._generation: int | None = None
        self._lock = threading.Lock()

    def citations(self, references: Sequence[Reference], focus: str) -> Resolved:
        """(citations numbered from 1, references that the library does not hold)."""
        key = (tuple(references), focus)
        generation = self._registry.generation()
        with self._lock:
            if generation != self._generation:
                self._cache.clear()
                self._generation = generation
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        citations: list[Citation] = []
        unresolved: list[Reference] = []
        for reference in references:
            row = self._resolve(reference, focus)
            if row is None:
                unresolved.append(reference)
            elif all(c.chunk_id != row.chunk.chunk_id for c in citations):
                chunk = row.chunk
                citations.append(Citation(
                    number=len(citations) + 1, source=chunk.source, section=chunk.section, page=chunk.page,
                    chunk_id=chunk.chunk_id, doc_title=row.doc_title, text=chunk.text,
                ))
        result = (tuple(citations), tuple(unresolved))
        with self._lock:
            if generation != self._generation:  # the library changed while this was resolved
                return result
            self._cache[key] = result
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def for_question(self, question: Question) -> Resolved:
        """A question's references, each resolved to the passage closest to its keyed answer."""
        key = question.correct_option
        return self.citations(question.references, f"{question.stem}\n{key.text}. {key.explanation}")

    def _resolve(self, reference: Reference, focus: str) -> ChunkRow | None:
        if reference.chunk_id:
            row = self._registry.chunk_rows([reference.chunk_id]).get(reference.chunk_id)
            if row is not None:
                return row
        rows = self._registry.chunk_rows_for_source(reference.source)
        if reference.section:
            rows = [row for row in rows if _same_section(row.chunk.section, reference.section)]
        if len(rows) <= 1:
            return rows[0] if rows else None
        if self._judge is not None:
            support = self._judge.support([focus] * len(rows), [passage_text(r.chunk.section, r.chunk.text) for r in rows])
            return rows[int(np.argmax(support))]
        target = self._embedder.embed_query(focus)
        stored = self._index.vectors([row.chunk.chunk_id for row in rows])
        scores = [float(np.asarray(stored[row.chunk.chunk_id]) @ target) if row.chunk.chunk_id in stored else -1.0 for row in rows]
        return rows[int(np.argmax(scores))]


def _same_section(section: str, wanted: str) -> bool:
    """Equal heading paths, or ``wanted`` is the tail of the path ("Management > Drugs")."""
    have = [part.strip().casefold() for part in section.split(">")]
    want = [part.strip().casefold() for part in wanted.split(">")]
    return have[-len(want):] == want
