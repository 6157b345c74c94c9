"""The Socratic hint ladder, as a state machine in code, and the rungs code writes itself.

In Socratic mode a question opens a ladder at rung 0 (a guiding question). Each
attempt by the student, or a press of "next hint", climbs one rung; "show answer"
jumps to the top. Only the top rung (:data:`REVEAL`) may state the answer; below it
the tutor's reply is checked by code and replaced if it gives the answer away. The
model never decides the rung.

A small local model often cannot hint without stating the answer, so the replacement
must be a real hint, not one sentence repeated at every rung (seen: three presses of
"next hint" on hyponatraemia returned the same line). :func:`code_hint` writes each rung
from the passage that best answers the question and its key sentence: rung 0 a guiding
question on the topic, rung 1 the passage itself, named, with its chip, rung 2 its key sentence with the facts blanked out for the student to fill in.
Each builds on the one before, and :func:`attempt_feedback` says which of the key
sentence's facts the student's attempt already has, so an attempt is answered. The
reveal that ends the ladder must hold what the strong hint blanked out: when the model's
answer leaves most of the key sentence's facts out (seen: the 24-hour limit on
correcting sodium), :func:`leaves_out` says so and the sentence is added verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from tutor.llm.prompts import SOCRATIC_REVEAL_TASK, SOCRATIC_TASKS

REVEAL = len(SOCRATIC_TASKS)  # rungs 0..REVEAL-1 are hints; REVEAL answers
BLANK = "____"
_MAX_BLANKS = 4

_TERM = re.compile(r"\d+(?:[.,]\d+)?(?:\s?(?:%|mmol/L|mmol|mg|g|mL|ml|hours?|h|days?|weeks?|minutes?|units?))?|[A-Za-z][A-Za-z\-']{3,}")
_STOP = frozenset(
    "about above after again against also although among another because been before being below between both "
    "could does doing down during each either every from further have having here into itself just least less "
    "like made make many more most much must need needs never only other over same should since some such "
    "than that their them then there these they this those through under until very what when where which "
    "while whom whose will with within without would your often usually patient patients given give used "
    "using use start started first second third take taken".split()
)


class Ladder(BaseModel):
    """One Socratic thread: the question it started from and the current rung."""

    model_config = ConfigDict(frozen=True)

    question: str
    rung: int = 0
    attempts: tuple[str, ...] = ()
    last: str = "start"  # what the student did last: start | attempt | hint | reveal (only an attempt gets feedback)

    @classmethod
    def start(cls, question: str) -> Ladder:
        return cls(question=question)

    def attempt(self, text: str) -> Ladder:
        """The student answered the tutor's question: record it and climb one rung."""
        return self.model_copy(update={"attempts": (*self.attempts, text), "rung": min(self.rung + 1, REVEAL),
                                       "last": "attempt"})

    def next_hint(self) -> Ladder:
        return self.model_copy(update={"rung": min(self.rung + 1, REVEAL), "last": "hint"})

    def reveal(self) -> Ladder:
        return self.model_copy(update={"rung": REVEAL, "last": "reveal"})

    @property
    def answering(self) -> str | None:
        """The attempt this step answers (None unless the student's last step was an attempt)."""
        return self.attempts[-1] if self.last == "attempt" and self.attempts else None

    @property
    def revealed(self) -> bool:
        return self.rung >= REVEAL

    @property
    def task(self) -> str:
        return SOCRATIC_REVEAL_TASK if self.revealed else SOCRATIC_TASKS[self.rung]


def key_sentence(question: str, sentences: Sequence[str], embed: Callable[[list[str]], np.ndarray],
                 relevance: Callable[[str, list[str]], np.ndarray] | None = None) -> str:
    """The sentence of the passage that most likely answers the question: the relevance judge's pick
    where it is on (the closest in meaning is often the one that restates the question), else the
    closest in meaning."""
    if not sentences:
        return ""
    if relevance is not None:
        return sentences[int(np.argmax(relevance(question, list(sentences))))]
    vectors = embed([question, *sentences])
    return sentences[int(np.argmax(vectors[1:] @ vectors[0]))]


def key_terms(sentence: str, question: str, limit: int | None = _MAX_BLANKS) -> list[str]:
    """The facts of ``sentence`` a student would have to supply: numbers and content words the question
    lacks, numbers first, then the longest words (the rarer, more specific ones)."""
    asked = {w.lower() for w in _TERM.findall(question)}
    terms: list[str] = []
    for term in _TERM.findall(sentence):
        low = term.lower()
        if low in asked or low in _STOP or term in terms:
            continue
        terms.append(term)
    numbers = [t for t in terms if t[0].isdigit()]
    words = sorted((t for t in terms if not t[0].isdigit()), key=len, reverse=True)
    return (numbers + words)[:limit]


def cloze(sentence: str, terms: Sequence[str]) -> str:
    """``sentence`` with each of ``terms`` replaced by a blank."""
    for term in sorted(terms, key=len, reverse=True):
        sentence = re.sub(rf"(?<![\w.]){re.escape(term)}(?![\w])", BLANK, sentence)
    return sentence


def code_hint(rung: int, question: str, *, section: str, title: str, sentence: str) -> str:
    """The hint for ``rung`` written from the passage's heading and key sentence; ``[1]`` names the passage."""
    topic = (section.split(" > ")[-1] if section else title) or "this topic"
    if rung <= 0:
        return (f"Let's reason it out first. What do you already know about {topic.lower() if topic[1:2].islower() else topic}, "
                "and which part of it decides the answer to your question?")
    where = f"“{section}” in {title}" if section and title else f"“{section or title}”"
    if rung == 1:
        return f"Hint: the course answers this in {where} [1]. Read it, then try your answer again."
    blanked = cloze(sentence, key_terms(sentence, question))
    return f"Strong hint: fill in the blanks of this sentence from [1]: “{blanked}” What goes in each blank?"


def attempt_feedback(attempt: str, sentence: str, question: str, passage: str = "") -> str:
    """One honest line on what the attempt already has: the key sentence's facts, or else words
    of the passage it shares ("hypertonic saline" is right even where the key sentence is another)."""
    terms = key_terms(sentence, question, limit=None)
    said = attempt.lower()
    have = [t for t in terms if t.lower() in said]
    if terms and len(have) == len(terms):
        return f"Your attempt has the key facts ({', '.join(have)}); check them against the passage."
    shared = have or [t for t in key_terms(attempt, question, limit=None)
                      if not t[0].isdigit() and re.search(rf"\b{re.escape(t.lower())}", passage.lower())]
    if shared:
        return f"You are on the right lines ({', '.join(shared[:4])}), but something is still missing."
    return "Your attempt does not yet match what the course material says."


def leaves_out(answer: str, sentence: str, question: str) -> bool:
    """The answer states fewer than half of the key sentence's facts."""
    terms = key_terms(sentence, question, limit=None)
    said = answer.lower()
    return bool(terms) and 2 * sum(term.lower() in said for term in terms) < len(terms)
