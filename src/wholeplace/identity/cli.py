"""Commands of the identity domain: link the place's records into people and households, set the thresholds, score
and export the result."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from wholeplace.core.models import utcnow
from wholeplace.core.runtime import Runtime
from wholeplace.identity import service
from wholeplace.sources import service as sources
from wholeplace.sources.cli import command_user
from wholeplace.sources.lake import Lake

console = Console()
link_app = typer.Typer(
    help="Link person records across sources into people and households; with no subcommand, link now.",
    invoke_without_command=True,
)


class Backend(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@link_app.callback()
def link(
    context: typer.Context,
    backend: Annotated[Backend, typer.Option(help="Where the pairs are scored.")] = Backend.duckdb,
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Train the model again on the records now.")
    ] = False,
    model: Annotated[
        Path | None,
        typer.Option(help="Link with this saved model.json instead.", exists=True, dir_okay=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score candidate pairs with the place's model (trained the first time, or with --retrain), and resolve
    people and households."""
    if context.invoked_subcommand is not None:
        return
    runtime = Runtime.upgraded()
    with runtime.sessions() as db, _stages(quiet=as_json) as (say, clock):
        summary = service.link_place(
            db,
            Lake.in_data_dir(runtime.settings.data_dir),
            sources.lake_batches(db),
            secret=runtime.settings.effective_secret_key(),
            actor=service.Actor(command_user(), utcnow()),
            retrain=retrain,
            model_file=model,
            backend=backend.value,
            spark_master=runtime.settings.spark_master,
            progress=say,
        )
        db.commit()
    _report(summary, clock, as_json=as_json)


def _report(summary: service.LinkSummary, clock: _Stages, *, as_json: bool) -> None:
    stages = clock.seconds()
    seconds = sum(stages.values())
    if as_json:
        typer.echo(json.dumps({**summary.as_json(), "seconds": round(seconds, 2), "stages": stages}))
        return
    typer.echo(
        f"{summary.records:,} records, {summary.comparisons:,} comparisons, {summary.links:,} links, "
        f"{summary.people:,} people, {summary.households:,} households, {summary.review_queue:,} pairs to review "
        f"(thresholds {summary.upper:.3f} and {summary.lower:.3f}, chosen by the {summary.thresholds_from}; "
        f"{seconds:.1f} s)."
    )


class _Stages:
    """Each stage's name and when it began, for the seconds each took."""

    def __init__(self) -> None:
        self.began: list[tuple[str, float]] = [("starting", time.perf_counter())]

    def seconds(self) -> dict[str, float]:
        ends = [began for _name, began in self.began[1:]] + [time.perf_counter()]
        return {name: round(end - began, 2) for (name, began), end in zip(self.began, ends, strict=True)}


@contextmanager
def _stages(*, quiet: bool) -> Iterator[tuple[Callable[[str], None], _Stages]]:
    """A spinner naming the stage under way, with the time so far (silent when the output is JSON), and the
    seconds each stage took."""
    clock = _Stages()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def say(stage: str) -> None:
            clock.began.append((stage, time.perf_counter()))
            bar.update(task, description=stage)

        yield say, clock


@link_app.command("new")
def link_new(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Link the records loaded since the latest run to the people already found, without retraining."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db, _stages(quiet=as_json) as (say, clock):
        summary = service.link_new_records(
            db,
            Lake.in_data_dir(runtime.settings.data_dir),
            sources.lake_batches(db),
            secret=runtime.settings.effective_secret_key(),
            actor=service.Actor(command_user(), utcnow()),
            progress=say,
        )
        db.commit()
    _report(summary, clock, as_json=as_json)


@link_app.command("thresholds")
def link_thresholds(
    upper: Annotated[
        float | None, typer.Option(help="Link automatically at or above this probability.")
    ] = None,
    lower: Annotated[float | None, typer.Option(help="Send pairs at or above this to review.")] = None,
    reason: Annotated[str, typer.Option(help="Why the thresholds change (kept with them).")] = "",
    model_chooses: Annotated[
        bool, typer.Option("--model-chooses", help="Go back to thresholds chosen from the model's estimates.")
    ] = False,
) -> None:
    """Set the place's thresholds and re-resolve people at once; with no option, show the ones in use."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        if upper is None and lower is None and not model_chooses:
            run = service.latest_run(db)
            if run is None:
                typer.echo("Not linked yet: the thresholds are chosen when the place is first linked.")
            else:
                typer.echo(
                    f"upper {run.upper:.4f}, lower {run.lower:.4f} (chosen by the {run.thresholds_from})"
                )
            return
        actor = service.Actor(command_user(), utcnow())
        service.set_thresholds(db, upper, lower, reason or "set on the command line", actor=actor)
        summary = service.relink(db, Lake.in_data_dir(runtime.settings.data_dir), actor=actor)
        db.commit()
    typer.echo(
        f"Thresholds {summary.upper:.4f} and {summary.lower:.4f}: {summary.people:,} people, "
        f"{summary.review_queue:,} pairs to review."
    )


@link_app.command("evaluate")
def link_evaluate(
    truth: Annotated[
        Path,
        typer.Option(
            help="CSV with source, record_id, person_id (and household_id).", exists=True, dir_okay=False
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score the latest linkage against a truth file: pairwise and B-cubed precision, recall and F1, for people
    and for households."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        scores = service.evaluate(db, Lake.in_data_dir(runtime.settings.data_dir), truth)
    if as_json:
        typer.echo(json.dumps(scores))
        return
    for name in ("pairwise", "bcubed", "households", "households_bcubed"):
        if name in scores:
            figures = scores[name]
            typer.echo(
                f"{name:>17}: precision {figures['precision']:.4f}  recall {figures['recall']:.4f}  "
                f"f1 {figures['f1']:.4f}"
            )
    typer.echo(
        f"{scores['records']:,} records scored; {scores['records_not_in_truth']:,} not in the truth file."
    )


@link_app.command("export")
def link_export(
    out: Annotated[Path, typer.Option(help="The CSV file to write.", dir_okay=False)],
) -> None:
    """Write source, record_id, person_id and household_id for every linked record."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        rows = service.export_people(db, Lake.in_data_dir(runtime.settings.data_dir), out)
    typer.echo(f"Wrote {rows:,} records to {out}.")
