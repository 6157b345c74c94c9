"""Quiz mode: practice sets with immediate feedback and timed exam blocks, with FSRS reviews.

The flow is a small state machine kept in the progress store, so that it survives a
reload, a restart or a second browser tab:

* a block is created with its questions fixed (due reviews first, see
  :mod:`tutor.modes.quiz.selection`);
* *tutor mode*: each answer is graded at once (attempt + FSRS review in one
  transaction) and the feedback shows every option's explanation and the curriculum
  passages the question cites;
* *exam mode*: answers are provisional until the student finishes or the deadline
  passes; then all of them are graded together and the feedback is shown. Time is the
  server's, not the browser's: an answer after the deadline is refused, and a block
  found past its deadline is closed with what was saved in time.

Attempt ids are ``<block id>:<position>``, so grading the same answer twice (a double
click, a retry after an error) stores one attempt and one review.
"""

from __future__ import annotations

import random
from datetime import datetime

from tutor.bank.store import BankFilter, QuestionBank
from tutor.clock import Clock
from tutor.content.questions.model import LETTERS, Question
from tutor.errors import QuizError
from tutor.modes.curriculum_links import CurriculumLinks
from tutor.modes.quiz.selection import select_questions
from tutor.modes.quiz.models import BlockResult, BlockSpec, Feedback, OptionFeedback
from tutor.progress import scheduling
from tutor.progress.records import Attempt, QuizBlock, ReviewCard
from tutor.progress.store import ProgressStore


