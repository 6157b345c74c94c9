"""Dashboards: a learner's mastery and reviews, the class view, item analysis and reports."""
