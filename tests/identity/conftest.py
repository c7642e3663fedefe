"""Fixtures the identity tests share: a small generated place, and its model trained once for the session, so
that tests not about training only score and cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.support.factories import MOMENT
from tests.web.conftest import signed_in_as  # noqa: F401 - a fixture, found by pytest through this import
from wholeplace.core.db import make_engine, session_factory, upgrade
from wholeplace.demo.generate.place import generate_place
from wholeplace.demo.service import DemoFile, demo_files, load_demo_file
from wholeplace.identity import service, store
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

SECRET = "test-secret"
ACTOR = service.Actor("tester", MOMENT)


@pytest.fixture(scope="session")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=3000, seed=5, out=out)
    return out


@pytest.fixture(scope="session")
def trained(place: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The place's model.json, trained once in a database of its own."""
    folder = tmp_path_factory.mktemp("trained")
    engine = make_engine(f"sqlite:///{folder / 'wholeplace.db'}")
    upgrade(engine)
    lake = Lake(folder / "lake")
    with session_factory(engine)() as db:
        load_files(db, demo_files(place), lake)
        link(db, lake)
        run = service.latest_run(db)
        assert run is not None
        model = store.runs_folder(lake) / run.folder / store.MODEL
    engine.dispose()
    return model


def load_files(db: Session, files: list[DemoFile], lake: Lake) -> None:
    for demo_file in files:
        load_demo_file(db, demo_file, lake=lake, now=MOMENT)


def link(db: Session, lake: Lake, **options: object) -> service.LinkSummary:
    return service.link_place(db, lake, sources.lake_batches(db), secret=SECRET, actor=ACTOR, **options)  # type: ignore[arg-type]
