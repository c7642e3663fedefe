"""Commands of the sources domain: register sources, list them, and load an extract into one."""

from __future__ import annotations

import getpass
import json
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wholeplace.core.db import transaction as in_transaction
from wholeplace.core.roles import AgencyKind, Sector
from wholeplace.core.runtime import Runtime
from wholeplace.sources import service
from wholeplace.sources.lake import Lake

console = Console()
sources_app = typer.Typer(help="Agency sources, their mappings and their loads.", no_args_is_help=True)


def command_user() -> str:
    return f"command line ({getpass.getuser()})"


@sources_app.command("add")
def sources_add(
    name: Annotated[str, typer.Argument(help="The source's name in this place, as its mapping gives it.")],
    mapping: Annotated[Path, typer.Option(help="The source's mapping (YAML).", exists=True, dir_okay=False)],
    agency: Annotated[
        str | None, typer.Option(help="The agency that controls it (default: the mapping's).")
    ] = None,
    kind: Annotated[AgencyKind, typer.Option(help="The kind of a new agency.")] = AgencyKind.PUBLIC,
    sector: Annotated[Sector, typer.Option(help="The sector of a new agency.")] = Sector.LOCAL_GOVERNMENT,
    place: Annotated[str | None, typer.Option(help="The place's name, if the database has none yet.")] = None,
) -> None:
    """Register a source with its mapping (or give it a new mapping)."""
    runtime = Runtime.upgraded()
    parsed = service.read_mapping_file(mapping)
    with in_transaction(runtime.sessions) as db:
        done = service.register_source(
            db,
            mapping=parsed,
            name=name,
            agency=agency,
            place=place,
            kind=kind,
            sector=sector,
            by=command_user(),
            now=runtime.clock(),
        )
        agency_name = done.source.agency.name
    if done.created_place:
        typer.echo(
            f"Created the place {place or 'Our place'} (the database had none); rename it on the Administration page."
        )
    if done.created_agency:
        typer.echo(f"Added the agency {agency_name} to the place ({kind.value}, {sector.label.lower()}).")
    if done.created_source:
        typer.echo(f"Registered the source {name} of {agency_name} (mapping version {parsed.version}).")
    elif done.mapping_changed:
        typer.echo(f"Gave the source {name} a new mapping (version {parsed.version}).")
    else:
        typer.echo(f"The source {name} already has this mapping; nothing changed.")


@sources_app.command("list")
def sources_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List the sources, each with its agency and last load."""
    runtime = Runtime.upgraded()
    rows = []
    with runtime.sessions() as db:
        for overview in service.source_overviews(db):
            last = overview.last
            rows.append(
                {
                    "source": overview.source.name,
                    "agency": overview.source.agency.name,
                    "entity": overview.source.entity,
                    "last_loaded_at": last.loaded_at.isoformat(timespec="seconds") if last else None,
                    "rows_loaded": last.rows_loaded if last else None,
                    "rows_quarantined": last.rows_quarantined if last else None,
                }
            )
    if as_json:
        typer.echo(json.dumps({"sources": rows}))
        return
    table = Table("source", "agency", "entity", "last load", "rows loaded", "set aside", title="Sources")
    for row in rows:
        table.add_row(
            *(
                ("" if value is None else f"{value:,}" if isinstance(value, int) else str(value))
                for value in row.values()
            )
        )
    console.print(table)
    typer.echo(f"{len(rows)} source{'s' if len(rows) != 1 else ''}.")


def ingest(
    source: Annotated[str, typer.Argument(help="The source to load into.")],
    file: Annotated[
        Path,
        typer.Argument(help="The extract: CSV, Excel, Parquet or JSON Lines.", exists=True, dir_okay=False),
    ],
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="A mapping to register (or update) the source with first.", exists=True, dir_okay=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load an extract: every row loaded or set aside with its reason, all or nothing, once."""
    runtime = Runtime.upgraded()
    parsed = service.read_mapping_file(mapping) if mapping else None
    started = time.perf_counter()
    with (
        console.status(f"Loading {file.name} into {source}", spinner="dots")
        if not as_json
        else nullcontext(),
        in_transaction(runtime.sessions) as db,
    ):
        result = service.ingest_file(
            db,
            source_name=source,
            path=file,
            lake=Lake.in_data_dir(runtime.settings.data_dir),
            by=command_user(),
            now=runtime.clock(),
            mapping=parsed,
        )
    if as_json:
        typer.echo(json.dumps(result.as_json()))
    elif result.duplicate_of is not None:
        typer.echo(
            f"{file.name} was already loaded into {source} as batch {result.duplicate_of}; nothing changed."
        )
    else:
        typer.echo(
            f"Loaded {result.rows_loaded:,} of {result.rows_read:,} rows of {file.name} into {source}; "
            f"{result.rows_quarantined:,} set aside (batch {result.batch_id}, {time.perf_counter() - started:.1f} s)."
        )
    if result.rows_read and not result.rows_loaded and result.duplicate_of is None:
        Console(stderr=True).print(
            "[bold red]None of the rows could be loaded.[/] See why on the Sources page, "
            "where the set-aside rows can be downloaded to fix."
        )
        raise typer.Exit(1)
