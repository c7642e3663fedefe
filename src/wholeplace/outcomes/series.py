"""Reading a measure's values over time from a file: a CSV with a `period` and a `value` column, in time order.
Rows are numbered as a spreadsheet shows them, the header being row 1."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from wholeplace.core.csv_rows import read_csv_rows
from wholeplace.core.errors import IngestError

COLUMNS = ("period", "value")


@dataclass(frozen=True)
class Observation:
    period: str
    value: Fraction
    row: int


def read_series_csv(path: Path) -> list[Observation]:
    """Every row's period and value, or an error naming the row and column that stops the whole file."""
    rows = read_csv_rows(path)
    header = [name.strip().lower() for name in rows[0]] if rows else []
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise IngestError(
            f"There is no {' or '.join(repr(name) for name in missing)} column.",
            file=path.name,
            row=1,
            fix="Make the first row name the columns: period,value.",
        )
    at = {name: header.index(name) for name in COLUMNS}
    observations = [
        _observation(path, number, row, at, width=len(header))
        for number, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    _check_periods(path, observations)
    return observations


def _observation(path: Path, number: int, row: list[str], at: dict[str, int], *, width: int) -> Observation:
    if len(row) > width:
        raise IngestError(
            f"The row has {len(row)} cells but the first row names {width} columns.",
            file=path.name,
            row=number,
            fix="Remove thousands separators from numbers, or put a value that holds a comma in double quotes.",
        )
    period = _cell(row, at["period"])
    if not period:
        raise IngestError(
            "The period is empty.",
            file=path.name,
            row=number,
            column="period",
            fix="Name every row's period.",
        )
    return Observation(period=period, value=_value(path, number, _cell(row, at["value"])), row=number)


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _value(path: Path, number: int, text: str) -> Fraction:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        shown = repr(text) if text else "empty"
        raise IngestError(
            f"The value is {shown}, not a number.",
            file=path.name,
            row=number,
            column="value",
            fix="Write a plain number such as 12 or 0.35, without thousands separators or units; leave out periods with no value.",
        )
    return Fraction(value)


def _check_periods(path: Path, observations: list[Observation]) -> None:
    first_row: dict[str, int] = {}
    for observation in observations:
        if observation.period in first_row:
            raise IngestError(
                f"The period {observation.period!r} appears twice (first on row {first_row[observation.period]}).",
                file=path.name,
                row=observation.row,
                column="period",
                fix="Give each period one value.",
            )
        first_row[observation.period] = observation.row
