"""Loading extracts: every row loaded or set aside with a reason, all or nothing, once — and every kind of bad
input refused with a message naming file, row and column. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.factories import MOMENT
from wholeplace.core.errors import ConflictError, IngestError
from wholeplace.sources import service
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping
from wholeplace.sources.models import Batch, QuarantinedRow

MAPPING = """\
source: pupils
agency: Testford Schools
entity: person
format: {type: csv, encoding: utf-8, delimiter: ",", header: true}
record_id: ref
columns:
  given_name: forename
  family_name: surname
  date_of_birth: {column: dob, format: "%d/%m/%Y"}
  sex: {column: gender, codes: {M: male, F: female}}
  postcode: postcode
  nhs_number: nhs
events:
  - type: school_exclusion
    date: {column: excluded_on, format: "%d/%m/%Y"}
    when_present: excluded_on
"""
HEADER = ["ref", "forename", "surname", "dob", "gender", "postcode", "nhs", "excluded_on"]
GOOD = [
    ["P1", "Aisha", "Khan", "03/04/2014", "F", "RF1 5AB", "9434765919", ""],
    ["P2", "Tom", "O'Neill", "17/11/2013", "M", "rf15ab", "", "02/02/2026"],
    ["P3", "Zoë", "Wójcik", "01/09/2015", "F", "NOT A CODE", "9434765918", ""],
]


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


def _csv(path: Path, rows: list[list[str]], *, header: list[str] = HEADER, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def _load(
    db: Session, lake: Lake, path: Path, mapping: str = MAPPING, **options: object
) -> service.IngestResult:
    return service.ingest_file(
        db,
        source_name="pupils",
        path=path,
        lake=lake,
        by="test",
        now=MOMENT,
        mapping=parse_mapping(mapping, file="pupils.yaml"),
        **options,  # type: ignore[arg-type]
    )


def _current(db: Session, lake: Lake, sql: str) -> list[tuple[object, ...]]:
    return lake.connect(service.lake_batches(db)).execute(sql).fetchall()


def _nothing_loaded(db: Session, lake: Lake) -> None:
    assert db.scalar(select(func.count()).select_from(Batch)) == 0
    assert not list(lake.root.glob("*/source=*/batch=*")), "no batch folder may be left in the lake"
    assert not list((lake.root / "_staging").glob("*")) if (lake.root / "_staging").exists() else True


def test_a_good_file_loads_every_row_with_standard_values_beside_the_originals(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    result = _load(db, lake, _csv(tmp_path / "pupils.csv", GOOD))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 3, 0)
    rows = _current(
        db,
        lake,
        "SELECT record_id, family_name_key_ascii, postcode, postcode_original, sex, date_of_birth, problems "
        "FROM person ORDER BY record_id",
    )
    assert rows[0][4] == "female" and str(rows[0][5]) == "2014-04-03"
    assert rows[1][1] == "oneill" and rows[1][2:4] == ("RF1 5AB", "rf15ab")
    assert rows[2][1] == "wojcik"
    assert _current(db, lake, "SELECT family_name_parts FROM person WHERE record_id = 'P2'") == [
        (["oneill"],)
    ]
    assert sorted(rows[2][6]) == ["nhs_number:bad_check_digit", "postcode:bad_shape"]  # flagged, still loaded
    assert _current(db, lake, "SELECT record_id, type, date FROM event")[0][:2] == ("P2", "school_exclusion")


def test_the_batch_keeps_its_provenance_and_quality(db: Session, lake: Lake, tmp_path: Path) -> None:
    path = _csv(tmp_path / "pupils.csv", GOOD)
    result = _load(db, lake, path)
    batch = service.get_batch(db, result.batch_id)
    assert batch.file_name == "pupils.csv" and batch.size_bytes == path.stat().st_size
    assert len(batch.content_hash) == 64 and batch.loaded_by == "test" and batch.encoding == "utf-8"
    assert batch.mapping_version == parse_mapping(MAPPING, file="m").version
    quality = service.quality_of(batch)["fields"]
    assert quality["postcode"] == {"present": 3, "problems": {"bad_shape": 1}}
    assert quality["nhs_number"]["present"] == 2
    assert _current(db, lake, "SELECT list(row_number ORDER BY row_number) FROM person")[0][0] == [2, 3, 4]


def test_the_same_file_twice_changes_nothing(db: Session, lake: Lake, tmp_path: Path) -> None:
    first = _load(db, lake, _csv(tmp_path / "pupils.csv", GOOD))
    again = _load(db, lake, _csv(tmp_path / "copy.csv", GOOD))
    assert again.duplicate_of == first.batch_id and again.rows_loaded == 0
    assert db.scalar(select(func.count()).select_from(Batch)) == 1


def test_a_corrected_file_supersedes_the_rows_it_replaces(db: Session, lake: Lake, tmp_path: Path) -> None:
    _load(db, lake, _csv(tmp_path / "pupils.csv", GOOD))
    corrected = [["P3", "Zoë", "Wójcik", "01/09/2015", "F", "RF2 1AA", "9434765919", ""]]
    _load(db, lake, _csv(tmp_path / "fix.csv", corrected))
    rows = _current(db, lake, "SELECT record_id, postcode FROM person ORDER BY record_id")
    assert rows == [("P1", "RF1 5AB"), ("P2", "RF1 5AB"), ("P3", "RF2 1AA")]


def test_rows_that_cannot_be_records_are_set_aside_with_row_column_and_what_to_do(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    rows = [
        *GOOD,
        ["", "Sam", "Jones", "01/01/2014", "M", "", "", ""],
        ["P5", "", "", "01/01/2014", "M", "", "", ""],
        ["P1", "Aisha", "Khan", "03/04/2014", "F", "", "", ""],
    ]
    result = _load(db, lake, _csv(tmp_path / "pupils.csv", rows))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 3, 3)
    set_aside = db.scalars(select(QuarantinedRow).order_by(QuarantinedRow.row_number)).all()
    assert [(row.row_number, row.reason) for row in set_aside] == [
        (5, "no_record_id"),
        (6, "nothing_identifies"),
        (7, "duplicate_record_id"),
    ]
    assert set_aside[2].column_name == "ref" and "row 2" in set_aside[2].problem
    assert all(row.fix for row in set_aside)


def test_every_row_bad_loads_nothing_but_keeps_every_row_in_quarantine(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    rows = [["", "A", "B", "", "", "", "", ""], ["", "C", "D", "", "", "", "", ""]]
    result = _load(db, lake, _csv(tmp_path / "pupils.csv", rows))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 0, 2)


def test_a_truncated_last_line_is_set_aside_and_the_rest_loads(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "pupils.csv", GOOD)
    path.write_bytes(path.read_bytes() + b"P9,Ann,Le")
    result = _load(db, lake, path)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    (malformed,) = db.scalars(select(QuarantinedRow)).all()
    assert (
        malformed.row_number == 5
        and malformed.reason == "malformed"
        and "P9,Ann,Le" in (malformed.value or "")
    )


def test_extra_columns_are_ignored(db: Session, lake: Lake, tmp_path: Path) -> None:
    path = _csv(tmp_path / "pupils.csv", [[*row, "extra"] for row in GOOD], header=[*HEADER, "notes"])
    assert _load(db, lake, path).rows_loaded == 3


def test_cells_that_look_like_formulas_are_kept_as_sent_and_neutralised_on_download(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    rows = [
        ["P1", "=HYPERLINK(1)", "+Khan", "03/04/2014", "F", "@RF1", "-1", ""],
        ["", "-Sam", "@x", "", "", "", "", ""],
    ]
    result = _load(db, lake, _csv(tmp_path / "pupils.csv", rows))
    assert _current(db, lake, "SELECT given_name_original, family_name_original FROM person") == [
        ("=HYPERLINK(1)", "+Khan")
    ]
    download = "".join(service.quarantine_csv(db, service.get_batch(db, result.batch_id)))
    assert next(csv.reader(io.StringIO(download)))[0] == "batch"
    assert "\n" + str(result.batch_id) in download and ",=" not in download and ",-" not in download


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (("\ufeff" + ",".join(HEADER) + "\n").encode(), "no rows"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 50, "not"),
    ],
    ids=["empty", "blank-lines", "header-only", "xlsx-named-csv", "binary"],
)
def test_files_with_nothing_to_load_are_refused_and_nothing_is_loaded(
    db: Session, lake: Lake, tmp_path: Path, content: bytes, words: str
) -> None:
    path = tmp_path / "pupils.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError) as caught:
        _load(db, lake, path)
    assert words in str(caught.value) and "pupils.csv" in str(caught.value)
    _nothing_loaded(db, lake)


def test_a_wrong_encoding_declared_names_the_row_and_the_encoding_to_declare(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "pupils.csv", GOOD, encoding="cp1252")
    with pytest.raises(IngestError) as caught:
        _load(db, lake, path)
    assert caught.value.row == 4 and "cp1252" in str(caught.value)
    _nothing_loaded(db, lake)


def test_an_undeclared_windows_1252_file_is_read_right(db: Session, lake: Lake, tmp_path: Path) -> None:
    path = _csv(tmp_path / "pupils.csv", GOOD, encoding="cp1252")
    _load(db, lake, path, mapping=MAPPING.replace("encoding: utf-8, ", ""))
    assert ("Wójcik",) in _current(db, lake, "SELECT family_name FROM person")


def test_a_mapped_column_missing_from_the_file_is_refused_at_the_mapping_line(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "pupils.csv", [row[:6] + row[7:] for row in GOOD], header=HEADER[:6] + HEADER[7:])
    with pytest.raises(IngestError) as caught:
        _load(db, lake, path)
    assert caught.value.line == 12 and "'nhs'" in caught.value.problem
    _nothing_loaded(db, lake)


def test_a_date_column_that_changes_format_halfway_is_refused_at_the_row_it_changes(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    rows = [[f"P{n}", "Ann", "Lee", "03/04/2014", "F", "", "", ""] for n in range(40)]
    rows += [[f"Q{n}", "Ann", "Lee", "2014.04.03", "F", "", "", ""] for n in range(40)]
    with pytest.raises(IngestError) as caught:
        _load(db, lake, _csv(tmp_path / "pupils.csv", rows), chunk_rows=16)
    assert (caught.value.row, caught.value.column) == (42, "dob")
    _nothing_loaded(db, lake)


def test_a_failure_after_some_chunks_leaves_nothing_behind(db: Session, lake: Lake, tmp_path: Path) -> None:
    path = _csv(tmp_path / "pupils.csv", [*GOOD * 20])
    path.write_bytes(path.read_bytes() + "P99,Zoë,Ñ,01/01/2014,F,,,\n".encode("cp1252"))
    with pytest.raises(IngestError):
        _load(db, lake, path, chunk_rows=8)
    _nothing_loaded(db, lake)


def _workbook(path: Path, sheets: dict[str, list[list[object]]], *, merge: str | None = None) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if merge:
            sheet.merge_cells(merge)
    book.save(path)
    return path


EXCEL = MAPPING.replace('{type: csv, encoding: utf-8, delimiter: ",", header: true}', "{type: excel}")


def test_a_workbook_with_several_sheets_and_none_named_is_refused_listing_them(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    path = _workbook(tmp_path / "pupils.xlsx", {"Pupils": [HEADER, *GOOD], "Notes": [["x"]]})
    with pytest.raises(IngestError) as caught:
        _load(db, lake, path, mapping=EXCEL)
    assert "Pupils" in str(caught.value) and "Notes" in str(caught.value) and "sheet" in caught.value.fix
    _nothing_loaded(db, lake)
    assert (
        _load(
            db, lake, path, mapping=EXCEL.replace("{type: excel}", "{type: excel, sheet: Pupils}")
        ).rows_loaded
        == 3
    )


def test_a_workbook_with_merged_header_cells_is_refused(db: Session, lake: Lake, tmp_path: Path) -> None:
    header = ["ref", "name", None, *HEADER[3:]]
    path = _workbook(tmp_path / "pupils.xlsx", {"Pupils": [header, *GOOD]}, merge="B1:C1")
    with pytest.raises(IngestError) as caught:
        _load(db, lake, path, mapping=EXCEL)
    assert "C1" in str(caught.value)
    _nothing_loaded(db, lake)


def test_parquet_and_json_lines_load_through_their_mappings(db: Session, lake: Lake, tmp_path: Path) -> None:
    records = [dict(zip(HEADER, row, strict=True)) for row in GOOD]
    jsonl = tmp_path / "pupils.jsonl"
    jsonl.write_text("\n".join(json.dumps(record) for record in records) + "\n", encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "pupils.parquet")
    assert _load(db, lake, jsonl, mapping=EXCEL.replace("{type: excel}", "{type: jsonl}")).rows_loaded == 3
    parquet = _load(
        db, lake, tmp_path / "pupils.parquet", mapping=EXCEL.replace("{type: excel}", "{type: parquet}")
    )
    assert parquet.duplicate_of is None and parquet.rows_loaded == 3


def test_a_changed_mapping_must_declare_a_new_version(db: Session, lake: Lake, tmp_path: Path) -> None:
    versioned = "version: '1'\n" + MAPPING
    _load(db, lake, _csv(tmp_path / "pupils.csv", GOOD), mapping=versioned)
    with pytest.raises(ConflictError):
        _load(
            db,
            lake,
            _csv(tmp_path / "more.csv", GOOD[:1]),
            mapping=versioned.replace("  nhs_number: nhs\n", ""),
        )


def test_the_same_file_through_a_new_mapping_version_loads_again(
    db: Session, lake: Lake, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "pupils.csv", GOOD)
    first = _load(db, lake, path)
    again = _load(db, lake, path, mapping=MAPPING.replace("  nhs_number: nhs\n", ""))
    assert again.duplicate_of is None and again.batch_id != first.batch_id
    assert _current(db, lake, "SELECT count(*) FROM person")[0][0] == 3


SPEND = """\
source: spend
agency: Testford Schools
entity: spend_line
format: {type: csv}
columns: {agency: agency, service: service, period: period, amount: amount, theme: theme}
"""


def test_a_later_spend_file_replaces_the_lines_it_repeats(db: Session, lake: Lake, tmp_path: Path) -> None:
    header = ["agency", "service", "period", "amount", "theme"]
    first = [
        ["Schools", "Teaching", "2024-25", "100", "education"],
        ["Schools", "Meals", "2024-25", "£1,250.50", "health"],
    ]
    loads = [
        service.ingest_file(
            db,
            source_name="spend",
            path=_csv(tmp_path / name, rows, header=header),
            lake=lake,
            by="test",
            now=MOMENT,
            mapping=parse_mapping(SPEND, file="spend.yaml"),
        )
        for name, rows in (
            ("a.csv", first),
            (
                "b.csv",
                [
                    ["Schools", "Teaching", "2024-25", "120", "education"],
                    ["Schools", "Trips", "2024-25", "", "education"],
                ],
            ),
        )
    ]
    assert loads[1].rows_quarantined == 1
    (no_amount,) = db.scalars(select(QuarantinedRow)).all()
    assert (no_amount.reason, no_amount.column_name) == ("no_amount", "amount")
    lines = _current(db, lake, "SELECT service, amount FROM spend_line ORDER BY service")
    assert lines == [("Meals", 1250.5), ("Teaching", 120.0)]
