"""Verify an access log of a million entries, on SQLite and on PostgreSQL, and beside it a naive check that reads
the log back through the ORM one entry at a time; print the seconds, peak memory and the ratio.

The log is built once, untimed: realistic decisions (the demo place's agencies, the built-in purposes and data
categories, person ids as the platform makes them), chained with `chain.stored_row`, signed every 1,000 entries
with the place's key, and bulk-loaded (executemany on SQLite, COPY on PostgreSQL) into databases the migrations
made, triggers included. `wholeplace audit verify` is timed twice: the service call inside its own process
(median of --repeats; imports excluded), and the real command's wall time (imports included). The naive check
is timed on the first --sample entries and scaled linearly to the whole log, as the table says.

    .venv/bin/python benchmarks/audit_verify.py [--entries 1000000] [--repeats 3] [--sample 20000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres | --postgres none]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from wholeplace.core.db import make_engine, upgrade
from wholeplace.demo.generate.place import AGENCIES
from wholeplace.governance import signing, vocabulary
from wholeplace.governance.chain import GENESIS, STORED_COLUMNS, LogEntry, log_time, stored_row

TARGET_SECONDS = 10
CHECKPOINT_EVERY = 1000
USERS = 400

OURS = """
import resource, sys, time
from pathlib import Path
from wholeplace.core.db import make_engine, session_factory
from wholeplace.governance import signing
from wholeplace.governance.service import log
url, data_dir = sys.argv[1], Path(sys.argv[2])
started = time.perf_counter()
engine = make_engine(url)
with session_factory(engine)() as db:
    found = log.verify(db, public_keys=signing.place_public_keys(data_dir))
