"""The Unit Cost Database (2014 edition, New Economy / GMCA): 673 costs of public services, each with the agency
that bears it, its value in the price year it was found in, its source and its confidence flag; read from the CSV
files shipped with the package, found by code, and uprated to a base year with a GDP deflator series.

Every figure from the database is shown with its attribution, `ATTRIBUTION`. The database gives one code to
several rows in a few places (CR7.0.3 is the courts', the prisons' and other criminal justice costs of a
homicide); those rows are referred to as CR7.0.3#1, CR7.0.3#2 and CR7.0.3#3, in the order of the file.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from pathlib import Path

from wholeplace.core.errors import IngestError
from wholeplace.money.deflators import DeflatorSeries, financial_year_label, parse_financial_year

ATTRIBUTION = "Unit Cost Database, New Economy / GMCA"
EDITION = "2014 edition"
DATABASE = Path(__file__).parent / "data" / "unit-cost-database"
COLUMNS = (
    "theme",
    "sub-theme",
    "cost code",
    "description",
    "agency",
    "agency detail",
    "unit",
    "original value",
    "price year",
    "uprated value",
    "source",
    "confidence flag",
    "comments",
    "source URL",
)


class Flag(StrEnum):
    """The database's own grade of a figure's quality."""

    GREEN = "G"
    AMBER = "A"
    RED = "R"


@dataclass(frozen=True)
class UnitCost:
    reference: str  # the code, or code#n where the database gives one code to several rows
    code: str
    theme: str
    sub_theme: str
    description: str
    agency: str
    agency_detail: str
    unit: str
    original_value: Decimal
    price_year: int  # the financial year the original value is priced in, by the calendar year it starts
    uprated_value: Decimal | None  # in the edition's base-year prices (2013-14); None where the row has none
    source: str
    flag: Flag
    comments: str
    url: str
    file: str
    row: int

    @property
    def price_year_label(self) -> str:
        return financial_year_label(self.price_year)

    def value_in(self, base_year: int, deflators: DeflatorSeries) -> float:
        """The original value in the prices of the financial year starting in `base_year`."""
        return float(self.original_value) * deflators.factor(self.price_year, base_year)


class UnknownUnitCostError(LookupError):
    """No unit cost has the reference, or the reference names several rows."""


@dataclass(frozen=True)
class UnitCostDatabase:
    costs: tuple[UnitCost, ...]

    def __post_init__(self) -> None:
        repeated = [reference for reference, count in Counter(self.references()).items() if count > 1]
        if repeated:
            raise ValueError(f"Unit cost references must be unique: {', '.join(repeated)} repeat.")

    def references(self) -> Iterator[str]:
        return (cost.reference for cost in self.costs)

    def find(self, reference: str) -> UnitCost:
        """The unit cost with this reference: its code, or code#n where the code names several rows."""
        wanted = reference.strip()
        for cost in self.costs:
            if cost.reference.casefold() == wanted.casefold():
                return cost
        sharing = [cost for cost in self.costs if cost.code.casefold() == wanted.casefold()]
        if sharing:
            choices = "; ".join(f"{cost.reference} ({cost.description})" for cost in sharing)
            raise UnknownUnitCostError(f"{wanted} names {len(sharing)} rows of the database: {choices}.")
        raise UnknownUnitCostError(f"No unit cost has the code {wanted!r}.")

    def search(self, text: str) -> list[UnitCost]:
        """The unit costs whose code, description, agency or theme contain every word of `text`."""
        words = text.casefold().split()
        return [
            cost
            for cost in self.costs
            if all(
                word
                in f"{cost.reference} {cost.description} {cost.agency} {cost.theme} {cost.sub_theme}".casefold()
                for word in words
            )
        ]


@cache
def shipped_database() -> UnitCostDatabase:
    """The 2014 edition, shipped with the package."""
    return read_database(DATABASE)


