"""Ask: a student's question in, the evidence at once, a checked explanation after, every turn stored.

The flow is a fixed sequence in code; the model only phrases the explanation:

1. validate (empty, too long) and screen for requests for clinical advice about a
   real patient (a referral, no model call);
2. retrieve passages for the question, reranked by the relevance judge; if none is
   judged to answer it, say the material does not cover it and offer the nearest
   passages as related reading (or, if the instructor allows it, answer from general
   knowledge, labelled and marked not grounded);
3. **evidence first** (:mod:`tutor.modes.ask.evidence`): the sentences that best answer
   the question, verbatim with their chips, are yielded within a second (in Socratic
   mode only once the ladder reveals the answer); the model reads those passages
   trimmed to their best sentences;
4. wait for the model in the process's :class:`~tutor.llm.model_queue.ModelQueue` (the
   place is taken, and shown, before step 2, so it is on screen at once however busy the
   machine), yielding the question's place and the estimated wait, then run the agent with the
   passages as its evidence and the task the code chose (explain, a Socratic hint rung,
   or the reveal);
5. check the reply (:class:`~tutor.modes.ask.reply_check.ReplyCheck`);
6. store the turn: complete, or interrupted when the model failed mid-answer or the
   student cancelled or left (the generator was closed); the queue place or model slot
   is given back in every case.

:meth:`AskService.stream` yields text as it arrives, five words behind the model so the
prompt-leak check can judge it before it is shown (and only where streaming cannot leak
an answer the ladder withholds), and finally the :class:`~tutor.domain.Answer`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from functools import cached_property

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from tutor.agent.hint_ladder import REVEAL, Ladder
from tutor.agent.output_filter import safe_markdown
from tutor.agent.scope_guard import asks_for_clinical_advice
from tutor.agent.support import UNSUPPORTED_MARK, without_unsupported
from tutor.agent.tutor_agent import TutorContext, build_tutor_agent, evidence_of
from tutor.content import phi_screen
from tutor.domain import Answer, Drafting, Evidence, Queued
from tutor.errors import InvalidQuery
from tutor.index.embeddings import Embedder
from tutor.index.retrieve import Retriever
from tutor.judge.model import RelevanceJudge
from tutor.llm.factory import model_label
from tutor.llm.model_errors import model_failure
from tutor.llm.model_queue import ModelQueue, QueueFull, Ticket
from tutor.llm.prompts import CANCELLED_ANSWER, EXPLAIN_TASK, NOT_COVERED_ANSWER, PROMPT_VERSION, REFERRAL_ANSWER
from tutor.modes.ask.evidence import excerpts, pick_evidence, ranked_sentences
from tutor.modes.ask.reply_check import MemoEmbed, ReplyCheck, related_reading
from tutor.modes.ask.stream_control import InFlight, StopOnCancel, StreamCutShort, cut_short
from tutor.progress.conversations import ConversationStore, ConversationSummary
from tutor.progress.records import ChatTurn
from tutor.progress.store import ProgressStore
from tutor.settings import Settings

log = logging.getLogger(__name__)

_HISTORY_TURNS = 2
_STEP_CAP_PREFIX = "Model call limits exceeded"  # what ModelCallLimitMiddleware says when it stops the agent
_QUEUE_REFRESH_S = 0.5  # how often a waiting question's place is yielded again
_SETTLE_S = 3.0  # longest a history read waits for a cancelled reply of its conversation to be stored


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
        queue: ModelQueue,
        judge: RelevanceJudge | None = None,
    ):
        self.judge = judge
        self.queue = queue
        self._check = ReplyCheck(embedder=embedder, settings=settings, judge=judge)
        self._in_flight = InFlight()
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
        """The conversation's turns, once a reply being cancelled in it has been stored (Streamlit starts the
        page's next run before the interrupted run has closed its stream)."""
        self._in_flight.wait_idle(conversation_id, timeout_s=_SETTLE_S)
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
    ) -> Iterator[Evidence | Queued | Drafting | str | Answer]:
        """Yield :class:`Queued` at once when the model is busy (the place is taken before retrieval),
        :class:`Evidence` (when it may be shown), :class:`Queued` again while the question waits for
        the model, :class:`Drafting` when the reply will stream, partial reply texts (already made safe
        to render), then the final Answer. Closing the generator (the student cancelled or left)
        stores what arrived as interrupted and gives the model back.

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

        try:  # first of all: the student sees their place at once, however long retrieval takes under load
            ticket, full = self.queue.join(), None
        except QueueFull as error:
            ticket, full = None, error
        self._in_flight.enter(conversation_id)
        try:
            yield from self._answer(question, base, learner_id, started, mode, ladder, ticket, full)
        except GeneratorExit:  # cancelled before the model started: stored as such (a turn already stored stays)
            self._interrupted([], base, learner_id, started, cancelled=True)
            raise
        finally:
            self._in_flight.leave(conversation_id)
            if ticket is not None:
                ticket.leave(completed=False)  # a no-op when the answer already gave the model back

    def _answer(self, question: str, base: dict, learner_id: int, started: float, mode: str, ladder: Ladder | None,
                ticket: Ticket | None, full: QueueFull | None) -> Iterator[Evidence | Queued | Drafting | str | Answer]:
        if ticket is not None and not (place := ticket.place()).served:
            yield Queued(ahead=place.ahead, wait_s=round(place.wait_s, 1))
        socratic = mode == "socratic"
        ladder = (ladder or Ladder.start(question)) if socratic else None
        topic = self._private(ladder.question)[0] if ladder else question
        result = self.retriever.search(topic, self.settings.search_k, {"course": self.settings.course})
        evidence = [h for h in result.hits if h.relevant][: self.settings.prompt_passages]
        may_stream = not socratic or ladder.revealed
        embed = MemoEmbed(self.embedder)  # the evidence ranking and the reply's checks embed each sentence once

        if not evidence:
            if not self.settings.allow_general_knowledge:
                yield self._store(Answer(text=NOT_COVERED_ANSWER, grounded=False, kind="not_covered",
                                         related=related_reading(result.hits), **base), learner_id, started)
                return
            context = TutorContext(learner_id=learner_id, course_id=self.settings.course, task="", general_knowledge=True)
        else:
            relevance = self.judge.relevance if self.judge is not None else None
            ranked = ranked_sentences(topic, evidence, embed, relevance)
            context = TutorContext(learner_id=learner_id, course_id=self.settings.course,
                                   task=ladder.task if ladder else EXPLAIN_TASK,
                                   excerpts=tuple(excerpts(ranked, evidence, self.settings.prompt_chars)))
            if may_stream:  # the ladder withholds the evidence until it reveals the answer
                base["evidence"] = pick_evidence(ranked, evidence, limit=self.settings.evidence_sentences)
                yield Evidence(quotes=base["evidence"])
        if full is not None:  # told at once, with the evidence kept, rather than a timeout later
            yield self._store(Answer(text=full.user_message, grounded=False, kind="busy", **base), learner_id, started)
            return

        turn = self._private(self._student_turn(question, ladder))[0]
        earlier = self.progress.chat_history(learner_id, conversation_id=base["conversation_id"],
                                             limit=REVEAL + _HISTORY_TURNS)
        messages = self._history(earlier[-_HISTORY_TURNS:]) + [HumanMessage(turn)]
        partial: list[str] = []
        stop = StopOnCancel()
        try:
            place = ticket.place()
            while not place.served:
                yield Queued(ahead=place.ahead, wait_s=round(place.wait_s, 1))
                place = ticket.wait(_QUEUE_REFRESH_S)
            if may_stream:
                yield Drafting(general_knowledge=context.general_knowledge)
            run = self.agent.stream(
                {"messages": messages, "evidence": [h.model_dump() for h in evidence]},
                context=context,
                stream_mode=["messages", "values"],
                config={"recursion_limit": 4 * self.settings.agent_max_steps + 2, "callbacks": [stop]},
            )
            with closing(run):  # closing waits for the agent's worker thread, so stop its model call first
                try:
                    state = yield from self._streamed(run, partial, may_stream, base, started)
                except GeneratorExit:
                    stop.cancelled.set()
                    raise
            ticket.leave()  # the model is free for the next student while this reply is checked
        except GeneratorExit:  # cancelled, or the tab closed: keep what arrived (or that it was cancelled)
            self._interrupted(partial, base, learner_id, started, cancelled=True)
            raise
        except Exception as exc:  # the model failed: classify, keep what arrived, never crash
            failure = model_failure(exc)
            log.warning("model failure: %s", exc)
            answer = self._interrupted(partial, base, learner_id, started)
            if answer is not None:
                yield answer
                return
            raise failure from exc
        reply = self._final_text(state)
        ledger = evidence_of(state) if state else evidence
        hints_so_far = [t.answer for t in earlier if t.kind == "hint"]
        answer = self._check(reply, ledger, ladder, context.general_knowledge, base, hints_so_far,
                             model=model_label(self.model), embed=embed)
        yield self._store(answer, learner_id, started)

    def _streamed(self, run, partial: list[str], may_stream: bool, base: dict, started: float):
        """Relay the agent's stream: safe partial texts out, the final state returned."""
        state, shown = None, ""
        for mode_name, data in run:
            if mode_name == "values":
                state = data
            elif may_stream:
                chunk, metadata = data
                if isinstance(chunk, AIMessageChunk) and metadata.get("langgraph_node") == "model" and chunk.content:
                    partial.append(str(chunk.content))
                    now = safe_markdown("".join(partial), complete=False)  # five words behind: see prompt_leaks
                    if now != shown:
                        shown = now
                        base.setdefault("first_text_ms", _ms_since(started))
                        yield shown
        if cut_short(state):
            raise StreamCutShort("the model server ended its reply without a finish_reason")
        return state

    def _interrupted(self, partial: list[str], base: dict, learner_id: int, started: float,
                     cancelled: bool = False) -> Answer | None:
        """Store the turn as interrupted (with the words that arrived), cancelled when the student stopped it
        before any, or as an error when the model failed before any."""
        model = model_label(self.model) if self.model_loaded else ""
        if partial:
            return self._store(Answer(text=safe_markdown("".join(partial)), grounded=False, kind="interrupted",
                                      model=model, **base), learner_id, started, status="interrupted")
        if cancelled:
            return self._store(Answer(text=CANCELLED_ANSWER, grounded=False, kind="cancelled", model=model, **base),
                               learner_id, started, status="interrupted")
        self._store(Answer(text="", grounded=False, kind="interrupted", model=model, **base),
                    learner_id, started, status="error")
        return None

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
            related=answer.related, evidence=answer.evidence, first_text_ms=answer.first_text_ms,
        ))
        return answer


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
