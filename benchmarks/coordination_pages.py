"""Drive the two pages a practitioner lives in, search and the household page, on the demo place at full size:
20 practitioners signed in through the login form, each searching under a purpose for someone their agency
works with and opening the household the search finds, against `wholeplace serve` on loopback and PostgreSQL.
Prints requests, p50, p95 and p99 latency, refusals, errors and throughput per page, against the targets:
household page p95 at most 150 ms, search p95 at most 300 ms, no errors.

The place is built the real way, `wholeplace demo --residents N --no-serve` (generate, load every extract
through its mapping, link, agreements, plans, the register), into a named database and a kept work directory;
a later run finds it there and reuses it (--rebuild starts again from nothing). The benchmark then adds its own
practitioners (bench.01, bench.02, ...), spread over the agencies that work with households, and samples each
one's searches from the register: a family name with a given name or a date of birth, of a person in a
household the practitioner's agency works with now. Each practitioner reads what came back for a moment before
the next request (--think, 1-3 s by default, as a person at work would); --think 0 sends requests back to back,
which measures how much the one server process can take rather than what practitioners see. Only requests
started inside the measured window count, after a warm-up. A household page the access decision refuses (403) is counted as refused, not as an error;
any other status but 200, a timeout or a failed connection is an error. Run with the project's Python:

    .venv/bin/python benchmarks/coordination_pages.py [--residents 1000000] [--users 20] [--seconds 60]
        [--warmup 15] [--think 2] [--requests N] [--work /tmp/wholeplace-pages-bench] [--database wholeplace_bench_1m]
        [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import numpy as np
import psycopg
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.db import make_engine
from wholeplace.core.roles import Role
from wholeplace.demo.cli import DEMO_PLACE_FOLDER
from wholeplace.demo.generate.place import generated_with
from wholeplace.demo.service import DEMO_PASSWORD

DEFAULT_RESIDENTS = 1_000_000
TARGETS_MS = {"household page": 150.0, "search": 300.0}
PURPOSE = "early_help"  # agreeing a plan with a family: needs the agency to be working with the household
PYTHON = sys.executable
CLI = "from wholeplace.cli import main; main()"
USERNAME = "bench.{:02d}"
TARGETS_PER_AGENCY = 2_000
SERVER_START_SECONDS = 180
HOUSEHOLD_LINK = re.compile(r'href="(/households/[^"]+)"')
BUILD_STAGES = (  # the line `wholeplace demo` prints when each stage is done
    ("The demo place's extracts", "generate"),
    ("Loaded ", "load extracts"),
    ("Linked ", "link"),
    ("Sharing agreements", "agreements"),
    ("shared plans", "plans and register"),
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=DEFAULT_RESIDENTS)
    parser.add_argument("--users", type=int, default=20, help="Concurrent signed-in practitioners.")
    parser.add_argument("--seconds", type=float, default=60.0, help="How long to measure.")
    parser.add_argument("--warmup", type=float, default=15.0, help="Seconds of load before measuring.")
    parser.add_argument(
        "--requests", type=int, default=None, help="Measure this many searches (each with its page) per user."
    )
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="Mean seconds a practitioner reads a page before the next request (0: none, to saturate).",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds before a request is an error.")
    parser.add_argument("--work", type=Path, default=None, help="The place's data directory, kept.")
    parser.add_argument("--database", default=None, help="The PostgreSQL database the place is kept in.")
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="The server to keep the database on.",
    )
    parser.add_argument("--rebuild", action="store_true", help="Build the place again from nothing.")
    arguments = parser.parse_args()
    label = _size_label(arguments.residents)
    work = arguments.work or _default_work(arguments.residents, label)
    database = arguments.database or f"wholeplace_bench_{label}"
    url = make_url(arguments.postgres).set(database=database).render_as_string(hide_password=False)
    env = {
        **os.environ,
        "WHOLEPLACE_DATA_DIR": str(work),
        "WHOLEPLACE_DATABASE_URL": url,
        "WHOLEPLACE_WATCH_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    _ensure_place(arguments, work, database, env)
    engine = make_engine(url)
    size = _size_of(engine)
    users = _practitioners(engine, arguments.users)
    targets = _targets(engine, {agency for _, agency in users})
    engine.dispose()
    print(
        f"Place: {size['people']:,} people, {size['households']:,} households, {size['records']:,} register "
        f"records ({database}, {work}). {len(users)} practitioners in {len(targets)} agencies.",
        flush=True,
    )
    with _served(env, work) as (base_url, server_pid):
        result = asyncio.run(_load(base_url, users, targets, arguments, server_pid))
    _report(result, arguments)


# ---------------------------------------------------------------- the place


def _size_label(residents: int) -> str:
    return f"{residents // 1_000_000}m" if residents % 1_000_000 == 0 else f"{residents // 1000}k"


def _default_work(residents: int, label: str) -> Path:
    base = "/tmp/wholeplace-pages-bench"
    return Path(base if residents == DEFAULT_RESIDENTS else f"{base}-{label}")


def _ensure_place(arguments: argparse.Namespace, work: Path, database: str, env: dict[str, str]) -> None:
    """Reuse the place when the database holds it and the work directory holds its extracts; else build it."""
    if arguments.rebuild:
        _start_afresh(arguments.postgres, database, work)
    elif _holds_place(env["WHOLEPLACE_DATABASE_URL"], arguments.postgres, database):
        found = generated_with(work / DEMO_PLACE_FOLDER)
        if found is None or found.get("residents") != arguments.residents:
            sys.exit(
                f"The database {database} holds a place, but {work} does not hold a {arguments.residents:,}-"
                f"resident demo place's extracts (it holds {found}). Pass --rebuild, or another --database."
            )
        print(f"Reusing the {arguments.residents:,}-resident place in {database} and {work}.", flush=True)
        return
    _create_database(arguments.postgres, database)
    _build(arguments.residents, env)


def _admin(server_url: str) -> psycopg.Connection:
    parsed = make_url(server_url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database or "postgres",
        autocommit=True,
    )


def _create_database(server_url: str, database: str) -> None:
    with _admin(server_url) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _start_afresh(server_url: str, database: str, work: Path) -> None:
    """Drop the database and empty the work directory, which must be one a benchmark made."""
    if work.exists() and any(work.iterdir()) and not (work / DEMO_PLACE_FOLDER).exists():
        sys.exit(
            f"{work} is not a benchmark's work directory (it has no {DEMO_PLACE_FOLDER}); not emptying it."
        )
    with _admin(server_url) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
    shutil.rmtree(work, ignore_errors=True)


def _holds_place(url: str, server_url: str, database: str) -> bool:
    """Whether the database exists and holds a place with a register built from a linkage run."""
    with _admin(server_url) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
            return False
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(
                connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                ).scalars()
            )
            if not {"place", "register_state"} <= tables:
                return False
            places = connection.execute(text("SELECT count(*) FROM place")).scalar_one()
            register = connection.execute(
                text("SELECT count(*) FROM register_state WHERE link_run IS NOT NULL")
            ).scalar_one()
        return bool(places and register)
    finally:
        engine.dispose()


def _build(residents: int, env: dict[str, str]) -> None:
    """Run `wholeplace demo`, echoing its lines with the time each stage took, and its peak memory."""
    print(f"Building the {residents:,}-resident demo place (this takes a while at full size).", flush=True)
    started = last = time.perf_counter()
    stages: list[tuple[str, float]] = []
    command = [PYTHON, "-c", CLI, "demo", "--residents", str(residents), "--no-serve"]
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as building:
        assert building.stdout is not None
        for line in building.stdout:
            if not line.strip():
                continue
            now = time.perf_counter()
            print(f"  [{now - started:7.0f} s] {line.rstrip()}", flush=True)
            stage = next((name for marker, name in BUILD_STAGES if marker in line), None)
            if stage is not None:
                stages.append((stage, now - last))
                last = now
    if building.returncode != 0:
        sys.exit(f"`wholeplace demo` failed (exit {building.returncode}); its output is above.")
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    print(
        f"Built in {time.perf_counter() - started:.0f} s, peak memory {peak_gb:.1f} GB: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in stages),
        flush=True,
    )


def _size_of(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT person_id), count(DISTINCT household_id) FROM register_record"
            )
        ).one()
    return {"records": row[0], "people": row[1], "households": row[2]}


# ---------------------------------------------------------------- practitioners and what they search for


@dataclass(frozen=True)
class Target:
    """Someone a practitioner's agency works with, as its own record names them, and their household."""

    household_id: str
    family_name: str
    given_name: str
    date_of_birth: date