seconds = time.perf_counter() - started
assert found.valid and found.checkpoints_checked > 0, found
print(seconds, found.entries, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

NAIVE = """
import json, resource, sys, time
from wholeplace.core.db import make_engine, session_factory
from wholeplace.governance.chain import GENESIS, LogEntry, entry_hash
from wholeplace.governance.models import AccessLogEntry
url, sample = sys.argv[1], int(sys.argv[2])
started = time.perf_counter()
engine = make_engine(url)
head = GENESIS
with session_factory(engine)() as db:
    for position in range(1, sample + 1):
        row = db.get(AccessLogEntry, position)
        entry = LogEntry(
            at=row.at, username=row.username, agency=row.agency, role=row.role, purpose=row.purpose,
            case_reference=row.case_reference, subject_kind=row.subject_kind, subject_id=row.subject_id,
            categories=tuple(json.loads(row.categories)), fields=tuple(json.loads(row.fields)),
            agreements=tuple(json.loads(row.agreements)), lawful_basis=row.lawful_basis, outcome=row.outcome,
            reason=row.reason, break_glass=row.break_glass,
        )
        assert row.previous_hash == head and entry_hash(position, head, entry) == row.entry_hash, position
        head = row.entry_hash
seconds = time.perf_counter() - started
print(seconds, sample, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def decisions(count: int, rng: random.Random) -> Iterator[LogEntry]:
    """Access decisions as the platform writes them: mostly casework permitted under an agreement, some denied,
    a rare break-glass."""
    agencies = list(AGENCIES)
    purposes = [purpose.code for purpose in vocabulary.PURPOSES]
    categories = {category.code: category.fields for category in vocabulary.CATEGORIES}
    moment = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    for number in range(count):
        moment += timedelta(seconds=rng.randrange(1, 30), microseconds=rng.randrange(1_000_000))
        purpose, agency = rng.choice(purposes), rng.choice(agencies)
        asked = tuple(rng.sample(sorted(categories), rng.randrange(1, 4)))
        permitted = rng.random() < 0.92
        reference = f"RIV-DSA-{rng.randrange(1, 12):03d}@{rng.randrange(1, 4)}"
        yield LogEntry(
            at=log_time(moment),
            username=f"user{rng.randrange(USERS)}",
            agency=agency,
            role=rng.choice(("practitioner", "lead_professional", "analyst")),
            purpose=purpose,
            case_reference=f"{purpose[:2].upper()}-2026-{number % 100_000:05d}",
            subject_kind="person" if rng.random() < 0.85 else "household",
            subject_id=f"P{rng.getrandbits(80):020x}",
            categories=asked,
            fields=tuple(field for code in asked for field in categories[code]) if permitted else (),
            agreements=(reference,) if permitted else (),
            lawful_basis="6(1)(e)" if permitted else "",
            outcome="permit" if permitted else "deny",
            reason=(
                f"Agreement {reference} allows {', '.join(asked)} for {purpose} to {agency}."
                if permitted
                else f"No agreement in force shares {', '.join(asked)} for {purpose} with {agency}."
            ),
            break_glass=rng.random() < 0.002,
        )


def build_log(entries: int, data_dir: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The access_log rows and the log_checkpoint rows of a log of `entries` entries."""
    key = signing.place_key(data_dir)
    key_id = signing.key_id(key.public_key())
    rows: list[tuple[Any, ...]] = []
    checkpoints: list[tuple[Any, ...]] = []
    head = GENESIS
    for position, entry in enumerate(decisions(entries, random.Random(1)), start=1):
        rows.append(stored_row(position, head, entry))
        head = rows[-1][-1]
        if position % CHECKPOINT_EVERY == 0 or position == entries:
            signed_at = entry.at
            signature = signing.sign(key, signing.checkpoint_message(position, head, signed_at))
            checkpoints.append((position, head, signed_at, key_id, signature))
    return rows, checkpoints


INSERT_ENTRY = (
    f"INSERT INTO access_log ({', '.join(STORED_COLUMNS)}) VALUES ({', '.join('?' * len(STORED_COLUMNS))})"
)
INSERT_CHECKPOINT = (
    "INSERT INTO log_checkpoint (position, head_hash, signed_at, key_id, signature) VALUES (?, ?, ?, ?, ?)"
)


def build_and_load(entries: int, data_dir: Path, urls: list[str]) -> None:
    rows, checkpoints = build_log(entries, data_dir)
    for url in urls:
        print(f"Loading it into {make_url(url).get_backend_name()} ...", flush=True)
        load(url, rows, checkpoints)


def load(url: str, rows: list[tuple[Any, ...]], checkpoints: list[tuple[Any, ...]]) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.executemany(INSERT_ENTRY, rows)
            cursor.executemany(INSERT_CHECKPOINT, checkpoints)
        else:
            with cursor.copy(f"COPY access_log ({', '.join(STORED_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cursor.copy(
                "COPY log_checkpoint (position, head_hash, signed_at, key_id, signature) FROM STDIN"
            ) as copy:
                for checkpoint in checkpoints:
                    copy.write_row(checkpoint)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


@contextmanager
def scratch_postgres(server: str) -> Iterator[str]:
    """A new database on the server, dropped afterwards."""
    name = f"wholeplace_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(script: str, *args: str) -> tuple[float, int, float]:
    """The seconds inside the process (imports excluded), the entries, and the peak memory in GB."""
    finished = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        sys.exit(finished.stderr)
    seconds, entries, peak_kb = finished.stdout.split()[-3:]
    return float(seconds), int(entries), int(peak_kb) / 1024 / 1024


def run_command(url: str, data_dir: Path) -> float:
    """The wall time of `wholeplace audit verify --json`, from starting Python to its exit."""
    env = {**os.environ, "WHOLEPLACE_DATA_DIR": str(data_dir), "WHOLEPLACE_DATABASE_URL": url}
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-c", "from wholeplace.cli import main; main()", "audit", "verify", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    if finished.returncode != 0 or not json.loads(finished.stdout)["valid"]:
        sys.exit(finished.stdout + finished.stderr)
    return seconds


def measure(name: str, url: str, data_dir: Path, options: argparse.Namespace) -> dict[str, Any]:
    print(f"Timing {name} ...", flush=True)
    ours = [run(OURS, url, str(data_dir)) for _ in range(options.repeats)]
    command = run_command(url, data_dir)
    naive_seconds, sampled, naive_peak = run(NAIVE, url, str(options.sample))
    return {
        "database": name,
        "entries": ours[0][1],
        "ours": statistics.median(seconds for seconds, _, _ in ours),
        "runs": [seconds for seconds, _, _ in ours],
        "peak": max(peak for _, _, peak in ours),
        "command": command,
        "naive": naive_seconds * ours[0][1] / sampled,
        "sampled": sampled,
        "naive_peak": naive_peak,
    }


def report(results: list[dict[str, Any]], options: argparse.Namespace) -> None:
    print(
        f"\n{options.entries:,} entries, a checkpoint every {CHECKPOINT_EVERY:,}; ours: median of "
        f"{options.repeats} runs, each its own process, imports excluded; command: `wholeplace audit verify` "
        "wall time, imports included"
    )
    print(
        f"{'database':>10} {'entries':>10} {'ours s':>7} {'peak GB':>8} {'command s':>10} "
        f"{'naive s':>9} {'ratio':>6} {'target':>7}  ours runs (s)"
    )
    for result in results:
        print(
            f"{result['database']:>10} {result['entries']:>10,} {result['ours']:7.2f} {result['peak']:8.2f} "
            f"{result['command']:10.2f} {result['naive']:9.0f} {result['naive'] / result['ours']:5.0f}x "
            f"{'<= ' + str(TARGET_SECONDS) + ' s':>7}  "
            + ", ".join(f"{seconds:.2f}" for seconds in result["runs"])
        )
    for result in results:
        print(
            f"naive on {result['database']}: {result['sampled']:,} entries read one `db.get` at a time through "
            f"the ORM, measured, then scaled linearly to {result['entries']:,} (peak {result['naive_peak']:.2f} GB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        data_dir = Path(scratch)
        urls = {"sqlite": f"sqlite:///{data_dir / 'wholeplace.db'}"}
        if options.postgres != "none":
            urls["postgresql"] = stack.enter_context(scratch_postgres(options.postgres))
        print(f"Building a log of {options.entries:,} entries ...", flush=True)
        # In a process of its own, so the log held in memory does not count in the timed runs' peak memory.
        builder = multiprocessing.get_context("spawn").Process(
            target=build_and_load, args=(options.entries, data_dir, list(urls.values()))
        )
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            sys.exit("Building the log failed.")
        results = [measure(name, url, data_dir, options) for name, url in urls.items()]
    report(results, options)


if __name__ == "__main__":
    main()
