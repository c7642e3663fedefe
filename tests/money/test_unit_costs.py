"""The Unit Cost Database shipped with the package: every row of every file parsed, values and price years read
as written, codes found, and a damaged file refused with its row and column."""

from __future__ import annotations

import filecmp
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from wholeplace.core.errors import IngestError
from wholeplace.money.deflators import shipped_series
from wholeplace.money.unit_costs import (
    ATTRIBUTION,
    DATABASE,
    Flag,
    UnknownUnitCostError,
    read_database,
    shipped_database,
)

SHARED_COPY = Path(__file__).resolve().parents[3] / "shared" / "data" / "unit-cost-database"
ROW = (
    'CRIME,ANTI-SOCIAL BEHAVIOUR,CR1.0,"Anti-social behaviour\nfurther action",Police,,Per incident,500,2002/03,'
    '" £648 ",A source,R,A comment,http://example.org\n'
)


def test_every_row_of_every_file_is_parsed() -> None:
    costs = shipped_database().costs

    assert len(costs) == 673
    assert Counter(cost.file for cost in costs) == {
        "crime.csv": 177,
        "education-skills.csv": 44,
        "employment-economy.csv": 56,
        "fire.csv": 15,
        "health.csv": 210,
        "housing.csv": 36,
        "socialservices.csv": 135,
    }
    assert Counter(cost.flag for cost in costs) == {Flag.GREEN: 498, Flag.AMBER: 172, Flag.RED: 3}
    assert all(cost.code and cost.description and cost.agency and cost.unit and cost.source for cost in costs)
    assert {cost.price_year for cost in costs} <= set(range(2000, 2014))
    assert (
        sum(cost.uprated_value is None for cost in costs) == 1
    )  # CR7.17.3#3: an original value of 0, no uprating


def test_a_row_is_read_as_written() -> None:
    alcohol = shipped_database().find("HE1.0")

    assert (alcohol.theme, alcohol.sub_theme, alcohol.agency, alcohol.unit) == (
        "HEALTH",
        "ALCOHOL",
        "NHS",
        "Per person per year",
    )
    assert alcohol.description.startswith("Alcohol misuse - estimated annual cost to the NHS")
    assert (alcohol.original_value, alcohol.price_year_label, alcohol.uprated_value) == (
        Decimal(1800),
        "2009-10",
        Decimal(1962),
    )
    assert alcohol.flag is Flag.AMBER
    assert alcohol.source.startswith("Alcohol Use Disorders")
    assert alcohol.url.startswith("http://www.nice.org.uk/")
    assert (alcohol.file, alcohol.row) == ("health.csv", 1)


def test_values_with_pennies_and_pound_signs_are_read_exactly() -> None:
    database = shipped_database()

    assert database.find("CR4.0.1").original_value == Decimal("10812.96")
    assert database.find("CR4.0.1").uprated_value == Decimal(12110)
    assert all(cost.original_value >= 0 for cost in database.costs)


def test_a_description_written_over_several_lines_is_one_line() -> None:
    assert shipped_database().find("CR1.0").description == (
        "Anti-social behaviour further action necessary (cost of dealing with incident)"
    )


def test_agencies_spelt_two_ways_are_one_agency() -> None:
    agencies = Counter(cost.agency for cost in shipped_database().costs)

    assert agencies["Local Authority"] == 180
    assert "Local authority" not in agencies


def test_a_code_the_database_gives_to_several_rows_is_numbered_in_file_order() -> None:
    database = shipped_database()

    courts, prisons, other = (database.find(f"CR7.0.3#{n}") for n in (1, 2, 3))
    assert [cost.description for cost in (courts, prisons, other)] == [
        "Homicide - Courts/legal aid",
        "Homicide - Prisons",
        "Homicide - Other CJS",
    ]
    assert len(set(database.references())) == 673
    with pytest.raises(
        UnknownUnitCostError, match=r"CR7\.0\.3 names 3 rows.*CR7\.0\.3#2 \(Homicide - Prisons\)"
    ):
        database.find("CR7.0.3")


def test_a_code_is_found_whatever_its_case_and_an_unknown_one_is_not() -> None:
    database = shipped_database()

    assert database.find(" he1.0 ").code == "HE1.0"
    with pytest.raises(UnknownUnitCostError, match=r"No unit cost has the code 'ZZ9\.9'"):
        database.find("ZZ9.9")


def test_search_finds_rows_with_every_word() -> None:
    found = shipped_database().search("alcohol nhs")

    assert found
    assert all("alcohol" in f"{c.description} {c.sub_theme}".lower() and c.agency == "NHS" for c in found)


def test_a_unit_cost_is_uprated_to_a_base_year_with_the_series() -> None:
    alcohol = shipped_database().find("HE1.0")

    assert alcohol.value_in(2013, shipped_series()) == pytest.approx(1962, abs=0.5)
    assert alcohol.value_in(2009, shipped_series()) == 1800


def test_the_shipped_copy_is_the_shared_reference_data() -> None:
    if not SHARED_COPY.is_dir():
        pytest.skip("the shared reference data is not beside this checkout")
    names = sorted(path.name for path in SHARED_COPY.iterdir())
    assert sorted(path.name for path in DATABASE.iterdir()) == names
    _, mismatch, errors = filecmp.cmpfiles(SHARED_COPY, DATABASE, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_the_attribution_names_the_database_and_its_makers() -> None:
    assert ATTRIBUTION == "Unit Cost Database, New Economy / GMCA"


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (ROW.replace(",A comment", ""), "row 1"),
        (ROW.replace('" £648 "', "six hundred"), "row 1, column 'uprated value'"),
        (ROW.replace("2002/03", "2002/04"), "row 1, column 'price year'"),
        (ROW.replace(",R,", ",X,"), "row 1, column 'confidence flag'"),
        (ROW.replace(",500,", ",,"), "row 1, column 'original value'"),
        (ROW.replace(",CR1.0,", ",,"), "row 1, column 'cost code'"),
    ],
)
def test_a_damaged_row_is_refused_with_its_row_and_column(tmp_path: Path, row: str, where: str) -> None:
    (tmp_path / "crime.csv").write_text(row, encoding="utf-8")

    with pytest.raises(IngestError) as raised:
        read_database(tmp_path)

    assert raised.value.where == f"crime.csv, {where}"


def test_a_folder_without_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no CSV files"):
        read_database(tmp_path)


def test_a_good_row_in_a_folder_of_its_own_is_read(tmp_path: Path) -> None:
    (tmp_path / "crime.csv").write_text(ROW, encoding="utf-8")

    (cost,) = read_database(tmp_path).costs

    assert (cost.code, cost.original_value, cost.uprated_value, cost.price_year, cost.flag) == (
        "CR1.0",
        Decimal(500),
        Decimal(648),
        2002,
        Flag.RED,
    )
    assert cost.description == "Anti-social behaviour further action"