def read_database(folder: Path) -> UnitCostDatabase:
    """Every row of every CSV file in `folder`, files in name order."""
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise IngestError(
            "There are no CSV files here.", file=str(folder), fix="Point to the Unit Cost Database's folder."
        )
    parsed = [_unit_cost(path, number, row) for path in files for number, row in _rows(path)]
    return UnitCostDatabase(tuple(_with_references(_with_canonical_agencies(parsed))))


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The file's records numbered from 1 (the files have no header); a record may span lines."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))
    except UnicodeDecodeError as error:
        raise IngestError("The file is not UTF-8 text.", file=path.name, fix="Save it as UTF-8.") from error
    yield from ((number, record) for number, record in enumerate(records, start=1) if any(record))


def _unit_cost(path: Path, number: int, row: list[str]) -> UnitCost:
    if len(row) != len(COLUMNS):
        raise IngestError(
            f"The row has {len(row)} fields; the database has {len(COLUMNS)}.",
            file=path.name,
            row=number,
            fix="Check the row's quotes: a field with a comma or a line break must be in double quotes.",
        )
    cells = [cell.strip() for cell in row]
    code = cells[2]
    if not code:
        raise IngestError("The cost code is empty.", file=path.name, row=number, column="cost code")
    original = _money(path, number, "original value", cells[7])
    if original is None:
        raise IngestError("The original value is empty.", file=path.name, row=number, column="original value")
    return UnitCost(
        reference=code,
        code=code,
        theme=cells[0],
        sub_theme=cells[1],
        description=" ".join(cells[3].split()),
        agency=cells[4],
        agency_detail=cells[5],
        unit=cells[6],
        original_value=original,
        price_year=_price_year(path, number, cells[8]),
        uprated_value=_money(path, number, "uprated value", cells[9]),
        source=cells[10],
        flag=_flag(path, number, cells[11]),
        comments=cells[12],
        url=cells[13],
        file=path.name,
        row=number,
    )


def _money(path: Path, number: int, column: str, text: str) -> Decimal | None:
    """A sum written as 1800, 10812.96 or " £1,962 "; None for an empty cell."""
    plain = text.strip().removeprefix("£").replace(",", "").strip()
    if not plain:
        return None
    try:
        value = Decimal(plain)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise IngestError(
            f"{text.strip()!r} is not a sum of money.", file=path.name, row=number, column=column
        )
    return value


def _price_year(path: Path, number: int, text: str) -> int:
    try:
        return parse_financial_year(text)
    except ValueError as error:
        raise IngestError(str(error), file=path.name, row=number, column="price year") from error


def _flag(path: Path, number: int, text: str) -> Flag:
    try:
        return Flag(text.upper())
    except ValueError as error:
        raise IngestError(
            f"{text!r} is not a confidence flag: G, A or R.",
            file=path.name,
            row=number,
            column="confidence flag",
        ) from error


def _with_canonical_agencies(costs: list[UnitCost]) -> Iterator[UnitCost]:
    """One spelling for each agency ("Local Authority" and "Local authority" are one agency): the commonest."""
    spellings = Counter(cost.agency for cost in costs)
    canonical = {
        agency.casefold(): max(
            (spelling for spelling in spellings if spelling.casefold() == agency.casefold()),
            key=lambda spelling: spellings[spelling],
        )
        for agency in spellings
    }
    for cost in costs:
        yield replace(cost, agency=canonical[cost.agency.casefold()])


def _with_references(costs: Iterable[UnitCost]) -> Iterator[UnitCost]:
    """Code#n for the rows of a code the database gives to several rows, numbered in file order."""
    listed = list(costs)
    counts = Counter(cost.code.casefold() for cost in listed)
    seen: Counter[str] = Counter()
    for cost in listed:
        key = cost.code.casefold()
        if counts[key] == 1:
            yield cost
            continue
        seen[key] += 1
        yield replace(cost, reference=f"{cost.code}#{seen[key]}")
