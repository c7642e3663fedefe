"""Alerts through the service, on SQLite and PostgreSQL: the first scan only marks how far it has read; news in
batches ingested after that reaches the workers around the household once, each through a logged decision, and
says only what the decision released."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from wholeplace.coordination.models import (
    Alert,
    AlertScan,
    AlertScannedBatch,
    LeadProfessional,
    Meeting,
    MeetingInvitee,
    PlaceSetting,
    Plan,
    PlanAction,
    PlanNeed,
    Referral,
    RegisterEvent,
    RegisterInvolvement,
    RegisterState,
)
from wholeplace.coordination.service import alerts
from wholeplace.core.errors import NotFoundError
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role, Sector
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import involvements
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping

HOUSEHOLD, PERSON = "H-1", "P-ADA"
POLICE_MAPPING = """\
source: police
agency: Testford Police
entity: person
format: {type: csv}
record_id: ref
columns:
  given_name: forenames
"""
INCIDENT_DAY = date(2026, 10, 30)
_numbers = iter(range(1, 10_000))


@pytest.fixture
def police(db: Session) -> Agency:
    return factories.agency(db, "Testford Police", sector=Sector.POLICE)


@pytest.fixture
def council(db: Session) -> Agency:
    return factories.agency(db, "Testford Council", sector=Sector.LOCAL_GOVERNMENT)


@pytest.fixture
def homes(db: Session) -> Agency:
    return factories.agency(db, "Testford Homes", sector=Sector.HOUSING)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.in_data_dir(tmp_path)


@pytest.fixture
def lead(db: Session, council: Agency, police: Agency, clock: FakeClock) -> User:
    """The household's lead professional, at a council working with the household."""
    sources.register_source(
        db, mapping=parse_mapping(POLICE_MAPPING, file="police.yaml"), by="test", now=clock()
    )
    user = factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="lee", at=council)
    db.add(
        LeadProfessional(
            household_id=HOUSEHOLD,
            username="lee",
            agency_id=council.id,
            family_agreed_on=clock().date(),
            family_agreement="Mum agreed at a home visit.",
            assigned_by="lee",
            started_at=clock(),
        )
    )
    involvements.open_involvement(
        db,
        person_id=PERSON,
        household_id=HOUSEHOLD,
        agency_id=council.id,
        origin="referral",
        reference="R-1",
        on=clock().date() - timedelta(days=60),
    )
    return user


def _agree(
    db: Session, clock: FakeClock, council: Agency, providers: list[Agency], **categories: Sequence[str]
) -> None:
    in_force(
        db,
        recipients=[council.name],
        providers=[agency.name for agency in providers],
        purposes=["early_help"],
        categories=categories,
        at=clock(),
    )


def _batch(db: Session, lake: Lake, police: Agency, at: datetime) -> uuid.UUID:
    """An ingest batch loaded at `at` (its rows in the lake are not what these tests are about)."""
    number = next(_numbers)
    return sources.push_records(
        db,
        source_name="police",
        agency=police,
        records=[{"record_id": f"NOM-{number}", "given_name": "Ada"}],
        lake=lake,
        by="test",
        now=at,
    ).batch_id


def _event(db: Session, batch: uuid.UUID, agency: Agency, **changes: object) -> None:
    given: dict[str, object] = {
        "person_id": PERSON,
        "household_id": HOUSEHOLD,
        "source": "police",
        "agency_id": agency.id,
        "record_id": "NOM-1",
        "type": "domestic_abuse_incident",
        "occurred_on": INCIDENT_DAY,
        "role": "victim",
        "reference": "VP-1",
        "detail": "Neighbour called; door broken.",
        "category": "criminal_offence",
        "batch_id": batch,
    }
    given.update(changes)
    db.add(RegisterEvent(**given))
    db.flush()


def _involvement(db: Session, batch: uuid.UUID, agency: Agency, **changes: object) -> None:
    given: dict[str, object] = {
        "person_id": PERSON,
        "household_id": HOUSEHOLD,
        "source": "housing",
        "agency_id": agency.id,
        "record_id": "T-1",
        "type": "tenancy",
        "started_on": INCIDENT_DAY,
        "batch_id": batch,
    }
    given.update(changes)
    db.add(RegisterInvolvement(**given))
    db.flush()


def _registered(db: Session, at: datetime) -> None:
    """The register as rebuilt at `at`, holding every batch loaded by then."""
    state = db.get(RegisterState, 1)
    if state is None:
        db.add(RegisterState(id=1, link_run=1, rebuilt_at=at))
    else:
        state.rebuilt_at = at
    db.flush()


@pytest.fixture
def watermarked(
    db: Session, tmp_path: Path, lake: Lake, police: Agency, clock: FakeClock, lead: User
) -> datetime:
    """History loaded and scanned once; returns the time a new batch arrives."""
    history = _batch(db, lake, police, clock())
    _event(db, history, police, reference="VP-OLD", occurred_on=date(2025, 1, 1))
    _registered(db, clock())
    assert alerts.scan(db, data_dir=tmp_path, at=clock()).first
    clock.advance(hours=1)
    return clock()


