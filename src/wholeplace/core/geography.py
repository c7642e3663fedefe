"""The place's neighbourhoods: the unit outcomes and spend are reported by. Each has a code, a name, the
population estimate used for rates per head, and the postcode areas (districts, sectors or whole postcodes) that
lie in it. A postcode belongs to the neighbourhood of the most specific area that holds it, so a district can be
given to one neighbourhood and one of its sectors to another.

The geography is replaced whole from a CSV file (`wholeplace place neighbourhoods FILE.csv`): columns
`code,name,postcode_areas,residents`, the areas separated by semicolons ("RF1 8;RF1 9")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from wholeplace.core.csv_rows import read_csv_rows
from wholeplace.core.errors import IngestError
from wholeplace.core.models import Neighbourhood, PostcodeArea

COLUMNS = ("code", "name", "postcode_areas", "residents")
AREA_SEPARATOR = ";"
# An outward code ("RF1", "SW1A"), optionally a sector digit ("RF1 8"), optionally a whole inward code.
POSTCODE_AREA = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?(?: [0-9](?:[A-Z]{2})?)?$")
LONGEST_CODE = 40
LONGEST_NAME = 200


@dataclass(frozen=True)
class NeighbourhoodRow:
    code: str
    name: str
    postcode_areas: tuple[str, ...]
    residents: int | None


def normalise_area(text: str) -> str:
    """Upper case, single spaces: " rf1  8 " → "RF1 8". A whole postcode written without its space gains it."""
    compact = " ".join(text.upper().split())
    if " " not in compact and len(compact) >= 5 and compact[-3].isdigit():
        return f"{compact[:-3]} {compact[-3:]}"
    return compact


def read_neighbourhoods(path: Path) -> list[NeighbourhoodRow]:
    """The neighbourhoods in a CSV file, checked: every row complete, no code or postcode area twice."""
    rows = read_csv_rows(path)
    if not rows or [cell.strip().lower() for cell in rows[0]] != list(COLUMNS):
        raise IngestError(
            f"The first row must be the header {','.join(COLUMNS)}.",
            file=path.name,
            row=1,
            fix="Put the four columns' names in the first row, in that order.",
        )
    parsed = [_row(path.name, number, cells) for number, cells in enumerate(rows[1:], start=2) if any(cells)]
    if not parsed:
        raise IngestError("The file has no neighbourhoods.", file=path.name, fix="Add a row for each one.")
    _each_once(path.name, parsed)
    return parsed


def _row(file: str, number: int, cells: list[str]) -> NeighbourhoodRow:
    if len(cells) != len(COLUMNS):
        raise IngestError(
            f"The row has {len(cells)} cells, not {len(COLUMNS)}.",
            file=file,
            row=number,
            fix="Quote any cell that holds a comma.",
        )
    code, name, areas, residents = (cell.strip() for cell in cells)
    _text(code, LONGEST_CODE, file=file, row=number, column="code")
    _text(name, LONGEST_NAME, file=file, row=number, column="name")
    return NeighbourhoodRow(
        code=code,
        name=name,
        postcode_areas=_areas(areas, file=file, row=number),
        residents=_residents(residents, file=file, row=number),
    )


def _text(value: str, longest: int, *, file: str, row: int, column: str) -> None:
    if not value:
        raise IngestError(
            "This cell is empty.", file=file, row=row, column=column, fix=f"Fill in the {column}."
        )
    if len(value) > longest:
        raise IngestError(f"This is longer than {longest} characters.", file=file, row=row, column=column)


def _areas(text: str, *, file: str, row: int) -> tuple[str, ...]:
    areas = tuple(normalise_area(part) for part in text.split(AREA_SEPARATOR) if part.strip())
    for area in areas:
        if not POSTCODE_AREA.match(area):
            raise IngestError(
                f"{area!r} is not a postcode district, sector or postcode.",
                file=file,
                row=row,
                column="postcode_areas",
                fix='Write areas such as "RF2", "RF1 8" or "RF1 8AP", separated by semicolons.',
            )
    return areas


def _residents(text: str, *, file: str, row: int) -> int | None:
    if not text:
        return None
    cleaned = text.replace(",", "")
    if not cleaned.isdigit():
        raise IngestError(
            f"{text!r} is not a whole number of residents.",
            file=file,
            row=row,
            column="residents",
            fix="Give the population estimate as a whole number, or leave the cell empty.",
        )
    return int(cleaned)


def _each_once(file: str, rows: Sequence[NeighbourhoodRow]) -> None:
    codes: dict[str, int] = {}
    areas: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if row.code in codes:
            raise IngestError(
                f"The code {row.code!r} is also on row {codes[row.code]}.",
                file=file,
                row=number,
                column="code",
            )
        codes[row.code] = number
        for area in row.postcode_areas:
            if area in areas:
                raise IngestError(
                    f"The postcode area {area!r} is also given to the neighbourhood on row {areas[area]}.",
                    file=file,
                    row=number,
                    column="postcode_areas",
                    fix="Give each postcode area to one neighbourhood.",
                )
            areas[area] = number


def replace_neighbourhoods(
    db: Session, rows: Sequence[NeighbourhoodRow], *, now: datetime
) -> list[Neighbourhood]:
    """Make these the place's neighbourhoods, in place of any before."""
    db.execute(delete(PostcodeArea))
    db.execute(delete(Neighbourhood))
    made = [
        Neighbourhood(
            code=row.code,
            name=row.name,
            residents=row.residents,
            updated_at=now,
            postcode_areas=[PostcodeArea(prefix=area) for area in row.postcode_areas],
        )
        for row in rows
    ]
    db.add_all(made)
    db.flush()
    return made


def neighbourhoods(db: Session) -> list[Neighbourhood]:
    """The place's neighbourhoods by code, each with its postcode areas."""
    query = (
        select(Neighbourhood).options(selectinload(Neighbourhood.postcode_areas)).order_by(Neighbourhood.code)
    )
    return list(db.scalars(query))


def postcode_areas(db: Session) -> dict[str, str]:
    """Each postcode area and the code of the neighbourhood it lies in."""
    query = select(PostcodeArea.prefix, Neighbourhood.code).join(Neighbourhood)
    return {row.prefix: row.code for row in db.execute(query)}


def neighbourhood_of(postcode: str | None, areas: Mapping[str, str]) -> str | None:
    """The code of the neighbourhood a postcode lies in: its whole postcode, else its sector, else its district."""
    if not postcode:
        return None
    whole = normalise_area(postcode)
    outward, _, inward = whole.partition(" ")
    for candidate in (whole, f"{outward} {inward[:1]}" if inward else None, outward):
        if candidate and candidate in areas:
            return areas[candidate]
    return None
