"""A file is streamed, never read whole: loading ten times the rows takes about the same memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MAPPING = """\
source: register
agency: Testford Health
entity: person
format: {type: csv, encoding: utf-8, delimiter: ",", header: true}
record_id: ref
columns:
  given_name: forename
  family_name: surname
  date_of_birth: {column: dob, format: "%d/%m/%Y"}
  postcode: postcode
  nhs_number: nhs
"""
DUCKDB_ALLOWANCE_MB = 256 + 64
NAMES = ["Aisha", "Tom", "Zoë", "Kwame", "Siobhan", "Piotr", "Mei", "Oluwaseun"]
LOAD = """
import resource, sys
from pathlib import Path
from wholeplace.core.db import transaction
from wholeplace.core.runtime import Runtime
from wholeplace.core.settings import Settings
from wholeplace.sources import service
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping
folder = Path(sys.argv[2])
runtime = Runtime.from_settings(Settings(data_dir=folder))
runtime.upgrade()
with transaction(runtime.sessions) as db:
    result = service.ingest_file(db, source_name="register", path=Path(sys.argv[1]), lake=Lake.in_data_dir(folder),
        by="test", now=runtime.clock(), mapping=parse_mapping(Path(sys.argv[3]).read_text(), file="m.yaml"),
        chunk_rows=20_000)
print(result.rows_loaded, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _extract(path: Path, rows: int) -> Path:
    block = "".join(
        f"{{n}}{index},{NAMES[index % 8]},Smith-{index % 97},{1 + index % 28:02d}/{1 + index % 12:02d}/19{50 + index % 50},"
        f"RF{index % 9} {index % 10}AB,{'9434765919' if index % 3 else ''}\n"
        for index in range(10_000)
    )
    with path.open("w", encoding="utf-8") as out:
        out.write("ref,forename,surname,dob,postcode,nhs\n")
        for copy in range(rows // 10_000):
            out.write(block.replace("{n}", f"R{copy}-"))
    return path


def _load(tmp_path: Path, rows: int, database_url: str) -> tuple[int, int]:
    mapping = tmp_path / "register.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    extract = _extract(tmp_path / f"register-{rows}.csv", rows)
    finished = subprocess.run(
        [sys.executable, "-c", LOAD, str(extract), str(tmp_path / f"data-{rows}"), str(mapping)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "WHOLEPLACE_DATABASE_URL": database_url},
    )
    loaded, peak_mb = finished.stdout.split()[-2:]  # the last line; anything before it is chatter
    return int(loaded), int(peak_mb)


@pytest.mark.slow
def test_ten_times_the_rows_needs_about_the_same_memory(tmp_path: Path, empty_database_url: str) -> None:
    small_rows, small_peak = _load(tmp_path, 250_000, empty_database_url)
    large_rows, large_peak = _load(tmp_path, 2_500_000, empty_database_url)
    assert (small_rows, large_rows) == (250_000, 2_500_000)
    assert (tmp_path / "register-2500000.csv").stat().st_size > 100_000_000
    print(f"peak memory: {small_peak} MB for 250k rows, {large_peak} MB for 2.5M")
    # Ten times the rows; the memory grows by the fixed allowance DuckDB has to look for repeated ids, no more.
    assert large_peak < min(2 * small_peak, small_peak + DUCKDB_ALLOWANCE_MB), (small_peak, large_peak)
