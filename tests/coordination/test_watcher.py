"""The watcher, on SQLite and PostgreSQL: one round links a batch ingested after the latest run, brings the
register up to it and alerts the household's lead professional; it runs on a thread of its own while the web
app serves, and a failing step is logged without stopping the others."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.agreements import in_force
from tests.support.factories import MOMENT
from wholeplace.app import create_app
from wholeplace.coordination.models import AlertScan, LeadProfessional
from wholeplace.coordination.service import alerts, register, watcher
from wholeplace.core import service as core
from wholeplace.core.runtime import Runtime
from wholeplace.core.settings import Settings
from wholeplace.demo.generate.place import generate_place
from wholeplace.demo.service import build_demo, demo_files, load_demo_file
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import involvements
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

SECRET = "test-secret"
INCIDENT = "20261101"


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=300, seed=7, out=out)
    return out


def _linked_place(db: Session, place: Path, lake: Lake) -> None:
    build_demo(db, now=MOMENT)
    for demo_file in demo_files(place):
        load_demo_file(db, demo_file, lake=lake, now=MOMENT)
    identity.link_place(
        db, lake, sources.lake_batches(db), secret=SECRET, actor=identity.Actor("tester", MOMENT)
    )


def _police_member(db: Session, place: Path, lake: Lake) -> tuple[str, str, dict[str, str]]:
    """A household, one of its members, and the police extract's row of that member."""
    people = identity.linked_people(db, lake)
    police = people.filter(pc.and_(pc.equal(people["source"], "police"), pc.is_valid(people["household_id"])))
    record_id, person_id = police["record_id"][0].as_py(), police["person_id"][0].as_py()
    household_id = police["household_id"][0].as_py()
    lines = (place / "extracts" / "police.jsonl").read_text(encoding="utf-8").splitlines()
    row = next(json.loads(line) for line in lines if json.loads(line)["nominal_ref"] == record_id)
    return household_id, person_id, row


def _lead_of(db: Session, household_id: str, person_id: str) -> None:
    """The council's lead professional leads the household, and the council works with it."""
    council = core.find_agency(db, "Riverford Borough Council")
    police = core.find_agency(db, "Vale Police")
    assert council is not None and police is not None
    db.add(
        LeadProfessional(
            household_id=household_id,
            username="lead",
            agency_id=council.id,
            family_agreed_on=MOMENT.date(),
            family_agreement="Mum agreed at a home visit.",
            assigned_by="lead",
            started_at=MOMENT,
        )
    )
    involvements.open_involvement(
        db,
        person_id=person_id,
        household_id=household_id,
        agency_id=council.id,
        origin="referral",
        reference="R-1",
        on=MOMENT.date() - timedelta(days=30),
    )
    in_force(
        db,
        recipients=[council.name],
        providers=[police.name],
        purposes=["early_help"],
        categories={"criminal_offence": ("event.type", "event.date")},
        at=MOMENT,
    )


def _ingest_incident(db: Session, lake: Lake, row: dict[str, str], folder: Path) -> None:
    """One more police extract: a domestic-abuse incident with the member as victim, under a new nominal."""
    incident = {
        **row,
        "nominal_ref": "NOM-NEW-1",
        "incident_ref": "VP-NEW-1",
        "incident_date": INCIDENT,
        "incident_type": "DOMESTIC",
        "role": "VICTIM",
    }
    path = folder / "police-2026-11-02.jsonl"
    path.write_text(json.dumps(incident) + "\n", encoding="utf-8")
    sources.ingest_file(
        db, source_name="police", path=path, lake=lake, by="test", now=MOMENT + timedelta(hours=1)
    )


def _watched_place(
    sessions: sessionmaker[Session], place: Path, data_dir: Path
) -> tuple[str, dict[str, str]]:
    """A linked place with a household the lead leads, after the watcher's first round; returns the household
    and the police extract's row of one of its members."""
    lake = Lake.in_data_dir(data_dir)
    with sessions() as db:
        _linked_place(db, place, lake)
        household_id, person_id, row = _police_member(db, place, lake)
        _lead_of(db, household_id, person_id)
        db.commit()
    first = watcher.run_once(sessions, data_dir=data_dir, secret=SECRET, at=MOMENT + timedelta(minutes=30))
    assert (first.linked, first.failed) == (False, ())
    assert first.scan is not None and first.scan.first
    return household_id, row


