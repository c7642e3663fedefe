"""Charts of a measure as Vega-Lite specs built with Altair: the sparkline of a scorecard tile, the XmR chart (the
values, the mean, the process limits, special-cause points coloured and shaped by improvement or concern, a marked
rule where the definition changes, the targets) and the turn-the-curve chart (the history with the trend of the
baseline carried on ahead). A page draws a spec with vega-embed (web/static/app.js); a download renders the same
spec to PNG with vl-convert, so screen and report show one chart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import altair as alt
import vl_convert

from wholeplace.outcomes import periods
from wholeplace.outcomes.schemas import BaselineForecast, ChangePoint, SeriesPoint
from wholeplace.outcomes.scorecard import SIGNAL_LABELS, TARGET_LABELS, Charted, Signal, Tile, with_unit

FONT = "arial, sans-serif"
# Vega-Lite as Altair writes it (v6.4.1 for Altair 6.3): vl-convert takes the minor version.
VEGA_LITE = ".".join(alt.SCHEMA_VERSION.removeprefix("v").split(".")[:2])
PNG_WIDTH = 900
PNG_PANEL = 560  # a scorecard image's panel, wide enough for a tile's sentence

# GOV.UK colours: blue for improvement and orange for concern as Making Data Count has them, dark grey for common
# cause; the shapes differ too, so that colour is not the only difference.
SIGNAL_COLOURS = {
    Signal.IMPROVEMENT: "#1d70b8",
    Signal.CONCERN: "#f47738",
    Signal.COMMON_CAUSE: "#505a5f",
    Signal.NOT_ENOUGH_DATA: "#505a5f",
}
SIGNAL_SHAPES = {
    Signal.IMPROVEMENT: "square",
    Signal.CONCERN: "diamond",
    Signal.COMMON_CAUSE: "circle",
    Signal.NOT_ENOUGH_DATA: "circle",
}
MEAN, LIMIT, TARGET, ACTUAL, TREND = (
    "Mean",
    "Process limit",
    "Target",
    "Actual",
    "Trend of the baseline, if nothing changes",
)
LINE_STYLES = {  # colour and dash of each line a chart's legend names
    MEAN: ("#0b0c0c", [1, 0]),
    LIMIT: ("#505a5f", [6, 4]),
    TARGET: ("#00703c", [2, 3]),
    ACTUAL: ("#0b0c0c", [1, 0]),
    TREND: ("#1d70b8", [8, 4]),
}
CHANGE_COLOUR = "#0b0c0c"
AXIS_FORMAT = ",.4~r"  # d3-format: thousands separated, four significant figures, no trailing zeros


def sparkline(points: Sequence[Charted], *, description: str) -> dict[str, Any]:
    """A small line of the values with no axes, the latest point marked by its signal."""
    return _spec(_latest_marked(points), description=description, height=40, padding=4)


def _latest_marked(points: Sequence[Charted]) -> alt.LayerChart:
    """The line of the values, the latest point marked by its signal's colour and shape."""
    rows = [{"order": index, "value": float(point.value)} for index, point in enumerate(points)]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("order:Q", axis=None, scale=alt.Scale(nice=False)),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
    )
    latest = points[-1].signal if points else Signal.COMMON_CAUSE
    line = base.mark_line(color=LINE_STYLES[ACTUAL][0], strokeWidth=2)
    dot = (
        base.transform_filter(alt.datum.order == len(rows) - 1)
        .mark_point(filled=True, size=60, shape=SIGNAL_SHAPES[latest], opacity=1)
        .encode(color=alt.value(SIGNAL_COLOURS[latest]))
    )
    marked: alt.LayerChart = line + dot
    return marked


