"""Hardening suites of issue 7 (reliability and security): generators, tests and figures scripts."""
