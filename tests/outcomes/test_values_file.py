import csv
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from wholeplace.core.errors import IngestError
from wholeplace.outcomes import periods
from wholeplace.outcomes.periods import PeriodKind
from wholeplace.outcomes.values_file import read_values

names = st.one_of(st.none(), st.sampled_from(["Northgate", "Riverside, East", "Old Town", "Under 5s"]))
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9)
month_starts = st.integers(min_value=2000 * 12, max_value=2100 * 12).map(
    lambda index: f"{index // 12:04d}-{index % 12 + 1:02d}"
)
Row = tuple[str, Decimal, str | None, str | None]
rows = st.lists(
    st.tuples(month_starts, decimals, names, names),
    min_size=1,
    max_size=25,
    unique_by=lambda r: (r[0], r[2], r[3]),
)


def _write_csv(path: Path, values: list[Row]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Period", "value", "neighbourhood", "group"])
        writer.writerows(
            [period, str(value), neighbourhood or "", group or ""]
            for period, value, neighbourhood, group in values
        )
    return path


def _write_xlsx(path: Path, values: list[Row]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["period", "value", "neighbourhood", "group"])
    for period, value, neighbourhood, group in values:
        sheet.append([period, float(value), neighbourhood, group])  # numbers as Excel keeps them
    book.save(path)
    return path


def _read_back(values: list[Row], path: Path) -> list[Row]:
    return [(row.period.text, row.value, row.neighbourhood, row.group) for row in read_values(path)]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(rows)
def test_a_csv_of_values_reads_back_as_written(tmp_path: Path, values: list[Row]) -> None:
    assert _read_back(values, _write_csv(tmp_path / "v.csv", values)) == values


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20)
@given(rows)
def test_a_workbook_of_values_reads_back_as_written(tmp_path: Path, values: list[Row]) -> None:
    assert _read_back(values, _write_xlsx(tmp_path / "v.xlsx", values)) == values


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_empty_rows_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("period,value\n2024-Q1,3\n\n2024-Q2,4.50\n", encoding="utf-8")
    read = read_values(path)
    assert [(r.row, r.period.kind, r.value) for r in read] == [
        (2, PeriodKind.QUARTER, Decimal(3)),
        (4, PeriodKind.QUARTER, Decimal("4.50")),
    ]
    assert read[0].neighbourhood is None and read[0].group is None


def test_dates_typed_into_excel_read_as_days(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["period", "value"])
    sheet.append([periods.parse("2024-09-02").start, 7])
    book.save(tmp_path / "v.xlsx")
    assert read_values(tmp_path / "v.xlsx")[0].period.text == "2024-09-02"


@pytest.mark.parametrize(
    ("text", "row", "column", "words"),
    [
        ("when,value\n2024,1\n", 1, None, "no 'period' column"),
        ("period,value\n2024,1\n,2\n", 3, "period", "period is empty"),
        ("period,value\n2024,1\nJan 2025,2\n", 3, "period", "not a period"),
        ("period,value\n2024,1\n2025,12%\n", 3, "value", "not a number"),
        ("period,value\n2024,1\n2025,1,000\n", 3, None, "3 cells"),
        ("period,value\n2024,1\n2024-Q1,2\n", 3, "period", "is a quarter, but row 2"),
        (
            "period,value,neighbourhood\n2024,1,North\n2024,2,South\n2024,3,North\n",
            4,
            "period",
            "first on row 2",
        ),
        ("period,value\n", None, None, "no values"),
    ],
)
def test_a_problem_stops_the_whole_file_naming_row_and_column(
    tmp_path: Path, text: str, row: int | None, column: str | None, words: str
) -> None:
    path = tmp_path / "absence.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as raised:
        read_values(path)
    assert (raised.value.file, raised.value.row, raised.value.column) == ("absence.csv", row, column)
    assert words in raised.value.problem
    assert raised.value.fix


def test_a_file_that_is_neither_csv_nor_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "values.ods"
    path.write_bytes(b"PK")
    with pytest.raises(IngestError, match="not a CSV or an Excel workbook"):
        read_values(path)


def test_a_damaged_workbook_says_so(tmp_path: Path) -> None:
    path = tmp_path / "values.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(IngestError, match="cannot be opened as an Excel workbook"):
        read_values(path)
