"""The tutor's chat turns: questions and answers with their citations, stored once.

Part of :class:`tutor.progress.store.ProgressStore`.
"""

from __future__ import annotations

import json
from typing import Any

from tutor.clock import to_iso
from tutor.domain import Citation, EvidenceQuote, Quote
from tutor.progress.records import ChatTurn
from tutor.progress.rows import (
    dumps as _dumps,
    latest_oldest_first as _latest_oldest_first,
    record as _record,
    UNKNOWN_LEARNER_OR_COURSE as _UNKNOWN_LEARNER_OR_COURSE,
)


class ChatTurnRecords:
    """The chat turns part of the progress store (a mixin of ``ProgressStore``)."""

    def record_chat_turn(self, turn: ChatTurn) -> bool:
        """Store a chat turn; False when its ``turn_id`` was already stored (the first write wins)."""
        with self._write(fk_message=_UNKNOWN_LEARNER_OR_COURSE) as db:
            created_at = to_iso(turn.created_at) if turn.created_at else self._stamp()
            cursor = db.execute(
                "INSERT INTO chat_turns (turn_id, learner_id, course_id, conversation_id, question, answer,"
                " citations_json, quotes_json, kind, grounded, mode, status, prompt_version, model, latency_ms,"
                " created_at, claims_checked, unsupported_json, related_json, evidence_json, first_text_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(turn_id) DO NOTHING",
                [
                    turn.turn_id,
                    turn.learner_id,
                    turn.course_id,
                    turn.conversation_id,
                    turn.question,
                    turn.answer,
                    _dumps([c.model_dump() for c in turn.citations]),
                    _dumps([q.model_dump() for q in turn.quotes]),
                    turn.kind,
                    int(turn.grounded),
                    turn.mode,
                    turn.status,
                    turn.prompt_version,
                    turn.model,
                    turn.latency_ms,
                    created_at,
                    turn.claims_checked,
                    _dumps(list(turn.unsupported)),
                    _dumps([c.model_dump() for c in turn.related]),
                    _dumps([e.model_dump() for e in turn.evidence]),
                    turn.first_text_ms,
                ],
            )
            return cursor.rowcount == 1

    def chat_history(
        self, learner_id: int, conversation_id: str | None = None, limit: int | None = 50
    ) -> list[ChatTurn]:
        """The latest ``limit`` chat turns of a learner (of one conversation if given), oldest-first."""
        where, params = ["learner_id = ?"], [learner_id]
        if conversation_id is not None:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        with self._read() as db:
            rows = _latest_oldest_first(db, "chat_turns", where, params, "created_at", limit)
            return [_chat_from_row(row) for row in rows]


def _chat_from_row(row: dict[str, Any]) -> ChatTurn:
    citations = tuple(Citation.model_validate(c) for c in json.loads(row.pop("citations_json")))
    quotes = tuple(Quote.model_validate(q) for q in json.loads(row.pop("quotes_json")))
    unsupported = tuple(json.loads(row.pop("unsupported_json", "[]")))
    related = tuple(Citation.model_validate(c) for c in json.loads(row.pop("related_json", "[]")))
    evidence = tuple(EvidenceQuote.model_validate(e) for e in json.loads(row.pop("evidence_json", "[]")))
    return _record(ChatTurn, {**row, "citations": citations, "quotes": quotes, "unsupported": unsupported,
                              "related": related, "evidence": evidence})
