"""The dashboards' charts (Altair), built from the values the dashboards service returns.

Each function takes domain values and returns a chart; the views decide where it goes.
Shares are plotted on a fixed 0-100% axis so two charts can be compared at a glance,
and every mark has a tooltip with the numbers behind it.

Every row and column is labelled, at any width. A chart with one row per topic or
student gets a fixed band per row (``alt.Step``) rather than a total height: with a
total height, Streamlit's fit-to-container sizing squeezed the bands until Vega dropped
every other label, and the axis labels of a heatmap with two students left a thin strip
of plot. ``labelOverlap=False`` stops Vega from thinning labels out on its own.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from tutor.modes.dashboards.service import CaseReport
from tutor.progress.analytics import Cell, Mastery, Period
from tutor.progress.item_analysis import ItemStats
from tutor.progress.reports import UsageDay

_SHARE = alt.Scale(domain=[0, 1])
_MASTERY_COLOURS = alt.Scale(domain=[0, 0.5, 0.75, 1], range=["#c0392b", "#e67e22", "#f1c40f", "#27ae60"])
ROW = 28  # pixels per bar or heatmap row: room for one line of label at Streamlit's chart font


def mastery_bars(masteries: list[Mastery], label: str) -> alt.Chart:
    frame = pd.DataFrame([
        {label: m.name, "Mastery": m.share, "Evidence": f"{m.earned:g} of {m.possible:g} points",
         "Questions": m.questions, "Cases": m.cases} for m in masteries
    ])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("Mastery:Q", scale=_SHARE, axis=alt.Axis(format="%")),
            y=alt.Y(f"{label}:N", sort=None, title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
            color=alt.Color("Mastery:Q", scale=_MASTERY_COLOURS, legend=None),
            tooltip=[label, alt.Tooltip("Mastery:Q", format=".0%"), "Evidence", "Questions", "Cases"],
        )
        .properties(height=alt.Step(ROW))
    )


def accuracy_over_time(weeks: list[Period]) -> alt.LayerChart:
    frame = pd.DataFrame([
        {"Week of": w.start.isoformat(), "Answered": w.answered, "Accuracy": w.accuracy} for w in weeks
    ])
    base = alt.Chart(frame).encode(x=alt.X("Week of:T", title="Week"))
    bars = base.mark_bar(opacity=0.3).encode(
        y=alt.Y("Answered:Q", title="Questions answered"), tooltip=["Week of:T", "Answered:Q"])
    line = base.mark_line(point=True).encode(
        y=alt.Y("Accuracy:Q", scale=_SHARE, axis=alt.Axis(format="%"), title="Accuracy"),
        tooltip=["Week of:T", alt.Tooltip("Accuracy:Q", format=".0%"), "Answered:Q"],
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=260)


def heatmap(cells: list[Cell], names: dict[int, str], dimension: str) -> alt.Chart:
    frame = pd.DataFrame([
        {"Student": names.get(c.learner_id, f"#{c.learner_id}"), dimension: c.name, "Mastery": c.share,
         "Points": c.possible} for c in cells
    ])
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X(f"{dimension}:N", title=None,
                    axis=alt.Axis(labelAngle=-60, labelLimit=260, labelOverlap=False, orient="top")),
            y=alt.Y("Student:N", title=None, sort=list(names.values()),  # the caller's order: weakest first
                    axis=alt.Axis(labelLimit=200, labelOverlap=False)),
            color=alt.Color("Mastery:Q", scale=_MASTERY_COLOURS, legend=alt.Legend(format="%")),
            tooltip=["Student", dimension, alt.Tooltip("Mastery:Q", format=".0%"), "Points"],
        )
        .properties(height=alt.Step(ROW))
    )


def usage(days: list[UsageDay]) -> alt.Chart:
    frame = pd.DataFrame([
        row for d in days for row in (
            {"Day": d.day.isoformat(), "Activity": "Questions answered", "Count": d.attempts},
            {"Day": d.day.isoformat(), "Activity": "Active students", "Count": d.active_learners},
            {"Day": d.day.isoformat(), "Activity": "Cases completed", "Count": d.cases_completed},
            {"Day": d.day.isoformat(), "Activity": "Questions to the tutor", "Count": d.tutor_questions},
        )
    ])
    return (
        alt.Chart(frame)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("Day:T", title=None),
            y=alt.Y("Count:Q", title=None),
            color=alt.Color("Activity:N", legend=alt.Legend(orient="bottom")),
            tooltip=["Day:T", "Activity", "Count"],
        )
        .properties(height=280)
    )


def option_rates(item: ItemStats, key: str) -> alt.Chart:
    rows = [{"Option": letter, "Group": "All responders", "Chose it": rate, "Key": letter == key}
            for letter, rate in item.option_rates.items()]
    rows += [{"Option": letter, "Group": "Top 27%", "Chose it": rate, "Key": letter == key}
             for letter, rate in item.upper_rates.items()]
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            x=alt.X("Option:N", title=None),
            xOffset="Group:N",
            y=alt.Y("Chose it:Q", scale=_SHARE, axis=alt.Axis(format="%")),
            color=alt.Color("Group:N", legend=alt.Legend(orient="bottom")),
            opacity=alt.condition("datum.Key", alt.value(1.0), alt.value(0.55)),
            tooltip=["Option", "Group", alt.Tooltip("Chose it:Q", format=".0%"), "Key"],
        )
        .properties(height=220)
    )


def case_scores(reports: list[CaseReport]) -> alt.Chart:
    frame = pd.DataFrame([{"Case": r.title, "Score": s} for r in reports for s in r.scores])
    return (
        alt.Chart(frame)
        .mark_boxplot(extent="min-max")
        .encode(x=alt.X("Score:Q", scale=_SHARE, axis=alt.Axis(format="%")),
                y=alt.Y("Case:N", title=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)))
        .properties(height=alt.Step(ROW + 6))
    )
