"""`wholeplace spend cracks`: the costs that follow one agency's event across the agencies of the place, beside a
comparison group matched on age, sex and neighbourhood. Aggregate figures, small numbers suppressed; descriptive,
not what the event caused."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from wholeplace.core.errors import InvalidInputError
from wholeplace.core.runtime import Runtime
from wholeplace.money.cost_book import CostBook, load_cost_book
from wholeplace.money.cracks import SMALLEST_SHOWN, Cracks, Following, Trigger
from wholeplace.money.service import cracks as service
from wholeplace.money.service.duplication import place_cost_book
from wholeplace.sources.lake import Lake

CAVEAT = (
    "Descriptive only: what followed the event, not what it caused. The comparison group is matched on year of "
    "birth, sex and neighbourhood and drawn from people the agencies know, so it is not the whole population; "
    "costs are the cost book's prices, not any ledger."
)


def cracks_command(
    agency: Annotated[str, typer.Option(help="The agency whose event opens the window.")],
    event: Annotated[
        str, typer.Option(help="The type of event, as the standard codes it (school_exclusion).")
    ],
    cost_book: Annotated[
        Path | None,
        typer.Argument(
            help="A cost book (YAML) pricing events and involvements (default: the place's own).",
            dir_okay=False,
        ),
    ] = None,
    months: Annotated[
        int, typer.Option(help="How long the window runs after the event.", min=1, max=120)
    ] = 12,
    first: Annotated[
        str | None, typer.Option("--from", help="Count events from this day (YYYY-MM-DD).")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Count events up to this day (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What follows one agency's event in every agency of the place, in the months after it, beside people like
    those who had it who never did: aggregate figures, small numbers suppressed."""
    trigger = Trigger(agency, event, months, _day(first, "--from"), _day(last, "--to"))
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        book = load_cost_book(cost_book) if cost_book else place_cost_book(db)
        study = service.measure(db, Lake.in_data_dir(runtime.settings.data_dir), book, trigger)
    found = study.found
    assert found is not None  # a trigger was given
    if as_json:
        typer.echo(json.dumps(cracks_as_json(found, book), indent=2))
        return
    _print(found, book, offered=study.offered)


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise InvalidInputError(
            f"{text!r} is not a date.", field=option, fix="Give the day as YYYY-MM-DD, such as 2025-04-01."
        ) from error


def cracks_as_json(found: Cracks, book: CostBook) -> dict[str, Any]:
    described = asdict(found)
    described["trigger"] = {
        **described["trigger"],
        "first": _iso(found.trigger.first),
        "last": _iso(found.trigger.last),
    }
    return {**described, "as_of": _iso(found.as_of), "prices": f"{book.base_year} prices, from {book.name}"}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _print(found: Cracks, book: CostBook, *, offered: list[tuple[str, str]]) -> None:
    console = Console(highlight=False)
    trigger = found.trigger
    if (trigger.agency, trigger.event_type) not in offered:
        console.print(f"The linked data hold no {trigger.event_type} events from {trigger.agency}.")
    if not found.shown:
        console.print(
            f"Fewer than {SMALLEST_SHOWN} people had the event and a comparison group, so nothing is shown."
        )
        return
    console.print(
        f"{found.cohort:,} people had a {trigger.event_type} event from {trigger.agency} "
        f"({found.unmatched:,} more had no comparison group); {found.comparison:,} comparison people; "
        f"{found.person_years:,.1f} person-years followed, {found.mean_follow_up_days:,.0f} days on average, "
        f"to {found.as_of}."
    )
    console.print(_table(found, book))
    console.print(CAVEAT)


def _table(found: Cracks, book: CostBook) -> Table:
    table = Table(
        title=f"What followed in the {found.trigger.months} months after, £ a person a year "
        f"({book.base_year} prices)",
        caption=f"Rows with fewer than {SMALLEST_SHOWN} people with a cost are not shown",
    )
    for heading in (
        "Agency",
        "Had the event",
        "Comparison",
        "Difference",
        "95% interval",
        "People with a cost",
    ):
        table.add_column(heading, justify="left" if heading == "Agency" else "right")
    rows = [*found.by_agency, *(one for one in (found.other_agencies, found.all_agencies) if one)]
    for row in rows:
        table.add_row(row.label, *_cells(row))
    return table


def _cells(row: Following) -> tuple[str, ...]:
    if row.cohort_rate is None:
        return ("not shown",) * 5
    interval = "none" if row.interval is None else f"£{row.interval[0]:,.0f} to £{row.interval[1]:,.0f}"
    return (
        f"£{row.cohort_rate:,.0f}",
        f"£{row.comparison_rate or 0:,.0f}",
        f"£{row.difference or 0:,.0f}",
        interval,
        f"{row.cohort_with_cost or 0:,}",
    )
