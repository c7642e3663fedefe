"""The shared plan through the service, on SQLite and PostgreSQL: one open plan per household, needs coded to
the place's outcomes framework (its own replacing the default), actions owned by an agency and a worker, a new
version with a one-line change and the whole plan for every change, a closed plan refusing any, and the open
actions past their due date."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.clock import FakeClock
from wholeplace.coordination import framework
from wholeplace.coordination.models import Plan, PlanAction, PlanNeed
from wholeplace.coordination.service import plans
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role

HOUSEHOLD = "H-1"
WORDS = "We want to stay in our home and for the kids to be happy."
PRIORITIES = "Keep the flat. Get Jay back to school."
GONE = "The arrears are paid off."


@pytest.fixture
def homes(db: Session) -> Agency:
    return factories.agency(db, "Testford Homes")


@pytest.fixture
def gabriel(db: Session, homes: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, username="gabriel", at=homes)


@pytest.fixture
def plan(db: Session, clock: FakeClock) -> Plan:
    return plans.open_plan(
        db, household_id=HOUSEHOLD, family_words=WORDS, family_priorities=PRIORITIES, by="tom", at=clock()
    )


def _need(db: Session, plan: Plan, clock: FakeClock, **changes: object) -> PlanNeed:
    given: dict[str, object] = {
        "plan_id": plan.id,
        "outcome_area": "housing",
        "description": "Rent arrears threaten the tenancy",
        "goal": "The family keeps its home",
        "by": "tom",
        "at": clock(),
    }
    given.update(changes)
    return plans.add_need(db, **given)  # type: ignore[arg-type]


def _action(db: Session, need: PlanNeed, homes: Agency, clock: FakeClock, **changes: object) -> PlanAction:
    given: dict[str, object] = {
        "need_id": need.id,
        "description": "Agree a repayment plan for the arrears",
        "agency_id": homes.id,
        "worker_name": "Gabriel Davies",
        "worker_username": None,
        "due_on": clock().date() + timedelta(days=14),
        "by": "tom",
        "at": clock(),
    }
    given.update(changes)
    return plans.add_action(db, **given)  # type: ignore[arg-type]


def _changes(db: Session, plan: Plan) -> list[str]:
    return [saved.change for saved in reversed(plans.versions(db, plan.id))]


# ---------------------------------------------------------------- one open plan


def test_opening_a_plan_keeps_the_family_s_words_as_version_one(
    db: Session, plan: Plan, clock: FakeClock
) -> None:
    assert (plan.status, plan.version, plan.family_words, plan.family_priorities) == (
        "open",
        1,
        WORDS,
        PRIORITIES,
    )
    first = plans.version(db, plan.id, 1)
    assert (first.change, first.saved_by, first.saved_at) == ("Opened the plan", "tom", clock())
    assert first.snapshot == {
        "status": "open",
        "family_words": WORDS,
        "family_priorities": PRIORITIES,
        "needs": [],
    }
    assert plans.plan_of(db, HOUSEHOLD) == plan


def test_a_second_open_plan_is_refused(db: Session, plan: Plan, clock: FakeClock) -> None:
    with pytest.raises(ConflictError, match="already has an open plan"):
        plans.open_plan(
            db, household_id=HOUSEHOLD, family_words="Other", family_priorities="", by="tom", at=clock()
        )


def test_a_plan_needs_the_family_s_own_words(db: Session, clock: FakeClock) -> None:
    with pytest.raises(InvalidInputError) as refused:
        plans.open_plan(
            db, household_id=HOUSEHOLD, family_words=" ", family_priorities="", by="tom", at=clock()
        )
    assert refused.value.field == "family_words"


def test_the_plan_of_a_household_is_its_open_plan_else_its_latest_closed_one(
    db: Session, plan: Plan, clock: FakeClock
) -> None:
    plan.status = "closed"
    db.flush()
    assert plans.plan_of(db, HOUSEHOLD) == plan
    clock.advance(days=10)
    second = plans.open_plan(
        db, household_id=HOUSEHOLD, family_words=WORDS, family_priorities="", by="tom", at=clock()
    )
    assert plans.plan_of(db, HOUSEHOLD) == second
    assert plans.plan_of(db, "H-NONE") is None


# ---------------------------------------------------------------- versions


def test_every_change_saves_a_version_with_a_line_saying_what_changed(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    need = _need(db, plan, clock)
    action = _action(db, need, homes, clock)
    plans.set_action_status(db, action_id=action.id, status="done", by="gabriel", at=clock())
    plans.update_family_words(
        db, plan_id=plan.id, family_words=WORDS, family_priorities="Keep the flat.", by="tom", at=clock()
    )
    plans.remove_need(db, need_id=need.id, reason=GONE, by="tom", at=clock())
    assert _changes(db, plan) == [
        "Opened the plan",
        "Added the need 'Rent arrears threaten the tenancy'",
        "Added the action 'Agree a repayment plan for the arrears'",
        "Marked done the action 'Agree a repayment plan for the arrears'",
        "Updated the family's words and priorities",
        f"Removed the need 'Rent arrears threaten the tenancy'. Reason: {GONE}",
    ]
    assert plan.version == 6
    assert [saved.version for saved in plans.versions(db, plan.id)] == [6, 5, 4, 3, 2, 1]


def test_a_version_holds_the_whole_plan_as_it_was(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    need = _need(db, plan, clock)
    action = _action(db, need, homes, clock)
    plans.set_action_status(db, action_id=action.id, status="done", by="gabriel", at=clock())
    third = plans.version(db, plan.id, 3).snapshot
    assert third["needs"] == [
        {
            "id": str(need.id),
            "outcome_area": "housing",
            "outcome_label": "Secure housing",
            "description": "Rent arrears threaten the tenancy",
            "goal": "The family keeps its home",
            "actions": [
                {
                    "id": str(action.id),
                    "description": "Agree a repayment plan for the arrears",
                    "agency": "Testford Homes",
                    "worker_name": "Gabriel Davies",
                    "worker_username": None,
                    "due_on": (clock().date() + timedelta(days=14)).isoformat(),
                    "status": "open",
                    "done_on": None,
                    "meeting_id": None,
                }
            ],
        }
    ]
    fourth = plans.from_snapshot(plans.version(db, plan.id, 4).snapshot)
    assert fourth.needs[0].actions[0].status == "done"
    assert fourth.needs[0].actions[0].done_on == clock().date()
    assert plans.from_snapshot(plans.snapshot(plans.contents(db, plan))) == plans.contents(db, plan)


def test_a_removed_need_leaves_the_plan_but_stays_in_earlier_versions(
    db: Session, plan: Plan, clock: FakeClock
) -> None:
    need = _need(db, plan, clock)
    plans.remove_need(db, need_id=need.id, reason=GONE, by="tom", at=clock())
    assert need.removed
    assert plans.contents(db, plan).needs == ()
    assert plans.version(db, plan.id, 3).snapshot["needs"] == []
    assert plans.version(db, plan.id, 2).snapshot["needs"][0]["id"] == str(need.id)


def test_a_change_that_changes_nothing_saves_no_version(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    action = _action(db, _need(db, plan, clock), homes, clock)
    plans.set_action_status(db, action_id=action.id, status="open", by="tom", at=clock())
    plans.update_family_words(
        db, plan_id=plan.id, family_words=WORDS, family_priorities=PRIORITIES, by="tom", at=clock()
    )
    assert plan.version == 3


def test_reopening_a_done_action_forgets_the_day_it_was_done(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    action = _action(db, _need(db, plan, clock), homes, clock)
    plans.set_action_status(db, action_id=action.id, status="done", by="tom", at=clock())
    plans.set_action_status(db, action_id=action.id, status="open", by="tom", at=clock())
    assert (action.status, action.done_on) == ("open", None)
    assert _changes(db, plan)[-1] == "Reopened the action 'Agree a repayment plan for the arrears'"


def test_an_unknown_action_status_is_refused(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    action = _action(db, _need(db, plan, clock), homes, clock)
    with pytest.raises(InvalidInputError):
        plans.set_action_status(db, action_id=action.id, status="lost", by="tom", at=clock())


def test_a_need_is_removed_only_with_a_reason(db: Session, plan: Plan, clock: FakeClock) -> None:
    need = _need(db, plan, clock)
    with pytest.raises(InvalidInputError) as refused:
        plans.remove_need(db, need_id=need.id, reason="  ", by="tom", at=clock())
    assert refused.value.field == "reason"
    assert not need.removed
    assert plan.version == 2


def test_a_removed_need_cannot_be_removed_again(db: Session, plan: Plan, clock: FakeClock) -> None:
    need = _need(db, plan, clock)
    plans.remove_need(db, need_id=need.id, reason=GONE, by="tom", at=clock())
    with pytest.raises(NotFoundError, match="no such need"):
        plans.remove_need(db, need_id=need.id, reason=GONE, by="tom", at=clock())


def test_an_action_is_cancelled_and_reopened_each_with_a_version(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    action = _action(db, _need(db, plan, clock), homes, clock)
    plans.set_action_status(db, action_id=action.id, status="cancelled", by="tom", at=clock())
    assert (action.status, action.done_on) == ("cancelled", None)
    plans.set_action_status(db, action_id=action.id, status="open", by="tom", at=clock())
    assert _changes(db, plan)[-2:] == [
        "Cancelled the action 'Agree a repayment plan for the arrears'",
        "Reopened the action 'Agree a repayment plan for the arrears'",
    ]
    assert (
        plans.from_snapshot(plans.version(db, plan.id, 4).snapshot).needs[0].actions[0].status == "cancelled"
    )


@pytest.mark.parametrize(("first", "then"), [("done", "cancelled"), ("cancelled", "done")])
def test_an_action_done_or_cancelled_is_reopened_before_it_changes_again(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock, first: str, then: str
) -> None:
    action = _action(db, _need(db, plan, clock), homes, clock)
    plans.set_action_status(db, action_id=action.id, status=first, by="tom", at=clock())
    with pytest.raises(ConflictError, match="Reopen it first"):
        plans.set_action_status(db, action_id=action.id, status=then, by="tom", at=clock())
    assert action.status == first
    assert plan.version == 4


# ---------------------------------------------------------------- a closed plan


def test_a_closed_plan_refuses_every_change(db: Session, plan: Plan, homes: Agency, clock: FakeClock) -> None:
    need = _need(db, plan, clock)
    action = _action(db, need, homes, clock)
    plan.status = "closed"
    db.flush()
    changes: list[Callable[[], object]] = [
        lambda: _need(db, plan, clock),
        lambda: _action(db, need, homes, clock),
        lambda: plans.remove_need(db, need_id=need.id, reason=GONE, by="tom", at=clock()),
        lambda: plans.set_action_status(db, action_id=action.id, status="done", by="tom", at=clock()),
        lambda: plans.update_family_words(
            db, plan_id=plan.id, family_words="New", family_priorities="", by="tom", at=clock()
        ),
    ]
    for change in changes:
        with pytest.raises(ConflictError, match="closed"):
            change()
    assert plan.version == 3


# ---------------------------------------------------------------- needs and actions


def test_a_need_must_be_coded_to_an_outcome_area_of_the_framework(
    db: Session, plan: Plan, clock: FakeClock
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _need(db, plan, clock, outcome_area="happiness")
    assert refused.value.field == "outcome_area"


def test_a_need_needs_a_description_and_a_goal(db: Session, plan: Plan, clock: FakeClock) -> None:
    for missing in ("description", "goal"):
        with pytest.raises(InvalidInputError) as refused:
            _need(db, plan, clock, **{missing: ""})
        assert refused.value.field == missing


def test_the_default_framework_is_the_supporting_families_outcomes(db: Session) -> None:
    assert plans.outcome_areas(db) == framework.SUPPORTING_FAMILIES


def test_an_action_names_a_worker_of_its_agency(
    db: Session, plan: Plan, homes: Agency, gabriel: User, clock: FakeClock
) -> None:
    need = _need(db, plan, clock)
    action = _action(db, need, homes, clock, worker_username="Gabriel")
    assert action.worker_username == "gabriel"
    elsewhere = factories.agency(db, "Testford Schools")
    with pytest.raises(InvalidInputError, match="does not work for Testford Schools"):
        _action(db, need, elsewhere, clock, worker_username="gabriel")


def test_an_action_needs_a_worker_and_a_due_date_not_past(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    need = _need(db, plan, clock)
    with pytest.raises(InvalidInputError) as refused:
        _action(db, need, homes, clock, worker_name="")
    assert refused.value.field == "worker_name"
    with pytest.raises(InvalidInputError) as refused:
        _action(db, need, homes, clock, due_on=clock().date() - timedelta(days=1))
    assert refused.value.field == "due_on"


# ---------------------------------------------------------------- overdue


def test_overdue_actions_are_the_open_ones_past_their_due_date(
    db: Session, plan: Plan, homes: Agency, gabriel: User, clock: FakeClock
) -> None:
    need = _need(db, plan, clock)
    today = clock().date() + timedelta(days=20)
    late = _action(
        db, need, homes, clock, due_on=clock().date() + timedelta(days=5), worker_username="gabriel"
    )
    _action(db, need, homes, clock, description="Not due yet", due_on=today)
    done = _action(db, need, homes, clock, description="Done already", due_on=clock().date())
    plans.set_action_status(db, action_id=done.id, status="done", by="tom", at=clock())
    [overdue] = plans.overdue_actions(db, today=today)
    assert (overdue.action, overdue.household_id, overdue.plan_id, overdue.outcome_area) == (
        late,
        HOUSEHOLD,
        plan.id,
        "housing",
    )
    assert overdue.days_overdue(today) == 15
    assert plans.overdue_actions(db, username="gabriel", today=today) == [overdue]
    assert plans.overdue_actions(db, username="tom", today=today) == []
    assert plans.overdue_actions(db, household_id=HOUSEHOLD, today=today) == [overdue]
    assert plans.overdue_actions(db, household_id="H-2", today=today) == []


def test_actions_of_closed_plans_and_removed_needs_are_not_overdue(
    db: Session, plan: Plan, homes: Agency, clock: FakeClock
) -> None:
    removed = _need(db, plan, clock)
    _action(db, removed, homes, clock, due_on=clock().date())
    plans.remove_need(db, need_id=removed.id, reason=GONE, by="tom", at=clock())
    kept = _action(db, _need(db, plan, clock), homes, clock, due_on=clock().date())
    later = clock().date() + timedelta(days=1)
    assert [one.action for one in plans.overdue_actions(db, today=later)] == [kept]
    plan.status = "closed"
    db.flush()
    assert plans.overdue_actions(db, today=later) == []


def test_an_unknown_need_is_not_found(db: Session, clock: FakeClock, homes: Agency) -> None:
    with pytest.raises(NotFoundError, match="no such need"):
        plans.add_action(
            db,
            need_id=uuid.uuid4(),
            description="x",
            agency_id=homes.id,
            worker_name="x",
            worker_username=None,
            due_on=clock().date(),
            by="tom",
            at=clock(),
        )
