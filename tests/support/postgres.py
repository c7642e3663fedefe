"""A PostgreSQL server for the tests: the one WHOLEPLACE_TEST_DATABASE_URL names, or a throwaway cluster."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

HOW_TO_GET_ONE = (
    "The PostgreSQL tests need a server. Either set WHOLEPLACE_TEST_DATABASE_URL to one "
    "(for example postgresql+psycopg://postgres@127.0.0.1:5432/postgres), or install PostgreSQL's "
    "server binaries (apt-get install postgresql) so the tests can start a throwaway cluster."
)


class PostgresUnavailableError(RuntimeError):
    pass


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a server the tests may create databases on."""
    given = os.environ.get("WHOLEPLACE_TEST_DATABASE_URL")
    if given:
        yield given
        return
    with _throwaway_cluster() as url:
        yield url


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards."""
    name = f"wholeplace_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        raise PostgresUnavailableError(
            f"Cannot use the PostgreSQL server at {server_url}: {error}"
        ) from error
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _throwaway_cluster() -> Iterator[str]:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    home = Path(tempfile.mkdtemp(prefix="wholeplace-pg-"))
    as_user = _run_as_postgres(home)
    data, port = home / "data", _free_port()
    try:
        _run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _run([*as_user, pg_ctl, "-D", str(data), "-l", str(home / "log"), "-o", options, "-w", "start"])
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(map(str, Path("/usr/lib/postgresql").glob(f"*/bin/{name}")))), None
    )
    if found is None:
        raise PostgresUnavailableError(HOW_TO_GET_ONE)
    return found


def _run_as_postgres(home: Path) -> list[str]:
    """PostgreSQL refuses to run as root: as root, hand the cluster to the postgres user."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise PostgresUnavailableError(HOW_TO_GET_ONE)
    shutil.chown(home, user="postgres")
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PostgresUnavailableError(
            f"{' '.join(command[:4])} failed: {result.stderr.strip()}\n{HOW_TO_GET_ONE}"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
