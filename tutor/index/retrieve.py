"""Retrieval: a question in, cited passages and a coverage verdict out.

Dense search over the Chroma index, optionally fused with SQLite FTS5 (BM25) by
reciprocal rank fusion when ``hybrid_search`` is on. Every candidate is joined with
the registry, so only passages the library really holds can come back, with their
source, section and page read from SQLite.

Closeness is not an answer: a neighbouring disease's page is close too. So the first
``rerank_candidates`` of that ranking go to the relevance judge (:mod:`tutor.judge`), a
cross-encoder that reads question and passage together, and ``score`` is its probability
that the passage answers the question. The hits keep the hybrid order unless
``rerank_by_judge`` is on (measured: the judge's order lowered recall@1 on the bundled
evaluation, so it is off by default). A hit is
``relevant`` when the calibrated coverage rule of ``judge.json`` says it answers (the
judge's probability read with the cosine, how far it stands out from the other candidates
and whether the library knows the question's rare words at all: :mod:`tutor.judge.coverage`),
and the question is covered when some hit is. Every feature reads that one verdict
(``SearchResult.covered`` and ``hit.relevant``). With the judge turned off by the operator
(``TUTOR_RELEVANCE_JUDGE=false``), ``score`` is the cosine similarity and the cosine
``relevance_threshold`` decides, as before; there is no silent fall-back from one to the
other: a broken judge file stops search with a configuration error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tutor.domain import SearchHit, SearchResult
from tutor.errors import InvalidQuery
from tutor.index.embeddings import Embedder
from tutor.index.registry import ChunkRow, LibraryRegistry
from tutor.index.vector_store import ChromaIndex
from tutor.judge.coverage import candidate_features, content_terms, unseen_share
from tutor.judge.model import RelevanceJudge, passage_text
from tutor.settings import Settings

MAX_QUERY_CHARS = 2000
FILTER_KEYS = ("course", "module", "source", "doc_id")
RRF_K = 60  # the constant from Cormack et al.; robust across collections


def chroma_where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Translate ``{"module": "Cardiology"}`` into Chroma's where syntax."""
    if not filters:
        return None
    unknown = set(filters) - set(FILTER_KEYS)
    if unknown:
        raise InvalidQuery(f"Unknown search filter: {', '.join(sorted(unknown))}.")
    clauses = [{key: {"$eq": value}} for key, value in filters.items() if value not in (None, "")]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _matches(row: ChunkRow, filters: dict[str, Any] | None) -> bool:
    if not filters:
        return True
    values = {"course": row.course, "module": row.module, "source": row.chunk.source, "doc_id": row.chunk.doc_id}
    return all(value in (None, "") or values[key] == value for key, value in filters.items())


def _keeping_answers(hits: list[SearchHit], k: int) -> tuple[SearchHit, ...]:
    """The first ``k`` hits, except that a deeper hit the rule says answers takes the place of the
    lowest one that does not: what the tutor cites and the Search page shows agree with the verdict."""
    shown = list(range(min(k, len(hits))))
    for deeper in (i for i in range(len(shown), len(hits)) if hits[i].relevant):
        spare = next((j for j in reversed(range(len(shown))) if not hits[shown[j]].relevant), None)
        if spare is None:
            break
        shown[spare] = deeper
    return tuple(hits[i] for i in sorted(shown))


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = RRF_K) -> list[str]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank + 1)
    return sorted(scores, key=lambda item: -scores[item])


