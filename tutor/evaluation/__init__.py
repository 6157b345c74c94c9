"""Evaluation harnesses: measured quality figures, not pass/fail tests.

Used by ``tests/evals``, the benchmarks and (later) ``tutor eval``.
"""