def scorecard_image(title: str, sections: Sequence[tuple[str, Sequence[Tile]]]) -> dict[str, Any]:
    """A scorecard as one chart for a PNG: under each section's heading, a panel for each tile naming the measure,
    its latest value, what the XmR rules say of it and its target status, over a line of its values so far."""
    panels = [
        _tile_panel(one, heading if index == 0 else None)
        for heading, tiles in sections
        for index, one in enumerate(tiles)
    ]
    if not panels:
        panels = [alt.Chart(alt.InlineData(values=[{}])).mark_text(text="No measures yet.", align="left")]
    chart = alt.vconcat(*panels, title=alt.TitleParams(title, anchor="start", fontSize=20), spacing=18)
    configured = (
        chart.configure(font=FONT)
        .configure_title(anchor="start", subtitleFontSize=13, subtitleColor="#505a5f")
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = configured.to_dict()
    return spec


def _tile_panel(one: Tile, heading: str | None) -> alt.Chart | alt.LayerChart:
    measure = one.measure
    latest = one.latest
    said = (
        f"Data development agenda: {measure.data_agenda_note or 'no data yet'}"
        if measure.on_data_agenda
        else "No values yet"
        if latest is None
        else f"{with_unit(latest.value, measure.unit)} in {latest.period}  ·  {SIGNAL_LABELS[one.signal]}  ·  "
        f"{TARGET_LABELS[one.target_status]}"
    )
    title = alt.TitleParams(
        [*([heading.upper()] if heading else []), measure.title], subtitle=[said], fontSize=14, anchor="start"
    )
    if len(one.points) < 2:
        alone: alt.Chart = alt.Chart(alt.InlineData(values=[{}])).mark_text()
        titled: alt.Chart = alone.properties(title=title, width=PNG_PANEL, height=1)
        return titled
    layered: alt.LayerChart = _latest_marked(one.points).properties(title=title, width=PNG_PANEL, height=40)
    return layered


def xmr_chart(
    points: Sequence[Charted],
    *,
    change_points: Sequence[ChangePoint],
    targets: Mapping[str, Decimal],
    unit: str,
    description: str,
) -> dict[str, Any]:
    """The XmR chart of a series: values joined by a line, each point coloured and shaped by its signal, the mean
    and process limits, the targets, and a rule labelled with the version where the definition changes."""
    order = _in_time_order([*(point.period for point in points), *targets])
    lines = [
        row
        for point in points
        if point.limits is not None
        for row in (
            _line_row(point.period, point.limits.mean, MEAN, "mean"),
            _line_row(point.period, point.limits.upper, LIMIT, "upper"),
            _line_row(point.period, point.limits.lower, LIMIT, "lower"),
        )
    ] + _target_rows(targets)
    values = [
        {
            "period": point.period,
            "value": float(point.value),
            "variation": SIGNAL_LABELS[point.signal],
        }
        for point in points
    ]
    x = _period_axis(order)
    y = _value_axis(unit)
    value_line = alt.Chart(alt.InlineData(values=values)).mark_line(color="#505a5f").encode(x=x, y=y)
    shown = list(dict.fromkeys(point.signal for point in points))
    value_points = (
        alt.Chart(alt.InlineData(values=values))
        .mark_point(filled=True, size=80, opacity=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "variation:N",
                title="Variation",
                scale=alt.Scale(
                    domain=[SIGNAL_LABELS[one] for one in shown], range=[SIGNAL_COLOURS[one] for one in shown]
                ),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
            shape=alt.Shape(
                "variation:N",
                title="Variation",
                scale=alt.Scale(
                    domain=[SIGNAL_LABELS[one] for one in shown], range=[SIGNAL_SHAPES[one] for one in shown]
                ),
            ),
        )
    )
    layers = [
        *_lines_layer(lines, x, y),
        *_target_points(targets, x, y),
        value_line,
        value_points,
        *_change_layers(change_points, x),
    ]
    return _spec(
        alt.layer(*layers).resolve_scale(color="independent", shape="independent", strokeDash="independent"),
        description=description,
        height=320,
    )


def curve_chart(
    points: Sequence[SeriesPoint],
    *,
    baseline: BaselineForecast | None,
    change_points: Sequence[ChangePoint],
    targets: Mapping[str, Decimal],
    unit: str,
    description: str,
) -> dict[str, Any]:
    """The history of an indicator with the straight line through its baseline carried on for the periods ahead:
    where the curve goes if nothing changes, against where it went and the targets."""
    rows = [_line_row(point.period, point.value, ACTUAL, "actual") for point in points]
    if baseline is not None:
        rows += [_line_row(period, value, TREND, "trend") for period, value in trend_of(baseline)]
    rows += _target_rows(targets)
    order = _in_time_order(str(row["period"]) for row in rows)
    x = _period_axis(order)
    y = _value_axis(unit)
    return _spec(
        alt.layer(*_lines_layer(rows, x, y, points=True), *_change_layers(change_points, x)),
        description=description,
        height=320,
    )


def trend_of(baseline: BaselineForecast) -> list[tuple[str, Fraction]]:
    """The baseline's trend at each of its periods, then the forecast: one line from the first baseline period."""
    fitted = [(point.period, baseline.trend.at(position)) for position, point in enumerate(baseline.baseline)]
    return fitted + list(baseline.forecast)


def png(spec: Mapping[str, Any], *, width: int | None = PNG_WIDTH) -> bytes:
    """The chart as a PNG image, drawn from the page's spec at a fixed width (a file has no container); None keeps
    the widths the spec's own panels give."""
    sized = dict(spec) if width is None else {**spec, "width": width}
    image: bytes = vl_convert.vegalite_to_png(sized, vl_version=VEGA_LITE, scale=2, allowed_base_urls=[])
    return image


def _line_row(period: str, value: Decimal | Fraction, line: str, which: str) -> dict[str, Any]:
    return {"period": period, "value": float(value), "line": line, "which": which}


def _target_rows(targets: Mapping[str, Decimal]) -> list[dict[str, Any]]:
    return [_line_row(period, value, TARGET, "target") for period, value in targets.items()]


def _lines_layer(rows: list[dict[str, Any]], x: alt.X, y: alt.Y, *, points: bool = False) -> list[alt.Chart]:
    """Lines named in the legend by `line` (two lines may share a name, told apart by `which`)."""
    if not rows:
        return []
    named = list(dict.fromkeys(str(row["line"]) for row in rows))
    return [
        alt.Chart(alt.InlineData(values=rows))
        .mark_line(point=points)
        .encode(
            x=x,
            y=y,
            detail="which:N",
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=named, range=[LINE_STYLES[name][0] for name in named]),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
            strokeDash=alt.StrokeDash(
                "line:N",
                title=None,
                scale=alt.Scale(domain=named, range=[LINE_STYLES[name][1] for name in named]),
            ),
        )
    ]