class QuizService:
    def __init__(self, *, bank: QuestionBank, progress: ProgressStore, links: CurriculumLinks, course_id: str, now: Clock):
        self._bank = bank
        self._progress = progress
        self._links = links
        self._course = course_id
        self._now = now

    # -- choosing ---------------------------------------------------------------------------

    def tags(self) -> dict[str, dict[str, int]]:
        """Approved questions per topic and per system (for the filters)."""
        return self._bank.tag_counts(self._course)

    def due_count(self, learner_id: int) -> int:
        approved = set(self._candidates(BlockSpec()))
        return sum(qid in approved for qid in self._due(learner_id))

    def start(self, learner_id: int, spec: BlockSpec, *, seed: int | None = None) -> QuizBlock:
        ids = select_questions(
            self._candidates(spec),
            pool=spec.pool,
            size=spec.size,
            due=self._due(learner_id),
            last_correct=self._progress.last_answers(learner_id, self._course),
            rng=random.Random(seed),
        )
        if not ids:
            raise QuizError(_EMPTY_POOL[spec.pool])
        return self._progress.start_block(
            learner_id, self._course, spec.mode, ids,
            spec=spec.model_dump(mode="json"), time_limit_s=spec.time_limit_s if spec.mode == "exam" else None,
        )

    # -- resuming ---------------------------------------------------------------------------

    def current(self, learner_id: int) -> QuizBlock | None:
        """The learner's open block, if any.

        An exam block found past its deadline is closed (graded with what was saved in
        time) and returned once, finished, so the caller can show its result; so is a
        practice set whose remaining questions were all withdrawn.
        """
        for block in self._progress.blocks_for(learner_id, status="active", limit=1):
            if self._expired(block) or (block.mode == "tutor" and self.next_position(block) is None):
                return self.finish(learner_id, block.block_id).block
            return block
        return None

    def block(self, learner_id: int, block_id: str) -> QuizBlock:
        block = self._progress.get_block(block_id)
        if block is None or block.learner_id != learner_id:
            raise QuizError("This block could not be found. Please start a new one.")
        return block

    def question(self, block: QuizBlock, position: int) -> Question | None:
        """The question at a position; None when an instructor withdrew it after the block began."""
        qid = block.question_ids[position]
        return self._bank.approved(self._course, [qid]).get(qid)

    def next_position(self, block: QuizBlock) -> int | None:
        """The first question not yet answered (tutor mode), or None when none is left.

        Questions withdrawn by an instructor after the block began are skipped.
        """
        open_ = self._open_positions(block)
        return open_[0] if open_ else None

    def seconds_left(self, block: QuizBlock) -> float | None:
        if block.deadline is None:
            return None
        return max(0.0, (block.deadline - self._now()).total_seconds())

    # -- answering ------------------------------------------------------------------------

    def answer(self, learner_id: int, block_id: str, position: int, letter: str, *, time_taken_ms: int | None = None) -> Feedback:
        """Tutor mode: grade one answer now and return its feedback."""
        block = self.block(learner_id, block_id)
        if block.mode != "tutor":
            raise QuizError("Answers in an exam block are marked when the block ends.")
        question = self._require(block, position)
        letter = _letter(question, letter)
        attempt = self._attempt(block, position, question, letter, time_taken_ms, self._bank.versions([question.id]).get(question.id))
        self._progress.grade(block_id, [attempt], review=_review, finish=self._last_open(block, position))
        return self.feedback(position, question, letter)

    def save(self, learner_id: int, block_id: str, position: int, letter: str | None, *, time_taken_ms: int | None = None) -> QuizBlock:
        """Exam mode: keep (or clear) a provisional answer; it may change until the block ends."""
        block = self.block(learner_id, block_id)
        if block.mode != "exam":
            raise QuizError("In tutor mode each answer is marked as soon as it is given.")
        question = self._require(block, position)
        return self._progress.save_block_answer(
            block_id, position, None if letter is None else _letter(question, letter), time_taken_ms=time_taken_ms,
        )

    def finish(self, learner_id: int, block_id: str) -> BlockResult:
        """Close a block and return its result.

        An exam block grades every provisional answer, and an unanswered question counts as
        wrong (as in the real exam). A practice set ended early just stops: questions not
        reached are neither attempts nor reviews.
        """
        block = self.block(learner_id, block_id)
        if block.status == "active":
            questions = self._bank.approved(self._course, list(block.question_ids))
            versions = self._bank.versions(list(questions))
            attempts = []
            for position, qid in enumerate(block.question_ids):
                saved = block.answer_at(position)
                if qid not in questions or (saved is not None and saved.graded):
                    continue
                if block.mode == "tutor" and saved is None:
                    continue
                chosen = saved.chosen_option if saved else None
                attempts.append(self._attempt(
                    block, position, questions[qid], chosen, saved.time_taken_ms if saved else None, versions.get(qid)))
            block = self._progress.grade(block_id, attempts, review=_review, finish=True, allow_late=True)
        return self.result(block)

    def result(self, block: QuizBlock) -> BlockResult:
        questions = self._bank.approved(self._course, list(block.question_ids))
        items, withdrawn = [], 0
        for position, qid in enumerate(block.question_ids):
            saved = block.answer_at(position)
            if qid not in questions:
                withdrawn += 1
                continue
            if saved is None or not saved.graded:
                if block.status == "active" or block.mode == "tutor":
                    continue
            items.append(self.feedback(position, questions[qid], saved.chosen_option if saved else None))
        return BlockResult(block=block, items=tuple(items), withdrawn=withdrawn)

    def feedback(self, position: int, question: Question, chosen: str | None) -> Feedback:
        citations, unresolved = self._links.for_question(question)
        return Feedback(
            position=position,
            question=question,
            chosen=chosen,
            correct=chosen == question.answer,
            options=tuple(
                OptionFeedback(letter=letter, text=option.text, explanation=option.explanation,
                               is_key=letter == question.answer, chosen=letter == chosen)
                for letter, option in zip(LETTERS, question.options)
            ),
            citations=citations,
            unresolved=unresolved,
        )

    # -- plumbing -------------------------------------------------------------------------

    def _candidates(self, spec: BlockSpec) -> list[str]:
        found = self._bank.questions(self._course, BankFilter(topics=spec.topics, systems=spec.systems))
        return [item.id for item in found]

    def _due(self, learner_id: int) -> list[str]:
        return [card.question_id for card in self._progress.due_cards(learner_id, until=self._now())]

    def _expired(self, block: QuizBlock) -> bool:
        return block.deadline is not None and self._now() > block.deadline

    def _require(self, block: QuizBlock, position: int) -> Question:
        if not 0 <= position < len(block.question_ids):
            raise QuizError("That question is not part of this block.")
        question = self.question(block, position)
        if question is None:
            raise QuizError("An instructor withdrew this question; it is skipped and not scored.")
        return question

    def _open_positions(self, block: QuizBlock) -> list[int]:
        answered = {answer.position for answer in block.answers if answer.graded}
        approved = self._bank.approved(self._course, list(block.question_ids))
        return [i for i, qid in enumerate(block.question_ids) if i not in answered and qid in approved]

    def _last_open(self, block: QuizBlock, position: int) -> bool:
        return self._open_positions(block) == [position]

    def _attempt(
        self, block: QuizBlock, position: int, question: Question, chosen: str | None, time_taken_ms: int | None,
        version: int | None,
    ) -> Attempt:
        return Attempt(
            attempt_id=f"{block.block_id}:{position}",
            learner_id=block.learner_id,
            course_id=block.course_id,
            question_id=question.id,
            question_version=version,
            chosen_option=chosen,
            correct=chosen == question.answer,
            time_taken_ms=time_taken_ms,
            mode=block.mode,
            block_id=block.block_id,
        )


def _review(current: ReviewCard | None, attempt: Attempt, now: datetime) -> tuple[ReviewCard, dict]:
    return scheduling.review(
        current, learner_id=attempt.learner_id, question_id=attempt.question_id,
        correct=attempt.correct, time_taken_ms=attempt.time_taken_ms, now=now,
    )


def _letter(question: Question, letter: str) -> str:
    letter = (letter or "").strip().upper()
    if letter not in question.letters:
        raise QuizError(f"Choose one of the options {', '.join(question.letters)}.")
    return letter


_EMPTY_POOL = {
    "all": "No approved questions match these filters yet. Widen the topics or ask an instructor to add questions.",
    "unseen": "You have answered every question that matches these filters. Try 'incorrect only' or 'all'.",
    "incorrect": "Nothing to retry: your latest answer to every question here was right.",
    "due": "No reviews are due right now. Come back later, or practise new questions.",
}
