"""Link the demo place end to end (every person record), and beside it a plain Splink script with the same
settings on the same records; print wall time, peak memory and comparisons per second for each, and the ratio.

The place is generated and loaded once into --work (kept for later runs). Each run is its own process, so its
peak memory is its own. The platform run is `wholeplace link --retrain`: reading the lake, name features,
training, scoring, clustering under constraints, lasting ids, households, the review queue and the run's files.
The plain script reads the same records (written once by the platform's own reader) and does what Splink alone
does: train the same way, predict, and cluster at the upper threshold the platform chose.

    .venv/bin/python benchmarks/link.py [--residents 1000000] [--repeats 1] [--work /tmp/wholeplace-link-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 600
TARGET_GB = 12.0
TARGET_OVERHEAD = 0.20
PYTHON = sys.executable

PREPARE = """
import sys
from pathlib import Path
from wholeplace.core.models import utcnow
from wholeplace.core.runtime import Runtime
from wholeplace.demo.generate.place import generate_place
from wholeplace.demo.service import demo_files, load_demo_file
from wholeplace.identity.records import person_records
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
import pyarrow.parquet as pq
residents, work = int(sys.argv[1]), Path(sys.argv[2])
place = work / "place"
if not (place / "place.yaml").exists():
    generate_place(residents=residents, seed=1, out=place)
runtime = Runtime.upgraded()
lake = Lake.in_data_dir(runtime.settings.data_dir)
with runtime.sessions() as db:
    for demo_file in demo_files(place):
        load_demo_file(db, demo_file, lake=lake, now=utcnow())
        db.commit()
    pq.write_table(person_records(lake.connect(sources.lake_batches(db))), work / "records.parquet")
"""

PLAIN_SPLINK = """
import json, sys, time, resource
import duckdb, pyarrow.parquet as pq
from splink import DuckDBAPI, Linker
from splink.internals.exceptions import EMTrainingException
from wholeplace.identity import model
records = pq.read_table(sys.argv[1])
threshold = float(sys.argv[2])
started = time.perf_counter()
columns = {n for n in records.column_names if n not in ("unique_id", "source", "record_id", "batch")
           and records.column(n).null_count < records.num_rows}
connection = duckdb.connect()
connection.execute("SET enable_progress_bar = false")
db_api = DuckDBAPI(connection=connection)
linker = Linker(db_api.register(records), model.settings(columns))
trained_at = time.perf_counter()
linker.training.estimate_probability_two_random_records_match(model.deterministic_rules(columns), recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000, seed=1)
for rule in model.training_blocks(columns):
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    except (EMTrainingException, ValueError):
        pass
scored_at = time.perf_counter()
blocked = linker.inference.compute_blocked_pairs_for_predict()
comparisons = blocked.as_duckdbpyrelation().count("*").fetchall()[0][0]
predictions = linker.inference.predict(threshold_match_probability=0.01)
clustered_at = time.perf_counter()
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=threshold)
people = clusters.as_duckdbpyrelation().select("cluster_id").distinct().count("*").fetchall()[0][0]
stages = {"reading records": trained_at - started, "training": scored_at - trained_at,
          "scoring": clustered_at - scored_at, "clustering": time.perf_counter() - clustered_at}
print(json.dumps({"seconds": time.perf_counter() - started, "comparisons": comparisons, "people": people, "stages": stages,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def prepare(residents: int, work: Path) -> None:
    if (work / "records.parquet").exists():
        return
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", PREPARE, str(residents), str(work)], check=True, env=_env(work))
    print(
        f"prepared the {residents:,}-resident place in {time.perf_counter() - started:.0f} s (not timed below)"
    )


def run_platform(work: Path) -> dict[str, float]:
    started = time.perf_counter()
    finished = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            PYTHON,
            "-c",
            "from wholeplace.cli import main; main()",
            "link",
            "--retrain",
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=_env(work),
    )
    seconds = time.perf_counter() - started
    summary = json.loads(finished.stdout)
    print(
        "  wholeplace link by stage: "
        + ", ".join(f"{name} {secs:.0f} s" for name, secs in summary["stages"].items())
    )
    return {
        "seconds": seconds,
        "comparisons": summary["comparisons"],
        "people": summary["people"],
        "peak_gb": int(finished.stderr.strip().splitlines()[-1]) / 1024**2,
        "upper": summary["thresholds"]["upper"],
    }


def run_plain(work: Path, threshold: float) -> dict[str, float]:
    started = time.perf_counter()
    finished = subprocess.run(
        [PYTHON, "-c", PLAIN_SPLINK, str(work / "records.parquet"), str(threshold)],
        check=True,
        capture_output=True,
        text=True,
        env=_env(work),
    )
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    print(
        "     plain Splink by stage: "
        + ", ".join(f"{name} {secs:.0f} s" for name, secs in result["stages"].items())
    )
    return {
        "seconds": time.perf_counter() - started,
        "comparisons": result["comparisons"],
        "people": result["people"],
        "peak_gb": result["peak_kb"] / 1024**2,
    }


def _env(work: Path) -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if name != "WHOLEPLACE_DATABASE_URL"}
    return {**inherited, "WHOLEPLACE_DATA_DIR": str(work / "data")}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/wholeplace-link-bench"))
    arguments = parser.parse_args()
    work = arguments.work / str(arguments.residents)
    work.mkdir(parents=True, exist_ok=True)
    prepare(arguments.residents, work)
    platform, plain = [], []
    for _ in range(arguments.repeats):
        platform.append(run_platform(work))
        plain.append(run_plain(work, platform[-1]["upper"]))
    _report("wholeplace link", platform)
    _report("plain Splink", plain)
    overhead = (
        statistics.median(r["seconds"] for r in platform) / statistics.median(r["seconds"] for r in plain) - 1
    )
    print(
        f"overhead of the platform over plain Splink: {overhead:+.1%} (target at most {TARGET_OVERHEAD:.0%})"
    )
    worst = max(platform, key=lambda r: r["seconds"])
    print(
        f"targets: {TARGET_SECONDS / 60:.0f} min and {TARGET_GB:.0f} GB — "
        f"{'met' if worst['seconds'] <= TARGET_SECONDS and worst['peak_gb'] <= TARGET_GB else 'NOT met'}"
    )


def _report(name: str, runs: list[dict[str, float]]) -> None:
    seconds = [run["seconds"] for run in runs]
    median = statistics.median(seconds)
    print(
        f"{name:>16}: median {median:7.1f} s (runs {', '.join(f'{s:.1f}' for s in seconds)}), "
        f"peak {max(run['peak_gb'] for run in runs):.2f} GB, {runs[0]['comparisons']:,} comparisons, "
        f"{runs[0]['comparisons'] / median:,.0f} comparisons/s, {runs[0]['people']:,} people"
    )


if __name__ == "__main__":
    main()
