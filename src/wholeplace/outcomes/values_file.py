"""Reading a measure's values from a file: a CSV (UTF-8) or an Excel workbook (.xlsx, its first sheet) with the
columns period and value, and optionally neighbourhood and group (empty for the whole place and for everyone).
The whole file is read or none of it: the first problem stops it with the row and column and what to do. Rows are
numbered as a spreadsheet shows them, the header being row 1; empty rows are skipped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import load_workbook

from wholeplace.core.csv_rows import read_csv_rows
from wholeplace.core.errors import IngestError
from wholeplace.outcomes import periods
from wholeplace.outcomes.periods import Period

REQUIRED = ("period", "value")
OPTIONAL = ("neighbourhood", "group")
LONGEST_VALUE = 40  # characters of a value as written, which is how it is kept
LONGEST_NAME = 200  # characters of a neighbourhood or a group


@dataclass(frozen=True)
class ValueRow:
    period: Period
    value: Decimal
    neighbourhood: str | None  # None: the whole place
    group: str | None  # None: everyone
    row: int

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return self.period.text, self.neighbourhood, self.group


def read_values(path: Path) -> list[ValueRow]:
    """Every row of the file, or an IngestError naming the file, row and column of the first problem."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_rows(path.name, read_csv_rows(path))
    if suffix == ".xlsx":
        return parse_rows(path.name, _excel_rows(path))
    raise IngestError(
        f"The file is a {suffix or 'file without an extension'}, not a CSV or an Excel workbook.",
        file=path.name,
        fix="Save the values as CSV UTF-8 (.csv) or as an Excel workbook (.xlsx) and try again.",
    )


def parse_rows(file: str, rows: Sequence[Sequence[str]]) -> list[ValueRow]:
    """The values in rows of text cells, the first row naming the columns."""
    header = [name.strip().lower() for name in rows[0]] if rows else []
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise IngestError(
            f"There is no {' or '.join(repr(name) for name in missing)} column.",
            file=file,
            row=1,
            fix="Make the first row name the columns: period,value and, if you have them, neighbourhood,group.",
        )
    at = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    values = [
        _value_row(file, number, row, at, width=len(header))
        for number, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    if not values:
        raise IngestError(
            "The file has no values.", file=file, fix="Add a row for each period under the header."
        )
    _check_one_kind_of_period(file, values)
    _check_each_once(file, values)
    return values


def _value_row(file: str, number: int, row: Sequence[str], at: dict[str, int], *, width: int) -> ValueRow:
    if len(row) > width and any(cell.strip() for cell in row[width:]):
        raise IngestError(
            f"The row has {len(row)} cells but the first row names {width} columns.",
            file=file,
            row=number,
            fix="Remove thousands separators from numbers, or put a value that holds a comma in double quotes.",
        )
    return ValueRow(
        period=_period(file, number, _cell(row, at["period"])),
        value=_number(file, number, _cell(row, at["value"])),
        neighbourhood=_name(file, number, row, at, "neighbourhood"),
        group=_name(file, number, row, at, "group"),
        row=number,
    )


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _period(file: str, number: int, text: str) -> Period:
    if not text:
        raise IngestError(
            "The period is empty.", file=file, row=number, column="period", fix="Name every row's period."
        )
    try:
        return periods.parse(text)
    except periods.PeriodError as error:
        raise IngestError(
            str(error),
            file=file,
            row=number,
            column="period",
            fix=f"Write periods as {periods.EXAMPLES} (a week by the day it starts).",
        ) from error


def _number(file: str, number: int, text: str) -> Decimal:
    try:
        value: Decimal | None = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or len(text) > LONGEST_VALUE:
        shown = repr(text) if text else "empty"
        raise IngestError(
            f"The value is {shown}, not a number.",
            file=file,
            row=number,
            column="value",
            fix="Write a plain number such as 12 or 0.35, without thousands separators or units; leave out periods with no value.",
        )
    return value


def _name(file: str, number: int, row: Sequence[str], at: dict[str, int], column: str) -> str | None:
    if column not in at:
        return None
    text = _cell(row, at[column])
    if len(text) > LONGEST_NAME:
        raise IngestError(
            f"The {column} is {len(text)} characters long.",
            file=file,
            row=number,
            column=column,
            fix=f"Shorten it to at most {LONGEST_NAME} characters.",
        )
    return text or None


def _check_one_kind_of_period(file: str, values: Sequence[ValueRow]) -> None:
    first = values[0]
    for value in values[1:]:
        if value.period.kind is not first.period.kind:
            raise IngestError(
                f"The period {value.period.text!r} is a {value.period.kind.value}, but row {first.row}'s period "
                f"{first.period.text!r} is a {first.period.kind.value}.",
                file=file,
                row=value.row,
                column="period",
                fix="Give every row the same kind of period: one file holds one series.",
            )


def _check_each_once(file: str, values: Sequence[ValueRow]) -> None:
    first_row: dict[tuple[str, str | None, str | None], int] = {}
    for value in values:
        if value.key in first_row:
            raise IngestError(
                f"The period {value.period.text!r} appears twice for the same neighbourhood and group "
                f"(first on row {first_row[value.key]}).",
                file=file,
                row=value.row,
                column="period",
                fix="Give each period one value for each neighbourhood and group.",
            )
        first_row[value.key] = value.row


def _excel_rows(path: Path) -> list[list[str]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of error on a damaged or foreign file
        raise IngestError(
            f"The file cannot be opened as an Excel workbook: {error}.",
            file=path.name,
            fix="Open it in Excel, save it again as an Excel workbook (.xlsx), and send that.",
        ) from error
    try:
        sheet = workbook.worksheets[0]
        return [_excel_texts(row) for row in sheet.iter_rows(values_only=True)]
    except Exception as error:  # openpyxl raises many kinds of error on a damaged sheet
        raise IngestError(
            f"The first sheet cannot be read: {error}.",
            file=path.name,
            fix="Open the workbook in Excel, save it again, and send that.",
        ) from error
    finally:
        workbook.close()


def _excel_texts(cells: Iterable[object]) -> list[str]:
    return [_excel_text(cell) for cell in cells]


def _excel_text(cell: object) -> str:
    """A cell as the text a person sees: a whole number without ".0", a date as 2024-09-02."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"  # not a number: the value check says so
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)
