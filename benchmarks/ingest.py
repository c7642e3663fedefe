"""Load a 1M-row person extract made by the demo generator; print rows per second and peak memory beside a
baseline that reads the same file with pandas and validates it row by row in Python, and the ratio.

Each run is its own process, so peak memory is that run's alone. Run with the project's Python:
    .venv/bin/python benchmarks/ingest.py [--rows 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_SECONDS = 30
TARGET_GB = 2.0
TARGET_RATIO = 10

MAPPING = """\
source: register
agency: Riverford Health Partnership
entity: person
format: {type: csv, encoding: utf-8, delimiter: ",", header: true}
record_id: ref
columns:
  given_name: forename
  middle_names: middle
  family_name: surname
  date_of_birth: {column: dob, format: "%d/%m/%Y"}
  sex: {column: sex, codes: {M: male, F: female}}
  address_line_1: address
  postcode: postcode
  nhs_number: nhs
  ni_number: nino
"""

MAKE_EXTRACT = """
import sys, numpy as np, pandas as pd
from pathlib import Path
from wholeplace.demo.generate.calendar import EXTRACT_DATE
from wholeplace.demo.generate.needs import household_needs
from wholeplace.demo.generate.noise import NoiseRates
from wholeplace.demo.generate.population import build_population
from wholeplace.demo.generate.world import Habits, World, as_recorded, format_dates
rows = int(sys.argv[1])
population = build_population(rows, np.random.default_rng(1))
world = World(population=population, needs=household_needs(population, np.random.default_rng(2)), seed=1, rates=NoiseRates())
people = np.arange(len(population.people))[:rows]
recorded = as_recorded(world, people, np.full(len(people), EXTRACT_DATE), Habits(), np.random.default_rng(3))
pd.DataFrame({
    "ref": ["R" + str(n) for n in range(len(people))],
    "forename": recorded["given_name"], "middle": recorded["middle_names"], "surname": recorded["family_name"],
    "dob": format_dates(recorded["date_of_birth"].to_numpy(), "%d/%m/%Y", missing=recorded["dob_missing"].to_numpy()),
    "sex": np.where(recorded["sex"] == "male", "M", "F"), "address": recorded["address_line_1"],
    "postcode": recorded["postcode"], "nhs": recorded["nhs_number"], "nino": recorded["ni_number"],
}).to_csv(sys.argv[2], index=False)
"""

OURS = """
import sys, resource, datetime as dt
from pathlib import Path
from wholeplace.core.runtime import Runtime
from wholeplace.core.settings import Settings
from wholeplace.core.db import transaction
from wholeplace.sources import service
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping
import time
folder = Path(sys.argv[2])
runtime = Runtime.from_settings(Settings(data_dir=folder))
runtime.upgrade()
mapping = parse_mapping(Path(sys.argv[3]).read_text(), file="m.yaml")
started = time.perf_counter()
with transaction(runtime.sessions) as db:
    result = service.ingest_file(db, source_name="register", path=Path(sys.argv[1]), lake=Lake.in_data_dir(folder),
        by="benchmark", now=runtime.clock(), mapping=mapping)
assert result.rows_loaded + result.rows_quarantined == result.rows_read
print(time.perf_counter() - started, result.rows_read, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

BASELINE = """
import sys, re, resource, time, unicodedata, datetime as dt
import pandas as pd
started = time.perf_counter()
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
NINO = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]?$")
def key(name):
    if not isinstance(name, str) or not name.strip():
        return None, None
    folded = " ".join(name.split()).casefold()
    plain = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return folded, plain
def nhs_ok(value):
    digits = str(value).replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return (0 if check == 11 else check) == int(digits[9]) and check != 10
today = dt.date.today()
table = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
out, set_aside = [], 0
for row in table.itertuples(index=False):
    if not row.ref:
        set_aside += 1
        continue
    record = {"record_id": row.ref, "problems": []}
    for field in ("forename", "middle", "surname"):
        record[field], record[field + "_ascii"] = key(getattr(row, field))
    try:
        born = dt.datetime.strptime(row.dob, "%d/%m/%Y").date() if row.dob else None
        if born and (born > today or today.year - born.year > 120):
            record["problems"].append("dob")
            born = None
    except ValueError:
        born = None
        record["problems"].append("dob")
    record["date_of_birth"] = born
    record["sex"] = {"M": "male", "F": "female"}.get(row.sex)
    postcode = " ".join(row.postcode.upper().split())
    if postcode and " " not in postcode and len(postcode) > 3:
        postcode = postcode[:-3] + " " + postcode[-3:]
    record["postcode"] = postcode if POSTCODE.match(postcode) else None
    record["nhs_number"] = row.nhs if row.nhs and nhs_ok(row.nhs) else None
    record["ni_number"] = row.nino.replace(" ", "").upper() if NINO.match(row.nino.replace(" ", "").upper()) else None
    out.append(record)
print(time.perf_counter() - started, len(table), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(script: str, *args: str) -> tuple[float, int, float]:
    """The seconds the load took inside its process (imports excluded), the rows, and the peak memory in GB."""
    finished = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        sys.exit(finished.stderr)
    seconds, rows, peak_kb = finished.stdout.split()[-3:]
    return float(seconds), int(rows), int(peak_kb) / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        extract, mapping = folder / "register.csv", folder / "register.yaml"
        mapping.write_text(MAPPING, encoding="utf-8")
        print(f"Generating a {options.rows:,}-row person extract with the demo generator ...", flush=True)
        subprocess.run([sys.executable, "-c", MAKE_EXTRACT, str(options.rows), str(extract)], check=True)
        size_mb = extract.stat().st_size / 1e6
        results: dict[str, list[tuple[float, int, float]]] = {
            "wholeplace ingest": [],
            "pandas + Python loop": [],
        }
        for attempt in range(options.repeats):
            data_dir = folder / f"data-{attempt}"
            results["wholeplace ingest"].append(run(OURS, str(extract), str(data_dir), str(mapping)))
            results["pandas + Python loop"].append(run(BASELINE, str(extract)))
        print(
            f"\n{options.rows:,} rows, {size_mb:.0f} MB CSV; median of {options.repeats} runs, each its own process"
        )
        print(f"{'':>22} {'median s':>9} {'rows/s':>11} {'peak GB':>8}  runs (s)")
        medians = {}
        for name, runs in results.items():
            seconds = statistics.median(run[0] for run in runs)
            medians[name] = seconds
            peak = max(run[2] for run in runs)
            print(
                f"{name:>22} {seconds:9.1f} {runs[0][1] / seconds:11,.0f} {peak:8.2f}  "
                + ", ".join(f"{run[0]:.1f}" for run in runs)
            )
        ratio = medians["pandas + Python loop"] / medians["wholeplace ingest"]
        print(
            f"\nratio {ratio:.1f}x (target >= {TARGET_RATIO}x); targets for 1M rows: "
            f"<= {TARGET_SECONDS} s and <= {TARGET_GB} GB"
        )


if __name__ == "__main__":
    main()
