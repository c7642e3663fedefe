"""The access decision through the service, on SQLite and PostgreSQL: facts read fresh from the database, one
access-log entry per call, break-glass reviews and first inquiries recorded, and a matrix of agreement state by
consent state by involvement."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from wholeplace.core.models import Agency
from wholeplace.core.roles import Role
from wholeplace.governance import signing
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import AccessLogEntry, BreakGlassReview, FirstInquiry, LogCheckpoint
from wholeplace.governance.service import agreements, consent, decisions, involvements, log
from wholeplace.governance.service.decisions import Asker, Disclosure, disclose
from wholeplace.sources.lake import Lake

PERSON = Subject("person", "P-ADA")
NAMES = ("given_name", "family_name", "date_of_birth")


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.in_data_dir(tmp_path)


@pytest.fixture
def school(db: Session) -> Agency:
    return factories.agency(db, "Testford Schools")


@pytest.fixture
def housing(db: Session) -> Agency:
    return factories.agency(db, "Testford Homes")


@pytest.fixture
def asker(school: Agency) -> Asker:
    return Asker(username="sam", agency_id=school.id, agency=school.name, role=Role.PRACTITIONER)


def _agreement(db: Session, school: Agency, housing: Agency, clock: FakeClock, **terms: object) -> None:
    in_force(
        db,
        recipients=[school.name, housing.name],
        providers=[school.name, housing.name],
        purposes=["early_help", "front_door_triage"],
        categories={"identity": NAMES, "contact": ("postcode",)},
        at=clock(),
        **terms,  # type: ignore[arg-type]
    )


def _involve(db: Session, agency: Agency, clock: FakeClock, *, ended: bool = False) -> None:
    involvements.open_involvement(
        db,
        person_id=PERSON.id,
        household_id="H-1",
        agency_id=agency.id,
        origin="referral",
        reference="R-1",
        on=clock().date() - timedelta(days=30),
    )
    if ended:
        db.execute(
            involvements.Involvement.__table__.update().values(ended_on=clock().date() - timedelta(days=1))  # type: ignore[attr-defined]
        )


def _ask(db: Session, lake: Lake, asker: Asker, clock: FakeClock, **changes: object) -> Disclosure:
    asked: dict[str, object] = {
        "purpose": "early_help",
        "subject": PERSON,
        "categories": ("identity",),
        "case_reference": "EH-77",
        "at": clock(),
    }
    asked.update(changes)
    return disclose(db, lake, asker=asker, **asked)  # type: ignore[arg-type]


def _entries(db: Session) -> list[AccessLogEntry]:
    return list(db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position)))


def test_a_permitted_disclosure_writes_one_entry_saying_everything(
    db: Session, lake: Lake, asker: Asker, school: Agency, housing: Agency, clock: FakeClock
) -> None:
    _agreement(db, school, housing, clock)
    _involve(db, school, clock)
    disclosure = _ask(db, lake, asker, clock, categories=("identity", "contact"))
    assert disclosure.permitted
    assert disclosure.fields == (*NAMES, "postcode")
    [entry] = _entries(db)
    assert entry.position == disclosure.position
    assert (entry.username, entry.agency, entry.role, entry.purpose) == (
        "sam",
        school.name,
        Role.PRACTITIONER,
        "early_help",
    )
    assert (entry.case_reference, entry.subject_kind, entry.subject_id) == ("EH-77", "person", PERSON.id)
    assert json.loads(entry.categories) == ["identity", "contact"]
    assert json.loads(entry.fields) == [*NAMES, "postcode"]
    [agreement_key] = json.loads(entry.agreements)
    assert agreement_key.endswith("@1")
    assert entry.outcome == "permit"
    assert entry.lawful_basis == "6(1)(e) Public task; Children Act 2004, s.10"
    assert entry.at.startswith(clock().strftime("%Y-%m-%dT%H:%M"))


def test_a_denied_disclosure_is_logged_too(db: Session, lake: Lake, asker: Asker, clock: FakeClock) -> None:
    disclosure = _ask(db, lake, asker, clock)
    assert not disclosure.permitted and disclosure.fields == ()
    [entry] = _entries(db)
    assert entry.outcome == "deny"
    assert json.loads(entry.fields) == []
    assert "No sharing agreement in force" in entry.reason


def test_an_objection_recorded_now_stops_the_next_decision(
    db: Session, lake: Lake, asker: Asker, school: Agency, housing: Agency, clock: FakeClock
) -> None:
    _agreement(db, school, housing, clock)
    _involve(db, school, clock)
    assert _ask(db, lake, asker, clock).permitted
    consent.record_choice(
        db,
        person_id=PERSON.id,
        kind="objection",
        status="given",
        scope=consent.Scope(purposes=frozenset({"early_help"})),
        given_by=consent.GivenBy(),
        evidence="Told her worker on the phone, 3 June",
        by="officer",
        at=clock(),
    )
    clock.advance(seconds=1)
    later = _ask(db, lake, asker, clock)
    assert not later.permitted
    assert "objects" in later.decisions["identity"].reason


def test_withdrawing_an_objection_lets_sharing_resume(
    db: Session, lake: Lake, asker: Asker, school: Agency, housing: Agency, clock: FakeClock
) -> None:
    _agreement(db, school, housing, clock)
    _involve(db, school, clock)
    objection = consent.record_choice(
        db,
        person_id=PERSON.id,
        kind="objection",
        status="given",
        scope=consent.Scope(),
        given_by=consent.GivenBy("Jo Bloggs", "parent"),
        evidence="Letter from her mother",
        by="officer",
        at=clock(),
    )
    consent.change_status(
        db,
        record_id=objection.id,
        status="withdrawn",
        evidence="Mother agreed at the meeting",
        by="o",
        at=clock(),
    )
    assert _ask(db, lake, asker, clock).permitted
    assert len(consent.history_of(db, PERSON.id)) == 2


def test_an_ended_involvement_no_longer_counts(
    db: Session, lake: Lake, asker: Asker, school: Agency, housing: Agency, clock: FakeClock
) -> None:
    _agreement(db, school, housing, clock)
    _involve(db, school, clock, ended=True)
    disclosure = _ask(db, lake, asker, clock)
    assert not disclosure.permitted
    assert "no current involvement" in disclosure.decisions["identity"].reason


def test_break_glass_is_permitted_logged_and_queued_for_review(
    db: Session, lake: Lake, asker: Asker, clock: FakeClock
) -> None:
    reason = "Child found alone at home; paramedics need her allergies now"
    disclosure = _ask(db, lake, asker, clock, purpose="vital_interests", break_glass_reason=reason)
    assert disclosure.permitted
    [entry] = _entries(db)
    assert entry.break_glass and reason in entry.reason
    review = db.scalars(select(BreakGlassReview)).one()
    assert (review.position, review.status) == (entry.position, "awaiting")


def test_the_front_door_first_inquiry_opens_once_and_closes_after_its_hours(
    db: Session, lake: Lake, asker: Asker, school: Agency, housing: Agency, clock: FakeClock
) -> None:
    _agreement(db, school, housing, clock)
    assert _ask(db, lake, asker, clock, purpose="front_door_triage").permitted
    clock.advance(hours=71)
    assert _ask(db, lake, asker, clock, purpose="front_door_triage").permitted
    assert db.scalar(select(func.count()).select_from(FirstInquiry)) == 1
    clock.advance(hours=2)
    closed = _ask(db, lake, asker, clock, purpose="front_door_triage")
    assert not closed.permitted
    assert "closed at" in closed.decisions["identity"].reason


def test_a_purpose_the_place_added_is_decided_like_a_built_in_one(
    db: Session, lake: Lake, asker: Asker, school: Agency, housing: Agency, clock: FakeClock
) -> None:
    agreements.add_purpose(
        db,
        code="youth_justice",
        label="Youth justice prevention",
        description="Preventing offending by young people.",
        roles=[Role.PRACTITIONER],
        needs_involvement=True,
        needs_case_reference=False,
        first_inquiry_hours=None,
        deidentified=False,
        vital_interests=False,
        at=clock(),
    )
    in_force(
        db,
        recipients=[school.name],
        providers=[housing.name],
        purposes=["youth_justice"],
        categories={"identity": NAMES},
        at=clock(),
    )
    _involve(db, school, clock)
    assert _ask(db, lake, asker, clock, purpose="youth_justice").permitted


def test_each_call_writes_exactly_one_entry_whatever_it_asks(
    db: Session, lake: Lake, asker: Asker, school: Agency, housing: Agency, clock: FakeClock
) -> None:
    _agreement(db, school, housing, clock)
    _ask(db, lake, asker, clock, categories=("identity", "contact", "health"))
    _ask(db, lake, asker, clock, purpose="gossip")
    assert [entry.position for entry in _entries(db)] == [1, 2]


AGREEMENT_STATES = ("none", "draft", "active", "suspended", "expired")
CONSENT_STATES = ("none", "objection", "withdrawn_consent", "objection_elsewhere")


@pytest.mark.parametrize("over_objections", [False, True])
def test_the_service_matrix(
    db: Session,
    lake: Lake,
    asker: Asker,
    school: Agency,
    housing: Agency,
    clock: FakeClock,
    over_objections: bool,
) -> None:
    mismatches = []
    for index, (agreement_state, choice, involved) in enumerate(
        itertools.product(AGREEMENT_STATES, CONSENT_STATES, (True, False))
    ):
        subject = Subject("person", f"P-{index}")
        with db.begin_nested() as case:
            _agreement_in_state(db, school, housing, clock, agreement_state, over_objections)
            if involved:
                involvements.open_involvement(
                    db,
                    person_id=subject.id,
                    household_id=None,
                    agency_id=school.id,
                    origin="referral",
                    reference=None,
                    on=clock().date(),
                )
            _choice(db, subject.id, choice, clock, other=housing.name)
            disclosure = _ask(db, lake, asker, clock, subject=subject)
            says_no = choice in ("objection", "withdrawn_consent")
            expected = agreement_state == "active" and involved and (over_objections or not says_no)
            if disclosure.permitted != expected or (expected and disclosure.fields != NAMES):
                mismatches.append(
                    (agreement_state, choice, involved, disclosure.decisions["identity"].reason)
                )
            case.rollback()
    assert mismatches == []


def _agreement_in_state(
    db: Session, school: Agency, housing: Agency, clock: FakeClock, state: str, over_objections: bool
) -> None:
    if state == "none":
        return
    made = in_force(
        db,
        recipients=[school.name],
        providers=[housing.name],
        purposes=["early_help"],
        categories={"identity": NAMES},
        at=clock(),
        overrides_objection=over_objections,
    )
    change = {"suspended": agreements.suspend, "expired": agreements.expire}.get(state)
    if change is not None:
        change(db, agreement_id=made.id, by="officer", at=clock(), reason="For the test")
    if state == "draft":
        agreements.draft(
            db,
            reference=made.reference,
            title="Next version",
            effective_from=made.effective_from,
            expires_on=made.expires_on,
            review_by=made.review_by,
            body=agreements.body_of(made),
            by="officer",
            at=clock(),
        )
        agreements.expire(db, agreement_id=made.id, by="officer", at=clock(), reason="Only the draft remains")


def _choice(db: Session, person_id: str, choice: str, clock: FakeClock, *, other: str) -> None:
    if choice == "none":
        return
    kind, status, scope = {
        "objection": ("objection", "given", consent.Scope()),
        "withdrawn_consent": ("consent", "withdrawn", consent.Scope()),
        "objection_elsewhere": ("objection", "given", consent.Scope(recipients=frozenset({other}))),
    }[choice]
    consent.record_choice(
        db,
        person_id=person_id,
        kind=kind,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        scope=scope,
        given_by=consent.GivenBy(),
        evidence="Recorded for the test",
        by="officer",
        at=clock() - timedelta(seconds=1),
    )


def test_every_so_many_entries_the_head_of_the_log_is_signed(
    db: Session, lake: Lake, asker: Asker, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decisions, "CHECKPOINT_EVERY", 2)
    key = Ed25519PrivateKey.generate()
    for _ in range(5):
        disclose(
            db,
            lake,
            asker=asker,
            purpose="early_help",
            subject=PERSON,
            categories=("identity",),
            case_reference="EH-77",
            at=clock(),
            signing_key=lambda: key,
        )
    assert db.scalars(select(LogCheckpoint.position).order_by(LogCheckpoint.position)).all() == [2, 4]
    assert log.verify(db, public_keys={signing.key_id(key.public_key()): key.public_key()}).valid
