"""Time the Total Place count over N spend lines (default 10,000,000; the target: at most 3 s with DuckDB), as
`money.spend` counts it, beside the same count in pandas, and the ratio.

The lines are written as Parquet the way the lake writes them (snappy, no dictionary encoding, one file per
agency), with a demo-like spread: ten agencies, forty services, three financial years, forty neighbourhoods (and
5% of lines not placed), ten themes. The count is what the Total Place page asks for: the lines read once into a
cube by year, agency, theme, area and prevention or response; then the latest year's total, by agency, by agency
and theme, by theme and per neighbourhood, the prevention share of each theme, and the trend by year. Each side
runs in a process of its own, so peak memory is its own, and their figures are checked to agree to the penny.
Run with the project's Python:
    .venv/bin/python benchmarks/total_place.py [--lines 10000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from wholeplace.money import spend

TARGET_SECONDS = 3.0
SEED = 2026
AGENCIES = 10
SERVICES_PER_AGENCY = 4
THEMES = 10
NEIGHBOURHOODS = 40
YEARS = ("2023-24", "2024-25", "2025-26")
NOT_PLACED_SHARE = 0.05
CHUNK_LINES = 1_000_000
Figures = dict[str, Any]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="total-place-") as folder:
        started = time.perf_counter()
        files = _write_lines(Path(folder), arguments.lines)
        size = sum(path.stat().st_size for path in files) / 1024**2
        print(
            f"Wrote {arguments.lines:,} spend lines to {len(files)} Parquet files ({size:,.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s."
        )
        context = multiprocessing.get_context("spawn")
        with context.Pool(1) as pool:
            ours = pool.apply(_measure, ("duckdb", [str(path) for path in files], arguments.runs))
        with context.Pool(1) as pool:
            theirs = pool.apply(_measure, ("pandas", [str(path) for path in files], arguments.runs))
    _check_agreement(ours["figures"], theirs["figures"])
    _report(arguments, ours, theirs)


# ---------------------------------------------------------------- the lines


def _write_lines(folder: Path, lines: int) -> list[Path]:
    rng = np.random.default_rng(SEED)
    agencies = np.array([f"Agency {number:02d}" for number in range(AGENCIES)], dtype=object)
    themes = np.array([f"theme_{number:02d}" for number in range(THEMES)], dtype=object)
    areas = np.array([f"N{number:04d}" for number in range(1, NEIGHBOURHOODS + 1)], dtype=object)
    writers: dict[int, pq.ParquetWriter] = {}
    written = 0
    try:
        while written < lines:
            size = min(CHUNK_LINES, lines - written)
            agency = rng.integers(0, AGENCIES, size)
            service = agency * SERVICES_PER_AGENCY + rng.integers(0, SERVICES_PER_AGENCY, size)
            placed = rng.random(size) >= NOT_PLACED_SHARE
            table = pa.table(
                {
                    "agency": pa.array(agencies[agency], pa.string()),
                    "service": pa.array(
                        np.char.add("Service ", service.astype(str)).astype(object), pa.string()
                    ),
                    "period": pa.array(np.array(YEARS, dtype=object)[rng.integers(0, len(YEARS), size)]),
                    "amount": pa.array(np.round(rng.lognormal(8, 1.5, size), 2)),
                    "area": pa.array(np.where(placed, areas[rng.integers(0, NEIGHBOURHOODS, size)], None)),
                    "cost_type": pa.array(
                        np.array(
                            ["staff", "running", "placements", "transfer_payments", "in_kind"], dtype=object
                        )[service % 5]
                    ),
                    "theme": pa.array(themes[service % THEMES], pa.string()),
                    "prevention_or_response": pa.array(
                        np.where(rng.random(size) < 0.2, "prevention", "response").astype(object)
                    ),
                    "focus": pa.array(
                        np.array(["inputs", "activities", "outputs", "outcomes"], dtype=object)[service % 4]
                    ),
                }
            )
            for number in range(AGENCIES):
                part = table.filter(pa.array(agency == number))
                writer = writers.get(number)
                if writer is None:
                    writer = pq.ParquetWriter(
                        folder / f"agency-{number:02d}.parquet",
                        part.schema,
                        compression="snappy",
                        use_dictionary=False,
                    )
                    writers[number] = writer
                writer.write_table(part)
            written += size
    finally:
        for writer in writers.values():
            writer.close()
    return sorted(folder.glob("*.parquet"))


def _neighbourhoods() -> list[spend.Neighbourhood]:
    return [
        spend.Neighbourhood(f"N{number:04d}", f"Neighbourhood {number}", 2_000 + number * 50)
        for number in range(1, NEIGHBOURHOODS + 1)
    ]


# ---------------------------------------------------------------- the two counts


def _measure(kind: str, files: list[str], runs: int) -> dict[str, Any]:
    """In a process of its own: the figures, the seconds of each run, and the process's peak memory."""
    count = _duckdb_count if kind == "duckdb" else _pandas_count
    seconds = []
    figures: Figures = {}
    for _ in range(runs):
        started = time.perf_counter()
        figures = count(files)
        seconds.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kilobytes on Linux
    return {"figures": figures, "seconds": seconds, "peak_gb": peak}


