"""Ask: a student's question in, a checked answer out, every turn stored.

The flow is a fixed sequence in code; the model only phrases the reply:

1. validate (empty, too long) and screen for requests for clinical advice about a
   real patient (a referral, no model call);
2. retrieve passages for the question, reranked by the relevance judge; if none is
   judged to answer it, say the material does not cover it and offer the nearest
   passages as related reading (or, if the instructor allows it, answer from general
   knowledge, labelled and marked not grounded);
3. run the agent with those passages as its evidence and the task the code chose
   (explain, a Socratic hint rung, or the reveal);
4. check the reply: Socratic hints that give the answer away are replaced; citation
   markers outside the evidence or unsupported by it are removed and counted;
   markup and links are stripped; then every statement is read by the judge against
   the passage it cites (:mod:`tutor.agent.support`): unsupported ones are marked for
   the student, and a reply whose statements are mostly unsupported is not shown as an
   answer at all (the honest "not covered" with related reading instead); the "Check it"
   quotes are the passage sentences the judge chose;
5. store the turn (complete, or interrupted when the model failed mid-answer).

:meth:`AskService.stream` yields text as it arrives, five words behind the model so the
prompt-leak check can judge it before it is shown (and only where streaming cannot leak
an answer the ladder withholds), and finally the :class:`~tutor.domain.Answer`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cached_property

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
import numpy as np

from tutor.agent.citations import MARKER, CheckedAnswer, check_citations, split_sentences
from tutor.agent.hint_ladder import REVEAL, Ladder
from tutor.agent.output_filter import safe_markdown
from tutor.agent.scope_guard import asks_for_clinical_advice
from tutor.agent.support import UNSUPPORTED_MARK, check_support, without_unsupported
from tutor.agent.tutor_agent import TutorContext, build_tutor_agent, evidence_of
from tutor.content import phi_screen
from tutor.domain import Answer, Citation, Drafting, SearchHit
from tutor.errors import InvalidQuery
from tutor.index.embeddings import Embedder
from tutor.index.retrieve import Retriever
from tutor.judge.model import RelevanceJudge
from tutor.llm.factory import model_label
from tutor.llm.model_errors import model_failure
from tutor.llm.prompts import (
    EXPLAIN_TASK,
    NO_ANSWER,
    NOT_COVERED_ANSWER,
    PROMPT_VERSION,
    REFERRAL_ANSWER,
)
from tutor.modes.ask.socratic_rungs import (
    code_written_hint, states_the_answer, verbatim_answer, with_attempt_note, with_key_sentence,
)
from tutor.progress.conversations import ConversationStore, ConversationSummary
from tutor.progress.records import ChatTurn
from tutor.progress.store import ProgressStore
from tutor.settings import Settings

log = logging.getLogger(__name__)

_SAYS_NOT_COVERED = re.compile(r"(?:course )?material does not cover|not (?:covered|in) (?:by )?the (?:provided |course )?(?:material|passages)", re.I)
_GIVEAWAY_SIMILARITY = 0.8  # a hint sentence this close to a passage sentence states the answer
_HISTORY_TURNS = 2
_STEP_CAP_PREFIX = "Model call limits exceeded"  # what ModelCallLimitMiddleware says when it stops the agent
MIN_SUPPORTED_SHARE = 0.5  # below this share of supported statements a reply is not shown as an answer
_RELATED = 3  # passages offered as related reading when the tutor declines


class AskService:
    def __init__(
        self,
        *,
        retriever: Retriever,
        embedder: Embedder,
        progress: ProgressStore,
        settings: Settings,
        chat_model: Callable[[], BaseChatModel],
        conversations: ConversationStore,
        judge: RelevanceJudge | None = None,
    ):
        self.judge = judge
        self._conversations = conversations
        self.retriever = retriever
        self.embedder = embedder
        self.progress = progress
        self.settings = settings
        self._chat_model = chat_model

    @cached_property
    def model(self) -> BaseChatModel:
        """Built on first use: starting the local model takes seconds, and search needs none."""
        return self._chat_model()

    @property
    def model_loaded(self) -> bool:
        return "model" in self.__dict__

    def warm_up(self) -> str:
        """Build (for the local model: start) the chat model now; returns its name."""
        return model_label(self.model)

    def history(self, learner_id: int, conversation_id: str) -> list[ChatTurn]:
        return self.progress.chat_history(learner_id, conversation_id, limit=100)

    def conversations(self, learner_id: int) -> list[ConversationSummary]:
        """The learner's earlier conversations in this course, most recent first."""
        return self._conversations.list(learner_id, self.settings.course)

    def delete_conversation(self, learner_id: int, conversation_id: str) -> bool:
        """Delete one of the learner's own conversations; False when there was none of theirs."""
        return self._conversations.delete(learner_id, conversation_id) > 0

    @cached_property
    def agent(self):
        return build_tutor_agent(
            self.model, self.retriever, k=self.settings.search_k, max_model_calls=self.settings.agent_max_steps,
            with_tools=self.settings.tools_enabled,
        )

    # -- entry points -----------------------------------------------------------
    def ask(self, question: str, **kwargs) -> Answer:
        """Like :meth:`stream`, returning only the final answer."""
        answer = None
        for event in self.stream(question, **kwargs):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        *,
        learner_id: int,
        conversation_id: str | None = None,
        mode: str = "explain",
        ladder: Ladder | None = None,
    ) -> Iterator[Drafting | str | Answer]:
        """Yield :class:`Drafting` when the reply will stream, partial reply texts (already made safe
        to render), then the final Answer.

        In Socratic mode pass the thread's ``ladder``: ``question`` is then the student's
        latest message and the ladder's rung decides the task.
        """
        question, removed = self._private(self._validated(question))  # identifiers never reach a model or the store
        conversation_id = conversation_id or str(uuid.uuid4())
        started = time.perf_counter()
        base = {"question": question, "mode": mode, "conversation_id": conversation_id,
                "turn_id": str(uuid.uuid4()), "prompt_version": PROMPT_VERSION,
                "privacy_notice": phi_screen.removal_notice(removed) if removed else ""}

        if asks_for_clinical_advice(question):
            yield self._store(Answer(text=REFERRAL_ANSWER, grounded=False, kind="referral", **base), learner_id, started)
            return

        socratic = mode == "socratic"
        ladder = (ladder or Ladder.start(question)) if socratic else None
        topic = self._private(ladder.question)[0] if ladder else question
        result = self.retriever.search(topic, self.settings.search_k, {"course": self.settings.course})
        evidence = [h for h in result.hits if h.relevant]

        if not evidence:
            if not self.settings.allow_general_knowledge:
                yield self._store(Answer(text=NOT_COVERED_ANSWER, grounded=False, kind="not_covered",
                                         related=_related(result.hits), **base), learner_id, started)
                return
            context = TutorContext(learner_id=learner_id, course_id=self.settings.course, task="", general_knowledge=True)
        else:
            context = TutorContext(learner_id=learner_id, course_id=self.settings.course,
                                   task=ladder.task if ladder else EXPLAIN_TASK)

        may_stream = not socratic or ladder.revealed
        turn = self._private(self._student_turn(question, ladder))[0]
        earlier = self.progress.chat_history(learner_id, conversation_id, limit=REVEAL + _HISTORY_TURNS)
        messages = self._history(earlier[-_HISTORY_TURNS:]) + [HumanMessage(turn)]
        partial: list[str] = []
        shown = ""
        if may_stream:
            yield Drafting(general_knowledge=context.general_knowledge)
        try:
            state = None
            for mode_name, data in self.agent.stream(
                {"messages": messages, "evidence": [h.model_dump() for h in evidence]},
                context=context,
                stream_mode=["messages", "values"],
                config={"recursion_limit": 4 * self.settings.agent_max_steps + 2},
            ):
                if mode_name == "values":
                    state = data
                elif may_stream:
                    chunk, metadata = data
                    if isinstance(chunk, AIMessageChunk) and metadata.get("langgraph_node") == "model" and chunk.content:
                        partial.append(str(chunk.content))
                        now = safe_markdown("".join(partial), complete=False)  # five words behind: see prompt_leaks
                        if now != shown:
                            shown = now
                            base.setdefault("first_text_ms", int((time.perf_counter() - started) * 1000))
                            yield shown
            if _cut_short(state):
                raise StreamCutShort("the model server ended its reply without a finish_reason")
        except Exception as exc:  # the model failed: classify, keep what arrived, never crash
            failure = model_failure(exc)
            log.warning("model failure: %s", exc)
            if partial:
                text = safe_markdown("".join(partial))
                yield self._store(Answer(text=text, grounded=False, kind="interrupted", model=model_label(self.model),
                                         **base), learner_id, started, status="interrupted")
                return
            self._store(Answer(text="", grounded=False, kind="interrupted", model=model_label(self.model), **base),
                        learner_id, started, status="error")
            raise failure from exc

        reply = self._final_text(state)
        ledger = evidence_of(state) if state else evidence
        hints_so_far = [t.answer for t in earlier if t.kind == "hint"]
        answer = self._judge(reply, ledger, ladder, context, base, hints_so_far)
        yield self._store(answer, learner_id, started)

    # -- steps --------------------------------------------------------------------
    def _validated(self, question: str) -> str:
        question = (question or "").strip()
        if not question:
            raise InvalidQuery("Please type a question.")
        if len(question) > self.settings.question_max_chars:
            raise InvalidQuery(
                f"Please keep your question under {self.settings.question_max_chars} characters "
                f"(it has {len(question)})."
            )
        return question

    def _private(self, text: str) -> tuple[str, dict[str, int]]:
        """``text`` with patient identifiers replaced by placeholders, and what was removed.

        For every provider, not only a remote one: the text is also what progress.db stores.
        """
        if not self.settings.phi_screening:
            return text, {}
        (clean,), removed = phi_screen.redact_all([text])
        return clean, removed

    @staticmethod
    def _student_turn(question: str, ladder: Ladder | None) -> str:
        if ladder and ladder.answering:
            return f"My question was: {ladder.question}\nMy attempt: {ladder.answering}"
        if ladder and ladder.last in ("hint", "reveal"):  # "Next hint, please.": the model needs the question too
            return f"My question was: {ladder.question}\n{question}"
        return question

    def _history(self, turns: list[ChatTurn]) -> list[BaseMessage]:
        messages: list[BaseMessage] = []
        for turn in turns:
            if turn.status == "complete" and turn.kind in ("answer", "hint"):
                answer = without_unsupported(turn.answer) if UNSUPPORTED_MARK in turn.answer else turn.answer
                messages += [HumanMessage(self._private(turn.question)[0]), AIMessage(self._private(answer)[0])]
        return messages

    @staticmethod
    def _final_text(state: dict | None) -> str:
        """The model's last words; empty when it only called tools or hit the step cap."""
        for message in reversed((state or {}).get("messages", [])):
            if isinstance(message, AIMessage) and message.content and not message.tool_calls:
                text = str(message.content)
                return "" if text.startswith(_STEP_CAP_PREFIX) else text
        return ""

    def _judge(self, reply: str, ledger: list[SearchHit], ladder: Ladder | None, context: TutorContext, base: dict,
               hints_so_far: list[str] = ()) -> Answer:
        model = model_label(self.model)
        if context.general_knowledge:
            return Answer(text=safe_markdown(reply), grounded=False, kind="general_knowledge", model=model, **base)
        if not reply.strip():
            return Answer(text=NO_ANSWER, grounded=False, kind="unsupported", model=model, **base)
        if _SAYS_NOT_COVERED.search(reply):
            return Answer(text=NOT_COVERED_ANSWER, grounded=False, kind="not_covered", model=model,
                          related=_related(ledger), **base)

        embed = _MemoEmbed(self.embedder)  # the give-away check and the citation guard share passage vectors
        hinting = ladder is not None and not ladder.revealed
        relevance = self.judge.relevance if self.judge is not None else None
        if hinting and (_gives_answer_away(reply, ledger, embed) or _repeats(reply, hints_so_far)
                        or states_the_answer(reply, ladder.question, ledger, embed, relevance)):
            return code_written_hint(ladder, ledger, embed, relevance, model=model, **base)
        checked: CheckedAnswer = check_citations(
            reply, ledger, embed, quote_min_similarity=self.settings.quote_min_similarity,
        )
        text, quotes, citations, support = safe_markdown(checked.text), checked.quotes, checked.citations, {}
        if self.judge is not None:
            judged = check_support(text, checked.citations, ledger, self.judge, embed)
            support = {"claims_checked": judged.checked, "unsupported": judged.unsupported}
            if not hinting and judged.checked and judged.supported_share < MIN_SUPPORTED_SHARE:
                if ladder is not None:  # a reveal after hints from the material: its own words, not "not covered"
                    return verbatim_answer(ladder.question, ledger, embed, relevance, model=model, **support, **base)
                if self.settings.allow_general_knowledge:  # the instructor allows it: shown, labelled, not grounded
                    return Answer(text=MARKER.sub("", judged.text), grounded=False, kind="general_knowledge",
                                  model=model,
                                  removed_citations=checked.removed, **support, **base)
                return Answer(text=NOT_COVERED_ANSWER, grounded=False, kind="not_covered", model=model,
                              related=_related(ledger), removed_citations=checked.removed, **support, **base)
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

    def _store(self, answer: Answer, learner_id: int, started: float, *, status: str = "complete") -> Answer:
        latency = int((time.perf_counter() - started) * 1000)
        answer = answer.model_copy(update={"latency_ms": latency})
        if answer.privacy_notice:  # the student sees what was removed, here and in the stored conversation
            answer = answer.model_copy(update={"text": f"_{answer.privacy_notice}_\n\n{answer.text}"})
        self.progress.record_chat_turn(ChatTurn(
            turn_id=answer.turn_id, learner_id=learner_id, course_id=self.settings.course,
            conversation_id=answer.conversation_id, question=answer.question, answer=answer.text,
            citations=answer.citations, quotes=answer.quotes, kind=answer.kind, grounded=answer.grounded,
            mode=answer.mode, status=status, prompt_version=answer.prompt_version, model=answer.model or None,
            latency_ms=latency, claims_checked=answer.claims_checked, unsupported=answer.unsupported,
            related=answer.related,
        ))
        return answer


