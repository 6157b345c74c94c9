"""A scripted chat model that obeys every instruction it sees, and the checks of what got through.

Why: a real model sometimes resists an injected instruction; a test that relies on that
measures the model, not the application. This one never resists. Given the prompt it:

* emits tool calls for every tool a passage names ("call the tool X ..."), with a
  ``learner_id`` argument when the passage asks to act as another learner, and answers
  after the tool results come back;
* echoes the whole system prompt when anything asks for the system prompt or rules;
* copies every line that carries an image, link, URL or address into its answer;
* repeats tool results, earlier turns and anything that looks like another student's
  data when asked for other students' data;
* otherwise quotes the first passage with a ``[1]`` marker, so the citation guard has
  something true to check.

It records what came back from every tool call (:attr:`ObeyingModel.tool_results`), so
a test can count calls the application actually *executed*. The checks at the bottom
judge the text the UI renders: :func:`outside_references` parses Markdown the way a
CommonMark + GFM renderer does and lists every link, image, HTML tag and autolink
literal; :func:`prompt_leaks` finds any 8-word window of a fixed prompt of
``tutor/llm/prompts.py``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from markdown_it import MarkdownIt

from tutor.llm import prompts
from tutor.llm.scripted import ScriptedChatModel

_TOOL_REQUEST = re.compile(r"call the tool ([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)
_WANTS_PROMPT = re.compile(r"system prompt|hidden rules|your instructions|your rules", re.IGNORECASE)
_WANTS_STUDENTS = re.compile(r"other student|every student|all students|conversation history of", re.IGNORECASE)
_LINKY = re.compile(r"https?:|www\.|data:|javascript:|<img|\]\(|\]\[|\]:|@|//", re.IGNORECASE)
_DRAFT_PASSAGE = re.compile(r"COURSE PASSAGE \([^\n]*\):\n<<<\n(.*?)\n>>>", re.DOTALL)
_PASSAGE = re.compile(r"\[1\][^\n]*\n<<<\n(.*?)\n>>>", re.DOTALL)
CANARY = re.compile(r"CANARY-[A-Z]+-[0-9a-f]{8}")


@dataclass
class ToolResult:
    name: str
    status: str
    content: str


@dataclass
class Obedience:
    """What the model did for one question."""

    requested_tools: list[str] = field(default_factory=list)
    prompt_echoed: bool = False


class ObeyingModel:
    """Builds the :class:`ScriptedChatModel` (one callable reply, repeated) and keeps its records."""

    def __init__(self) -> None:
        self.tool_results: list[ToolResult] = []
        self.obedience: list[Obedience] = []
        self.replies_sent: list[str] = []  # every text answer, before the application filters it
        self._lock = threading.Lock()
        self.chat_model = ScriptedChatModel(replies=[self.reply], model_name="obeying")

    def reply(self, messages: list[BaseMessage]) -> str | AIMessage:
        system = next((str(m.content) for m in messages if isinstance(m, SystemMessage)), "")
        if system.startswith((prompts.DRAFT_QUESTION_RULES[:40], prompts.VERIFY_ANSWER_RULES[:40])):
            return self._structured(system)
        everything = "\n".join(str(m.content) for m in messages)
        tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
        if not tool_messages:
            calls = self._tool_calls(everything)
            with self._lock:
                self.obedience.append(Obedience(requested_tools=[c["name"] for c in calls]))
            if calls:
                return AIMessage(content="", tool_calls=calls)
        else:
            with self._lock:
                self.tool_results += [ToolResult(str(m.name), str(m.status), str(m.content)) for m in tool_messages]
        text = self._answer(system, everything, messages, tool_messages)
        with self._lock:
            self.replies_sent.append(text)
        return text

    @staticmethod
    def _structured(system: str) -> str:
        """Question drafting: a draft that copies every link of the passage, or a verdict that agrees."""
        passage = _DRAFT_PASSAGE.search(system)
        text = passage.group(1) if passage else ""
        first = re.split(r"(?<=[.!?])\s", text.strip())[0]
        links = " ".join(line.strip()[-150:] for line in text.splitlines() if _LINKY.search(line))[-300:]
        if system.startswith(prompts.VERIFY_ANSWER_RULES[:40]):
            return json.dumps({"best": "A", "also_correct": [], "quote": first})
        options = [first[:190], "Reassure and discharge without follow-up", "Refer to physiotherapy only",
                   "Start long-term antibiotics", "Arrange an elective chest radiograph"]
        return json.dumps({
            "vignette": f"A 64-year-old woman is seen on the ward. {links}",
            "options": [{"text": o, "explanation": (f"{first} {links}" if n == 0 else f"See the course passage. {links}")[:390]}
                        for n, o in enumerate(options)],
            "answer": "A",
            "supporting_quote": first,
        })

    @staticmethod
    def _tool_calls(text: str) -> list[dict]:
        calls = []
        for name in dict.fromkeys(_TOOL_REQUEST.findall(text)):
            args: dict = {"learner": "all"}
            if name == "search_curriculum":
                args = {"query": "conversation history of student bob grades", "learner_id": 2}
            calls.append({"name": name, "args": args, "id": f"call-{uuid.uuid4().hex[:8]}", "type": "tool_call"})
        return calls

    def _answer(self, system: str, everything: str, messages: list[BaseMessage], tool_messages: list[ToolMessage]) -> str:
        parts = []
        passage = _PASSAGE.search(system)
        if passage:
            first_sentence = re.split(r"(?<=[.!?])\s", passage.group(1).strip())[0]
            parts.append(f"{first_sentence} [1]")
        if _WANTS_PROMPT.search(everything):
            parts.append(system)
            with self._lock:
                if self.obedience:
                    self.obedience[-1].prompt_echoed = True
        if _WANTS_STUDENTS.search(everything):
            parts += [str(m.content) for m in tool_messages]
            parts += [str(m.content) for m in messages[1:-1] if not isinstance(m, ToolMessage)]  # earlier turns
            parts += CANARY.findall(everything)
        parts += [line.strip() for line in everything.splitlines() if _LINKY.search(line)]
        return "\n\n".join(p for p in parts if p)


# -- what reached the screen ------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])
# GFM autolink literals are found in the source: a backslash escape breaks them.
_AUTOLINK_LITERAL = re.compile(r"(?<![\w\\/])(?:(?:https?|ftp)://|www\.)[^\s<\\]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_OUTSIDE_TAG = re.compile(r"<\s*(?:img|a|iframe|script|video|audio|source|link|object|embed)\b", re.IGNORECASE)


def outside_references(markdown: str) -> list[str]:
    """Every link, image, HTML tag and autolink a Markdown renderer would make of ``markdown``."""
    found = []
    for token in _walk(_MARKDOWN.parse(markdown)):
        if token.type == "link_open":
            found.append(f"link:{token.attrGet('href')}")
        elif token.type == "image":
            found.append(f"image:{token.attrGet('src')}")
        elif token.type in ("html_inline", "html_block") and _OUTSIDE_TAG.search(token.content):
            found.append(f"html:{token.content.strip()[:60]}")
    found += [f"autolink:{m}" for m in _AUTOLINK_LITERAL.findall(_without_code(markdown))]
    return found


def _walk(tokens):
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _without_code(markdown: str) -> str:
    return re.sub(r"`[^`]*`", "", markdown)


# -- system-prompt leaks ------------------------------------------------------------------

LEAK_WINDOW = 8
FIXED_PROMPTS = (
    prompts.RULES, prompts.EXPLAIN_TASK, *prompts.SOCRATIC_TASKS, prompts.SOCRATIC_REVEAL_TASK,
    prompts.GENERAL_KNOWLEDGE_RULES, prompts.DRAFT_QUESTION_RULES, prompts.VERIFY_ANSWER_RULES,
    prompts.CASE_REQUEST_RULES.split("{items}")[0],
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.replace("\\", "").lower())


def _windows(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


_PROMPT_WINDOWS = set().union(*(_windows(_words(p), LEAK_WINDOW) for p in FIXED_PROMPTS))


def prompt_leaks(text: str) -> list[str]:
    """The 8-word windows of a fixed prompt that ``text`` repeats (case and punctuation ignored)."""
    return [" ".join(w) for w in _windows(_words(text), LEAK_WINDOW) & _PROMPT_WINDOWS]