def _duckdb_count(files: list[str]) -> Figures:
    with duckdb.connect() as connection:
        listed = ", ".join(f"'{path}'" for path in files)
        connection.execute(f"CREATE VIEW spend_line AS SELECT * FROM read_parquet([{listed}])")
        connection.execute("SET enable_progress_bar = false")
        cube = spend.read_cube(connection)
        counted = spend.count(cube, _neighbourhoods(), year=cube.years[-1])
    return {
        "total": _pennies(counted.amount),
        "agencies": {one.name: _pennies(one.amount) for one in counted.agencies},
        "cells": {(cell.agency, cell.theme): _pennies(cell.amount) for cell in counted.cells},
        "themes": {one.name: _pennies(one.amount) for one in counted.themes},
        "areas": {area.code: _pennies(area.amount) for area in counted.areas if area.lines},
        "prevention": {one.theme: _pennies(one.prevention) for one in counted.prevention},
        "years": {year.year: _pennies(year.amount) for year in counted.years},
        "per_head": {
            area.code: area.per_head.quantize(Decimal("0.01"))
            for area in counted.areas
            if area.per_head is not None
        },
    }


def _pandas_count(files: list[str]) -> Figures:
    """The same figures in pandas, written from the definitions: amounts in whole pennies (integers, so the sums
    are exact), summed by year, agency, theme and area."""
    columns = ["agency", "period", "amount", "area", "theme", "prevention_or_response"]
    lines = pd.concat([pd.read_parquet(path, columns=columns) for path in files], ignore_index=True)
    lines["pennies"] = (lines["amount"] * 100).round().astype("int64")
    latest = sorted(lines["period"].dropna().unique())[-1]
    year = lines[lines["period"] == latest]
    residents = {one.code: one.residents for one in _neighbourhoods()}
    by_area = year.groupby("area", dropna=False)["pennies"].sum()
    prevention = year[year["prevention_or_response"] == "prevention"].groupby("theme")["pennies"].sum()
    return {
        "total": int(year["pennies"].sum()),
        "agencies": {name: int(value) for name, value in year.groupby("agency")["pennies"].sum().items()},
        "cells": {
            key: int(value) for key, value in year.groupby(["agency", "theme"])["pennies"].sum().items()
        },
        "themes": {name: int(value) for name, value in year.groupby("theme")["pennies"].sum().items()},
        "areas": {(None if pd.isna(code) else code): int(value) for code, value in by_area.items()},
        "prevention": {name: int(value) for name, value in prevention.items()},
        "years": {name: int(value) for name, value in lines.groupby("period")["pennies"].sum().items()},
        "per_head": {
            code: (Decimal(int(value)) / 100 / residents[code]).quantize(Decimal("0.01"))
            for code, value in by_area.items()
            if not pd.isna(code) and code in residents
        },
    }


def _pennies(amount: Decimal) -> int:
    return int(amount * 100)


def _check_agreement(ours: Figures, theirs: Figures) -> None:
    for name in ours:
        assert ours[name] == theirs[name], f"the counts disagree on {name}: {ours[name]} and {theirs[name]}"


def _report(arguments: argparse.Namespace, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    def median(result: dict[str, Any]) -> float:
        return statistics.median(result["seconds"])

    rows: list[tuple[str, dict[str, Any]]] = [("money.spend (DuckDB)", ours), ("pandas", theirs)]
    print(
        f"\nThe Total Place count over {arguments.lines:,} spend lines: median of {arguments.runs} runs, "
        "each in a process of its own (peak memory is the process's)."
    )
    print(f"{'':<24}{'seconds':>10}{'peak memory':>14}")
    for label, result in rows:
        print(f"{label:<24}{median(result):>10.2f}{result['peak_gb']:>11.2f} GB")
    verdict = "met" if median(ours) <= TARGET_SECONDS else "NOT met"
    print(
        f"DuckDB is {median(theirs) / median(ours):.1f} times as fast as pandas; the figures agree to the penny. "
        f"Target {TARGET_SECONDS:.0f} s: {verdict}."
    )


if __name__ == "__main__":
    main()