def _scan(db: Session, data_dir: Path, clock: FakeClock) -> alerts.ScanResult:
    """Rebuild the register a minute later and scan."""
    clock.advance(minutes=1)
    _registered(db, clock())
    return alerts.scan(db, data_dir=data_dir, at=clock())


def _log(db: Session) -> list[AccessLogEntry]:
    return list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position)))


def test_the_first_scan_marks_how_far_it_read_without_alerting(
    db: Session, tmp_path: Path, lake: Lake, police: Agency, clock: FakeClock, lead: User
) -> None:
    history = _batch(db, lake, police, clock())
    _event(db, history, police)
    _registered(db, clock())
    result = alerts.scan(db, data_dir=tmp_path, at=clock())
    assert result == alerts.ScanResult(first=True, batches=0, alerted=0, refused=0)
    mark = db.get(AlertScan, alerts.SCAN_ROW)
    assert mark is not None and mark.scanned_at == clock()
    assert set(db.scalars(select(AlertScannedBatch.batch_id))) == {history}
    assert alerts.inbox(db, username="lee") == [] and _log(db) == []


def test_a_significant_event_alerts_the_lead_with_only_what_was_released(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [police], criminal_offence=("event.type", "event.date"))
    _event(db, _batch(db, lake, police, watermarked), police)
    result = _scan(db, tmp_path, clock)
    assert (result.batches, result.alerted, result.refused) == (1, 1, 0)
    [alert] = alerts.inbox(db, username="lee")
    assert alert.summary == "Testford Police recorded a domestic-abuse incident on 30 October 2026."
    assert (alert.kind, alert.household_id, alert.occurred_on) == (
        "significant_event",
        HOUSEHOLD,
        INCIDENT_DAY,
    )
    [entry] = _log(db)
    assert entry.position == alert.decision_position
    assert (entry.username, entry.purpose, entry.subject_kind, entry.subject_id, entry.outcome) == (
        "lee",
        "early_help",
        "household",
        HOUSEHOLD,
        "permit",
    )
    assert json.loads(entry.categories) == ["criminal_offence"]


def test_the_detail_is_told_only_where_the_decision_released_it(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [police], criminal_offence=("event.type", "event.date", "event.detail"))
    _event(db, _batch(db, lake, police, watermarked), police)
    _scan(db, tmp_path, clock)
    [alert] = alerts.inbox(db, username="lee")
    assert alert.summary.endswith("on 30 October 2026: Neighbour called; door broken.")


def test_an_event_of_another_sector_asks_for_its_detail_apart(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    homes: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [homes], events=("event.type",))
    _event(
        db, _batch(db, lake, police, watermarked), homes, type="eviction", category="events", source="housing"
    )
    _scan(db, tmp_path, clock)
    [alert] = alerts.inbox(db, username="lee")
    assert alert.summary == "Testford Homes recorded an eviction notice."
    assert alert.occurred_on is None
    [entry] = _log(db)
    assert json.loads(entry.categories) == ["events", "event_detail"]


def test_the_same_event_never_alerts_twice(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [police], criminal_offence=("event.type", "event.date"))
    _event(db, _batch(db, lake, police, watermarked), police)
    _scan(db, tmp_path, clock)
    _event(
        db, _batch(db, lake, police, clock()), police, record_id="NOM-2", person_id="P-BEN", role="suspect"
    )
    again = _scan(db, tmp_path, clock)
    assert (again.batches, again.alerted) == (1, 0)
    assert len(alerts.inbox(db, username="lee")) == 1
    assert len(_log(db)) == 1


def test_no_alert_when_the_decision_refuses(
    db: Session, tmp_path: Path, lake: Lake, police: Agency, clock: FakeClock, watermarked: datetime
) -> None:
    _event(db, _batch(db, lake, police, watermarked), police)
    result = _scan(db, tmp_path, clock)
    assert (result.alerted, result.refused) == (0, 1)
    assert alerts.inbox(db, username="lee") == []
    [entry] = _log(db)
    assert (entry.username, entry.outcome) == ("lee", "deny")


