"""The coordination commands as an operator runs them, on SQLite and PostgreSQL: the sustainment checks run once
with a summary line, and the outcome claim written only when the access decision releases it to the named
programme manager, the release logged as one batch entry either way."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.coordination.test_closure import close, event, fields_of, make_plan, member
from tests.support import factories
from tests.support.agreements import in_force
from tests.test_cli import _run
from wholeplace.core.db import make_engine, session_factory, upgrade
from wholeplace.core.roles import Role, Sector
from wholeplace.governance.models import AccessLogEntry

CLOSED_AT = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
CHECK_DAY = "2025-08-01"  # after the six months, whatever day the tests run on


@contextmanager
def database(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    upgrade(engine)
    try:
        with session_factory(engine)() as db, db.begin():
            yield db
    finally:
        engine.dispose()


@pytest.fixture
def place(empty_database_url: str, tmp_path: Path) -> dict[str, Any]:
    """A plan closed with two outcomes achieved: safety from domestic abuse, which a police incident after
    closure breaks, and early years, which has no automatic check; the arguments `_run` needs."""
    with database(empty_database_url) as db:
        council = factories.agency(db, "Testford Council", sector=Sector.LOCAL_GOVERNMENT)
        police = factories.agency(db, "Testford Police", sector=Sector.POLICE)
        factories.user(db, Role.PROGRAMME_MANAGER, username="owen", at=council)
        factories.user(db, Role.PRACTITIONER, username="pat", at=council)
        member(db, police)
        plan = make_plan(db, needs=(("domestic_abuse", "Safe at home"), ("early_years", "Ready for nursery")))
        close(db, plan, at=CLOSED_AT)
        event(db, police, kind="domestic_abuse_incident", on=date(2025, 3, 1), category="criminal_offence")
    return {"data_dir": tmp_path, "database_url": empty_database_url}


def _agreement(url: str) -> None:
    with database(url) as db:
        in_force(
            db,
            recipients=["Testford Council"],
            providers=["Testford Police"],
            purposes=["outcome_claims"],
            categories=fields_of(["involvement"]),
            at=datetime.now(UTC),
        )


def _log(url: str) -> list[AccessLogEntry]:
    with database(url) as db:
        found = list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position)))
        db.expunge_all()
        return found


def _said(output: str) -> str:
    """What a command said, its lines unwrapped."""
    return " ".join(output.split())


def test_check_sustainment_runs_the_due_checks_once_and_says_what_it_found(place: dict[str, Any]) -> None:
    ran = _run(["coordination", "check-sustainment", "--today", CHECK_DAY], **place)
    assert ran.returncode == 0, ran.stderr
    assert (
        ran.stdout.strip().splitlines()[-1] == "2 checks run as of 01 August 2025: 1 sustained, 1 relapsed."
    )
    again = _run(["coordination", "check-sustainment", "--today", CHECK_DAY], **place)
    assert (
        again.stdout.strip().splitlines()[-1] == "0 checks run as of 01 August 2025: 0 sustained, 0 relapsed."
    )


def test_check_sustainment_before_the_checks_fall_due_runs_none(place: dict[str, Any]) -> None:
    early = (CLOSED_AT + timedelta(days=30)).date().isoformat()
    ran = _run(["coordination", "check-sustainment", "--today", early], **place)
    assert ran.returncode == 0, ran.stderr
    assert ": 0 sustained, 0 relapsed." in ran.stdout


def test_a_day_that_is_not_a_date_is_refused_without_a_traceback(place: dict[str, Any]) -> None:
    ran = _run(["coordination", "check-sustainment", "--today", "31/03/2025"], **place)
    assert ran.returncode == 1
    assert "--today '31/03/2025' is not a date." in _said(ran.stderr)
    assert "Traceback" not in ran.stderr


def test_the_outcome_claim_is_refused_without_an_agreement_and_the_refusal_logged(
    place: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "claims.csv"
    ran = _run(["coordination", "outcome-claims", "--out", str(out), "--as", "owen"], **place)
    assert ran.returncode == 1
    assert "The outcome claim is not released to owen: No sharing agreement in force" in _said(ran.stderr)
    assert not out.exists()
    [entry] = _log(place["database_url"])
    assert (entry.username, entry.purpose, entry.subject_kind, entry.subject_id, entry.outcome) == (
        "owen",
        "outcome_claims",
        "batch",
        "outcome-claims::",
        "deny",
    )


def test_the_outcome_claim_is_written_once_released_with_one_batch_entry(
    place: dict[str, Any], tmp_path: Path
) -> None:
    _agreement(place["database_url"])
    assert _run(["coordination", "check-sustainment", "--today", CHECK_DAY], **place).returncode == 0
    out = tmp_path / "claims.csv"
    ran = _run(
        [
            "coordination",
            "outcome-claims",
            "--out",
            str(out),
            "--as",
            "owen",
            "--from",
            "2025-01-01",
            "--to",
            "2025-01-31",
        ],
        **place,
    )
    assert ran.returncode == 0, ran.stderr
    assert "Wrote 2 rows for 1 household" in ran.stdout
    with out.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(row["outcome_area"], row["result"], row["sustainment"]) for row in rows] == [
        ("domestic_abuse", "achieved", "relapsed"),
        ("early_years", "achieved", "sustained"),
    ]
    assert (
        rows[0]["findings"]
        == "Findings from other agencies' records are withheld under the agreements in force"
    )
    claims = [entry for entry in _log(place["database_url"]) if entry.username == "owen"]
    assert [(entry.subject_id, entry.outcome) for entry in claims] == [
        ("outcome-claims:2025-01-01:2025-01-31", "permit")
    ]


def test_the_outcome_claim_needs_a_user_who_exists(place: dict[str, Any], tmp_path: Path) -> None:
    ran = _run(
        ["coordination", "outcome-claims", "--out", str(tmp_path / "c.csv"), "--as", "nobody"], **place
    )
    assert ran.returncode == 1
    assert "There is no active user called 'nobody'." in _said(ran.stderr)


def test_the_outcome_claim_is_for_programme_managers_only(place: dict[str, Any], tmp_path: Path) -> None:
    _agreement(place["database_url"])
    ran = _run(["coordination", "outcome-claims", "--out", str(tmp_path / "c.csv"), "--as", "pat"], **place)
    assert ran.returncode == 1
    assert "(pat) is not a programme manager" in _said(ran.stderr)
    assert _log(place["database_url"]) == []
