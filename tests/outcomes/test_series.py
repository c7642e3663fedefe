"""Reading a series from CSV: what a spreadsheet writes is read exactly; anything else stops with where and why."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.core.errors import IngestError
from wholeplace.outcomes.series import read_series_csv


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "series.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_periods_and_values_are_read_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffPeriod, Value\n2024-02,12.5\n2024-01,-3\n\n2024-03,1e2\n")

    read = read_series_csv(path)

    assert [(o.period, o.value, o.row) for o in read] == [
        ("2024-02", Fraction("12.5"), 2),
        ("2024-01", Fraction(-3), 3),
        ("2024-03", Fraction(100), 5),
    ]


def test_other_columns_are_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "area,value,period,note\nNorth,4,Q1,\nNorth,5,Q2,late\n")
    assert [o.value for o in read_series_csv(path)] == [4, 5]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("when,value\n2024,1\n", "series.csv, row 1", "no 'period' column"),
        ("period\n2024\n", "series.csv, row 1", "no 'value' column"),
        ("period,value\n2024-01,1\n2024-02,1,000\n", "series.csv, row 3", "has 3 cells"),
        (
            "period,value\n2024-01,1\n2024-02,12%\n",
            "series.csv, row 3, column 'value'",
            "'12%', not a number",
        ),
        ("period,value\n2024-01,\n", "series.csv, row 2, column 'value'", "empty, not a number"),
        ("period,value\n2024-01,nan\n", "series.csv, row 2, column 'value'", "'nan', not a number"),
        ("period,value\n,4\n", "series.csv, row 2, column 'period'", "period is empty"),
        ("period,value\nQ1,4\nQ2,5\nQ1,6\n", "series.csv, row 4, column 'period'", "first on row 2"),
    ],
)
def test_a_bad_file_is_refused_saying_where_and_what(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(IngestError) as refused:
        read_series_csv(path)
    assert refused.value.where == where
    assert problem in refused.value.problem
    assert refused.value.fix


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "period,value\nJanvier à mars,4\n", encoding="latin-1")
    with pytest.raises(IngestError, match="not UTF-8"):
        read_series_csv(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot be opened"):
        read_series_csv(tmp_path / "absent.csv")


decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9, places=6)


@given(st.lists(decimals, min_size=1, max_size=30))
def test_any_decimal_written_is_read_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, values: list[Decimal]
) -> None:
    lines = "".join(f"P{index},{value}\n" for index, value in enumerate(values))
    path = write(tmp_path_factory.mktemp("series"), "period,value\n" + lines)

    assert [o.value for o in read_series_csv(path)] == [Fraction(value) for value in values]