class Retriever:
    def __init__(self, registry: LibraryRegistry, index: ChromaIndex, embedder: Embedder, settings: Settings,
                 judge: RelevanceJudge | None = None):
        self.registry = registry
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.judge = judge

    def search(self, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> SearchResult:
        query = (query or "").strip()
        if not query:
            raise InvalidQuery("Please type something to search for.")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidQuery(f"Please shorten the question to under {MAX_QUERY_CHARS} characters.")
        k = k or self.settings.search_k
        rows, similarity = self._candidates(query, k, filters)
        if self.judge is None:
            threshold = self.settings.relevance_threshold
            hits = tuple(self._hit(row, similarity[row.chunk.chunk_id], similarity[row.chunk.chunk_id],
                                   similarity[row.chunk.chunk_id] >= threshold) for row in rows)
            return SearchResult(query=query, hits=hits, threshold=threshold, covered=any(h.relevant for h in hits))
        probabilities, cosines, features = self._judge(query, rows, similarity)
        answers = self.judge.coverage.answering(features)
        order = list(range(len(rows)))
        if self.settings.rerank_by_judge:
            order.sort(key=lambda i: (-round(float(probabilities[i]), 4), i))
        hits = [self._hit(rows[i], float(probabilities[i]), cosines[i], bool(answers[i])) for i in order]
        # The verdict reads every judged candidate; a passage that answers is never cut from the top k.
        return SearchResult(query=query, hits=_keeping_answers(hits, k), threshold=self.judge.coverage.threshold,
                            covered=any(h.relevant for h in hits), judged=True)

    def judged_candidates(self, query: str) -> np.ndarray:
        """The coverage rule's feature rows for every candidate the judge reads, exactly as
        :meth:`search` computes them (for fitting the rule: ``tutor judge-calibrate``)."""
        if self.judge is None:
            raise ValueError("the relevance judge is turned off")
        query = query.strip()
        rows, similarity = self._candidates(query, self.settings.search_k, None)
        return self._judge(query, rows, similarity)[2]

    def _candidates(self, query: str, k: int, filters: dict[str, Any] | None) -> tuple[list[ChunkRow], dict[str, float]]:
        """Dense (and lexical) candidates joined with the registry, in fused order, with their cosines."""
        where = chroma_where(filters)
        vector = self.embedder.embed_query(query)
        pool = max(4 * k, 20, self.settings.rerank_candidates if self.judge else 0)
        dense = self.index.query(vector, pool, where)
        similarity = dict(dense)
        ranking = [cid for cid, _ in dense]
        if self.settings.hybrid_search:
            lexical = [cid for cid, _ in self.registry.lexical_search(query, pool)]
            ranking = reciprocal_rank_fusion([ranking, lexical])
        rows = self.registry.chunk_rows(ranking)
        depth = max(k, self.settings.rerank_candidates) if self.judge else k
        ranking = [cid for cid in ranking if cid in rows and _matches(rows[cid], filters)][:depth]
        self._fill_similarity(vector, [cid for cid in ranking if cid not in similarity], similarity)
        # A lexical hit whose vector is missing (a `tutor reindex` killed after the drop; the next
        # ingest or reindex restores it) has no score on the calibrated scale: leave it out, never crash.
        return [rows[cid] for cid in ranking if cid in similarity], similarity

    def _judge(self, query: str, rows: list[ChunkRow], similarity: dict[str, float]):
        """(probabilities, cosines, coverage-rule features) of the candidates."""
        probabilities = self.judge.relevance(query, [passage_text(r.chunk.section, r.chunk.text) for r in rows])
        cosines = [similarity[r.chunk.chunk_id] for r in rows]
        features = candidate_features(probabilities, cosines, self.unseen(query), lead_over=self.settings.rerank_candidates)
        return probabilities, cosines, features

    def unseen(self, query: str) -> float:
        """Share of the question's rare-word weight that no passage of the library contains."""
        passages, counts = self.registry.term_counts(content_terms(query))
        return unseen_share(counts, passages)

    def _fill_similarity(self, vector: np.ndarray, ids: list[str], similarity: dict[str, float]) -> None:
        """Cosine scores for lexical-only hits from their stored vectors, so every score means the same."""
        for cid, stored in self.index.vectors(ids).items():
            similarity[cid] = float(stored @ vector)

    @staticmethod
    def _hit(row: ChunkRow, score: float, cosine: float, relevant: bool) -> SearchHit:
        chunk = row.chunk
        return SearchHit(
            source=chunk.source, section=chunk.section, page=chunk.page, chunk_id=chunk.chunk_id,
            score=round(score, 4), text=chunk.text, doc_title=row.doc_title, module=row.module,
            similarity=round(cosine, 4), relevant=relevant,
        )
