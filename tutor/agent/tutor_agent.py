"""The tutor agent, built once with LangChain's ``create_agent``.

What the agent may do is narrow on purpose:

* Its evidence starts as the passages the *code* retrieved before the agent ran
  (``evidence`` in the state), so even a model that never calls a tool answers from
  the course material. A capable model may call ``search_curriculum`` for more; what
  it finds is appended to the same numbered evidence ledger.
* The system prompt (rules, numbered passages, the task chosen by code for the mode
  and hint rung) is rebuilt by middleware for every model call from the state and the
  per-call context; the model cannot change it.
* The learner, course and mode travel as runtime context, never as tool arguments
  the model could choose. No tool reads learner data.
* Model calls are capped per question (``agent_max_steps``).
* Small local models get no tools at all: measured, a 1.5B model shown the tool schema
  wrote imitation tool calls as its answer in 2 of 5 questions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NotRequired

from langchain.agents import AgentState, create_agent
from langchain.agents.middleware import AgentMiddleware, ModelCallLimitMiddleware, ModelRequest, ModelResponse
from langchain.tools import ToolRuntime
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.types import Command

from tutor.domain import SearchHit
from tutor.index.retrieve import Retriever
from tutor.llm.prompts import GENERAL_KNOWLEDGE_RULES, system_prompt


@dataclass(frozen=True)
class TutorContext:
    """Per-call facts the code decides: who asks, in which course, and what the task is."""

    learner_id: int
    course_id: str
    task: str  # the instruction for this turn (explain, a hint rung, or reveal)
    general_knowledge: bool = False  # no passages: answer from general knowledge, labelled by the caller
    excerpts: tuple[str, ...] = ()  # what the model reads of each starting passage (its best sentences)


class TutorState(AgentState):
    evidence: NotRequired[list[dict[str, Any]]]  # SearchHit dumps; position + 1 is the [n] marker


def passage_label(hit: SearchHit) -> str:
    """A passage's name in the prompt: title and section, no file name (models echoed file names)."""
    title = hit.doc_title or hit.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    section = hit.section.rsplit(" > ", 1)[-1].strip() if hit.section else ""  # its own heading, not the path
    label = f"{title} — {section}" if section and section != title else title
    return label + (f" (p. {hit.page})" if hit.page else "")


def evidence_of(state: dict[str, Any]) -> list[SearchHit]:
    return [SearchHit.model_validate(item) for item in state.get("evidence", [])]


class PassagePrompt(AgentMiddleware):
    """Rebuild the system prompt from the evidence ledger and the code-chosen task."""

    state_schema = TutorState

    def wrap_model_call(self, request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]) -> ModelResponse:
        context: TutorContext = request.runtime.context
        if context.general_knowledge:
            prompt = GENERAL_KNOWLEDGE_RULES
        else:
            hits = evidence_of(request.state)
            texts = [context.excerpts[i] if i < len(context.excerpts) else h.text for i, h in enumerate(hits)]
            prompt = system_prompt(context.task, [(n, passage_label(h), t) for n, (h, t) in enumerate(zip(hits, texts), 1)])
        return handler(request.override(system_message=SystemMessage(prompt)))


def search_tool(retriever: Retriever, *, k: int):
    @tool
    def search_curriculum(query: str, runtime: ToolRuntime) -> Command:
        """Search the course material for passages about `query`. Returns numbered passages you may cite as [n]."""
        context: TutorContext = runtime.context
        evidence = list(runtime.state.get("evidence", []))
        known = {item["chunk_id"] for item in evidence}
        result = retriever.search(query[:500], k, {"course": context.course_id})
        fresh = [h for h in result.hits if h.chunk_id not in known and h.relevant]  # the one coverage rule
        evidence.extend(h.model_dump() for h in fresh)
        numbered = [(len(evidence) - len(fresh) + i, h) for i, h in enumerate(fresh, 1)]
        content = "\n\n".join(f"[{n}] {passage_label(h)}\n<<<\n{h.text}\n>>>" for n, h in numbered) or (
            "No further relevant passages in the course material."
        )
        return Command(update={
            "evidence": evidence,
            "messages": [ToolMessage(content, tool_call_id=runtime.tool_call_id)],
        })

    return search_curriculum


def build_tutor_agent(
    model: BaseChatModel, retriever: Retriever, *, k: int, max_model_calls: int, with_tools: bool
):
    """``with_tools=False`` for models that cannot call tools (the small local ones): shown a
    tool schema, they write imitation tool calls as their answer instead of answering."""
    return create_agent(
        model,
        tools=[search_tool(retriever, k=k)] if with_tools else [],
        middleware=[PassagePrompt(), ModelCallLimitMiddleware(run_limit=max_model_calls, exit_behavior="end")],
        context_schema=TutorContext,
        name="tutor",
    )