def _practitioners(engine: Engine, count: int) -> list[tuple[str, str]]:
    """(username, agency id) of the benchmark's own practitioners, made once and spread round-robin over the
    agencies working with households today, busiest first."""
    with engine.connect() as connection:
        agencies = [
            (str(agency_id), name)
            for agency_id, name in connection.execute(
                text(
                    "SELECT a.id, a.name FROM involvement i JOIN agency a ON a.id = i.agency_id "
                    "WHERE i.household_id IS NOT NULL AND (i.started_on IS NULL OR i.started_on <= :today) "
                    "AND (i.ended_on IS NULL OR i.ended_on >= :today) "
                    "GROUP BY a.id, a.name ORDER BY count(DISTINCT i.household_id) DESC, a.name"
                ),
                {"today": date.today()},
            )
        ]
    if not agencies:
        sys.exit("No agency works with any household in this place: there is nobody to search for.")
    chosen = [(USERNAME.format(index + 1), agencies[index % len(agencies)]) for index in range(count)]
    with Session(engine) as db:
        for username, (agency_id, agency_name) in chosen:
            if core.find_user(db, username) is None:
                agency = core.find_agency(db, agency_name)
                assert agency is not None and str(agency.id) == agency_id
                core.create_user(
                    db,
                    username=username,
                    full_name=f"Bench Practitioner {username[-2:]}",
                    agency=agency,
                    roles=(Role.PRACTITIONER,),
                    password=DEMO_PASSWORD,
                    now=datetime.now(UTC),
                )
        db.commit()
    return [(username, agency_id) for username, (agency_id, _) in chosen]


