"""Meetings through the service, on SQLite and PostgreSQL: arranged for the household's open plan with at
least one invitee, recorded once with attendance and notes, and decisions that become actions in the plan
(with the meeting named and a version of the plan saying so)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.clock import FakeClock
from wholeplace.coordination.models import Meeting, Plan, PlanNeed
from wholeplace.coordination.service import meetings, plans
from wholeplace.coordination.service.meetings import ActionInput, DecisionInput, Invitee
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role

HOUSEHOLD = "H-1"


@pytest.fixture
def homes(db: Session) -> Agency:
    return factories.agency(db, "Testford Homes")


@pytest.fixture
def gabriel(db: Session, homes: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, username="gabriel", at=homes)


@pytest.fixture
def plan(db: Session, clock: FakeClock) -> Plan:
    return plans.open_plan(
        db,
        household_id=HOUSEHOLD,
        family_words="We want to stay.",
        family_priorities="",
        by="tom",
        at=clock(),
    )


@pytest.fixture
def need(db: Session, plan: Plan, clock: FakeClock) -> PlanNeed:
    return plans.add_need(
        db,
        plan_id=plan.id,
        outcome_area="housing",
        description="Rent arrears",
        goal="Keep the home",
        by="tom",
        at=clock(),
    )


def _arrange(db: Session, clock: FakeClock, homes: Agency, **changes: object) -> Meeting:
    given: dict[str, object] = {
        "household_id": HOUSEHOLD,
        "kind": "Team around the family",
        "held_on": datetime(2026, 3, 3, 10, 0, tzinfo=clock().tzinfo),
        "invitees": [Invitee("Gabriel Davies", homes.id, "gabriel"), Invitee("Mo Khan", homes.id)],
        "by": "tom",
        "at": clock(),
    }
    given.update(changes)
    return meetings.arrange(db, **given)  # type: ignore[arg-type]


def _record(db: Session, clock: FakeClock, meeting: Meeting, **changes: object) -> Meeting:
    given: dict[str, object] = {
        "meeting_id": meeting.id,
        "attendance": {},
        "notes": "Everyone agreed the arrears come first.",
        "decisions": [],
        "by": "tom",
        "at": clock(),
    }
    given.update(changes)
    return meetings.record(db, **given)  # type: ignore[arg-type]


def test_a_meeting_is_arranged_for_the_open_plan_with_its_invitees(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User, plan: Plan
) -> None:
    meeting = _arrange(db, clock, homes)
    assert (meeting.plan_id, meeting.status, meeting.arranged_by) == (plan.id, "planned", "tom")
    assert [(one.name, one.username, one.attended) for one in meetings.invitees(db, meeting.id)] == [
        ("Gabriel Davies", "gabriel", None),
        ("Mo Khan", None, None),
    ]
    assert meetings.meetings_of(db, HOUSEHOLD) == [meeting]


def test_a_meeting_without_a_plan_belongs_to_none(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User
) -> None:
    assert _arrange(db, clock, homes).plan_id is None


def test_a_meeting_needs_an_invitee_and_a_known_kind(db: Session, clock: FakeClock, homes: Agency) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _arrange(db, clock, homes, invitees=[])
    assert refused.value.field == "invitees"
    with pytest.raises(InvalidInputError) as refused:
        _arrange(db, clock, homes, kind="party")
    assert refused.value.field == "kind"


def test_an_invitee_who_uses_wholeplace_works_for_the_agency_named(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User
) -> None:
    schools = factories.agency(db, "Testford Schools")
    with pytest.raises(InvalidInputError, match="does not work for Testford Schools"):
        _arrange(db, clock, homes, invitees=[Invitee("Gabriel Davies", schools.id, "gabriel")])


def test_recording_marks_the_meeting_held_with_who_came_and_the_notes(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User
) -> None:
    meeting = _arrange(db, clock, homes)
    gabriel_there, mo = meetings.invitees(db, meeting.id)
    _record(db, clock, meeting, attendance={gabriel_there.id: True})
    assert (meeting.status, meeting.notes, meeting.recorded_by) == (
        "held",
        "Everyone agreed the arrears come first.",
        "tom",
    )
    assert (gabriel_there.attended, mo.attended) == (True, False)


def test_a_meeting_is_recorded_once(db: Session, clock: FakeClock, homes: Agency, gabriel: User) -> None:
    meeting = _arrange(db, clock, homes)
    _record(db, clock, meeting)
    with pytest.raises(ConflictError, match="already been recorded"):
        _record(db, clock, meeting)


def test_a_meeting_is_recorded_once_it_has_been_held(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User
) -> None:
    meeting = _arrange(db, clock, homes, held_on=clock() + timedelta(days=1))
    with pytest.raises(ConflictError, match="once it has been held"):
        _record(db, clock, meeting)


def test_attendance_names_only_invitees_and_notes_are_required(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User
) -> None:
    meeting = _arrange(db, clock, homes)
    with pytest.raises(InvalidInputError, match="not invited"):
        _record(db, clock, meeting, attendance={uuid.uuid4(): True})
    with pytest.raises(InvalidInputError) as refused:
        _record(db, clock, meeting, notes=" ")
    assert refused.value.field == "notes"
    assert meeting.status == "planned"


def test_a_decision_with_an_action_becomes_an_action_of_the_plan_from_the_meeting(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User, plan: Plan, need: PlanNeed
) -> None:
    meeting = _arrange(db, clock, homes)
    due = clock().date() + timedelta(days=7)
    action = ActionInput(
        need.id, "Apply for a discretionary housing payment", homes.id, "Gabriel Davies", "gabriel", due
    )
    _record(
        db,
        clock,
        meeting,
        decisions=[DecisionInput("Arrears come first", action), DecisionInput("Meet again in six weeks")],
    )
    first, second = meetings.decisions_of(db, meeting.id)
    assert (first.text, second.text, second.action_id) == (
        "Arrears come first",
        "Meet again in six weeks",
        None,
    )
    [made] = plans.contents(db, plan).needs[0].actions
    assert str(first.action_id) == made.id
    assert (made.description, made.worker_username, made.due_on, made.meeting_id) == (
        "Apply for a discretionary housing payment",
        "gabriel",
        due,
        str(meeting.id),
    )
    latest = plans.versions(db, plan.id)[0]
    assert (
        latest.change
        == "Action agreed at the meeting on 3 March 2026: 'Apply for a discretionary housing payment'"
    )
    assert latest.snapshot["needs"][0]["actions"][0]["meeting_id"] == str(meeting.id)


def test_a_meeting_arranged_before_the_plan_joins_it_when_a_decision_adds_an_action(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User
) -> None:
    meeting = _arrange(db, clock, homes)
    plan = plans.open_plan(
        db,
        household_id=HOUSEHOLD,
        family_words="We want to stay.",
        family_priorities="",
        by="tom",
        at=clock(),
    )
    need = plans.add_need(
        db, plan_id=plan.id, outcome_area="housing", description="Arrears", goal="Keep", by="tom", at=clock()
    )
    action = ActionInput(need.id, "Call the landlord", homes.id, "Mo Khan", None, clock().date())
    _record(db, clock, meeting, decisions=[DecisionInput("Call the landlord", action)])
    assert meeting.plan_id == plan.id


def test_a_decision_needs_words(db: Session, clock: FakeClock, homes: Agency, gabriel: User) -> None:
    meeting = _arrange(db, clock, homes)
    with pytest.raises(InvalidInputError, match="decision 1"):
        _record(db, clock, meeting, decisions=[DecisionInput(" ")])


def test_an_action_for_another_household_s_plan_is_refused(
    db: Session, clock: FakeClock, homes: Agency, gabriel: User, need: PlanNeed
) -> None:
    meeting = _arrange(db, clock, homes, household_id="H-2")
    action = ActionInput(need.id, "Call the landlord", homes.id, "Mo Khan", None, clock().date())
    with pytest.raises(InvalidInputError, match="not in this household"):
        _record(db, clock, meeting, decisions=[DecisionInput("Call", action)])
