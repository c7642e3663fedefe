"""`wholeplace demo`: build the demo place and serve it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from wholeplace.core import geography
from wholeplace.core.db import downgrade_to_empty
from wholeplace.core.db import transaction as in_transaction
from wholeplace.core.runtime import Runtime
from wholeplace.demo.coordination import build_coordination
from wholeplace.demo.generate.noise import NoiseRates
from wholeplace.demo.generate.place import NEIGHBOURHOODS_FILE, generate_place, generated_with
from wholeplace.demo.governance import build_governance
from wholeplace.demo.money import build_cost_book, build_money, build_pooled_budget
from wholeplace.demo.outcomes import ANALYST as DEMO_ANALYST
from wholeplace.demo.outcomes import build_outcomes
from wholeplace.demo.service import DEMO_PASSWORD, build_demo, demo_files, holds_other_place, load_demo_file
from wholeplace.identity import service as identity
from wholeplace.outcomes.service import computing
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

console = Console()
DEMO_PLACE_FOLDER = "demo-place"


def generate(
    residents: Annotated[int, typer.Option(min=1000, max=1_000_000, help="Residents of the place.")] = 20_000,
    seed: Annotated[int, typer.Option(help="The same seed and size give byte-identical files.")] = 1,
    out: Annotated[Path, typer.Option(help="Folder to write the place into.")] = Path("riverford"),
    noise_scale: Annotated[
        float, typer.Option(min=0.0, max=10.0, help="Multiply every rate of mess in the extracts by this.")
    ] = 1.0,
) -> None:
    """Write a synthetic place: its agencies' extracts and mappings, spend, and the ground truth."""
    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True) as bar:
        task = bar.add_task("generating", total=None)
        place = generate_place(
            residents=residents,
            seed=seed,
            out=out,
            rates=NoiseRates().scaled(noise_scale),
            progress=lambda step: bar.update(task, description=f"generating {step}"),
        )
    rows = sum(place.rows_by_source.values())
    typer.echo(
        f"Generated {place.residents:,} residents in {place.households:,} households: "
        f"{len(place.rows_by_source)} extracts, {rows:,} rows, in {out} ({time.perf_counter() - started:.1f} s)."
    )


def demo(
    residents: Annotated[
        int, typer.Option(min=1000, max=1_000_000, help="Residents in the demo place.")
    ] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed for the generator.")] = 1,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the demo and stop.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that holds another place with the demo.")
    ] = False,
) -> None:
    """Build the demo place in the configured data directory and database, print the logins, and serve it."""
    runtime = Runtime.from_settings()
    runtime.upgrade()
    if force:
        with runtime.sessions() as db:
            other = holds_other_place(db)
        if other is not None:
            console.print(f"Removing the place {other!r} and everything in it, as --force asks.")
            downgrade_to_empty(runtime.engine)
            runtime.upgrade()
    with in_transaction(runtime.sessions) as db:
        users = build_demo(db, now=runtime.clock())
    folder = runtime.settings.data_dir / DEMO_PLACE_FOLDER
    if generated_with(folder) != {"residents": residents, "seed": seed}:
        with console.status(
            f"Generating the demo place's {residents:,} residents and their agencies' extracts"
        ):
            generate_place(residents=residents, seed=seed, out=folder)
    typer.echo(f"The demo place's extracts, mappings and truth are in {folder}.")
    _map_neighbourhoods(runtime, folder)
    _load_demo_files(runtime, folder)
    _link_demo(runtime)
    _govern_demo(runtime)
    _coordinate_demo(runtime, folder)
    _measure_demo(runtime, folder)
    _invest_demo(runtime, folder)
    table = Table("username", "name", "roles", title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    for user in users:
        table.add_row(user.username, user.full_name, ", ".join(role.label for role in user.roles))
    console.print(table)
    typer.echo(
        f"Demo place built in {runtime.settings.data_dir} ({runtime.settings.masked()['database_url']})."
    )
    if not no_serve:
        from wholeplace.app import serve_app

        serve_app(runtime, host=host, port=port)


def _map_neighbourhoods(runtime: Runtime, folder: Path) -> None:
    rows = geography.read_neighbourhoods(folder / NEIGHBOURHOODS_FILE)
    with in_transaction(runtime.sessions) as db:
        geography.replace_neighbourhoods(db, rows, now=runtime.clock())


def _load_demo_files(runtime: Runtime, folder: Path) -> None:
    """Load every extract and spend file, each in its own transaction, as an agency's would be."""
    lake = Lake.in_data_dir(runtime.settings.data_dir)
    loaded = set_aside = 0
    files = demo_files(folder)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True) as bar:
        task = bar.add_task("loading", total=len(files))
        for demo_file in files:
            bar.update(task, description=f"loading {demo_file.file.name}")
            with in_transaction(runtime.sessions) as db:
                result = load_demo_file(db, demo_file, lake=lake, now=runtime.clock())
            if result.duplicate_of is None:
                loaded += result.rows_loaded
                set_aside += result.rows_quarantined
            bar.advance(task)
    typer.echo(
        f"Loaded {len(files)} sources through their mappings: {loaded:,} rows new, {set_aside:,} set aside."
    )


