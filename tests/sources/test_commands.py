"""The sources commands as a person runs them: real processes on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import _run

MAPPING = """\
source: pupils
agency: Testford Schools
entity: person
format: {type: csv}
record_id: ref
columns:
  given_name: forename
  family_name: surname
  date_of_birth: {column: dob, format: "%d/%m/%Y"}
"""


def _files(folder: Path, *, rows: str = "P1,Aisha,Khan,03/04/2014\nP2,,,01/01/2015\n") -> tuple[Path, Path]:
    mapping = folder / "pupils.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    extract = folder / "pupils.csv"
    extract.write_text("ref,forename,surname,dob\n" + rows, encoding="utf-8")
    return mapping, extract


def test_sources_add_creates_the_place_and_agency_and_says_so(
    empty_database_url: str, tmp_path: Path
) -> None:
    mapping, _ = _files(tmp_path)
    added = _run(
        ["sources", "add", "pupils", "--mapping", str(mapping), "--place", "Testford"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    assert added.returncode == 0, added.stderr
    assert "Created the place Testford" in added.stdout
    assert "Added the agency Testford Schools" in added.stdout
    listed = _run(["sources", "list", "--json"], data_dir=tmp_path, database_url=empty_database_url)
    assert json.loads(listed.stdout)["sources"][0]["agency"] == "Testford Schools"


def test_ingest_prints_one_json_object_and_a_second_load_is_a_duplicate(
    empty_database_url: str, tmp_path: Path
) -> None:
    mapping, extract = _files(tmp_path)
    args = ["ingest", "pupils", str(extract), "--mapping", str(mapping), "--json"]
    first = json.loads(_run(args, data_dir=tmp_path, database_url=empty_database_url).stdout)
    assert first["rows_read"] == 2 and first["rows_loaded"] == 1 and first["rows_quarantined"] == 1
    assert first["duplicate_of"] is None
    second = json.loads(_run(args, data_dir=tmp_path, database_url=empty_database_url).stdout)
    assert second["duplicate_of"] == first["batch_id"]


def test_a_refused_file_says_file_row_and_column_and_exits_non_zero(
    empty_database_url: str, tmp_path: Path
) -> None:
    mapping, extract = _files(tmp_path, rows="P1,Aisha,Khan,03/04/2014\n")
    extract.write_bytes(extract.read_bytes() + "P2,Zoë,Ñ,01/01/2015\n".encode("cp1252"))
    mapping.write_text(MAPPING.replace("{type: csv}", "{type: csv, encoding: utf-8}"), encoding="utf-8")
    refused = _run(
        ["ingest", "pupils", str(extract), "--mapping", str(mapping)],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    assert refused.returncode == 1
    assert "pupils.csv, row 3" in refused.stderr and "cp1252" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_mapping_fault_names_its_line(empty_database_url: str, tmp_path: Path) -> None:
    mapping, extract = _files(tmp_path)
    mapping.write_text(MAPPING.replace("surname\n", "surname\n  maiden_name: x\n"), encoding="utf-8")
    refused = _run(
        ["ingest", "pupils", str(extract), "--mapping", str(mapping)],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    assert refused.returncode == 1 and "pupils.yaml, line 9" in refused.stderr


def test_a_file_of_nothing_but_bad_rows_exits_non_zero(empty_database_url: str, tmp_path: Path) -> None:
    mapping, extract = _files(tmp_path, rows=",Aisha,Khan,03/04/2014\n")
    loaded = _run(
        ["ingest", "pupils", str(extract), "--mapping", str(mapping)],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    assert loaded.returncode == 1 and "None of the rows" in loaded.stderr
