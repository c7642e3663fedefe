"""Fiscal Data Packages of the place's spend lines, on SQLite and PostgreSQL: the export's descriptor (profile,
Table Schema, fiscal model in GBP), the round trip that gives back the same totals, someone else's package
mapped by its model, and bad packages refused whole, naming the file, row and column, with nothing loaded."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.support.factories import MOMENT
from wholeplace.core.errors import IngestError, NotFoundError
from wholeplace.money import fdp, spend
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping
from wholeplace.sources.service import IngestResult

FIELDS = (
    "agency",
    "service",
    "period",
    "amount",
    "area",
    "cost_type",
    "theme",
    "prevention_or_response",
    "focus",
)
AGENCY = "Testford Council"
LINES = [
    {"agency": "Vale Police", "service": "Response policing", "period": "2025-26", "amount": "75485.20",
     "area": "N1", "cost_type": "staff", "theme": "crime", "prevention_or_response": "response",
     "focus": "activities"},
    {"agency": "Vale Police", "service": "Custody, cells and \"holding\"", "period": "2025-26", "amount": "1234.56",
     "area": "", "cost_type": "running", "theme": "crime", "prevention_or_response": "response",
     "focus": "inputs"},
    {"agency": "Riverford Homes", "service": "Zoë's tenancy café", "period": "2025-05", "amount": "-250.00",
     "area": "N2", "cost_type": "staff", "theme": "housing", "prevention_or_response": "prevention",
     "focus": "outcomes"},
    {"agency": "Riverford Homes", "service": "Repairs", "period": "2024-25", "amount": "£1,000.10",
     "area": "N2", "cost_type": "", "theme": "", "prevention_or_response": "", "focus": ""},
]  # fmt: skip


def load_spend(
    db: Session,
    lake: Lake,
    folder: Path,
    lines: Iterable[Mapping[str, str]] = LINES,
    *,
    source: str = "spend_testford",
    agency: str = AGENCY,
) -> IngestResult:
    """Load spend lines through a source mapping, as an agency's extract would be."""
    folder.mkdir(parents=True, exist_ok=True)
    extract = folder / f"{source}.csv"
    with extract.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, FIELDS)
        writer.writeheader()
        writer.writerows(lines)
    columns = "\n".join(f"  {name}: {name}" for name in FIELDS)
    mapping = parse_mapping(
        f"source: {source}\nagency: {agency}\nentity: spend_line\nformat: {{type: csv}}\ncolumns:\n{columns}\n",
        file=f"{source}.yaml",
    )
    return sources.ingest_file(
        db, source_name=source, path=extract, lake=lake, by="test", now=MOMENT, mapping=mapping
    )


def figures(db: Session, lake: Lake) -> dict[str, Any]:
    """Every figure of the Total Place count, every year's, for comparing two lakes."""
    with spend.place_spend(db, lake) as place:
        counted = spend.count(spend.read_cube(place.connection), place.neighbourhoods)
    return {
        "amount": counted.amount,
        "lines": counted.lines,
        "cells": {(cell.agency, cell.theme): cell.amount for cell in counted.cells},
        "areas": {area.code: area.amount for area in counted.areas},
        "prevention": {
            one.theme: (one.prevention, one.response, one.unclassified) for one in counted.prevention
        },
        "years": {one.year: one.amount for one in counted.years},
    }


@pytest.fixture
def package(db: Session, tmp_path: Path) -> Path:
    lake = Lake(tmp_path / "lake")
    load_spend(db, lake, tmp_path / "extracts")
    with spend.place_spend(db, lake) as place:
        fdp.export_package(place.connection, tmp_path / "package", place="Testford", year=None, now=MOMENT)
    return tmp_path / "package"


def descriptor_of(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / fdp.DESCRIPTOR).read_text(encoding="utf-8"))
    return loaded


def import_into(db: Session, folder: Path, lake: Lake, *, source: str = "imported") -> fdp.Imported:
    return fdp.import_package(db, lake, folder, source=source, agency=AGENCY, by="test", now=MOMENT)


# ---------------------------------------------------------------- export


def test_the_export_is_a_fiscal_data_package_with_a_table_schema_and_a_model_in_pounds(package: Path) -> None:
    described = descriptor_of(package)
    assert described["profile"] == "fiscal-data-package"
    (resource,) = described["resources"]
    assert resource["path"] == "spend.csv" and resource["profile"] == "tabular-data-resource"
    fields = {field["name"]: field for field in resource["schema"]["fields"]}
    assert list(fields) == list(FIELDS)
    assert fields["amount"]["type"] == "number"
    assert fields["focus"]["constraints"]["enum"] == ["inputs", "activities", "outputs", "outcomes"]
    measure = described["model"]["measures"]["amount"]
    assert (measure["source"], measure["currency"]) == ("amount", "GBP")
    dimensions = described["model"]["dimensions"]
    assert set(dimensions) == set(FIELDS) - {"amount"}
    assert dimensions["area"]["dimensionType"] == "location"
    assert dimensions["theme"]["classificationType"] == "functional"
    for dimension in dimensions.values():
        (attribute,) = dimension["attributes"].values()
        assert attribute["source"] in fields


