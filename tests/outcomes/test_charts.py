"""The Vega-Lite specs of a measure's charts: the XmR chart carries its mean and limits, marks a definition change
with a labelled rule and colours special-cause points by improvement or concern; the curve chart carries the
forecast; and vl-convert draws the same spec as a PNG with the Vega-Lite version Altair writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import altair as alt
import vl_convert
from hypothesis import given, settings
from hypothesis import strategies as st

from wholeplace.outcomes import charts, scorecard
from wholeplace.outcomes.forecast import Trend
from wholeplace.outcomes.schemas import BaselineForecast, ChangePoint, MeasureKind, SeriesPoint
from wholeplace.outcomes.scorecard import SIGNAL_LABELS
from wholeplace.outcomes.spc import Polarity

STEADY = [10, 11, 10, 11, 10, 11, 10, 11]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _points(values: list[int]) -> list[SeriesPoint]:
    """Monthly points from January 2024."""
    return [
        SeriesPoint(f"{2024 + index // 12}-{index % 12 + 1:02d}", Decimal(value), None)
        for index, value in enumerate(values)
    ]


def _xmr(values: list[int], **extra: Any) -> dict[str, Any]:
    charted = scorecard.chart(_points(values), Polarity.HIGHER_IS_BETTER)
    fields: dict[str, Any] = {"change_points": [], "targets": {}, "unit": "%", "description": "An XmR chart."}
    return charts.xmr_chart(charted, **(fields | extra))


def _rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for rows in spec["datasets"].values() for row in rows]


def _layers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from spec["layer"]


def test_the_xmr_chart_carries_the_mean_and_both_limits_at_every_period() -> None:
    spec = _xmr([*STEADY, 2])
    limits = scorecard.chart(_points([*STEADY, 2]), Polarity.HIGHER_IS_BETTER)[0].limits
    assert limits is not None
    lines = {(row["which"], row["period"]): row["value"] for row in _rows(spec) if "which" in row}
    for month in range(1, 10):
        period = f"2024-{month:02d}"
        assert lines[("mean", period)] == float(limits.mean)
        assert lines[("upper", period)] == float(limits.upper)
        assert lines[("lower", period)] == float(limits.lower)


def test_a_definition_change_is_a_rule_labelled_with_the_version_at_its_first_period() -> None:
    change = ChangePoint("2024-05", 2, "ana", datetime(2024, 5, 1, tzinfo=UTC), "The threshold changed.")
    spec = _xmr(STEADY, change_points=[change])
    marks = {
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in _layers(spec)
    }
    assert "rule" in marks
    assert {"period": "2024-05", "label": "Definition v2"} in _rows(spec)


@settings(max_examples=25)
@given(values=st.lists(st.integers(min_value=0, max_value=40), min_size=2, max_size=24))
def test_special_cause_points_are_coloured_and_shaped_by_improvement_or_concern(values: list[int]) -> None:
    spec = _xmr(values)
    charted = scorecard.chart(_points(values), Polarity.HIGHER_IS_BETTER)
    coloured = next(layer for layer in _layers(spec) if "shape" in layer.get("encoding", {}))
    colour = coloured["encoding"]["color"]["scale"]
    shape = coloured["encoding"]["shape"]["scale"]
    shown = list(dict.fromkeys(point.signal for point in charted))
    assert colour["domain"] == shape["domain"] == [SIGNAL_LABELS[one] for one in shown]
    assert colour["range"] == [charts.SIGNAL_COLOURS[one] for one in shown]
    assert shape["range"] == [charts.SIGNAL_SHAPES[one] for one in shown]
    plotted = [row["variation"] for row in _rows(spec) if "variation" in row]
    assert plotted == [SIGNAL_LABELS[point.signal] for point in charted]


def test_targets_are_drawn_and_their_periods_join_the_axis_in_time_order() -> None:
    spec = _xmr(STEADY, targets={"2024-12": Decimal(12), "2024-10": Decimal(11)})
    assert {(row["period"], row["value"]) for row in _rows(spec) if row.get("line") == "Target"} == {
        ("2024-12", 12.0),
        ("2024-10", 11.0),
    }
    axis = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert axis == [f"2024-{month:02d}" for month in (*range(1, 9), 10, 12)]


def test_the_curve_chart_runs_the_baseline_trend_on_through_the_forecast() -> None:
    baseline = BaselineForecast(
        baseline=_points([10, 12, 14]),
        trend=Trend(intercept=Fraction(10), slope=Fraction(2)),
        forecast=[("2024-04", Fraction(16)), ("2024-05", Fraction(18))],
    )
    spec = charts.curve_chart(
        _points([10, 12, 14, 13]),
        baseline=baseline,
        change_points=[],
        targets={},
        unit="%",
        description="A curve.",
    )
    trend = [(row["period"], row["value"]) for row in _rows(spec) if row.get("line") == charts.TREND]
    assert trend == [
        ("2024-01", 10.0),
        ("2024-02", 12.0),
        ("2024-03", 14.0),
        ("2024-04", 16.0),
        ("2024-05", 18.0),
    ]
    actual = [row["value"] for row in _rows(spec) if row.get("line") == charts.ACTUAL]
    assert actual == [10.0, 12.0, 14.0, 13.0]


def test_the_spec_is_drawn_to_png_with_the_vega_lite_version_altair_writes() -> None:
    assert alt.SCHEMA_VERSION.removeprefix("v").startswith(charts.VEGA_LITE + ".")
    assert charts.VEGA_LITE in vl_convert.get_vegalite_versions()
    spark = charts.sparkline(
        scorecard.chart(_points(STEADY), Polarity.HIGHER_IS_BETTER), description="Steady."
    )
    assert spark["description"] == "Steady." and spark["width"] == "container"
    assert charts.png(_xmr([*STEADY, 2])).startswith(PNG_SIGNATURE)


def _tile(title: str, values: list[int], **measured: Any) -> scorecard.Tile:
    measure = scorecard.Measured(
        id=uuid.uuid4(),
        title=title,
        kind=MeasureKind.INDICATOR,
        belongs_to="Children attend school",
        owner="Jo",
        unit="%",
        polarity=Polarity.HIGHER_IS_BETTER,
        **measured,
    )
    return scorecard.tile(measure, _points(values))


def test_a_scorecard_image_has_a_panel_a_tile_under_its_section_s_heading() -> None:
    tiles = [
        _tile("Attendance", [*STEADY, 2]),
        _tile("Exclusions", [7]),
        _tile("Moves", [], on_data_agenda=True),
    ]
    spec = charts.scorecard_image(
        "Scorecard of Riverford", [("Children attend school", tiles[:2]), ("Homes", tiles[2:])]
    )
    titles = [panel["title"] for panel in spec["vconcat"]]
    assert [title["text"] for title in titles] == [
        ["CHILDREN ATTEND SCHOOL", "Attendance"],
        ["Exclusions"],
        ["HOMES", "Moves"],
    ]
    assert titles[0]["subtitle"] == ["2 % in 2024-09  ·  Special cause: concern  ·  No target"]
    assert titles[1]["subtitle"] == ["7 % in 2024-01  ·  Not enough data  ·  No target"]
    assert titles[2]["subtitle"] == ["Data development agenda: no data yet"]
    assert vl_convert.vegalite_to_png(spec, vl_version=charts.VEGA_LITE).startswith(PNG_SIGNATURE)
