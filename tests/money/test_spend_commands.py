"""The spend commands as a finance lead runs them, on SQLite and PostgreSQL: the Total Place count by agency,
neighbourhood and year, in words and as JSON; a Fiscal Data Package out and back in with the same totals; and
mistakes answered with what to do, an exit code of 1 and no traceback."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.money.test_fdp import FIELDS, LINES
from tests.support.cli import Ran, run_in_process
from tests.test_cli import _run

Runner = Callable[..., Ran]


@pytest.fixture
def run(
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Runner:
    def running(*args: str, data_dir: Path = tmp_path / "data") -> Ran:
        return run_in_process(
            list(args),
            data_dir=data_dir,
            database_url=empty_database_url,
            monkeypatch=monkeypatch,
            capsys=capsys,
        )

    return running


@pytest.fixture
def loaded(run: Runner, tmp_path: Path) -> Path:
    """The place's spend loaded through `ingest`, and its neighbourhoods set."""
    extract = tmp_path / "spend.csv"
    with extract.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, FIELDS)
        writer.writeheader()
        writer.writerows(LINES)
    mapping = tmp_path / "spend.yaml"
    columns = "".join(f"  {name}: {name}\n" for name in FIELDS)
    mapping.write_text(
        f"source: spend_testford\nagency: Testford Council\nentity: spend_line\nformat: {{type: csv}}\ncolumns:\n{columns}",
        encoding="utf-8",
    )
    ingested = run("ingest", "spend_testford", str(extract), "--mapping", str(mapping))
    assert ingested.returncode == 0, ingested.stderr
    areas = tmp_path / "neighbourhoods.csv"
    areas.write_text("code,name,postcode_areas,residents\nN1,Old Town,RF1,1000\nN2,Eastfield,RF2,3000\n")
    assert run("place", "neighbourhoods", str(areas)).returncode == 0
    return tmp_path


def test_spend_total_prints_each_agency_and_a_summary_line(run: Runner, loaded: Path) -> None:
    said = run("spend", "total")
    assert said.returncode == 0, said.stderr
    assert "Vale Police" in said.stdout and "£76,720" in said.stdout
    summary = " ".join(said.stdout.split())
    assert "Total public spend £77,470 in 4 lines, every year; £19.37 per head of 4,000 residents" in summary
    assert summary.endswith("£1,235 not placed in a neighbourhood.")


def test_spend_total_by_neighbourhood_as_json_keeps_the_lines_not_placed(run: Runner, loaded: Path) -> None:
    said = run("spend", "total", "--by", "neighbourhood", "--year", "2025/26", "--json")
    assert said.returncode == 0, said.stderr
    counted = json.loads(said.stdout)
    assert (counted["year"], counted["amount"], counted["residents"]) == ("2025-26", 76469.76, 4000)
    rows = {row["code"]: row for row in counted["rows"]}
    assert rows["N1"]["amount"] == 75485.2 and rows["N1"]["per_head"] == 75.49
    assert rows[None]["amount"] == 1234.56 and rows[None]["per_head"] is None
    assert sum(row["amount"] for row in counted["rows"]) == pytest.approx(counted["amount"])


def test_spend_total_by_year_as_json_gives_the_trend(run: Runner, loaded: Path) -> None:
    counted = json.loads(run("spend", "total", "--by", "year", "--json").stdout)
    assert [(row["year"], row["amount"], row["prevention"]) for row in counted["rows"]] == [
        ("2024-25", 1000.1, 0.0),
        ("2025-26", 76469.76, -250.0),
    ]


def test_a_year_without_spend_is_refused_naming_the_years_there_are(run: Runner, loaded: Path) -> None:
    refused = run("spend", "total", "--year", "2019-20")
    assert refused.returncode == 1
    assert "There is no spend in 2019-20" in refused.stderr and "2024-25, 2025-26" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_package_exported_and_imported_by_the_commands_gives_the_same_totals(
    run: Runner, loaded: Path
) -> None:
    exported = run("spend", "export-fdp", "--out", str(loaded / "package"))
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 4 spend lines adding up to £77,470" in " ".join(exported.stdout.split())
    other = loaded / "other"
    imported = run(
        "spend", "import-fdp", str(loaded / "package"), "--source", "fdp", "--agency", "Testford Council", "--json",
        data_dir=other,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    said = json.loads(imported.stdout)
    assert (said["rows_loaded"], said["amount"], said["ignored_dimensions"]) == (4, 77469.86, [])
    before = json.loads(run("spend", "total", "--by", "theme", "--json").stdout)
    after = json.loads(run("spend", "total", "--by", "theme", "--json", data_dir=other).stdout)
    assert after["rows"] == before["rows"] and after["amount"] == before["amount"]


def test_a_bad_package_exits_1_naming_the_file_row_and_column(run: Runner, loaded: Path) -> None:
    assert run("spend", "export-fdp", "--out", str(loaded / "package")).returncode == 0
    data = loaded / "package" / "spend.csv"
    data.write_text(data.read_text(encoding="utf-8").replace("1234.56", "lots"), encoding="utf-8")
    refused = run(
        "spend", "import-fdp", str(loaded / "package"), "--source", "fdp", "--agency", "Testford Council"
    )
    assert refused.returncode == 1
    said = " ".join(refused.stderr.split())
    assert (
        "package/spend.csv, row" in said
        and "column 'amount'" in said
        and "'lots', which is not a number" in said
    )
    assert "Traceback" not in refused.stderr
    listed = json.loads(run("sources", "list", "--json").stdout)
    assert [source["source"] for source in listed["sources"]] == ["spend_testford"]


def test_spend_total_runs_as_its_own_process_on_a_place_without_spend(
    empty_database_url: str, tmp_path: Path
) -> None:
    said = _run(["spend", "total", "--json"], data_dir=tmp_path, database_url=empty_database_url)
    assert said.returncode == 0, said.stderr
    assert json.loads(said.stdout)["amount"] == 0.0
