"""Caseloads through the service, on SQLite and PostgreSQL: a worker's households (as lead, action owner or
meeting invitee) with the overdue first, a team manager's view of the team, and the households several agencies
work with that nobody leads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.coordination.test_closure import lead, make_plan, needs_of
from tests.support import factories
from wholeplace.coordination.models import Meeting, MeetingInvitee, Plan, PlanAction
from wholeplace.coordination.service import caseloads
from wholeplace.core import service as core
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role
from wholeplace.governance.service import involvements

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def action(
    db: Session, plan: Plan, user: User, *, due_on: date, status: str = "open", description: str = "Visit"
) -> PlanAction:
    need = needs_of(db, plan)[0]
    made = PlanAction(
        need_id=need.id,
        description=description,
        agency_id=user.agency_id,
        worker_name=user.full_name,
        worker_username=user.username,
        due_on=due_on,
        status=status,
    )
    db.add(made)
    db.flush()
    return made


def meeting(
    db: Session, household_id: str, user: User, *, held_on: datetime, status: str = "planned"
) -> None:
    made = Meeting(
        household_id=household_id,
        kind="Team around the family",
        held_on=held_on,
        status=status,
        arranged_by="sam",
    )
    db.add(made)
    db.flush()
    db.add(
        MeetingInvitee(
            meeting_id=made.id, name=user.full_name, username=user.username, agency_id=user.agency_id
        )
    )
    db.flush()


def involve(db: Session, household_id: str, *agencies: Agency, ended_on: date | None = None) -> None:
    for number, agency in enumerate(agencies):
        made = involvements.open_involvement(
            db,
            person_id=f"{household_id}-P{number}",
            household_id=household_id,
            agency_id=agency.id,
            origin="referral",
            reference=None,
            on=date(2026, 1, 1),
        )
        made.ended_on = ended_on
    db.flush()


@pytest.fixture
def council(db: Session) -> Agency:
    return factories.agency(db, "Testford Council")


@pytest.fixture
def tom(db: Session, council: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="tom", at=council)


def _caseload(db: Session, username: str = "tom", **more: int) -> caseloads.Caseload:
    return caseloads.caseload(db, username=username, today=TODAY, at=NOW, **more)


# ---------------------------------------------------------------- a worker's caseload


def test_a_caseload_holds_the_households_i_lead_act_for_or_meet_about(db: Session, tom: User) -> None:
    lead(db, tom, household_id="H-LEAD")
    action(db, make_plan(db, household_id="H-ACT"), tom, due_on=TODAY + timedelta(days=3))
    meeting(db, "H-MEET", tom, held_on=NOW + timedelta(days=2))
    found = {household.household_id: household.why for household in _caseload(db).households}
    assert found == {"H-LEAD": {"lead"}, "H-ACT": {"actions"}, "H-MEET": {"meeting"}}


def test_a_caseload_leaves_out_done_actions_closed_plans_past_meetings_and_ended_leads(
    db: Session, tom: User
) -> None:
    action(db, make_plan(db, household_id="H-DONE"), tom, due_on=TODAY, status="done")
    closed = make_plan(db, household_id="H-CLOSED")
    action(db, closed, tom, due_on=TODAY)
    closed.status = "closed"
    meeting(db, "H-PAST", tom, held_on=NOW - timedelta(days=1))
    meeting(db, "H-HELD", tom, held_on=NOW + timedelta(days=1), status="held")
    lead(db, tom, household_id="H-ENDED")
    db.execute(caseloads.LeadProfessional.__table__.update().values(ended_at=NOW))  # type: ignore[attr-defined]
    assert _caseload(db).households == []


def test_households_with_overdue_actions_come_first_then_by_the_next_action_due(
    db: Session, tom: User
) -> None:
    action(db, make_plan(db, household_id="H-SOON"), tom, due_on=TODAY + timedelta(days=1))
    action(db, make_plan(db, household_id="H-LATER"), tom, due_on=TODAY + timedelta(days=9))
    late = make_plan(db, household_id="H-LATE")
    action(db, late, tom, due_on=TODAY - timedelta(days=2))
    action(db, late, tom, due_on=TODAY + timedelta(days=20))
    lead(db, tom, household_id="H-NONE")
    shown = _caseload(db).households
    assert [household.household_id for household in shown] == ["H-LATE", "H-SOON", "H-LATER", "H-NONE"]
    assert (shown[0].open_actions, shown[0].overdue_actions, shown[0].next_due) == (
        2,
        1,
        TODAY - timedelta(days=2),
    )


def test_a_caseload_shows_the_lead_and_the_needs_of_the_open_plan(
    db: Session, tom: User, council: Agency
) -> None:
    ana = factories.user(db, Role.LEAD_PROFESSIONAL, username="ana", at=council)
    plan = make_plan(db, household_id="H-1", needs=(("housing", "Rent"), ("education", "School")))
    action(db, plan, tom, due_on=TODAY)
    lead(db, ana, household_id="H-1")
    [household] = _caseload(db).households
    assert (household.lead, household.needs) == ("ana", 2)


def test_my_overdue_actions_are_listed_longest_overdue_first(db: Session, tom: User) -> None:
    plan = make_plan(db, household_id="H-1")
    action(db, plan, tom, due_on=TODAY - timedelta(days=1), description="Call school")
    action(db, plan, tom, due_on=TODAY - timedelta(days=5), description="Home visit")
    action(db, plan, tom, due_on=TODAY, description="Not yet late")
    overdue = _caseload(db).overdue
    assert [found.action.description for found in overdue] == ["Home visit", "Call school"]


def test_a_long_caseload_comes_a_page_at_a_time(db: Session, tom: User) -> None:
    for number in range(5):
        lead(db, tom, household_id=f"H-{number}")
    second = _caseload(db, size=2, page=2)
    assert [household.household_id for household in second.households] == ["H-2", "H-3"]
    assert (second.total, second.pages, second.page) == (5, 3, 2)
    assert _caseload(db, size=2, page=9).page == 3


# ---------------------------------------------------------------- a team


@pytest.fixture
def team(db: Session, council: Agency, tom: User) -> User:
    """Tom's team, managed by Mia; returns Mia."""
    made = core.add_team(db, agency=council, name="Early Help North", now=NOW)
    mia = factories.user(db, Role.TEAM_MANAGER, username="mia", at=council)
    tom.team_id = mia.team_id = made.id
    db.flush()
    return mia