def test_a_round_links_a_newly_ingested_batch_and_alerts_the_lead(
    sessions: sessionmaker[Session], place: Path, tmp_path: Path
) -> None:
    lake = Lake.in_data_dir(tmp_path)
    household_id, row = _watched_place(sessions, place, tmp_path)
    with sessions() as db:
        _ingest_incident(db, lake, row, tmp_path)
        db.commit()

    second = watcher.run_once(sessions, data_dir=tmp_path, secret=SECRET, at=MOMENT + timedelta(hours=2))

    assert (second.linked, second.register_refreshed, second.failed) == (True, True, ())
    assert second.scan is not None and (second.scan.batches, second.scan.alerted) == (1, 1)
    with sessions() as db:
        [alert] = alerts.inbox(db, username="lead")
        assert alert.household_id == household_id
        assert alert.summary == "Vale Police recorded a domestic-abuse incident on 1 November 2026."
        entry = db.get(AccessLogEntry, alert.decision_position)
        assert entry is not None and (entry.username, entry.outcome) == ("lead", "permit")


def test_a_batch_stamped_before_a_run_began_but_committed_after_it_is_still_linked_and_alerted(
    sessions: sessionmaker[Session], place: Path, tmp_path: Path
) -> None:
    lake = Lake.in_data_dir(tmp_path)
    household_id, row = _watched_place(sessions, place, tmp_path)
    with sessions() as db:
        committed_before_the_run = sources.lake_batches(db)
        _ingest_incident(db, lake, row, tmp_path)  # stamped an hour after MOMENT
        identity.link_new_records(
            db,
            lake,
            committed_before_the_run,
            secret=SECRET,
            actor=identity.Actor("another round", MOMENT + timedelta(minutes=90)),
        )
        db.commit()

    caught_up = watcher.run_once(sessions, data_dir=tmp_path, secret=SECRET, at=MOMENT + timedelta(hours=2))

    assert (caught_up.linked, caught_up.failed) == (True, ())
    assert caught_up.scan is not None and caught_up.scan.alerted == 1
    with sessions() as db:
        [alert] = alerts.inbox(db, username="lead")
        assert alert.household_id == household_id


def test_a_failing_step_is_logged_and_the_others_still_run(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> bool:
        raise RuntimeError("the register is unreadable")

    monkeypatch.setattr(register, "refresh_if_stale", broken)
    with caplog.at_level(logging.ERROR, logger="wholeplace.watcher"):
        result = watcher.run_once(sessions, data_dir=tmp_path, secret=SECRET, at=MOMENT)
    assert result.failed == ("register",)
    assert result.scan is not None and result.scan.first
    assert "'register' failed" in caplog.text


def _own_runtime(tmp_path: Path, *, every: int) -> Runtime:
    """A runtime with a database of its own: the watcher's thread must not share a test's connection."""
    settings = Settings(
        data_dir=tmp_path,
        secret_key=SecretStr("test-secret-key-" * 3),
        environment="test",
        watch_seconds=every,
    )
    runtime = Runtime.from_settings(settings)
    runtime.upgrade()
    runtime.clock = lambda: MOMENT
    return runtime


def _watcher_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "wholeplace-watcher"]


def test_the_watcher_runs_rounds_until_it_is_stopped(tmp_path: Path) -> None:
    runtime = _own_runtime(tmp_path, every=1)
    with watcher.watching(runtime, every=0.05):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with runtime.sessions() as db:
                if db.scalar(select(AlertScan.id)) is not None:
                    break
            time.sleep(0.05)
        assert _watcher_threads()
    assert not _watcher_threads()
    with runtime.sessions() as db:
        assert db.scalar(select(AlertScan.scanned_at)) == MOMENT
    runtime.engine.dispose()


def test_the_web_app_runs_the_watcher_while_it_serves_when_the_settings_say_so(tmp_path: Path) -> None:
    runtime = _own_runtime(tmp_path, every=60)
    with TestClient(create_app(runtime)):
        assert _watcher_threads()
    assert not _watcher_threads()
    with TestClient(create_app(_own_runtime(tmp_path, every=0))):
        assert not _watcher_threads()
    runtime.engine.dispose()
