"""What one simulated student does, and what the run remembers about it.

A student opens the app (the page's first render is timed), signs in, then until the
deadline picks an action, waits a think time and does it: answer a quiz question
(about half the time), take a step in a case, ask the tutor, or just open another page.
Every action is timed from the back-message to the end of the script run, which is what
the student waits for. What the app *acknowledged* is remembered exactly (the feedback
of an answer, the tutor's reply to a case request, a finished answer), so the checks
afterwards can count every stored row against it: nothing lost, nothing stored twice.

Case requests and questions carry the student's number and a counter, so each one can
be found in the database by its text.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from tests.load.protocol import ProtocolError, StreamlitTab

CASE_REQUESTS = ["What is the blood pressure?", "Any chest pain?", "Check the heart rate", "Any allergies?",
                 "What medicines does the patient take?", "Examine the abdomen"]
QUESTIONS = ["What is the emergency treatment of hyperkalaemia?", "How is acute kidney injury staged?",
             "Which blood test makes heart failure unlikely?"]


@dataclass
class Tally:
    """Timings and outcomes of the whole class (asyncio: one thread, no locks needed)."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    answers: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # username -> acknowledged
    unacknowledged: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # sent, no reply came
    case_steps: dict[str, float] = field(default_factory=dict)  # acknowledged request -> seconds, in order
    questions: list[str] = field(default_factory=list)
    in_doubt: list[str] = field(default_factory=list)  # case requests and questions sent without a reply

    def time(self, action: str, seconds: float) -> None:
        self.timings[action].append(seconds)


class Student:
    def __init__(self, number: int, username: str, password: str, url: str, tally: Tally, rng: random.Random,
                 think_s: tuple[float, float]):
        self.number, self.username, self.password, self.url = number, username, password, url
        self.tally, self.rng, self.think_s = tally, rng, think_s
        self.tab: StreamlitTab | None = None
        self.counter = 0
        self.sending: str | None = None  # the write in flight: "answer" or a request/question text

    async def run(self, deadline: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think_s[1]))  # a class does not arrive in one instant
        while time.monotonic() < deadline:
            try:
                if self.tab is None:
                    await self._arrive()
                await asyncio.sleep(self.rng.uniform(*self.think_s))
                if time.monotonic() >= deadline:
                    break
                await self._act()
            except ProtocolError as exc:
                if "closed the connection" in str(exc):  # its app process went away: open the app again
                    self.tally.reconnects += 1
                else:
                    self.tally.errors.append(f"{self.username}: {exc}")
                await self._leave()
            except Exception as exc:  # a timeout, a page without the expected widget: an error, and start over
                self.tally.errors.append(f"{self.username}: {type(exc).__name__}: {exc}")
                await self._leave()
        await self._leave()

    async def _leave(self) -> None:
        if self.sending == "answer":  # the connection went before the reply: it may or may not be stored
            self.tally.unacknowledged[self.username] += 1
        elif self.sending is not None:
            self.tally.in_doubt.append(self.sending)
        self.sending = None
        if self.tab is not None:
            try:
                await self.tab.close()
            except Exception:
                pass
        self.tab = None

    async def _arrive(self) -> None:
        cookies = self.tab.cookies if self.tab else {}
        self.tab = StreamlitTab(self.url)
        self.tab.cookies.update(cookies)
        self.tally.time("page first render", await self.tab.open())
        self.tab.type("Username", self.username)
        self.tab.type("Password", self.password)
        self.tab.click("Sign in")
        self.tally.time("sign in", await self.tab.rerun())
        if "Signed in as" not in self.tab.text():
            raise ProtocolError(f"sign-in did not show the signed-in page: {self.tab.text()[:200]!r}")

    async def _act(self) -> None:
        roll = self.rng.random()
        if roll < 0.5:
            await self._quiz_answer()
        elif roll < 0.75:
            await self._case_step()
        elif roll < 0.9:
            await self._ask()
        else:
            self.tally.time("open a page", await self.tab.rerun(page=self.rng.choice(["my_progress", "search"])))

    async def _quiz_answer(self) -> None:
        tab = self.tab
        if tab.page_hash != tab.pages.get("quiz"):
            self.tally.time("open a page", await tab.rerun(page="quiz"))
        for label in ("Next question", "See results", "Practise again", "Start"):
            if "Check answer" in tab.buttons():
                break
            if label in tab.buttons():
                tab.click(label)
                self.tally.time("quiz: next question", await tab.rerun())
        answer = next(r for r in tab.widgets("radio") if r.label == "Your answer")
        tab.choose("Your answer", self.rng.choice(list(answer.options)))
        tab.click("Check answer")
        self.sending = "answer"
        self.tally.time("quiz answer", await tab.rerun())
        self.sending = None
        if "Next question" not in tab.buttons() and "See results" not in tab.buttons():
            raise ProtocolError(f"no feedback after an answer: {tab.text()[-200:]!r}")
        self.tally.answers[self.username] += 1

    async def _case_step(self) -> None:
        tab = self.tab
        if not any(c.placeholder.endswith("order a test") for c in tab.widgets("chat_input")):
            self.tally.time("open a page", await tab.rerun(page="cases"))
            tab.click(next(b for b in tab.buttons() if b in ("Resume", "Start")))
            self.tally.time("case: open", await tab.rerun())
        request, seconds = await self._write(self.rng.choice(CASE_REQUESTS), "step", "case step")
        if request.split(" (")[0] not in tab.text():
            raise ProtocolError(f"the case step was not shown back: {tab.text()[-200:]!r}")
        self.tally.case_steps[request] = seconds

    async def _ask(self) -> None:
        tab = self.tab
        if tab.page_hash != tab.pages.get("ask"):
            self.tally.time("open a page", await tab.rerun(page="ask"))
        question, _ = await self._write(self.rng.choice(QUESTIONS), "question", "ask the tutor (whole answer)")
        self.tally.questions.append(question)

    async def _write(self, text: str, what: str, action: str) -> tuple[str, float]:
        """Send a chat-input text made findable in the database; in doubt while no reply came."""
        self.counter += 1
        text = f"{text} (student {self.number}, {what} {self.counter})"
        self.tab.type("*", text)
        self.sending = text
        seconds = await self.tab.rerun()
        self.tally.time(action, seconds)
        self.sending = None
        return text, seconds
