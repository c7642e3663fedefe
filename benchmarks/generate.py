"""Generate the demo place at 20k, 200k and 1M residents; print wall time and peak memory beside the target.

Each size runs in its own process so peak memory is that run's alone. Run with the project's Python:
    .venv/bin/python benchmarks/generate.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

SIZES = (20_000, 200_000, 1_000_000)
TARGET_SECONDS_AT_1M = 120
TARGET_GB_AT_1M = 6.0
RUN_ONE = (
    "import sys, resource, pathlib;"
    "from wholeplace.demo.generate.place import generate_place;"
    "generate_place(residents=int(sys.argv[1]), seed=1, out=pathlib.Path(sys.argv[2]));"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def run(residents: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, "-c", RUN_ONE, str(residents), out], capture_output=True, text=True, check=True
        )
        seconds = time.perf_counter() - started
    peak_gb = int(finished.stdout.strip().splitlines()[-1]) / 1024 / 1024
    return seconds, peak_gb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    print(f"{'residents':>10} {'median s':>9} {'runs (s)':>24} {'peak GB':>8} {'target':>16}")
    for residents in SIZES:
        runs = [run(residents) for _ in range(repeats)]
        seconds = [s for s, _ in runs]
        peak = max(gb for _, gb in runs)
        target = f"<= {TARGET_SECONDS_AT_1M}s, {TARGET_GB_AT_1M:.0f} GB" if residents == 1_000_000 else ""
        shown = ", ".join(f"{s:.1f}" for s in seconds)
        print(f"{residents:>10,} {statistics.median(seconds):>9.1f} {shown:>24} {peak:>8.2f} {target:>16}")


if __name__ == "__main__":
    main()
