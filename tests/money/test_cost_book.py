"""The cost book: each event and involvement type priced from the Unit Cost Database or the place's own figure,
uprated to the book's base year with its attribution; the demo's book read whole; and every mistake named by its
field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from wholeplace.core.errors import IngestError
from wholeplace.demo.money import write_cost_book
from wholeplace.money.cost_book import Kind, load_cost_book
from wholeplace.money.deflators import shipped_series
from wholeplace.money.unit_costs import shipped_database

BOOK = """\
name: Testford cost book
base_year: 2013-14
events:
  - {type: domestic_abuse_incident, unit_cost_code: CR2.0.3}
  - {type: emergency_attendance, source: health_ed, amount: 100, price_year: 2013-14, agency: Testford NHS, reference: Trust costing 2013}
involvements:
  - {type: Residential care, unit_cost_code: SS7.1, times: 52, agency: Testford Adult Care}
"""


def _book(tmp_path: Path, text: str = BOOK) -> Path:
    path = tmp_path / "costs.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_unit_cost_is_uprated_to_the_base_year_and_keeps_its_agency_and_reference(tmp_path: Path) -> None:
    book = load_cost_book(_book(tmp_path))

    incident, attendance, care = book.prices
    assert (book.name, book.base_year) == ("Testford cost book", "2013-14")
    # CR2.0.3 is £415 in 2008-09 prices; the shipped GDP deflators take it to 2013-14.
    police = shipped_database().find("CR2.0.3")
    assert police.original_value == 415 and police.price_year == 2008
    assert incident.amount == pytest.approx(police.value_in(2013, shipped_series()))
    assert incident.amount > 415
    assert (incident.kind, incident.agency, incident.source) == (Kind.EVENT, "Police", None)
    assert incident.reference.startswith("CR2.0.3: Domestic violence - fiscal cost per incident: police")
    assert "Unit Cost Database" in incident.attribution
    # The place's own figure, already in base-year prices, is kept as it is, for its source only.
    assert (attendance.amount, attendance.source, attendance.agency) == (100.0, "health_ed", "Testford NHS")
    assert attendance.attribution == "place-specific cost: Trust costing 2013"
    # A weekly cost 52 times over is a year's.
    weekly = shipped_database().find("SS7.1")
    assert care.kind is Kind.INVOLVEMENT
    assert care.amount == pytest.approx(weekly.value_in(2013, shipped_series()) * 52)


def test_the_prices_table_holds_one_row_a_price(tmp_path: Path) -> None:
    table = load_cost_book(_book(tmp_path)).as_table()

    assert table.column_names == ["kind", "source", "type", "agency", "amount"]
    assert table.column("type").to_pylist() == [
        "domestic_abuse_incident",
        "emergency_attendance",
        "Residential care",
    ]
    assert table.column("source").to_pylist() == [None, "health_ed", None]


def test_the_demo_book_prices_every_type_it_names(tmp_path: Path) -> None:
    book = load_cost_book(write_cost_book(tmp_path))

    assert book.base_year == "2013-14"
    assert len(book.prices) == 15
    assert all(price.amount > 0 for price in book.prices)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            ("unit_cost_code: CR2.0.3}", "unit_cost_code: CR2.0.3, amount: 5}"),
            "events[0] (line 4): needs one of unit_cost_code and amount",
        ),
        (("CR2.0.3", "ZZ9.9"), "events[0].unit_cost_code (line 4):"),
        (("price_year: 2013-14, ", ""), "events[1].price_year (line 5): is needed with an amount"),
        (("price_year: 2013-14", "price_year: 2030-31"), "events[1] (line 5): The GDP deflator series"),
        (("base_year: 2013-14", "base_year: 2013"), "base_year (line 2): "),
        (("times: 52", "times: 0"), "involvements[0].times (line 7): input should be greater than 0"),
        (
            ("emergency_attendance, source: health_ed", "domestic_abuse_incident"),
            "events[1].type (line 5): 'domestic_abuse_incident' is priced twice",
        ),
        (("name: Testford cost book\n", ""), "name (line 1): is missing"),
    ],
)
def test_a_mistake_is_named_by_its_field_and_line(tmp_path: Path, change: tuple[str, str], said: str) -> None:
    with pytest.raises(IngestError) as refused:
        load_cost_book(_book(tmp_path, BOOK.replace(*change)))

    assert said in str(refused.value)
