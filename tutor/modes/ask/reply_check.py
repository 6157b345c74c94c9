"""What the model wrote, checked before a student sees it.

Socratic hints that give the answer away are replaced by hints code writes; citation
markers outside the evidence are removed and counted; markup and links are stripped;
then every statement is read by the relevance judge against the passage it cites
(:mod:`tutor.agent.support`): unsupported ones are marked for the student, and a reply
whose statements are mostly unsupported is not shown as an answer at all (the honest
"not covered" with related reading instead, or, where the instructor allows it, a
labelled general-knowledge reply). The "Check it" quotes are the passage sentences the
judge chose. Pure apart from the two models it is handed.
"""

from __future__ import annotations

import re

import numpy as np

from tutor.agent.citations import MARKER, CheckedAnswer, check_citations, split_sentences
from tutor.agent.hint_ladder import Ladder
from tutor.agent.output_filter import safe_markdown
from tutor.agent.support import check_support
from tutor.agent.tutor_agent import passage_label
from tutor.domain import Answer, Citation, SearchHit
from tutor.index.embeddings import Embedder
from tutor.judge.model import RelevanceJudge
from tutor.llm.prompts import NO_ANSWER, NOT_COVERED_ANSWER
from tutor.modes.ask.socratic_rungs import (
    code_written_hint, states_the_answer, verbatim_answer, with_attempt_note, with_key_sentence,
)
from tutor.settings import Settings

_SAYS_NOT_COVERED = re.compile(r"(?:course )?material does not cover|not (?:covered|in) (?:by )?the (?:provided |course )?(?:material|passages)", re.I)
_GIVEAWAY_SIMILARITY = 0.8  # a hint sentence this close to a passage sentence states the answer
MIN_SUPPORTED_SHARE = 0.5  # below this share of supported statements a reply is not shown as an answer
_RELATED = 3  # passages offered as related reading when the tutor declines
# "This is stated in passage [1]." after a statement: the marker belongs to the statement, the words to nobody
_WHERE_STATED = re.compile(
    r"\.\s+(?:this|that|it)\s+(?:is|was)\s+(?:stated|mentioned|described|explained|shown|given)\s+in\s+(?:the\s+)?"
    r"(?:passages?|course material|material|text)\s*((?:\[\d+\]\s*,?\s*)*)\.", re.IGNORECASE)


def without_passage_frames(reply: str, ledger: list[SearchHit]) -> str:
    """The reply without echoes of the prompt's passage frames: a passage's label line, ``<<<`` and ``>>>``."""
    labels = {passage_label(hit) for hit in ledger}
    kept = []
    for line in reply.splitlines():
        bare = MARKER.sub("", line).strip()
        if bare in ("<<<", ">>>") or bare in labels:
            continue
        kept.append(line.replace("<<<", "").replace(">>>", ""))
    return "\n".join(kept)


def without_where_stated(reply: str) -> str:
    """Fold "This is stated in passage [n]." into the statement before it (its marker kept)."""
    return _WHERE_STATED.sub(lambda m: f" {' '.join(m.group(1).split())}." if m.group(1).strip() else ".", reply)


