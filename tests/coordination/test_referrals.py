"""Referrals through the service, on SQLite and PostgreSQL: what a referral passes on is decided for the receiving
agency and logged under the referrer's name; the time to answer runs from the urgency; only the receiving agency
answers, with a reason, and accepting opens its involvement with the person."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from wholeplace.coordination.models import PlaceSetting, Referral, RegisterRecord
from wholeplace.coordination.service import access, alerts, referrals
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role, Sector
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import decisions, involvements
from wholeplace.sources.lake import Lake

PERSON, HOUSEHOLD = "P-ADA", "H-1"
REFERRED: dict[str, Sequence[str]] = {
    "identity": ("given_name", "family_name", "date_of_birth"),
    "contact": ("address_line_1", "postcode"),
    "involvement": ("involvement.agency",),
}


@pytest.fixture
def police(db: Session) -> Agency:
    return factories.agency(db, "Testford Police", sector=Sector.POLICE)


@pytest.fixture
def council(db: Session) -> Agency:
    return factories.agency(db, "Testford Council", sector=Sector.LOCAL_GOVERNMENT)


@pytest.fixture
def officer(db: Session, police: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, username="pc-jones", at=police)


@pytest.fixture
def worker(db: Session, council: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="lee", at=council)


@pytest.fixture(autouse=True)
def ada(db: Session, police: Agency) -> None:
    db.add(
        RegisterRecord(
            person_id=PERSON,
            household_id=HOUSEHOLD,
            source="police",
            agency_id=police.id,
            record_id="NOM-1",
            given_name="Ada",
            family_name="Lovelace",
            given_key="ada",
            family_key="lovelace",
            postcode="TF1 1AA",
            postcode_key="TF11AA",
            address="1 Analytical Row",
        )
    )
    db.flush()


def _agreement(db: Session, clock: FakeClock, police: Agency, council: Agency, **terms: object) -> None:
    in_force(
        db,
        recipients=[council.name],
        providers=[police.name],
        purposes=["early_help"],
        categories=REFERRED,
        at=clock(),
        **terms,  # type: ignore[arg-type]
    )


def _refer(
    db: Session, tmp_path: Path, clock: FakeClock, officer: User, to: Agency, **changes: object
) -> Referral:
    given: dict[str, object] = {
        "data_dir": tmp_path,
        "viewer": access.viewer_of(officer),
        "person_id": PERSON,
        "household_id": HOUSEHOLD,
        "to_agency_id": to.id,
        "purpose": "early_help",
        "reason": "Three call-outs to the home this month; the children are missing school.",
        "urgency": "urgent",
        "case_reference": "",
        "at": clock(),
    }
    given.update(changes)
    return referrals.make(db, **given)  # type: ignore[arg-type]


@pytest.fixture
def referral(
    db: Session,
    tmp_path: Path,
    clock: FakeClock,
    police: Agency,
    council: Agency,
    officer: User,
    worker: User,
) -> Referral:
    _agreement(db, clock, police, council)
    return _refer(db, tmp_path, clock, officer, council)


def _answer(db: Session, clock: FakeClock, referral: Referral, user: User, **changes: object) -> Referral:
    given: dict[str, object] = {
        "referral_id": referral.id,
        "by_username": user.username,
        "by_agency_id": user.agency_id,
        "reason": "Allocated to the family support team.",
        "at": clock(),
    }
    given.update(changes)
    return referrals.accept(db, **given)  # type: ignore[arg-type]


def test_a_referral_without_an_agreement_is_refused_with_the_reason_and_what_to_do(
    db: Session, tmp_path: Path, clock: FakeClock, council: Agency, officer: User
) -> None:
    with pytest.raises(referrals.ReferralRefusedError) as refused:
        _refer(db, tmp_path, clock, officer, council)
    assert "No sharing agreement in force lets Testford Council see" in str(refused.value)
    assert "Ask your information governance officer" in refused.value.fix
    entry = db.get(AccessLogEntry, refused.value.position)
    assert entry is not None
    assert (entry.username, entry.agency, entry.outcome) == ("pc-jones", "Testford Council", "deny")
    assert entry.reason.startswith("Referral from Testford Police: ")
    assert db.scalars(select(Referral)).all() == []


def test_a_referral_under_an_agreement_waits_for_an_answer_with_its_decision_logged(
    db: Session, clock: FakeClock, referral: Referral, police: Agency, council: Agency
) -> None:
    assert (referral.status, referral.from_agency_id, referral.to_agency_id) == (
        "waiting",
        police.id,
        council.id,
    )
    assert referral.respond_by == clock() + timedelta(hours=24)
    entry = db.get(AccessLogEntry, referral.decision_position)
    assert entry is not None
    assert (entry.username, entry.agency, entry.subject_id, entry.outcome) == (
        "pc-jones",
        "Testford Council",
        PERSON,
        "permit",
    )
    assert json.loads(entry.categories) == list(referrals.CATEGORIES)
    assert "given_name" in json.loads(entry.fields)


def test_a_referral_needs_no_involvement_of_the_receiving_agency_yet(
    db: Session, tmp_path: Path, clock: FakeClock, referral: Referral, council: Agency
) -> None:
    assert not involvements.is_involved(
        db, agency_id=council.id, subject=Subject("person", PERSON), on=clock().date()
    )


def test_a_referral_rests_on_consent_asks_for_it(
    db: Session, tmp_path: Path, clock: FakeClock, police: Agency, council: Agency, officer: User
) -> None:
    _agreement(db, clock, police, council, basis="6(1)(a)")
    with pytest.raises(referrals.ReferralRefusedError) as refused:
        _refer(db, tmp_path, clock, officer, council)
    assert "there is no current consent" in refused.value.problem
    assert refused.value.fix.startswith("Ask the family for consent")


def test_the_referrer_s_agency_must_be_one_the_agreement_lets_provide(
    db: Session, tmp_path: Path, clock: FakeClock, police: Agency, council: Agency, officer: User
) -> None:
    other = factories.agency(db, "Testford Homes")
    in_force(
        db,
        recipients=[council.name],
        providers=[other.name],
        purposes=["early_help"],
        categories=REFERRED,
        at=clock(),
    )
    with pytest.raises(referrals.ReferralRefusedError) as refused:
        _refer(db, tmp_path, clock, officer, council)
    assert (
        "lets Testford Police pass name, date of birth and sex to Testford Council" in refused.value.problem
    )


def test_a_place_may_change_the_hours_to_answer(
    db: Session, tmp_path: Path, clock: FakeClock, police: Agency, council: Agency, officer: User
) -> None:
    db.add(PlaceSetting(key="response_hours", value={"urgent": 8}, changed_by="admin", changed_at=clock()))
    _agreement(db, clock, police, council)
    referral = _refer(db, tmp_path, clock, officer, council)
    assert referral.respond_by == clock() + timedelta(hours=8)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"urgency": "whenever"}, "urgency"),
        ({"person_id": "P-NOBODY"}, "person"),
        ({"household_id": "H-OTHER"}, "person"),
    ],
)
def test_a_referral_is_refused_before_any_decision_when_the_form_is_wrong(
    db: Session,
    tmp_path: Path,
    clock: FakeClock,
    council: Agency,
    officer: User,
    changes: dict[str, object],
    field: str,
) -> None:
    with pytest.raises(InvalidInputError) as wrong:
        _refer(db, tmp_path, clock, officer, council, **changes)
    assert wrong.value.field == field
    assert db.scalars(select(AccessLogEntry)).all() == []


def test_a_referral_goes_to_another_agency(
    db: Session, tmp_path: Path, clock: FakeClock, police: Agency, officer: User
) -> None:
    with pytest.raises(InvalidInputError, match="another agency"):
        _refer(db, tmp_path, clock, officer, police)


def test_the_receiving_agency_s_practitioners_are_alerted(
    db: Session, referral: Referral, worker: User, officer: User
) -> None:
    [alert] = alerts.inbox(db, username=worker.username)
    assert (alert.kind, alert.about, alert.decision_position) == (
        "referral",
        f"referral:{referral.id}",
        referral.decision_position,
    )
    assert alert.summary.startswith("Referral from Testford Police, urgent: answer by 3 November 2026")
    assert alerts.inbox(db, username=officer.username) == []


def test_accepting_opens_the_receiving_agency_s_involvement(
    db: Session, tmp_path: Path, clock: FakeClock, referral: Referral, worker: User, council: Agency
) -> None:
    clock.advance(hours=2)
    accepted = _answer(db, clock, referral, worker)
    assert (accepted.status, accepted.responded_by, accepted.responded_at) == ("accepted", "lee", clock())
    assert accepted.involvement_id is not None
    asker = decisions.Asker(username="lee", agency_id=council.id, agency=council.name, role=Role.PRACTITIONER)
    disclosure = decisions.disclose(
        db,
        Lake.in_data_dir(tmp_path),
        asker=asker,
        purpose="early_help",
        subject=Subject("person", PERSON),
        categories=("identity",),
        case_reference="",
        at=clock(),
    )
    assert "because it is working with this person" in disclosure.decisions["identity"].reason


def test_the_referrer_hears_the_answer(
    db: Session, clock: FakeClock, referral: Referral, worker: User
) -> None:
    referrals.decline(
        db,
        referral_id=referral.id,
        by_username=worker.username,
        by_agency_id=worker.agency_id,
        reason="Already open to children's services.",
        at=clock(),
    )
    [alert] = alerts.inbox(db, username="pc-jones")
    assert alert.summary == "Testford Council declined your referral of 2 November 2026."


def test_declining_needs_a_reason(db: Session, clock: FakeClock, referral: Referral, worker: User) -> None:
    with pytest.raises(InvalidInputError) as wrong:
        referrals.decline(
            db,
            referral_id=referral.id,
            by_username=worker.username,
            by_agency_id=worker.agency_id,
            reason=" ",
            at=clock(),
        )
    assert wrong.value.field == "reason"
    assert referral.status == "waiting"


def test_only_the_receiving_agency_may_accept(
    db: Session, clock: FakeClock, referral: Referral, officer: User
) -> None:
    with pytest.raises(referrals.NotYoursToAnswerError, match="Only Testford Council can accept"):
        _answer(db, clock, referral, officer)


def test_an_answered_referral_cannot_change_again(
    db: Session, clock: FakeClock, referral: Referral, worker: User, officer: User
) -> None:
    _answer(db, clock, referral, worker)
    with pytest.raises(ConflictError, match="was accepted on 2 November 2026"):
        referrals.withdraw(
            db,
            referral_id=referral.id,
            by_username=officer.username,
            by_agency_id=officer.agency_id,
            reason="No longer needed.",
            at=clock(),
        )


def test_the_referrer_s_agency_may_withdraw_a_waiting_referral(
    db: Session, clock: FakeClock, referral: Referral, officer: User
) -> None:
    withdrawn = referrals.withdraw(
        db,
        referral_id=referral.id,
        by_username=officer.username,
        by_agency_id=officer.agency_id,
        reason="The family moved away.",
        at=clock(),
    )
    assert (withdrawn.status, withdrawn.response_reason) == ("withdrawn", "The family moved away.")


def test_received_referrals_show_waiting_first_with_their_timers(
    db: Session,
    tmp_path: Path,
    clock: FakeClock,
    referral: Referral,
    officer: User,
    worker: User,
    council: Agency,
) -> None:
    routine = _refer(db, tmp_path, clock, officer, council, urgency="routine")
    immediate = _refer(db, tmp_path, clock, officer, council, urgency="immediate")
    _answer(db, clock, routine, worker)
    listed = referrals.received(db, agency_id=council.id, at=clock() + timedelta(hours=6))
    assert [(row.referral.id, row.overdue, row.time_left) for row in listed] == [
        (immediate.id, True, "overdue by 2 hours"),
        (referral.id, False, "18 hours left"),
        (routine.id, False, ""),
    ]
    assert {row.from_agency for row in listed} == {"Testford Police"}


def test_sent_referrals_are_the_agency_s_own(
    db: Session, clock: FakeClock, referral: Referral, police: Agency, council: Agency
) -> None:
    assert [row.referral.id for row in referrals.sent(db, agency_id=police.id, at=clock())] == [referral.id]
    assert referrals.sent(db, agency_id=council.id, at=clock()) == []


def test_the_receiving_agency_sees_the_person_only_as_the_decision_released(
    db: Session, tmp_path: Path, clock: FakeClock, police: Agency, council: Agency, officer: User
) -> None:
    in_force(
        db,
        recipients=[council.name],
        providers=[police.name],
        purposes=["early_help"],
        categories={**REFERRED, "identity": ("given_name",), "contact": ("town",)},
        at=clock(),
    )
    referral = _refer(db, tmp_path, clock, officer, council)
    received = referrals.person_shown(db, referral, agency_id=council.id)
    assert (received.name, received.date_of_birth, received.address, received.postcode) == (
        "Ada",
        None,
        None,
        None,
    )
    sent = referrals.person_shown(db, referral, agency_id=police.id)
    assert (sent.name, sent.address) == ("Ada Lovelace", "1 Analytical Row")


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        (3.5, "3 hours left"),
        (0.25, "15 minutes left"),
        (1, "1 hour left"),
        (47, "47 hours left"),
        (72, "3 days left"),
        (-2, "overdue by 2 hours"),
        (-49, "overdue by 2 days"),
    ],
)
def test_time_left_is_said_in_the_largest_whole_unit(hours: float, said: str) -> None:
    now = datetime(2027, 3, 3, 9, tzinfo=UTC)
    assert referrals.time_left(now + timedelta(hours=hours), now) == said


UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@given(st.integers(min_value=-10_000_000, max_value=10_000_000))
def test_time_left_counts_whole_units_of_the_time_to_or_since_the_moment(seconds: int) -> None:
    now = datetime(2027, 3, 3, 9, tzinfo=UTC)
    said = referrals.time_left(now + timedelta(seconds=seconds), now)
    assert said.endswith(" left") if seconds >= 0 else said.startswith("overdue by ")
    count, unit = said.removeprefix("overdue by ").removesuffix(" left").split()
    size = UNIT_SECONDS[unit.rstrip("s")]
    assert int(count) * size <= abs(seconds) < (int(count) + 1) * size