def _target_points(targets: Mapping[str, Decimal], x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """A point at each target, since a target for a single period makes a line of no length."""
    if not targets:
        return []
    rows = _target_rows(targets)
    colour = LINE_STYLES[TARGET][0]
    return [
        alt.Chart(alt.InlineData(values=rows))
        .mark_point(color=colour, filled=True, size=60, opacity=1)
        .encode(x=x, y=y)
    ]


def _change_layers(change_points: Sequence[ChangePoint], x: alt.X) -> list[alt.Chart]:
    """A rule at the first period of each new definition version, labelled with the version."""
    if not change_points:
        return []
    rows = [{"period": one.period, "label": f"Definition v{one.version}"} for one in change_points]
    marked = alt.Chart(alt.InlineData(values=rows)).encode(x=x)
    rule = marked.mark_rule(color=CHANGE_COLOUR, strokeDash=[2, 2])
    label = marked.mark_text(align="left", baseline="top", dx=4, color=CHANGE_COLOUR).encode(
        y=alt.value(4), text="label:N"
    )
    return [rule, label]


def _period_axis(order: list[str]) -> alt.X:
    return alt.X(
        "period:O",
        title="Period",
        sort=order,
        scale=alt.Scale(domain=order),
        axis=alt.Axis(labelAngle=-45, labelOverlap=True),
    )


def _value_axis(unit: str) -> alt.Y:
    # Padding keeps a point at the edge of the values whole, not cut in half by the chart's frame. Labels carry
    # four significant figures at most: a lone value would otherwise be its own tick, to every decimal place.
    return alt.Y(
        "value:Q",
        title=unit or None,
        scale=alt.Scale(zero=False, padding=12),
        axis=alt.Axis(format=AXIS_FORMAT),
    )


def _in_time_order(texts: Iterable[str]) -> list[str]:
    return [period.text for period in sorted({periods.parse(text) for text in texts})]


def _spec(
    chart: alt.LayerChart | alt.FacetChart, *, description: str, height: int, padding: int = 5
) -> dict[str, Any]:
    configured = (
        chart.properties(width="container", height=height, description=description, padding=padding)
        .configure(font=FONT)
        .configure_axis(labelFontSize=14, titleFontSize=14)
        .configure_legend(labelFontSize=14, titleFontSize=14)
        .configure_text(fontSize=13)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = configured.to_dict()
    return spec
