"""Commands of the outcomes domain: early warning on a series of values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from wholeplace.core.errors import IngestError
from wholeplace.outcomes import spc
from wholeplace.outcomes.series import Observation, read_series_csv

outcomes_app = typer.Typer(
    help="Outcomes: early warning by statistical process control.", no_args_is_help=True
)

VARIATION_WORDS = {
    spc.Variation.IMPROVEMENT: "special cause: improvement",
    spc.Variation.CONCERN: "special cause: concern",
    spc.Variation.COMMON_CAUSE: "common cause",
}


@outcomes_app.command("spc")
def spc_command(
    series: Annotated[
        Path, typer.Argument(help="A CSV file with columns period,value, in time order.", dir_okay=False)
    ],
    polarity: Annotated[
        spc.Polarity, typer.Option(help="Whether a higher or a lower value is better.")
    ] = spc.Polarity.HIGHER_IS_BETTER,
    baseline: Annotated[
        int | None, typer.Option(min=2, help="Compute the mean and limits from the first N points only.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per point.")] = False,
) -> None:
    """An XmR chart of the series with the Making Data Count rules: each point's limits, the rules that flag it
    (a outside the limits, b a shift of 7, c a trend of 7, d 2 of 3 near a limit) and its variation."""
    observations = read_series_csv(series)
    try:
        points = spc.analyse([o.value for o in observations], polarity=polarity, baseline=baseline)
    except spc.TooFewPointsError as error:
        raise IngestError(
            f"The file has {len(observations)} value{'s' if len(observations) != 1 else ''}; {error}",
            file=series.name,
            fix="Add more periods: Making Data Count advises at least 15 for limits to be relied on.",
        ) from error
    if as_json:
        typer.echo(json.dumps([_as_json(o, p) for o, p in zip(observations, points, strict=True)], indent=2))
        return
    _print_chart(observations, points, polarity)


def _as_json(observation: Observation, point: spc.Point) -> dict[str, Any]:
    return {
        "period": observation.period,
        "value": float(point.value),
        "mean": float(point.limits.mean),
        "lower_limit": float(point.limits.lower),
        "upper_limit": float(point.limits.upper),
        "special_cause": point.special_cause,
        "rules": [rule.value for rule in point.rules],
        "variation": point.variation.value,
    }


def _print_chart(observations: list[Observation], points: list[spc.Point], polarity: spc.Polarity) -> None:
    console = Console(highlight=False)
    table = Table("Period", "Value", "Rules", "Variation")
    for observation, point in zip(observations, points, strict=True):
        table.add_row(
            observation.period,
            _number(point.value),
            ", ".join(rule.value for rule in point.rules),
            VARIATION_WORDS[point.variation],
        )
    console.print(table)
    limits = points[0].limits
    counts = {variation: sum(p.variation is variation for p in points) for variation in spc.Variation}
    console.print(
        f"{len(points)} points, {polarity.value}; mean {_number(limits.mean)}, process limits "
        f"{_number(limits.lower)} to {_number(limits.upper)}; special cause: "
        f"{counts[spc.Variation.CONCERN]} concern, {counts[spc.Variation.IMPROVEMENT]} improvement."
    )


def _number(value: Any) -> str:
    return f"{float(value):,.4g}"