def test_the_exported_data_holds_every_line_to_the_penny(package: Path) -> None:
    with (package / fdp.DATA_FILE).open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert sorted(row["amount"] for row in rows) == ["-250.00", "1000.10", "1234.56", "75485.20"]
    custody = next(row for row in rows if row["service"].startswith("Custody"))
    assert custody["service"] == 'Custody, cells and "holding"' and custody["area"] == ""


def test_one_years_export_holds_only_its_lines_and_names_its_fiscal_period(
    db: Session, tmp_path: Path
) -> None:
    lake = Lake(tmp_path / "lake")
    load_spend(db, lake, tmp_path / "extracts")
    with spend.place_spend(db, lake) as place:
        exported = fdp.export_package(
            place.connection, tmp_path / "year", place="Testford", year="2025-26", now=MOMENT
        )
        with pytest.raises(NotFoundError, match="no spend lines to export in 2019-20"):
            fdp.export_package(
                place.connection, tmp_path / "none", place="Testford", year="2019-20", now=MOMENT
            )
    assert (exported.lines, exported.amount) == (3, Decimal("76469.76"))
    assert descriptor_of(tmp_path / "year")["fiscalPeriod"] == {"start": "2025-04-01", "end": "2026-03-31"}
    assert not (tmp_path / "none").exists()


# ---------------------------------------------------------------- import


def test_export_then_import_gives_the_same_totals(db: Session, tmp_path: Path, package: Path) -> None:
    before = figures(db, Lake(tmp_path / "lake"))
    imported = import_into(db, package, Lake(tmp_path / "other-lake"))
    assert (imported.result.rows_loaded, imported.result.rows_quarantined) == (4, 0)
    assert imported.lines == 4 and imported.amount == Decimal("77469.86") == before["amount"]
    assert figures(db, Lake(tmp_path / "other-lake")) == before
    assert sources.require_source(db, "imported").agency.name == AGENCY


def test_the_same_package_twice_changes_nothing(db: Session, tmp_path: Path, package: Path) -> None:
    lake = Lake(tmp_path / "other-lake")
    first = import_into(db, package, lake)
    again = import_into(db, package, lake)
    assert again.result.duplicate_of == first.result.batch_id
    assert figures(db, lake)["lines"] == 4


def test_someone_elses_package_is_mapped_by_its_model(db: Session, tmp_path: Path) -> None:
    folder = tmp_path / "borough"
    folder.mkdir()
    (folder / "data.csv").write_text(
        "dept,purpose,supplier,value\nVale Police,crime,Acme Ltd,100.50\nRiverford Homes,housing,Bricks plc,20\n",
        encoding="utf-8",
    )
    (folder / fdp.DESCRIPTOR).write_text(
        json.dumps(
            {
                "name": "borough-spend",
                "title": "Borough spend",
                "profiles": {"fiscal": "*", "tabular": "*"},
                "resources": [
                    {
                        "name": "data",
                        "path": "data.csv",
                        "schema": {
                            "fields": [
                                {"name": "dept", "type": "string"},
                                {"name": "purpose", "type": "string"},
                                {"name": "supplier", "type": "string"},
                                {"name": "value", "type": "number"},
                            ]
                        },
                    }
                ],
                "model": {
                    "measures": {"spent": {"source": "value", "currency": "gbp"}},
                    "dimensions": {
                        "department": {"attributes": {"name": {"source": "dept"}}, "dimensionType": "entity"},
                        "function": {
                            "attributes": {"code": {"source": "purpose"}},
                            "dimensionType": "classification",
                            "classificationType": "functional",
                        },
                        "year": {
                            "attributes": {"year": {"constant": "2024-25"}},
                            "dimensionType": "datetime",
                        },
                        "supplier": {
                            "attributes": {"name": {"source": "supplier"}},
                            "dimensionType": "other",
                        },
                    },
                },
            }
        ),
        encoding="utf-8",
    )
    imported = import_into(db, folder, Lake(tmp_path / "lake"))
    assert imported.package.ignored == ["supplier"]
    with spend.place_spend(db, Lake(tmp_path / "lake")) as place:
        counted = spend.count(spend.read_cube(place.connection), [])
    assert {(cell.agency, cell.theme): cell.amount for cell in counted.cells} == {
        ("Vale Police", "crime"): Decimal("100.50"),
        ("Riverford Homes", "housing"): Decimal("20.00"),
    }
    assert [one.year for one in counted.years] == ["2024-25"]


