"""GDP deflator series for bringing money of one year's prices to another's: the series shipped with the package
(the one the Unit Cost Database 2014 edition implies, 2000-01 to 2013-14) or one a user supplies as a CSV.

A series is indexed by financial year, written by the calendar year it starts in (2013 is 2013-14), as HM
Treasury's "GDP deflators at market prices, and money GDP" and the Unit Cost Database both price in financial
years. Uprating multiplies by the ratio of two years' index values, so a series may be indexed to any year = 100.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wholeplace.core.csv_rows import read_csv_rows
from wholeplace.core.errors import IngestError, InvalidInputError

SHIPPED = Path(__file__).parent / "data" / "gdp_deflators.csv"
COLUMNS = ("financial_year", "index")
SUPPLY_A_SERIES = (
    "Supply a GDP deflator series that covers both years: a CSV with the columns financial_year,index "
    "(for example HM Treasury's 'GDP deflators at market prices, and money GDP', financial-year columns), "
    "named with `deflators: FILE.csv` in the scenario or `--deflators FILE.csv`."
)
_FINANCIAL_YEAR = re.compile(r"(\d{4})\s*[-/]\s*(\d{2}|\d{4})")


class OutsideSeriesError(InvalidInputError):
    """A year the deflator series does not cover."""


@dataclass(frozen=True)
class DeflatorSeries:
    """Index values by financial year (the calendar year it starts in), and where they come from."""

    index: Mapping[int, float]
    source: str

    def __post_init__(self) -> None:
        if not self.index:
            raise ValueError("A deflator series needs at least one year.")
        if any(not math.isfinite(value) or value <= 0 for value in self.index.values()):
            raise ValueError("Every index value of a deflator series must be a positive number.")

    @property
    def coverage(self) -> str:
        """The years covered, as a person reads them: "2000-01 to 2013-14"."""
        return f"{financial_year_label(min(self.index))} to {financial_year_label(max(self.index))}"

    def factor(self, from_year: int, to_year: int) -> float:
        """What a sum in `from_year` prices is multiplied by to be in `to_year` prices."""
        if from_year == to_year:
            return 1.0
        missing = [year for year in (from_year, to_year) if year not in self.index]
        if missing:
            raise OutsideSeriesError(
                f"The GDP deflator series ({self.source}) covers {self.coverage}, with no value for "
                + " or ".join(financial_year_label(year) for year in missing)
                + ".",
                fix=SUPPLY_A_SERIES,
            )
        return self.index[to_year] / self.index[from_year]


def financial_year_label(year: int) -> str:
    """2013 -> "2013-14"."""
    return f"{year}-{(year + 1) % 100:02d}"


def parse_financial_year(text: str) -> int:
    """The calendar year a financial year starts in, from "2013-14", "2013/14" or "2013-2014". A bare year is
    refused: it may be a calendar year, and a calendar-year series would be read a quarter out."""
    match = _FINANCIAL_YEAR.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a financial year such as 2013-14.")
    start = int(match.group(1))
    if int(match.group(2)) % 100 != (start + 1) % 100:
        raise ValueError(
            f"{text.strip()!r} is not a financial year: its second year should follow its first."
        )
    return start


@cache
def shipped_series() -> DeflatorSeries:
    """The series shipped with the package: the one the Unit Cost Database 2014 edition implies."""
    return read_series(SHIPPED)


def read_series(path: Path) -> DeflatorSeries:
    """A series from a CSV with a `financial_year` and an `index` column (others, such as `source`, are read
    if there and otherwise ignored); rows are numbered as a spreadsheet shows them, the header being row 1."""
    rows = read_csv_rows(path)
    header = [name.strip().lower() for name in rows[0]] if rows else []
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise IngestError(
            f"There is no {' or '.join(repr(name) for name in missing)} column.",
            file=path.name,
            row=1,
            fix="Make the first row name the columns: financial_year,index.",
        )
    index: dict[int, float] = {}
    sources: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, row, strict=False))
        year = _year(path, number, cells.get("financial_year", ""))
        if year in index:
            raise IngestError(
                f"{financial_year_label(year)} appears twice.",
                file=path.name,
                row=number,
                column="financial_year",
                fix="Keep one row for each financial year.",
            )
        index[year] = _index_value(path, number, cells.get("index", ""))
        sources.append(cells.get("source", "").strip())
    if not index:
        raise IngestError(
            "The file has no years.", file=path.name, fix="Add one row for each financial year."
        )
    named = {source for source in sources if source}
    return DeflatorSeries(index, named.pop() if len(named) == 1 else path.name)


def _year(path: Path, row: int, text: str) -> int:
    try:
        return parse_financial_year(text)
    except ValueError as error:
        raise IngestError(
            str(error) if text.strip() else "The financial year is empty.",
            file=path.name,
            row=row,
            column="financial_year",
            fix="Write each year as 2013-14.",
        ) from error


def _index_value(path: Path, row: int, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise IngestError(
            f"{text.strip()!r} is not a positive number.",
            file=path.name,
            row=row,
            column="index",
            fix="Write the index as a plain number, such as 97.75.",
        )
    return value