def test_a_team_manager_sees_each_member_s_households_and_actions(db: Session, tom: User, team: User) -> None:
    plan = make_plan(db, household_id="H-1")
    action(db, plan, tom, due_on=TODAY - timedelta(days=1))
    action(db, plan, tom, due_on=TODAY + timedelta(days=1))
    lead(db, tom, household_id="H-2")
    members = {member.username: member for member in caseloads.team_caseloads(db, manager="mia", at=NOW)}
    assert set(members) == {"mia", "tom"}
    assert (members["tom"].households, members["tom"].open_actions, members["tom"].overdue_actions) == (
        2,
        2,
        1,
    )
    assert members["mia"].households == 0


def test_a_team_manager_manages_their_own_team_only(
    db: Session, council: Agency, tom: User, team: User
) -> None:
    other = factories.user(db, Role.PRACTITIONER, username="zed", at=council)
    assert caseloads.manages(db, manager="mia", worker="tom")
    assert not caseloads.manages(db, manager="mia", worker="zed")
    assert not caseloads.manages(db, manager="zed", worker="tom")
    assert other.team_id is None


# ---------------------------------------------------------------- nobody owns the whole


@pytest.fixture
def agencies(db: Session) -> list[Agency]:
    return [factories.agency(db, f"Testford Agency {letter}") for letter in "ABCDE"]


def _unowned(
    db: Session, agencies: list[Agency], *, at_least: int = 3, named: bool = True
) -> caseloads.UnownedPage:
    return caseloads.unowned_households(
        db, at_least=at_least, on=TODAY, agency_ids=[agency.id for agency in agencies], named=named
    )


def test_households_with_enough_agencies_and_no_lead_are_listed_most_agencies_first(
    db: Session, agencies: list[Agency]
) -> None:
    involve(db, "H-THREE", *agencies[:3])
    involve(db, "H-FIVE", *agencies)
    involve(db, "H-TWO", *agencies[:2])
    found = _unowned(db, agencies)
    assert [(household.household_id, household.agency_count) for household in found.households] == [
        ("H-FIVE", 5),
        ("H-THREE", 3),
    ]
    assert found.households[1].agencies == tuple(agency.name for agency in agencies[:3])
    assert [household.household_id for household in _unowned(db, agencies, at_least=2).households][
        -1
    ] == "H-TWO"


def test_a_household_with_a_lead_is_not_unowned(db: Session, agencies: list[Agency], tom: User) -> None:
    involve(db, "H-1", *agencies)
    involve(db, "H-2", *agencies)
    lead(db, tom, household_id="H-1")
    assert [household.household_id for household in _unowned(db, agencies).households] == ["H-2"]


def test_ended_involvements_and_agencies_not_released_do_not_count(
    db: Session, agencies: list[Agency]
) -> None:
    involve(db, "H-1", *agencies[:2])
    involve(db, "H-1", agencies[2], ended_on=TODAY - timedelta(days=1))
    involve(db, "H-2", *agencies[:3])
    assert _unowned(db, agencies).total == 1
    assert _unowned(db, agencies[:2]).total == 0


def test_agency_names_are_left_out_unless_released(db: Session, agencies: list[Agency]) -> None:
    involve(db, "H-1", *agencies)
    [household] = _unowned(db, agencies, named=False).households
    assert (household.agency_count, household.agencies) == (5, ())
