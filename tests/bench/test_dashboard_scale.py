"""The dashboard scale script (``tests/bench/dashboard_scale.py``) at a small size.

The full run (2,000 learners, 1,000,000 attempts, 16 writer processes) is a script for
the docs/measurements.md figures. Here the same code path runs on 100 learners and 20,000 attempts
in a few seconds, so the ordinary test run keeps it working; the assertions are about
what the calls return and the rows written, never about how long anything took.
"""

from __future__ import annotations

from pathlib import Path

from tests.bench.dashboard_scale import markdown, run

LEARNERS, ATTEMPTS, WRITERS, WRITES = 100, 20_000, 3, 8


def test_dashboard_scale_script_on_a_small_class(tmp_path: Path, embedder):
    report = run(tmp_path / "data", learners=LEARNERS, attempts=ATTEMPTS, repeats=1, csv_repeats=0,
                 writers=WRITERS, writes=WRITES, embedder=embedder, keep_results=True, log=lambda line: None)
    made = report.made
    calls = {timing.name.split(":")[0].split(" (")[0]: timing for timing in report.queries}
    assert all(t.rows > 0 and len(t.samples) >= 1 for t in report.queries), [(t.name, t.rows) for t in report.queries]

    busiest = report.queries[0].result
    assert busiest.learner.username.startswith("student-") and busiest.topics and busiest.objectives
    assert sum(p.answered for p in busiest.weeks) > 0

    overviews = [t.result for t in report.queries if t.name.startswith("Class overview")]
    assert [o.dimension for o in overviews] == ["objective", "topic", "system", "objective"]
    for overview in overviews:
        assert len(overview.students) == LEARNERS and overview.cells and overview.usage and overview.cases
        assert all(0.0 <= cell.share <= 1.0 for cell in overview.cells)
    assert len({c.learner_id for c in overviews[0].cells}) == 40  # as the page asks: the weakest 40
    practised = {s.learner_id for s in overviews[-1].students if s.questions or s.cases_completed}
    assert {c.learner_id for c in overviews[-1].cells} == practised  # every student who has done anything

    items = calls["Item analysis"].result
    assert len(items) == len(made.items)  # every bundled question has enough first responses
    flagged = {item.stats.question_id for item in items if item.stats.dubious}
    assert set(made.planted) <= flagged
    assert made.reference_item not in flagged

    assert len(calls["`ProgressReports.students`"].result) == LEARNERS
    export = report.queries[-1]
    assert export.name.startswith("Export") and export.rows == ATTEMPTS

    assert [w.label for w in report.writes] == ["1 writer thread", f"{WRITERS} writer threads", f"{WRITERS} writer processes"]
    for w in report.writes:
        assert w.errors == [] and w.writes == w.stored == w.writers * WRITES
        assert len(w.total) == w.writes and w.reads  # the readers loaded dashboards meanwhile

    table = markdown(report, "python -m tests.bench.dashboard_scale --learners 100")
    assert "| Call | Rows | Median ms | Max ms | First ms |" in table
    assert all(t.name in table for t in report.queries) and "writer processes" in table
