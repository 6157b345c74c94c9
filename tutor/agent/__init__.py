"""The tutor agent and the guards around it.

The model only phrases; the code decides: what was retrieved (evidence), which
citations stand, which sentences are quoted as support, whether a question is in
scope, and which rung of the Socratic hint ladder the student is on.
"""
