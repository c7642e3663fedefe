"""The lead professional through the service, on SQLite and PostgreSQL: one per household at a time (the
database refuses a second too), assigned with the family's agreement to someone holding the role, and handed
over with a reason, keeping every spell."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.clock import FakeClock
from wholeplace.coordination.models import LeadProfessional, RegisterRecord
from wholeplace.coordination.service import leads
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import Involvement
from wholeplace.governance.service import involvements

HOUSEHOLD = "H-1"


@pytest.fixture
def council(db: Session) -> Agency:
    return factories.agency(db, "Testford Council")


@pytest.fixture
def tom(db: Session, council: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="tom", at=council)


@pytest.fixture
def ana(db: Session, council: Agency) -> User:
    return factories.user(db, Role.LEAD_PROFESSIONAL, username="ana", at=council)


def _assign(db: Session, clock: FakeClock, username: str, **changes: object) -> LeadProfessional:
    given: dict[str, object] = {
        "household_id": HOUSEHOLD,
        "username": username,
        "family_agreed_on": clock().date(),
        "family_agreement": "Both parents agreed at a home visit.",
        "by": "sam",
        "at": clock(),
    }
    given.update(changes)
    return leads.assign(db, **given)  # type: ignore[arg-type]


def _hand_over(db: Session, clock: FakeClock, to: str, **changes: object) -> LeadProfessional:
    given: dict[str, object] = {
        "household_id": HOUSEHOLD,
        "to_username": to,
        "reason": "Tom is moving team.",
        "family_agreed_on": clock().date(),
        "family_agreement": "Mum agreed on the phone.",
        "by": "sam",
        "at": clock(),
    }
    given.update(changes)
    return leads.hand_over(db, **given)  # type: ignore[arg-type]


def test_an_assigned_lead_is_the_household_s_current_lead_with_the_family_s_agreement(
    db: Session, clock: FakeClock, tom: User, council: Agency
) -> None:
    _assign(db, clock, "tom")
    lead = leads.current(db, HOUSEHOLD)
    assert lead is not None
    assert (lead.username, lead.agency_id, lead.assigned_by) == ("tom", council.id, "sam")
    assert (lead.family_agreed_on, lead.family_agreement) == (
        clock().date(),
        "Both parents agreed at a home visit.",
    )
    assert leads.led_by(db, "tom") == [HOUSEHOLD]


def test_a_second_lead_is_refused_while_the_household_has_one(
    db: Session, clock: FakeClock, tom: User, ana: User
) -> None:
    _assign(db, clock, "tom")
    with pytest.raises(ConflictError, match="Hand over to the new lead"):
        _assign(db, clock, "ana")
    assert leads.led_by(db, "ana") == []


def test_the_database_refuses_a_second_current_lead_too(
    db: Session, clock: FakeClock, tom: User, ana: User
) -> None:
    _assign(db, clock, "tom")
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(
            LeadProfessional(
                household_id=HOUSEHOLD,
                username="ana",
                agency_id=ana.agency_id,
                family_agreed_on=clock().date(),
                family_agreement="Agreed.",
                assigned_by="sam",
                started_at=clock(),
            )
        )
        db.flush()


def test_handing_over_ends_the_spell_with_its_reason_and_keeps_the_history(
    db: Session, clock: FakeClock, tom: User, ana: User
) -> None:
    first = _assign(db, clock, "tom")
    clock.advance(days=30)
    second = _hand_over(db, clock, "ana")
    assert leads.current(db, HOUSEHOLD) == second
    assert leads.history(db, HOUSEHOLD) == [second, first]
    assert (first.ended_at, first.ended_by, first.handover_reason) == (clock(), "sam", "Tom is moving team.")
    assert second.family_agreement == "Mum agreed on the phone."
    assert (leads.led_by(db, "tom"), leads.led_by(db, "ana")) == ([], [HOUSEHOLD])


def test_a_handover_needs_a_reason(db: Session, clock: FakeClock, tom: User, ana: User) -> None:
    _assign(db, clock, "tom")
    with pytest.raises(InvalidInputError) as refused:
        _hand_over(db, clock, "ana", reason="  ")
    assert refused.value.field == "handover_reason"
    assert leads.current(db, HOUSEHOLD).username == "tom"  # type: ignore[union-attr]


def test_a_handover_needs_a_current_lead(db: Session, clock: FakeClock, ana: User) -> None:
    with pytest.raises(ConflictError, match="no lead professional"):
        _hand_over(db, clock, "ana")


def test_handing_over_to_the_current_lead_is_refused(db: Session, clock: FakeClock, tom: User) -> None:
    _assign(db, clock, "tom")
    with pytest.raises(InvalidInputError, match="already the lead"):
        _hand_over(db, clock, "tom")


def test_the_family_s_agreement_is_required(db: Session, clock: FakeClock, tom: User) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _assign(db, clock, "tom", family_agreement=" ")
    assert refused.value.field == "family_agreement"
    assert leads.current(db, HOUSEHOLD) is None


def test_the_family_cannot_have_agreed_in_the_future(db: Session, clock: FakeClock, tom: User) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _assign(db, clock, "tom", family_agreed_on=clock().date() + timedelta(days=1))
    assert refused.value.field == "family_agreed_on"


def test_the_family_may_have_agreed_today_as_the_clock_on_the_wall_says(
    db: Session, clock: FakeClock, tom: User
) -> None:
    half_past_midnight_in_london = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 2 June, 00:30 summer time

    lead = _assign(db, clock, "tom", family_agreed_on=date(2026, 6, 2), at=half_past_midnight_in_london)

    assert lead.family_agreed_on == date(2026, 6, 2)


def test_the_lead_must_hold_the_lead_professional_role(
    db: Session, clock: FakeClock, council: Agency
) -> None:
    factories.user(db, Role.PRACTITIONER, username="pat", at=council)
    with pytest.raises(InvalidInputError, match="does not hold the lead professional role"):
        _assign(db, clock, "pat")


def test_the_lead_must_be_an_active_user(db: Session, clock: FakeClock, tom: User) -> None:
    tom.is_active = False
    with pytest.raises(InvalidInputError, match="no active user"):
        _assign(db, clock, "tom")
    with pytest.raises(InvalidInputError, match="no active user"):
        _assign(db, clock, "nobody")


def test_candidates_are_the_active_users_holding_the_role(
    db: Session, tom: User, ana: User, council: Agency
) -> None:
    factories.user(db, Role.PRACTITIONER, username="pat", at=council)
    retired = factories.user(db, Role.LEAD_PROFESSIONAL, username="old", at=council)
    retired.is_active = False
    assert {user.username for user in leads.candidates(db)} == {"tom", "ana"}


def _member(db: Session, person_id: str, agency: Agency) -> None:
    db.add(
        RegisterRecord(
            person_id=person_id,
            household_id=HOUSEHOLD,
            source="schools",
            agency_id=agency.id,
            record_id=f"R-{person_id}",
            given_key="",
            family_key="",
            postcode_key="",
        )
    )
    db.flush()


def test_leading_a_household_involves_the_lead_s_agency_with_each_member(
    db: Session, clock: FakeClock, tom: User, council: Agency
) -> None:
    for person_id in ("P-MUM", "P-CHILD"):
        _member(db, person_id, council)
    _assign(db, clock, "tom")
    for person_id in ("P-MUM", "P-CHILD"):
        assert involvements.is_involved(
            db, agency_id=council.id, subject=Subject("person", person_id), on=clock().date()
        )


def test_a_lead_s_agency_already_working_with_a_member_gets_no_second_involvement(
    db: Session, clock: FakeClock, tom: User, council: Agency
) -> None:
    _member(db, "P-MUM", council)
    involvements.open_involvement(
        db,
        person_id="P-MUM",
        household_id=HOUSEHOLD,
        agency_id=council.id,
        origin="referral",
        reference="R-1",
        on=clock().date() - timedelta(days=3),
    )
    _assign(db, clock, "tom")
    assert (
        db.scalar(select(func.count()).select_from(Involvement).where(Involvement.person_id == "P-MUM")) == 1
    )
