"""Quizzes: choosing questions, tutor-mode feedback on every option, timed exam blocks and FSRS reviews."""