def _related(hits: list[SearchHit] | tuple[SearchHit, ...]) -> tuple[Citation, ...]:
    """The nearest passages, offered as reading when the tutor declines (never as the answer's evidence)."""
    return tuple(
        Citation(number=n, source=h.source, section=h.section, page=h.page, chunk_id=h.chunk_id,
                 doc_title=h.doc_title, text=h.text)
        for n, h in enumerate(list(hits)[:_RELATED], 1)
    )


class StreamCutShort(Exception):
    """An OpenAI-compatible stream that ended cleanly but early (no finish_reason, no [DONE]).

    A connection dropped by a proxy or an HTTP/1.0 server looks like a normal end of the
    body; without this check the fragment would be judged and stored as a complete answer.
    """


def _cut_short(state: dict | None) -> bool:
    """True when the model's last reply came from an OpenAI-compatible server that never said why it stopped."""
    for message in reversed((state or {}).get("messages", [])):
        if isinstance(message, AIMessage):
            meta = message.response_metadata or {}
            return meta.get("model_provider") == "openai" and not meta.get("finish_reason")
    return False


class _MemoEmbed:
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


def _gives_answer_away(reply: str, ledger: list[SearchHit], embed: _MemoEmbed) -> bool:
    """A hint states the answer when a non-question sentence nearly repeats a passage sentence."""
    statements = [s for s in split_sentences(reply) if not s.rstrip().endswith("?")]
    facts = [s for hit in ledger for s in split_sentences(hit.text)]
    if not statements or not facts:
        return False
    vectors = embed(statements + facts)
    similarity = vectors[: len(statements)] @ vectors[len(statements):].T
    return bool((similarity >= _GIVEAWAY_SIMILARITY).any())
