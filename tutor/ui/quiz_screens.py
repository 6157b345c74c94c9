"""The Quiz page's screens: choosing a block, tutor-mode questions, the exam block, results.

The block itself lives in the progress store (a reload resumes it); the session state
keys below only remember which feedback is on screen, when the current question
appeared (for time taken) and which exam question is open.
"""

from __future__ import annotations

import time

import streamlit as st

from tutor.modes.quiz.models import BlockSpec
from tutor.ui.errors import shown_errors
from tutor.ui.quiz_view import countdown, feedback_view, option_label, result_view, stem_view

FEEDBACK = "quiz.feedback"  # (block id, position) whose feedback is on screen
SHOWN_AT = "quiz.shown_at"  # (block id, position, monotonic time) the question appeared
RESULT = "quiz.result"  # block id of the block just finished, to show its result
EXAM_POSITION = "quiz.exam_position"  # the exam question on screen


def elapsed_ms(block_id: str, position: int) -> int | None:
    shown = st.session_state.get(SHOWN_AT)
    if not shown or shown[:2] != (block_id, position):
        st.session_state[SHOWN_AT] = (block_id, position, time.monotonic())
        return None
    return int((time.monotonic() - shown[2]) * 1000)


def setup_form(services, learner) -> None:
    quiz = services.quiz
    tags = quiz.tags()
    if not tags["topic"]:
        st.info("No approved questions yet. An instructor can import or approve questions on the **Question bank** page.")
        return
    due = quiz.due_count(learner.learner_id)
    st.metric("Reviews due now", due, help="Questions your spaced-repetition schedule (FSRS) says to review; they come first.")
    with st.form("quiz.setup"):
        mode = st.segmented_control("Mode", ["Tutor mode", "Timed exam"], default="Tutor mode",
                                    help="Tutor mode explains each answer at once. A timed exam shows feedback at the end.")
        left, right = st.columns(2)
        size = left.number_input("Number of questions", min_value=1, max_value=100, value=10, step=1)
        minutes = right.number_input(
            "Time limit (minutes, exam only)", min_value=1, max_value=360,
            value=max(1, round(10 * services.settings.exam_seconds_per_question / 60)),
        )
        topics = st.multiselect("Topics", list(tags["topic"]), format_func=lambda t: f"{t} ({tags['topic'][t]})",
                                placeholder="All topics")
        systems = st.multiselect("Systems", list(tags["system"]), format_func=lambda s: f"{s} ({tags['system'][s]})",
                                 placeholder="All systems")
        pool_label = st.radio("Which questions", ["All", "Unseen only", "Incorrect only", "Due for review"], horizontal=True)
        start = st.form_submit_button("Start", type="primary", icon=":material/play_arrow:")
    if start:
        exam = mode == "Timed exam"
        pool = {"All": "all", "Unseen only": "unseen", "Incorrect only": "incorrect", "Due for review": "due"}[pool_label]
        with shown_errors():
            spec = BlockSpec(mode="exam" if exam else "tutor", size=int(size), topics=tuple(topics),
                             systems=tuple(systems), pool=pool, time_limit_s=int(minutes) * 60 if exam else None)
            quiz.start(learner.learner_id, spec)
            st.session_state.pop(RESULT, None)
            st.rerun()


def showing_feedback(quiz, block) -> bool:
    """Show the feedback of the answer just given, if any; True when it is on screen."""
    shown = st.session_state.get(FEEDBACK)
    if not shown or shown[0] != block.block_id:
        return False
    position = shown[1]
    question = quiz.question(block, position)
    answer = block.answer_at(position)
    if question is None or answer is None:
        st.session_state.pop(FEEDBACK)
        return False
    stem_view(question, position, len(block.question_ids))
    feedback_view(quiz.feedback(position, question, answer.chosen_option))
    last = block.status == "finished"
    if st.button("See results" if last else "Next question", type="primary", icon=":material/arrow_forward:"):
        st.session_state.pop(FEEDBACK)
        st.rerun()
    return True


