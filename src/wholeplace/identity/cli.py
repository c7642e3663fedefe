"""Commands of the identity domain: link the place's records into people, score and export the result."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from wholeplace.core.runtime import Runtime
from wholeplace.identity import service
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

console = Console()
link_app = typer.Typer(
    help="Link person records across sources into people; with no subcommand, link now.",
    invoke_without_command=True,
)


@link_app.callback()
def link(
    context: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Train the model on the current records, score candidate pairs and cluster them into people."""
    if context.invoked_subcommand is not None:
        return
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        batches = sources.lake_batches(db)
    started = time.perf_counter()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True, disable=as_json
    ) as bar:
        task = bar.add_task("reading records", total=None)
        summary = service.link_place(
            Lake.in_data_dir(runtime.settings.data_dir),
            batches,
            secret=runtime.settings.effective_secret_key(),
            progress=lambda stage: bar.update(task, description=stage),
        )
    if as_json:
        typer.echo(json.dumps(summary.as_json()))
        return
    typer.echo(
        f"Linked {summary.records:,} records into {summary.people:,} people: {summary.comparisons:,} comparisons, "
        f"{summary.links:,} links ({time.perf_counter() - started:.1f} s)."
    )


@link_app.command("evaluate")
def link_evaluate(
    truth: Annotated[
        Path, typer.Option(help="CSV with source, record_id, person_id.", exists=True, dir_okay=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score the last linkage against a truth file: pairwise and B-cubed precision, recall and F1."""
    runtime = Runtime.from_settings()
    scores = service.evaluate(Lake.in_data_dir(runtime.settings.data_dir), truth)
    if as_json:
        typer.echo(json.dumps(scores))
        return
    for name in ("pairwise", "bcubed"):
        figures = scores[name]
        typer.echo(
            f"{name:>8}: precision {figures['precision']:.4f}  recall {figures['recall']:.4f}  f1 {figures['f1']:.4f}"
        )
    typer.echo(
        f"{scores['records']:,} records scored; {scores['records_not_in_truth']:,} not in the truth file."
    )


@link_app.command("export")
def link_export(
    out: Annotated[Path, typer.Option(help="The CSV file to write.", dir_okay=False)],
) -> None:
    """Write source, record_id and person_id for every linked record."""
    runtime = Runtime.from_settings()
    rows = service.export_people(Lake.in_data_dir(runtime.settings.data_dir), out)
    typer.echo(f"Wrote {rows:,} records to {out}.")
