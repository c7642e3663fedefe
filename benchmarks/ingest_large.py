"""Load one file of about 2 GB and print the wall time and peak memory: a file is streamed, never read whole.

The file repeats a block of demo-generator rows with fresh record ids until it reaches the size asked for.
Run with the project's Python:
    .venv/bin/python benchmarks/ingest_large.py [--gigabytes 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest import MAKE_EXTRACT, MAPPING, OURS  # the same extract, mapping and load as benchmarks/ingest.py

BLOCK_ROWS = 100_000


def grow(block: Path, target: Path, gigabytes: float) -> int:
    """Write `target` from copies of `block`'s rows, each copy's record ids made new; return the rows written."""
    header, *rows = block.read_text(encoding="utf-8").splitlines(keepends=True)
    body = "".join(rows)
    written = copies = 0
    with target.open("w", encoding="utf-8") as out:
        out.write(header)
        while written < gigabytes * 1e9:
            text = ("\n" + body).replace("\nR", f"\nC{copies}-R")[1:] if copies else body
            out.write(text)
            written += len(text)
            copies += 1
    return copies * len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gigabytes", type=float, default=2.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        block, extract, mapping = folder / "block.csv", folder / "large.csv", folder / "register.yaml"
        mapping.write_text(MAPPING, encoding="utf-8")
        subprocess.run([sys.executable, "-c", MAKE_EXTRACT, str(BLOCK_ROWS), str(block)], check=True)
        rows = grow(block, extract, options.gigabytes)
        size = extract.stat().st_size / 1e9
        print(f"Loading {size:.2f} GB, {rows:,} rows ...", flush=True)
        started = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, "-c", OURS, str(extract), str(folder / "data"), str(mapping)],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        seconds, loaded, peak_kb = finished.stdout.split()[-3:]
        print(
            f"{size:.2f} GB, {int(loaded):,} rows: load {float(seconds):.0f} s ({int(loaded) / float(seconds):,.0f} rows/s), "
            f"process {wall:.0f} s, peak memory {int(peak_kb) / 1024 / 1024:.2f} GB"
        )


if __name__ == "__main__":
    main()