def tutor_mode(quiz, learner, block) -> None:
    if showing_feedback(quiz, block):
        return
    if st.button("End this set", icon=":material/stop_circle:", help="Questions you have not reached are not counted."):
        with shown_errors():
            quiz.finish(learner.learner_id, block.block_id)
            st.session_state[RESULT] = block.block_id
            st.rerun()
    position = quiz.next_position(block)
    st.progress(position / len(block.question_ids), text=f"{position} of {len(block.question_ids)} answered")
    question = quiz.question(block, position)
    if question is None:
        st.warning("An instructor withdrew this question; it is not scored.")
        return
    stem_view(question, position, len(block.question_ids))
    elapsed_ms(block.block_id, position)
    with st.form(f"quiz.q.{block.block_id}.{position}"):
        letter = st.radio("Your answer", list(question.letters), index=None,
                          format_func=lambda letter: option_label(question, letter))
        submitted = st.form_submit_button("Check answer", type="primary")
    if submitted:
        if letter is None:
            st.warning("Choose an option first.")
            return
        with shown_errors():
            quiz.answer(learner.learner_id, block.block_id, position, letter, time_taken_ms=elapsed_ms(block.block_id, position))
            st.session_state[FEEDBACK] = (block.block_id, position)
            if quiz.block(learner.learner_id, block.block_id).status == "finished":
                st.session_state[RESULT] = block.block_id
            st.rerun()


@st.fragment(run_every=1)
def clock(quiz, block) -> None:
    left = quiz.seconds_left(block)
    st.metric("Time left", countdown(left or 0))
    if left is not None and left <= 0:
        st.rerun()  # the whole page: the block is closed on the next run


def exam_mode(quiz, learner, block) -> None:
    total = len(block.question_ids)
    chosen = {a.position for a in block.answers if a.chosen_option is not None}
    first_open = next((i for i in range(total) if i not in chosen), 0)  # a reload resumes where the student was
    position = min(st.session_state.get(EXAM_POSITION, first_open), total - 1)
    answered = sum(a.chosen_option is not None for a in block.answers)
    head, timer = st.columns([3, 1])
    head.progress(answered / total, text=f"{answered} of {total} answered; feedback comes at the end")
    with timer:
        clock(quiz, block)
    question = quiz.question(block, position)
    if question is None:
        st.warning("An instructor withdrew this question; it is not scored.")
    else:
        stem_view(question, position, total)
        saved = block.answer_at(position)
        letters = list(question.letters)
        with st.form(f"quiz.exam.{block.block_id}.{position}"):
            letter = st.radio("Your answer", letters, format_func=lambda letter: option_label(question, letter),
                              index=letters.index(saved.chosen_option) if saved and saved.chosen_option else None)
            back, forward = st.columns(2)
            previous = back.form_submit_button("Save and go back", disabled=position == 0, icon=":material/arrow_back:")
            following = forward.form_submit_button("Save and next", type="primary", disabled=position == total - 1,
                                                   icon=":material/arrow_forward:")
            save_only = st.form_submit_button("Save")
        if previous or following or save_only:
            with shown_errors():
                if letter is not None:
                    quiz.save(learner.learner_id, block.block_id, position, letter, time_taken_ms=elapsed_ms(block.block_id, position))
                st.session_state[EXAM_POSITION] = position + (1 if following else -1 if previous else 0)
                st.rerun()
    jump = st.pills("Go to question", list(range(total)), default=position,
                    format_func=lambda i: f"{i + 1}{' ✓' if (a := block.answer_at(i)) and a.chosen_option else ''}")
    if jump is not None and jump != position:
        st.session_state[EXAM_POSITION] = jump
        st.rerun()
    with st.popover("Finish the block", icon=":material/flag:"):
        st.write(f"{total - answered} question(s) unanswered. Unanswered questions count as wrong.")
        if st.button("Finish and see results", type="primary"):
            with shown_errors():
                quiz.finish(learner.learner_id, block.block_id)
                st.session_state[RESULT] = block.block_id
                st.session_state.pop(EXAM_POSITION, None)
                st.rerun()



def quiz_screen(services, learner) -> None:
    """Whatever the learner should see now: a result, the open block, or the setup form."""
    quiz = services.quiz
    block = quiz.current(learner.learner_id)
    if block is not None and block.status == "finished":  # closed on loading: time ran out, or nothing left
        st.session_state[RESULT] = block.block_id
        if block.mode == "exam":
            st.info("Time is up: the block was marked with the answers saved before the deadline.", icon=":material/timer_off:")
        block = None
    if block is None and st.session_state.get(RESULT):
        finished = quiz.block(learner.learner_id, st.session_state[RESULT])
        if not showing_feedback(quiz, finished):
            result_view(quiz.result(finished))
            if st.button("Practise again", type="primary", icon=":material/replay:"):
                st.session_state.pop(RESULT)
                st.rerun()
    elif block is None:
        setup_form(services, learner)
    elif block.mode == "tutor":
        st.caption("Tutor mode: each answer is explained at once.")
        tutor_mode(quiz, learner, block)
    else:
        exam_mode(quiz, learner, block)