def test_the_workers_own_agency_s_event_is_told_through_a_logged_decision(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _event(
        db,
        _batch(db, lake, police, watermarked),
        council,
        type="concern_for_child",
        category="events",
        detail="Teacher raised it.",
    )
    result = _scan(db, tmp_path, clock)
    assert result.alerted == 1
    [alert] = alerts.inbox(db, username="lee")
    assert (
        alert.summary
        == "Testford Council recorded a concern for a child on 30 October 2026: Teacher raised it."
    )
    assert [entry.outcome for entry in _log(db)] == ["deny"]


def test_an_event_that_is_not_significant_alerts_nobody(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [police], criminal_offence=("event.type",))
    _event(db, _batch(db, lake, police, watermarked), police, type="crime")
    assert _scan(db, tmp_path, clock).alerted == 0
    assert _log(db) == []


def test_a_place_chooses_its_significant_events(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    db.add(PlaceSetting(key="significant_events", value=["crime"], changed_by="admin", changed_at=clock()))
    _agree(db, clock, council, [police], criminal_offence=("event.type",))
    batch = _batch(db, lake, police, watermarked)
    _event(db, batch, police, type="crime", reference="VP-2")
    _event(db, batch, police)
    _scan(db, tmp_path, clock)
    [alert] = alerts.inbox(db, username="lee")
    assert alert.summary == "Testford Police recorded a crime."


def test_batches_the_register_does_not_hold_yet_wait_for_it(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [police], criminal_offence=("event.type",))
    _event(db, _batch(db, lake, police, watermarked), police)
    assert alerts.scan(db, data_dir=tmp_path, at=clock()).batches == 0
    assert _scan(db, tmp_path, clock).alerted == 1


def test_an_agency_newly_involved_with_the_household_alerts(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    homes: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [homes], involvement=("involvement.agency", "involvement.type"))
    _involvement(db, _batch(db, lake, police, watermarked), homes)
    result = _scan(db, tmp_path, clock)
    assert result.alerted == 1
    [alert] = alerts.inbox(db, username="lee")
    assert (alert.kind, alert.summary) == (
        "new_involvement",
        "Testford Homes began working with the household (tenancy).",
    )


def test_an_agency_involved_before_does_not_alert_again(
    db: Session,
    tmp_path: Path,
    lake: Lake,
    police: Agency,
    council: Agency,
    homes: Agency,
    clock: FakeClock,
    watermarked: datetime,
) -> None:
    _agree(db, clock, council, [homes], involvement=("involvement.agency",))
    read_before = _batch(db, lake, police, watermarked - timedelta(minutes=90))
    _involvement(db, read_before, homes, record_id="T-OLD")
    db.add(AlertScannedBatch(batch_id=read_before))
    _involvement(db, _batch(db, lake, police, watermarked), homes)
    assert _scan(db, tmp_path, clock).alerted == 0


def test_the_workers_around_a_household_are_its_lead_plan_workers_invitees_and_referrers(
    db: Session, clock: FakeClock, lead: User, council: Agency, police: Agency
) -> None:
    plan = Plan(
        household_id=HOUSEHOLD,
        status="open",
        version=1,
        family_words="",
        family_priorities="",
        opened_by="lee",
        opened_at=clock(),
    )
    db.add(plan)
    db.flush()
    need = PlanNeed(
        plan_id=plan.id, outcome_area="housing", description="Rent arrears", goal="Keep the home", position=1
    )
    db.add(need)
    db.flush()
    for worker, status in (("ash", "open"), ("done-worker", "done")):
        db.add(
            PlanAction(
                need_id=need.id,
                description="Call the landlord",
                agency_id=council.id,
                worker_name=worker,
                worker_username=worker,
                due_on=clock().date(),
                status=status,
            )
        )
    meeting = Meeting(
        household_id=HOUSEHOLD,
        kind="Team around the family",
        held_on=clock(),
        status="planned",
        arranged_by="lee",
    )
    db.add(meeting)
    db.flush()
    db.add(MeetingInvitee(meeting_id=meeting.id, name="Bo", username="bo", agency_id=police.id))
    db.add(MeetingInvitee(meeting_id=meeting.id, name="Mum", username=None, agency_id=council.id))
    db.add(
        Referral(
            household_id=HOUSEHOLD,
            person_id=PERSON,
            from_agency_id=police.id,
            from_username="cy",
            to_agency_id=council.id,
            purpose="early_help",
            reason="",
            urgency="routine",
            decision_position=1,
            made_at=clock(),
            respond_by=clock(),
            status="accepted",
            responded_by="di",
        )
    )
    db.flush()
    assert alerts.workers_around(db) == {HOUSEHOLD: {"lee", "ash", "bo", "cy", "di"}}


def test_the_inbox_puts_unread_first_then_newest(db: Session, clock: FakeClock) -> None:
    made = {}
    for number, about in enumerate(("first", "second", "third")):
        made[about] = alerts.notify(
            db,
            username="lee",
            household_id=HOUSEHOLD,
            kind="significant_event",
            about=about,
            summary=about,
            occurred_on=None,
            at=clock() + timedelta(minutes=number),
            decision_position=None,
        )
    third = made["third"]
    assert third is not None
    alerts.mark_read(db, alert_id=third.id, username="lee", at=clock())
    assert [alert.about for alert in alerts.inbox(db, username="lee")] == ["second", "first", "third"]
    assert alerts.unread_count(db, "lee") == 2


def test_only_the_alert_s_worker_marks_it_read(db: Session, clock: FakeClock) -> None:
    alert = alerts.notify(
        db,
        username="lee",
        household_id=HOUSEHOLD,
        kind="significant_event",
        about="one",
        summary="one",
        occurred_on=None,
        at=clock(),
        decision_position=None,
    )
    assert alert is not None
    with pytest.raises(NotFoundError):
        alerts.mark_read(db, alert_id=alert.id, username="someone-else", at=clock())
    assert db.scalar(select(func.count()).select_from(Alert).where(Alert.read_at.is_not(None))) == 0