def test_a_data_file_saved_with_a_byte_order_mark_is_read_as_its_header_says(
    db: Session, tmp_path: Path, package: Path
) -> None:
    data = package / fdp.DATA_FILE
    data.write_bytes(b"\xef\xbb\xbf" + data.read_bytes())
    imported = import_into(db, package, Lake(tmp_path / "other-lake"))
    assert (imported.result.rows_loaded, imported.amount) == (4, Decimal("77469.86"))


def test_a_package_without_agencies_gives_its_lines_to_the_importing_agency(
    db: Session, tmp_path: Path, package: Path
) -> None:
    described = descriptor_of(package)
    del described["model"]["dimensions"]["agency"]
    (package / fdp.DESCRIPTOR).write_text(json.dumps(described), encoding="utf-8")
    import_into(db, package, Lake(tmp_path / "other-lake"))
    assert figures(db, Lake(tmp_path / "other-lake"))["cells"].keys() == {
        (AGENCY, "crime"),
        (AGENCY, "housing"),
        (AGENCY, None),
    }


# ---------------------------------------------------------------- bad packages


def _descriptor(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        described = descriptor_of(folder)
        change(described)
        (folder / fdp.DESCRIPTOR).write_text(json.dumps(described, indent=2), encoding="utf-8")

    return apply


def _data(text: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / fdp.DATA_FILE).write_text(text, encoding="utf-8")

    return apply


def _measure(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda described: described["model"]["measures"]["amount"].update(changes)


HEADER = ",".join(FIELDS) + "\n"
GOOD_ROW = "Vale Police,Patrol,2025-26,10.00,N1,staff,crime,response,activities\n"
BAD_PACKAGES = {
    "no descriptor": (lambda folder: (folder / fdp.DESCRIPTOR).unlink(), "no datapackage.json", None, None),
    "not JSON": (lambda folder: (folder / fdp.DESCRIPTOR).write_text('{\n "name": \n}'), "not valid JSON", None, None),
    "another profile": (_descriptor(lambda d: d.update(profile="tabular-data-package")), "not a Fiscal Data Package", None, None),
    "no resources": (_descriptor(lambda d: d.update(resources=[])), "no resources", None, None),
    "no schema": (_descriptor(lambda d: d["resources"][0].pop("schema")), "no Table Schema", None, None),
    "euros": (_descriptor(_measure(currency="EUR")), "'EUR', not pounds sterling", None, None),
    "thousands": (_descriptor(_measure(factor=1000)), "factor of 1000", None, None),
    "a measure of nothing": (_descriptor(_measure(source="spent")), "names the field 'spent'", None, None),
    "two measures": (
        _descriptor(lambda d: d["model"]["measures"].update(budget={"source": "amount", "currency": "GBP"})),
        "2 measures",
        None,
        None,
    ),
    "a dimension of nothing": (
        _descriptor(lambda d: d["model"]["dimensions"]["theme"]["attributes"]["code"].update(source="clientele")),
        "names the field 'clientele'",
        None,
        None,
    ),
    "a file elsewhere": (_descriptor(lambda d: d["resources"][0].update(path="../lake/x.csv")), "outside", None, None),
    "a file on the web": (_descriptor(lambda d: d["resources"][0].update(path="https://example.org/spend.csv")), "on the web", None, None),
    "a column missing": (_data(HEADER.replace("theme,", "") + GOOD_ROW), "does not have", 1, "theme"),
    "an amount in words": (
        _data(HEADER + GOOD_ROW + GOOD_ROW.replace("10.00", "ten pounds") + GOOD_ROW.replace("10.00", "")),
        "'ten pounds', which is not a number. 1 more row has problems too.",
        3,
        "amount",
    ),
    "a row too short": (_data(HEADER + GOOD_ROW + "Vale Police,Patrol\n"), "2 cells, not 9", 3, None),
}  # fmt: skip


@pytest.mark.parametrize(("spoil", "problem", "row", "column"), BAD_PACKAGES.values(), ids=list(BAD_PACKAGES))
def test_a_bad_package_is_refused_whole_saying_where_and_nothing_is_loaded(
    db: Session,
    tmp_path: Path,
    package: Path,
    spoil: Callable[[Path], None],
    problem: str,
    row: int | None,
    column: str | None,
) -> None:
    spoil(package)
    with pytest.raises(IngestError) as refused:
        import_into(db, package, Lake(tmp_path / "other-lake"))
    assert problem in refused.value.problem
    assert refused.value.file.startswith("package/")
    assert (refused.value.row, refused.value.column) == (row, column)
    assert sources.find_source(db, "imported") is None
    assert not (tmp_path / "other-lake").exists()
