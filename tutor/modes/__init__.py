"""Use cases, one package per feature: what a student or instructor can do, above the stores.

* ``ask``: the grounded tutor (Explain and the Socratic ladder);
* ``quiz``: tutor-mode sets, timed exam blocks and spaced repetition;
* ``cases``: clinical cases stage by stage, matching requests, scoring against the rubric,
  and the instructor's case administration;
* ``bank``: importing, reviewing and drafting questions;
* ``accounts``: sign-in, roles, remembered browser sessions;
* ``dashboards``: the learner's and the class's progress, item analysis.

A feature never imports another feature (an import-linter contract): what they share is the
``Actor`` and its checks (:mod:`tutor.modes.access`) and the way a reference becomes a
citation (:mod:`tutor.modes.curriculum_links`). The composition root (:mod:`tutor.services`)
builds them all.
"""
