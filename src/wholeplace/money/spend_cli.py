"""Commands for the place's spend: the Total Place count by agency, theme, neighbourhood or year, the spend
lines out to and in from a Fiscal Data Package, and what the households many agencies work with cost them."""

from __future__ import annotations

import json
from dataclasses import asdict
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from wholeplace.core import service as core
from wholeplace.core.db import transaction as in_transaction
from wholeplace.core.errors import InvalidInputError
from wholeplace.core.runtime import Runtime
from wholeplace.money import fdp, spend
from wholeplace.money.cost_book import CostBook, load_cost_book
from wholeplace.money.deflators import financial_year_label
from wholeplace.money.duplication import SMALLEST_SHOWN, Duplication
from wholeplace.money.service import duplication as duplication_service
from wholeplace.money.yaml_fields import read_text
from wholeplace.sources.cli import command_user
from wholeplace.sources.lake import Lake

spend_app = typer.Typer(
    help="The place's public spend: the Total Place count and Fiscal Data Packages.", no_args_is_help=True
)


class By(StrEnum):
    AGENCY = "agency"
    THEME = "theme"
    NEIGHBOURHOOD = "neighbourhood"
    YEAR = "year"


Year = Annotated[
    str | None,
    typer.Option(help="One financial year, such as 2025-26 (default: every year)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@spend_app.command("total")
def total(
    by: Annotated[By, typer.Option(help="What to total the spend by.")] = By.AGENCY,
    year: Year = None,
    as_json: AsJson = False,
) -> None:
    """The Total Place count: all public spend in the place, to the penny, by agency, theme, neighbourhood or
    year, with the spend per head."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db, spend.place_spend(db, _lake(runtime)) as place:
        cube = spend.read_cube(place.connection)
        counted = spend.count(cube, place.neighbourhoods, year=_chosen_year(cube.years, year))
    if as_json:
        typer.echo(json.dumps(_count_as_json(counted, by)))
        return
    console = Console(highlight=False)
    console.print(_table(counted, by))
    console.print(_summary(counted))


@spend_app.command("export-fdp")
def export_fdp(
    out: Annotated[
        Path,
        typer.Option("--out", help="The folder to write datapackage.json and spend.csv in.", file_okay=False),
    ],
    year: Year = None,
) -> None:
    """Write the place's spend lines as a Fiscal Data Package: spend.csv and its datapackage.json, with a Table
    Schema and a fiscal model (the amount in GBP, and the dimensions)."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db, spend.place_spend(db, _lake(runtime)) as place:
        found = core.get_place(db)
        exported = fdp.export_package(
            place.connection,
            out,
            place=found.name if found else "the place",
            year=spend.year_of(year),
            now=runtime.clock(),
        )
    typer.echo(
        f"Wrote {exported.lines:,} spend lines adding up to {_pounds(exported.amount)} to {out} "
        f"({fdp.DESCRIPTOR} and {fdp.DATA_FILE})."
    )


@spend_app.command("import-fdp")
def import_fdp(
    folder: Annotated[
        Path,
        typer.Argument(
            help="The package's folder, holding its datapackage.json.", exists=True, file_okay=False
        ),
    ],
    source: Annotated[str, typer.Option(help="The source to load the lines into (registered if new).")],
    agency: Annotated[
        str,
        typer.Option(help="The agency the source belongs to, and the lines' agency where they name none."),
    ],
    as_json: AsJson = False,
) -> None:
    """Load a Fiscal Data Package's rows as spend lines, through a mapping made from its model: the package is
    checked whole first, then loaded all at once, or not at all."""
    runtime = Runtime.upgraded()
    with in_transaction(runtime.sessions) as db:
        imported = fdp.import_package(
            db, _lake(runtime), folder, source=source, agency=agency, by=command_user(), now=runtime.clock()
        )
    result = imported.result
    if as_json:
        typer.echo(
            json.dumps(
                {
                    **result.as_json(),
                    "package": imported.package.name,
                    "amount": _number(imported.amount),
                    "ignored_dimensions": imported.package.ignored,
                }
            )
        )
        return
    if imported.package.ignored:
        typer.echo(
            "Not loaded: the dimensions "
            + ", ".join(imported.package.ignored)
            + " (the spend line standard has no field for them)."
        )
    if result.duplicate_of is not None:
        typer.echo(
            f"The package {imported.package.name} was already loaded into {source} as batch "
            f"{result.duplicate_of}; nothing changed."
        )
        return
    typer.echo(
        f"Loaded {result.rows_loaded:,} spend lines adding up to {_pounds(imported.amount)} from the package "
        f"{imported.package.name} into {source} ({agency}); {result.rows_quarantined:,} set aside "
        f"(batch {result.batch_id})."
    )


# ---------------------------------------------------------------- shared


@spend_app.command("duplication")
def duplication_command(
    year: Annotated[str, typer.Option(help="The financial year, such as 2025-26.")],
    cost_book: Annotated[
        Path | None,
        typer.Argument(
            help="A cost book (YAML) pricing events and involvements (default: the place's own).",
            dir_okay=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """What the households many agencies work with cost all the agencies together in a year, and the services
    most often working with the same households: aggregate figures, small numbers suppressed."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        book = load_cost_book(cost_book) if cost_book else duplication_service.place_cost_book(db)
        found = duplication_service.measure(db, _lake(runtime), book, year=year)
    if as_json:
        typer.echo(json.dumps(_duplication_as_json(found, book), indent=2))
        return
    console = Console(highlight=False)
    console.print(_bands_table(found, book))
    console.print(_pairs_table(found))
    for unpriced in found.unpriced:
        console.print(f"Not costed: {unpriced.count:,} {unpriced.kind}s of type {unpriced.type}.")


@spend_app.command("load-cost-book")
def load_cost_book_command(
    cost_book: Annotated[
        Path, typer.Argument(help="The cost book (YAML); see docs/money.md.", dir_okay=False)
    ],
) -> None:
    """Check a cost book and keep it as the place's: the prices the Duplication page and command use."""
    text = read_text(cost_book)
    runtime = Runtime.upgraded()
    with in_transaction(runtime.sessions) as db:
        duplication_service.load_book(
            db, text=text, file_name=cost_book.name, by=command_user(), at=runtime.clock()
        )
        book = duplication_service.current_book(db)
    typer.echo(f"The place's cost book is {book[1].name if book else cost_book.name}.")


def _duplication_as_json(found: Duplication, book: CostBook) -> dict[str, Any]:
    return {
        "year": financial_year_label(found.year[0].year),
        "prices": f"{book.base_year} prices, from {book.name}",
        "households": found.households,
        "cost": found.cost,
        "bands": [asdict(band) for band in found.bands],
        "cost_by_agency_for_many": None
        if found.cost_by_agency_for_many is None
        else [asdict(one) for one in found.cost_by_agency_for_many],
        "service_pairs": [asdict(pair) for pair in found.service_pairs],
        "unpriced": [asdict(one) for one in found.unpriced],
    }


def _bands_table(found: Duplication, book: CostBook) -> Table:
    table = Table(
        title=f"Households by how many agencies work with them, {financial_year_label(found.year[0].year)} "
        f"({book.base_year} prices)",
        caption=f"{found.households:,} households cost £{found.cost:,.0f} in all; fewer than "
        f"{SMALLEST_SHOWN} households are not shown",
    )
    for heading in ("Agencies", "Households", "Involvements and events", "Cost", "Per household", "Share"):
        table.add_column(heading, justify="left" if heading == "Agencies" else "right")
    for band in found.bands:
        table.add_row(
            band.agencies,
            *(
                ("not shown",) * 5
                if band.households is None
                else (
                    f"{band.households:,}",
                    f"{band.counted or 0:,}",
                    f"£{band.cost or 0:,.0f}",
                    f"£{band.mean_cost or 0:,.0f}",
                    f"{band.share_of_cost or 0:.1%}",
                )
            ),
        )
    return table


def _pairs_table(found: Duplication) -> Table:
    table = Table(title="The services most often working with the same households")
    for heading in ("Service", "And service", "Households"):
        table.add_column(heading, justify="right" if heading == "Households" else "left")
    for pair in found.service_pairs:
        table.add_row(pair.first, pair.second, f"{pair.households:,}")
    return table


def _lake(runtime: Runtime) -> Lake:
    return Lake.in_data_dir(runtime.settings.data_dir)


def _chosen_year(known: list[str], year: str | None) -> str | None:
    """The year asked for, as the count names it ("2025/26" is 2025-26); refused if no spend falls in it."""
    if year is None:
        return None
    chosen = spend.year_of(year)
    if chosen not in known:
        raise InvalidInputError(
            f"There is no spend in {year}.",
            field="year",
            fix=f"The years with spend are: {', '.join(known) or 'none yet'}.",
        )
    return chosen


def _table(counted: spend.Count, by: By) -> Table:
    title = f"Public spend by {by.value}, {counted.year or 'every year'}"
    if by is By.NEIGHBOURHOOD:
        table = Table(
            "Code", "Neighbourhood", "Residents", "Spend", "Per head", title=title, title_justify="left"
        )
        for area in counted.areas:
            table.add_row(
                area.code or "",
                _area_name(area),
                "" if area.residents is None else f"{area.residents:,}",
                _pounds(area.amount),
                "" if area.per_head is None else _pounds(area.per_head, pennies=True),
            )
        return table
    if by is By.YEAR:
        table = Table(
            "Year", "Spend", "Prevention", "Prevention share", "Lines", title=title, title_justify="left"
        )
        for year in counted.years:
            share = year.prevention_share
            table.add_row(
                year.year or "Not given",
                _pounds(year.amount),
                _pounds(year.prevention),
                "" if share is None else f"{share:.1%}",
                f"{year.lines:,}",
            )
        return table
    table = Table(by.value.capitalize(), "Spend", "Share", "Lines", title=title, title_justify="left")
    for one in _named_totals(counted, by):
        share = one.amount / counted.amount if counted.amount else None
        table.add_row(
            one.name or "Not given",
            _pounds(one.amount),
            "" if share is None else f"{share:.1%}",
            f"{one.lines:,}",
        )
    return table


def _named_totals(counted: spend.Count, by: By) -> list[spend.Total]:
    return counted.agencies if by is By.AGENCY else counted.themes


def _area_name(area: spend.AreaSpend) -> str:
    if not area.placed:
        return "Not placed in a neighbourhood"
    return area.name or "Not one of the place's neighbourhoods"


def _summary(counted: spend.Count) -> str:
    head = (
        f"; {_pounds(counted.per_head, pennies=True)} per head of {counted.residents:,} residents"
        if counted.per_head is not None and counted.residents
        else "; no spend per head, as the place's neighbourhoods and all their populations are not known"
    )
    unplaced = counted.not_placed
    placed = f"; {_pounds(unplaced.amount)} not placed in a neighbourhood" if unplaced else ""
    return (
        f"Total public spend {_pounds(counted.amount)} in {counted.lines:,} lines, "
        f"{counted.year or 'every year'}{head}{placed}."
    )


def _count_as_json(counted: spend.Count, by: By) -> dict[str, Any]:
    rows: list[dict[str, Any]]
    if by is By.NEIGHBOURHOOD:
        rows = [
            {
                "code": area.code,
                "name": area.name,
                "residents": area.residents,
                "amount": _number(area.amount),
                "per_head": None if area.per_head is None else _number(area.per_head),
                "lines": area.lines,
            }
            for area in counted.areas
        ]
    elif by is By.YEAR:
        rows = [
            {
                "year": year.year,
                "amount": _number(year.amount),
                "prevention": _number(year.prevention),
                "lines": year.lines,
            }
            for year in counted.years
        ]
    else:
        rows = [
            {by.value: one.name, "amount": _number(one.amount), "lines": one.lines}
            for one in _named_totals(counted, by)
        ]
    return {
        "year": counted.year,
        "by": by.value,
        "amount": _number(counted.amount),
        "lines": counted.lines,
        "residents": counted.residents,
        "per_head": None if counted.per_head is None else _number(counted.per_head),
        "rows": rows,
    }


def _number(value: Decimal) -> float:
    """Pounds to the penny as a JSON number."""
    return float(value.quantize(spend.ZERO)) + 0.0  # + 0.0 turns -0.0 into 0.0


def _pounds(value: Decimal, *, pennies: bool = False) -> str:
    written = f"£{abs(value):,.2f}" if pennies else f"£{abs(value):,.0f}"
    return f"-{written}" if round(value, 2 if pennies else 0) < 0 else written
