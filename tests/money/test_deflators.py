"""GDP deflator series: the shipped one is the series the Unit Cost Database implies, checked against every row;
a user's own series is read from a CSV; a year outside the series is a message saying what to supply."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from wholeplace.core.errors import IngestError
from wholeplace.money.deflators import (
    SHIPPED,
    DeflatorSeries,
    OutsideSeriesError,
    financial_year_label,
    parse_financial_year,
    read_series,
    shipped_series,
)
from wholeplace.money.unit_costs import shipped_database

MISPRICED = {"SS18.12"}  # £45 in 2010-11 prices shown as £47 (the edition's own factor gives £48)


def test_the_shipped_series_reproduces_the_databases_uprated_values_to_the_pound() -> None:
    series = shipped_series()
    checked = [cost for cost in shipped_database().costs if cost.uprated_value is not None]

    wrong = [
        cost.reference
        for cost in checked
        if abs(
            float(cost.original_value) * series.factor(cost.price_year, 2013) - float(cost.uprated_value or 0)
        )
        > 0.5
    ]

    assert len(checked) == 672
    assert wrong == sorted(MISPRICED)


def test_each_shipped_index_lies_within_what_every_row_of_its_year_allows() -> None:
    # A row priced at £o in year y and shown uprated as £u (to the pound) allows factors (u ± 0.5) / o.
    allowed: dict[int, list[float]] = defaultdict(lambda: [0.0, float("inf")])
    for cost in shipped_database().costs:
        if cost.uprated_value is None or cost.original_value == 0 or cost.reference in MISPRICED:
            continue
        low, high = allowed[cost.price_year]
        original, uprated = float(cost.original_value), float(cost.uprated_value)
        allowed[cost.price_year] = [
            max(low, (uprated - 0.5) / original),
            min(high, (uprated + 0.5) / original),
        ]
    series = shipped_series()

    assert sorted(allowed) == sorted(series.index)
    for year, (low, high) in allowed.items():
        assert low <= high, f"the rows priced in {financial_year_label(year)} disagree"
        assert low <= series.factor(year, 2013) <= high
    assert series.index[2013] == 100


def test_the_shipped_file_names_its_source_on_every_row() -> None:
    with SHIPPED.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert {row["source"] for row in rows} == {shipped_series().source}
    assert "Unit Cost Database 2014 edition" in shipped_series().source
    assert shipped_series().coverage == "2000-01 to 2013-14"


def test_a_users_series_is_read_and_indexed_to_any_year(tmp_path: Path) -> None:
    path = tmp_path / "hmt.csv"
    path.write_text("financial_year,index,notes\n2013-14,80.0,x\n2024/25,100.0,y\n\n", encoding="utf-8-sig")

    series = read_series(path)

    assert series.index == {2013: 80.0, 2024: 100.0}
    assert series.factor(2013, 2024) == 1.25
    assert series.source == "hmt.csv"


def test_a_year_outside_the_series_says_what_to_supply() -> None:
    with pytest.raises(OutsideSeriesError) as raised:
        shipped_series().factor(2009, 2024)

    assert "covers 2000-01 to 2013-14, with no value for 2024-25" in raised.value.problem
    assert "financial_year,index" in raised.value.fix
    assert "--deflators" in raised.value.fix


def test_the_same_year_needs_no_series() -> None:
    assert DeflatorSeries({2013: 100.0}, "one year").factor(2030, 2030) == 1


@pytest.mark.parametrize(
    ("content", "where", "problem"),
    [
        ("year,index\n2013-14,80\n", "row 1", "no 'financial_year' column"),
        ("financial_year,index\n2013,80\n", "row 2, column 'financial_year'", "not a financial year"),
        ("financial_year,index\n2013-15,80\n", "row 2, column 'financial_year'", "second year should follow"),
        ("financial_year,index\n2013-14,-3\n", "row 2, column 'index'", "not a positive number"),
        ("financial_year,index\n2013-14,\n", "row 2, column 'index'", "not a positive number"),
        ("financial_year,index\n2013-14,80\n2013/14,81\n", "row 3, column 'financial_year'", "appears twice"),
        ("financial_year,index\n", "", "no years"),
    ],
)
def test_a_bad_series_is_refused_naming_the_row(
    tmp_path: Path, content: str, where: str, problem: str
) -> None:
    path = tmp_path / "series.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(IngestError) as raised:
        read_series(path)

    assert raised.value.where == ", ".join(part for part in ("series.csv", where) if part)
    assert problem in raised.value.problem


def test_a_missing_series_file_is_a_message(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot be opened"):
        read_series(tmp_path / "nowhere.csv")


@pytest.mark.parametrize(
    ("text", "year"), [("2013-14", 2013), ("2013/14", 2013), ("1999-2000", 1999), ("2099-00", 2099)]
)
def test_financial_years_are_read_by_the_year_they_start(text: str, year: int) -> None:
    assert parse_financial_year(text) == year
    assert financial_year_label(year) == f"{year}-{(year + 1) % 100:02d}"