def _govern_demo(runtime: Runtime) -> None:
    with in_transaction(runtime.sessions) as db, console.status("Signing the demo's sharing agreements"):
        summary = build_governance(
            db,
            Lake.in_data_dir(runtime.settings.data_dir),
            data_dir=runtime.settings.data_dir,
            now=runtime.clock(),
        )
    typer.echo(
        f"Sharing agreements in force; {summary.choices:,} consents and objections recorded; "
        f"{summary.log_entries:,} entries in the access log."
    )


def _coordinate_demo(runtime: Runtime, folder: Path) -> None:
    with in_transaction(runtime.sessions) as db, console.status("Opening the demo's shared plans"):
        summary = build_coordination(
            db,
            Lake.in_data_dir(runtime.settings.data_dir),
            data_dir=runtime.settings.data_dir,
            activity=folder / "activity",
            now=runtime.clock(),
        )
    typer.echo(
        f"{summary.plans:,} shared plans ({summary.closed:,} closed, {summary.relapses:,} relapses flagged), "
        f"{summary.meetings:,} meetings; referrals between agencies: {summary.referrals:,}."
    )


def _measure_demo(runtime: Runtime, folder: Path) -> None:
    lake = Lake.in_data_dir(runtime.settings.data_dir)
    with (
        in_transaction(runtime.sessions) as db,
        console.status("Computing the demo's outcomes framework") as status,
    ):
        framework = build_outcomes(db, work=folder / "outcomes", now=runtime.clock())
        computed = computing.compute_all(
            db,
            lake,
            by=DEMO_ANALYST,
            at=runtime.clock(),
            progress=lambda step: status.update(f"Computing {step}"),
        )
    problems = [one.line() for one in computed if not one.computed]
    typer.echo(
        f"Outcomes framework: {framework.results} results and {framework.measures} measures, "
        f"{framework.partnerships} partnerships; "
        f"{sum(one.computed for one in computed)} computed from the linked data."
    )
    for problem in problems:
        typer.echo(f"  {problem}")


def _invest_demo(runtime: Runtime, folder: Path) -> None:
    lake = Lake.in_data_dir(runtime.settings.data_dir)
    with in_transaction(runtime.sessions) as db, console.status("Keeping the demo's investment cases"):
        cases = build_money(db, lake, now=runtime.clock())
        pools = build_pooled_budget(db, folder=folder / "money", now=runtime.clock())
        build_cost_book(db, folder=folder / "money", now=runtime.clock())
    typer.echo(f"Investment cases: {cases}. Pooled budgets: {pools}.")


def _link_demo(runtime: Runtime) -> None:
    with runtime.sessions() as db, console.status("Linking the demo's person records into people") as status:
        summary = identity.link_place(
            db,
            Lake.in_data_dir(runtime.settings.data_dir),
            sources.lake_batches(db),
            secret=runtime.settings.effective_secret_key(),
            actor=identity.Actor("demo", runtime.clock()),
            progress=lambda stage: status.update(f"Linking the demo's person records: {stage}"),
        )
        db.commit()
    typer.echo(
        f"Linked {summary.records:,} person records into {summary.people:,} people in {summary.households:,} "
        f"households; {summary.review_queue:,} pairs wait for review."
    )
