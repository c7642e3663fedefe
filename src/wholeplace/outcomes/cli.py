"""Commands of the outcomes domain: early warning on a series of values, defining how a measure's values are
computed from the linked data, and computing them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.db import transaction
from wholeplace.core.errors import IngestError, InvalidInputError, NotFoundError
from wholeplace.core.roles import Role
from wholeplace.core.runtime import Runtime
from wholeplace.outcomes import indicators, spc
from wholeplace.outcomes.series import Observation, read_series_csv
from wholeplace.outcomes.service import computing, definitions, framework
from wholeplace.sources.cli import command_user
from wholeplace.sources.lake import Lake

outcomes_app = typer.Typer(
    help="Outcomes: early warning by statistical process control, and measures computed from the linked data.",
    no_args_is_help=True,
)
DEFINERS = (Role.PROGRAMME_MANAGER, Role.ANALYST, Role.ADMINISTRATOR)

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


# ---------------------------------------------------------------- measures computed from the linked data


@outcomes_app.command("compute")
def compute_command(
    measure: Annotated[
        str | None, typer.Option("--measure", help="Compute only this measure, by its id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per measure.")] = False,
) -> None:
    """Compute the values of every measure that has a definition (or of one) from the linked data, under each
    one's current definition; the owner is warned when the newest value is special cause concern. Exits 1 if any
    measure could not be computed, after computing the others."""
    runtime = Runtime.upgraded()
    lake = Lake.in_data_dir(runtime.settings.data_dir)
    at = runtime.clock()
    console = Console(highlight=False)
    with (
        transaction(runtime.sessions) as db,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as bar,
    ):
        task = bar.add_task("computing", total=None)
        if measure is None:
            done = computing.compute_all(
                db,
                lake,
                by=command_user(),
                at=at,
                progress=lambda step: bar.update(task, description=f"computing: {step}"),
            )
        else:
            done = [computing.compute_measure(db, lake, _measure_id(measure), by=command_user(), at=at)]
    if as_json:
        typer.echo(json.dumps([one.as_json() for one in done], indent=2, ensure_ascii=False))
    else:
        _print_computed(console, done)
    if not all(one.computed for one in done):
        raise typer.Exit(1)


def _print_computed(console: Console, done: list[computing.MeasureComputed]) -> None:
    if not done:
        console.print("No measure has a definition yet: define one with wholeplace outcomes define.")
        return
    for one in done:
        console.print(one.line(), soft_wrap=True)
    computed = [one for one in done if one.computed]
    warned = sum(one.warned_for is not None for one in computed)
    console.print(
        f"Computed {len(computed)} of {len(done)} measure{'s' if len(done) != 1 else ''}: "
        f"{sum(one.values for one in computed):,} values; {warned} owner{'s' if warned != 1 else ''} warned.",
        soft_wrap=True,
    )


@outcomes_app.command("define")
def define_command(
    measure_id: Annotated[str, typer.Argument(help="The measure's id, as the address of its page shows it.")],
    key: Annotated[
        str, typer.Option("--key", help="The computation: " + ", ".join(indicators.REGISTRY) + ".")
    ],
    description: Annotated[str, typer.Option(help="What the definition counts, in plain words.")],
    as_user: Annotated[
        str,
        typer.Option(
            "--as",
            help="The programme manager, analyst or administrator making the change, as they sign in.",
        ),
    ],
    parameters: Annotated[
        list[str] | None,
        typer.Option(
            "--param", help="A parameter as name=value; repeat for each. Those left out take their default."
        ),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why the definition changes; needed for a change.")] = "",
) -> None:
    """Define how a measure's values are computed from the linked data, or change it: a new version, with who,
    when and why, the earlier versions kept."""
    runtime = Runtime.upgraded()
    try:
        typed = indicators.parameters_from_lines(parameters or [])
    except indicators.ParameterError as error:
        raise InvalidInputError(
            str(error), field="parameters", fix="Give each as --param name=value."
        ) from error
    with transaction(runtime.sessions) as db:
        by = _definer(db, as_user)
        measure = framework.measure(db, _measure_id(measure_id))
        defined = definitions.define_computation(
            db,
            measure_id=measure.id,
            key=key,
            parameters=typed,
            description=description,
            reason=reason,
            by=by,
            at=runtime.clock(),
        )
        found = indicators.indicator(defined.key)
        typer.echo(f"{measure.title}: {defined.description}")
        for name, value in found.as_text(defined.parameters):
            typer.echo(f"  {name} = {value}")
        typer.echo(f"  As computed: {found.describe(defined.parameters)}")
        typer.echo(f"Defined by {defined.key}, version {defined.version}, in {by}'s name.")


def _measure_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError as error:
        raise InvalidInputError(
            f"{text!r} is not a measure's id.",
            fix="Copy the id from the address of the measure's page: /outcomes/measures/ID.",
        ) from error


def _definer(db: Session, username: str) -> str:
    user = core.find_user(db, username)
    if user is None or not user.is_active:
        raise NotFoundError(
            f"There is no active user called {username!r}.",
            fix="Name the person making the change, as they sign in.",
        )
    if not set(DEFINERS) & {Role(role) for role in user.roles}:
        raise InvalidInputError(
            f"{user.full_name} ({user.username}) may not define measures: that is for programme managers, "
            "analysts and administrators.",
            fix="Name a programme manager, analyst or administrator.",
        )
    return user.username
