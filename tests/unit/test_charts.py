"""The dashboards' charts label every row and column at any width.

Checked on the Vega-Lite specification the app sends: a chart with a row per topic,
student or case has a fixed band per row (``step``), so Streamlit's fit-to-container
sizing cannot squeeze the rows until Vega drops every other label (seen: "My progress"
by topic and the class heatmap labelled only every other row, and a heatmap of two
students shrank to a thin strip under its rotated topic labels), and Vega's own label
thinning is off on those axes.
"""

from __future__ import annotations

from tutor.modes.dashboards.service import CaseReport
from tutor.progress.analytics import Cell, Mastery
from tutor.ui import charts

TOPICS = [f"Topic {n}: a name long enough to wrap" for n in range(14)]


def _banded(spec: dict, channels: tuple[str, ...]) -> None:
    assert spec["height"] == {"step": charts.ROW} or spec["height"].get("step", 0) >= charts.ROW, spec["height"]
    for channel in channels:
        axis = spec["encoding"][channel].get("axis", {})
        assert axis.get("labelOverlap") is False, (channel, axis)


def test_mastery_bars_give_every_topic_its_own_labelled_row():
    chart = charts.mastery_bars([Mastery(name, 3, 4) for name in TOPICS], "Topic")
    _banded(chart.to_dict(), ("y",))


def test_the_heatmap_keeps_its_rows_and_labels_with_two_students_or_many_topics():
    cells = [Cell(learner_id, topic, 0.5, 4) for learner_id in (1, 2) for topic in TOPICS]
    chart = charts.heatmap(cells, {1: "Ada", 2: "Bo"}, "Topic")
    _banded(chart.to_dict(), ("x", "y"))


def test_case_scores_label_every_case():
    reports = [CaseReport(f"case-{n}", f"Case {n}", 2, 0.7, (0.6, 0.8), ()) for n in range(10)]
    _banded(charts.case_scores(reports).to_dict(), ("y",))