class ReplyCheck:
    """Turns the model's reply into the :class:`Answer` the student sees."""

    def __init__(self, *, embedder: Embedder, settings: Settings, judge: RelevanceJudge | None):
        self._embedder, self._settings, self._judge = embedder, settings, judge

    def __call__(self, reply: str, ledger: list[SearchHit], ladder: Ladder | None, general_knowledge: bool,
                 base: dict, hints_so_far: list[str] = (), *, model: str = "", embed: "MemoEmbed | None" = None) -> Answer:
        """The reply as the student will see it (or what replaces it), with its citations, quotes and support.
        Pass the answer's ``embed`` memo when its passages' sentences were already embedded (the evidence)."""
        if general_knowledge:
            return Answer(text=safe_markdown(reply), grounded=False, kind="general_knowledge", model=model, **base)
        if not reply.strip():
            return Answer(text=NO_ANSWER, grounded=False, kind="unsupported", model=model, **base)
        if _SAYS_NOT_COVERED.search(reply):
            return Answer(text=NOT_COVERED_ANSWER, grounded=False, kind="not_covered", model=model,
                          related=related_reading(ledger), **base)

        embed = embed or MemoEmbed(self._embedder)  # every check of one answer shares its passage vectors
        hinting = ladder is not None and not ladder.revealed
        relevance = self._judge.relevance if self._judge is not None else None
        if hinting and (_gives_answer_away(reply, ledger, embed) or _repeats(reply, hints_so_far)
                        or states_the_answer(reply, ladder.question, ledger, embed, relevance)):
            return code_written_hint(ladder, ledger, embed, relevance, model=model, **base)
        checked: CheckedAnswer = check_citations(
            without_where_stated(without_passage_frames(reply, ledger)), ledger, embed, quote_min_similarity=self._settings.quote_min_similarity,
        )
        text, quotes, citations, support = safe_markdown(checked.text), checked.quotes, checked.citations, {}
        if self._judge is not None:
            judged = check_support(text, checked.citations, ledger, self._judge, embed)
            support = {"claims_checked": judged.checked, "unsupported": judged.unsupported}
            if not hinting and judged.checked and judged.supported_share < MIN_SUPPORTED_SHARE:
                if ladder is not None:  # a reveal after hints from the material: its own words, not "not covered"
                    return verbatim_answer(ladder.question, ledger, embed, relevance, model=model, **support, **base)
                if self._settings.allow_general_knowledge:  # the instructor allows it: shown, labelled, not grounded
                    return Answer(text=MARKER.sub("", judged.text), grounded=False, kind="general_knowledge",
                                  model=model,
                                  removed_citations=checked.removed, **support, **base)
                return Answer(text=NOT_COVERED_ANSWER, grounded=False, kind="not_covered", model=model,
                              related=related_reading(ledger), removed_citations=checked.removed, **support, **base)
            text, citations, quotes = judged.text, judged.citations, judged.quotes
        if hinting:
            early = ladder.rung == 0  # the guiding question must not point at the passage that holds the answer
            return Answer(
                text=with_attempt_note(text, ladder, ledger, embed, relevance), grounded=True, kind="hint", hint_level=ladder.rung, model=model,
                citations=() if early else citations, removed_citations=checked.removed, **support, **base,
            )
        if not citations:
            return Answer(text=text, grounded=False, kind="unsupported", removed_citations=checked.removed,
                          model=model, **support, **base)
        if ladder is not None:  # the reveal: it must hold what the strong hint blanked out
            text, citations, quotes = with_key_sentence(ladder.question, ledger, text, citations, quotes, embed,
                                                        relevance)
        return Answer(
            text=text, grounded=True, kind="answer", citations=citations, quotes=quotes,
            removed_citations=checked.removed, hint_level=ladder.rung if ladder else None, model=model,
            **support, **base,
        )


def related_reading(hits: list[SearchHit] | tuple[SearchHit, ...]) -> tuple[Citation, ...]:
    """The nearest passages, offered as reading when the tutor declines (never as the answer's evidence)."""
    return tuple(Citation.of(n, h) for n, h in enumerate(list(hits)[:_RELATED], 1))


class MemoEmbed:
    """Embeds each distinct sentence once per answer, however many checks ask for it."""

    def __init__(self, embedder: Embedder):
        self._embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self._embedder.embed_documents(missing)))
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, self._embedder.dim))


def _repeats(reply: str, earlier: list[str]) -> bool:
    """The hint says what an earlier hint of the thread said (a ladder must climb)."""
    said = " ".join(MARKER.sub("", reply).lower().split())
    return bool(said) and any(said == " ".join(MARKER.sub("", e).lower().split()) for e in earlier)


def _gives_answer_away(reply: str, ledger: list[SearchHit], embed: MemoEmbed) -> bool:
    """A hint states the answer when a non-question sentence nearly repeats a passage sentence."""
    statements = [s for s in split_sentences(reply) if not s.rstrip().endswith("?")]
    facts = [s for hit in ledger for s in split_sentences(hit.text)]
    if not statements or not facts:
        return False
    vectors = embed(statements + facts)
    similarity = vectors[: len(statements)] @ vectors[len(statements):].T
    return bool((similarity >= _GIVEAWAY_SIMILARITY).any())