def _targets(engine: Engine, agency_ids: set[str]) -> dict[str, list[Target]]:
    """For each agency, a fixed sample of the people its own records name in households it works with now."""
    found: dict[str, list[Target]] = {}
    with engine.connect() as connection:
        for agency_id in sorted(agency_ids):
            rows = connection.execute(
                text(
                    "SELECT r.household_id, r.family_name, r.given_name, r.date_of_birth "
                    "FROM register_record r WHERE r.agency_id = :agency AND r.household_id IN ("
                    "  SELECT household_id FROM involvement WHERE agency_id = :agency "
                    "  AND (started_on IS NULL OR started_on <= :today) "
                    "  AND (ended_on IS NULL OR ended_on >= :today)) "
                    "AND r.family_name <> '' AND r.given_name <> '' AND r.date_of_birth IS NOT NULL "
                    "ORDER BY md5(r.record_id) LIMIT :limit"
                ),
                {"agency": agency_id, "today": date.today(), "limit": TARGETS_PER_AGENCY},
            ).all()
            found[agency_id] = [Target(*row) for row in rows]
    return {agency: targets for agency, targets in found.items() if targets}


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _served(env: dict[str, str], work: Path) -> Iterator[tuple[str, int]]:
    """`wholeplace serve` on a free loopback port, with its output in the work directory; stopped after."""
    port = _free_port()
    log_path = work / "bench-serve.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [PYTHON, "-c", CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url, server, log_path)
            yield base_url, server.pid
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_up(base_url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(
                f"`wholeplace serve` stopped (exit {server.returncode}):\n{log_path.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{base_url}/login", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"`wholeplace serve` did not answer within {SERVER_START_SECONDS} s; see {log_path}.")


# ---------------------------------------------------------------- the load


@dataclass(frozen=True)
class Sample:
    page: str
    started: float
    milliseconds: float
    outcome: str  # "ok", "refused", or what went wrong


@dataclass
class Window:
    """When measuring starts and stops; with --requests, each user stops after that many searches."""

    measure_from: float = 0.0
    stop_at: float = float("inf")
    per_user: int | None = None
    think: float = 0.0


@dataclass
class LoadResult:
    samples: list[Sample]
    seconds: float
    searches_without_household: int
    server_cpu: float
    client_cpu: float
    machine_busy: float  # of all cores, over the window
    errors: Counter[str] = field(default_factory=Counter)


async def _load(
    base_url: str,
    users: list[tuple[str, str]],
    targets: dict[str, list[Target]],
    arguments: argparse.Namespace,
    server_pid: int,
) -> LoadResult:
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    clients = [httpx.AsyncClient(base_url=base_url, timeout=arguments.timeout, limits=limits) for _ in users]
    try:
        await asyncio.gather(
            *(_sign_in(client, username) for client, (username, _) in zip(clients, users, strict=True))
        )
        print(f"{len(users)} practitioners signed in; warming up for {arguments.warmup:.0f} s.", flush=True)
        window = Window(per_user=arguments.requests, think=arguments.think)
        started = time.perf_counter()
        window.measure_from = started + arguments.warmup
        if arguments.requests is None:
            window.stop_at = window.measure_from + arguments.seconds
        usage = _Usage(server_pid)
        usage_task = asyncio.create_task(_mark_usage(usage, window.measure_from))
        empties = [0] * len(users)
        per_user = await asyncio.gather(
            *(
                _virtual_user(client, targets.get(agency, []), window, index, empties)
                for index, (client, (_, agency)) in enumerate(zip(clients, users, strict=True))
            )
        )
        await usage_task
        ended = time.perf_counter()
        seconds = min(ended, window.stop_at) - window.measure_from
        server_cpu, client_cpu, busy = usage.since_mark(seconds)
        samples = [sample for samples in per_user for sample in samples]
        return LoadResult(samples, seconds, sum(empties), server_cpu, client_cpu, busy)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def _sign_in(client: httpx.AsyncClient, username: str) -> None:
    """Through the login form, as a browser would: its CSRF token is bound to the nonce cookie it sets."""
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        sys.exit(f"The login form did not load for {username} (status {form.status_code}).")
    answer = await client.post(
        "/login",
        data={"csrf_token": token.group(1), "username": username, "password": DEMO_PASSWORD, "next": "/"},
    )
    if answer.status_code != 303 or "wholeplace_session" not in client.cookies:
        sys.exit(f"{username} could not sign in (status {answer.status_code}).")


async def _virtual_user(
    client: httpx.AsyncClient, targets: list[Target], window: Window, index: int, empties: list[int]
) -> list[Sample]:
    """Search for someone, then open the household the search found for them; again until the window ends."""
    rng = np.random.default_rng(index)
    samples: list[Sample] = []
    measured = 0
    while targets:
        now = time.perf_counter()
        if now >= window.stop_at or (window.per_user is not None and measured >= window.per_user):
            break
        counting = now >= window.measure_from
        target = targets[int(rng.integers(len(targets)))]
        search, body = await _timed(client, "search", _search_path(target, by_birth=bool(rng.integers(2))))
        await _think(window, rng)
        links = [html.unescape(link) for link in HOUSEHOLD_LINK.findall(body)]
        page = None
        if links:
            wanted = next((link for link in links if f"/households/{target.household_id}?" in link), links[0])
            page, _ = await _timed(client, "household page", wanted)
            await _think(window, rng)
        elif search.outcome == "ok" and counting:
            empties[index] += 1
        if counting:
            measured += 1
            samples += [one for one in (search, page) if one is not None and one.started < window.stop_at]
    return samples


async def _think(window: Window, rng: np.random.Generator) -> None:
    """Reading the page: between half and one and a half times the mean think time."""
    if window.think > 0:
        await asyncio.sleep(window.think * float(rng.uniform(0.5, 1.5)))


def _search_path(target: Target, *, by_birth: bool) -> str:
    query = httpx.QueryParams(
        {"purpose": PURPOSE, "family_name": target.family_name}
        | (
            {
                "dob-day": str(target.date_of_birth.day),
                "dob-month": str(target.date_of_birth.month),
                "dob-year": str(target.date_of_birth.year),
            }
            if by_birth
            else {"given_name": target.given_name}
        )
    )
    return f"/search?{query}"


async def _timed(client: httpx.AsyncClient, page: str, path: str) -> tuple[Sample, str]:
    started = time.perf_counter()
    try:
        response = await client.get(path)
        body = response.text
    except httpx.TimeoutException:
        return Sample(page, started, (time.perf_counter() - started) * 1000, "timeout"), ""
    except httpx.HTTPError as error:
        return Sample(page, started, (time.perf_counter() - started) * 1000, type(error).__name__), ""
    milliseconds = (time.perf_counter() - started) * 1000
    if response.status_code == 200:
        return Sample(page, started, milliseconds, "ok"), body
    if response.status_code == 403 and page == "household page":
        return Sample(page, started, milliseconds, "refused"), ""
    return Sample(page, started, milliseconds, f"HTTP {response.status_code}"), ""


class _Usage:
    """CPU seconds of the server process and of this one, and how busy the whole machine was."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.marked: tuple[float, float, tuple[int, int]] | None = None

    def read(self) -> tuple[float, float, tuple[int, int]]:
        ticks = os.sysconf("SC_CLK_TCK")
        fields = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / ticks
        own = resource.getrusage(resource.RUSAGE_SELF)
        cpu = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = cpu[3] + cpu[4]
        return server, own.ru_utime + own.ru_stime, (sum(cpu) - idle, sum(cpu))

    def mark(self) -> None:
        self.marked = self.read()

    def since_mark(self, seconds: float) -> tuple[float, float, float]:
        assert self.marked is not None
        server, own, (busy, total) = self.read()
        was_server, was_own, (was_busy, was_total) = self.marked
        return server - was_server, own - was_own, (busy - was_busy) / max(total - was_total, 1)


async def _mark_usage(usage: _Usage, at: float) -> None:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    usage.mark()


# ---------------------------------------------------------------- the report


def _report(result: LoadResult, arguments: argparse.Namespace) -> None:
    print(
        f"\nCoordination pages, {arguments.residents:,} residents, {arguments.users} practitioners on loopback "
        f"({_thinking(arguments.think)}), measured {result.seconds:.0f} s after {arguments.warmup:.0f} s of "
        "warm-up, PostgreSQL."
    )
    print(
        f"{'page':<16}{'requests':>9}{'refused':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'req/s':>8}{'target p95':>12}  result"
    )
    verdicts = []
    for page in ("household page", "search"):
        samples = [sample for sample in result.samples if sample.page == page]
        answered = [sample.milliseconds for sample in samples if sample.outcome in ("ok", "refused")]
        refused = sum(sample.outcome == "refused" for sample in samples)
        errors = [sample.outcome for sample in samples if sample.outcome not in ("ok", "refused")]
        result.errors.update(f"{page}: {error}" for error in errors)
        p50, p95, p99 = (_percentile(answered, percent) for percent in (50, 95, 99))
        target = TARGETS_MS[page]
        passed = bool(answered) and p95 <= target and not errors
        verdicts.append(passed)
        print(
            f"{page:<16}{len(samples):>9,}{refused:>9,}{len(errors):>8,}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
            f"{len(samples) / result.seconds:>8.1f}{f'<= {target:.0f} ms':>12}  {'PASS' if passed else 'FAIL'}"
        )
    for error, count in result.errors.most_common(5):
        print(f"  error: {error} x{count}")
    requests = len(result.samples) or 1
    print(
        f"Searches that found no household to open: {result.searches_without_household:,}. Latency is from the "
        "load tool, request sent to body read; refused pages count in the percentiles."
    )
    print(
        f"Server process CPU {result.server_cpu:.1f} s ({result.server_cpu / result.seconds:.0%} of one core, "
        f"{result.server_cpu * 1000 / requests:.1f} ms a request); load tool CPU {result.client_cpu:.1f} s; "
        f"machine {result.machine_busy:.0%} busy across {os.cpu_count()} cores (PostgreSQL and anything else "
        "running included)."
    )
    print(f"Overall: {'PASS' if all(verdicts) else 'FAIL'}.")


def _thinking(think: float) -> str:
    if think <= 0:
        return "no think time: each sends its next request as soon as the last is answered"
    return f"each reading {think * 0.5:g}-{think * 1.5:g} s between requests"


def _percentile(values: list[float], percent: int) -> float:
    return float(np.percentile(values, percent)) if values else float("nan")


if __name__ == "__main__":
    main()
