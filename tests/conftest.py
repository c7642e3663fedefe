"""Databases for the tests: every database test runs on SQLite and on PostgreSQL, built by the migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.support.clock import FakeClock
from tests.support.postgres import PostgresUnavailableError, postgres_server, scratch_database
from wholeplace.app import create_app
from wholeplace.core.db import make_engine, upgrade
from wholeplace.core.runtime import Runtime
from wholeplace.core.settings import Settings

BACKENDS = ["sqlite", "postgresql"]

# The web server's watcher would share a test's connection from a thread of its own; tests of it turn it on.
os.environ["WHOLEPLACE_WATCH_SECONDS"] = "0"

# No time limit per example: on a busy two-core machine a slow example is not a failing one.
hypothesis_settings.register_profile("wholeplace", deadline=None)
hypothesis_settings.load_profile("wholeplace")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    try:
        with postgres_server() as server:
            yield server
    except PostgresUnavailableError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    with scratch_database(postgres_server_url) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new database with no tables, for tests of migrations and commands that commit."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with scratch_database(request.getfixturevalue("postgres_server_url")) as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    migrated = make_engine(url)
    upgrade(migrated)
    yield migrated
    migrated.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose outer transaction is rolled back after the test, whatever the test committed."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key=SecretStr("test-secret-key-" * 3), environment="test")


@pytest.fixture
def runtime(settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FakeClock) -> Runtime:
    return Runtime(settings=settings, engine=engine, sessions=sessions, clock=clock)


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
