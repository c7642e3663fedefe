"""A household's one shared plan: the family's own words and priorities, needs coded to the place's outcomes
framework, and actions owned by an agency and a named worker with a due date. Every change saves a new version
holding the whole plan, so what the plan said on any day can be read back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wholeplace.coordination.framework import OutcomeArea
from wholeplace.coordination.models import Meeting, Plan, PlanAction, PlanNeed, PlanVersion
from wholeplace.coordination.service import settings
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError

OPEN = "open"
ACTION_STATUSES: dict[str, str] = {"open": "To do", "done": "Done", "cancelled": "Cancelled"}
# An open action is done or cancelled; one done or cancelled can only be reopened.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    "open": frozenset({"done", "cancelled"}),
    "done": frozenset({"open"}),
    "cancelled": frozenset({"open"}),
}
STATUS_VERBS = {"done": "Marked done", "cancelled": "Cancelled", "open": "Reopened"}
QUOTED_LENGTH = 80  # how much of a need or action a one-line change quotes


# ---------------------------------------------------------------- the place's outcomes framework


def outcome_areas(db: Session) -> tuple[OutcomeArea, ...]:
    """The place's outcome areas, as its settings hold them: the Supporting Families outcomes by default."""
    return settings.outcome_areas(db)


def outcome_label(areas: Sequence[OutcomeArea], code: str) -> str:
    return next((area.label for area in areas if area.code == code), code)


# ---------------------------------------------------------------- what a plan holds


@dataclass(frozen=True)
class ActionContents:
    id: str
    description: str
    agency: str
    worker_name: str
    worker_username: str | None
    due_on: date
    status: str
    done_on: date | None
    meeting_id: str | None

    def overdue(self, today: date) -> bool:
        return self.status == OPEN and self.due_on < today


@dataclass(frozen=True)
class NeedContents:
    id: str
    outcome_area: str
    outcome_label: str
    description: str
    goal: str
    actions: tuple[ActionContents, ...]


@dataclass(frozen=True)
class PlanContents:
    """The whole plan as a page or a version shows it: needs in order, each with its actions."""

    status: str
    family_words: str
    family_priorities: str
    needs: tuple[NeedContents, ...]


def contents(db: Session, plan: Plan) -> PlanContents:
    """The plan as it stands: its needs (not those removed), each with its actions."""
    areas = outcome_areas(db)
    needs = db.scalars(
        select(PlanNeed)
        .where(PlanNeed.plan_id == plan.id, PlanNeed.removed.is_(False))
        .order_by(PlanNeed.position)
    ).all()
    actions = db.scalars(
        select(PlanAction)
        .where(PlanAction.need_id.in_([need.id for need in needs]))
        .order_by(PlanAction.due_on, PlanAction.description)
    ).all()
    agency_names = {agency.id: agency.name for agency in core.list_agencies(db)}
    return PlanContents(
        status=plan.status,
        family_words=plan.family_words,
        family_priorities=plan.family_priorities,
        needs=tuple(
            NeedContents(
                id=str(need.id),
                outcome_area=need.outcome_area,
                outcome_label=outcome_label(areas, need.outcome_area),
                description=need.description,
                goal=need.goal,
                actions=tuple(
                    ActionContents(
                        id=str(action.id),
                        description=action.description,
                        agency=agency_names.get(action.agency_id, ""),
                        worker_name=action.worker_name,
                        worker_username=action.worker_username,
                        due_on=action.due_on,
                        status=action.status,
                        done_on=action.done_on,
                        meeting_id=str(action.meeting_id) if action.meeting_id else None,
                    )
                    for action in actions
                    if action.need_id == need.id
                ),
            )
            for need in needs
        ),
    )


def snapshot(held: PlanContents) -> dict[str, Any]:
    """The plan as JSON, as a version keeps it."""
    return {
        "status": held.status,
        "family_words": held.family_words,
        "family_priorities": held.family_priorities,
        "needs": [
            {
                "id": need.id,
                "outcome_area": need.outcome_area,
                "outcome_label": need.outcome_label,
                "description": need.description,
                "goal": need.goal,
                "actions": [
                    {
                        "id": action.id,
                        "description": action.description,
                        "agency": action.agency,
                        "worker_name": action.worker_name,
                        "worker_username": action.worker_username,
                        "due_on": action.due_on.isoformat(),
                        "status": action.status,
                        "done_on": action.done_on.isoformat() if action.done_on else None,
                        "meeting_id": action.meeting_id,
                    }
                    for action in need.actions
                ],
            }
            for need in held.needs
        ],
    }


def from_snapshot(saved: dict[str, Any]) -> PlanContents:
    """A version's plan, read back from its JSON."""
    return PlanContents(
        status=saved["status"],
        family_words=saved["family_words"],
        family_priorities=saved["family_priorities"],
        needs=tuple(
            NeedContents(
                id=need["id"],
                outcome_area=need["outcome_area"],
                outcome_label=need["outcome_label"],
                description=need["description"],
                goal=need["goal"],
                actions=tuple(
                    ActionContents(
                        id=action["id"],
                        description=action["description"],
                        agency=action["agency"],
                        worker_name=action["worker_name"],
                        worker_username=action["worker_username"],
                        due_on=date.fromisoformat(action["due_on"]),
                        status=action["status"],
                        done_on=date.fromisoformat(action["done_on"]) if action["done_on"] else None,
                        meeting_id=action["meeting_id"],
                    )
                    for action in need["actions"]
                ),
            )
            for need in saved["needs"]
        ),
    )


# ---------------------------------------------------------------- reading plans


def plan_of(db: Session, household_id: str) -> Plan | None:
    """The household's open plan, or else its latest closed one."""
    return db.scalar(
        select(Plan)
        .where(Plan.household_id == household_id)
        .order_by((Plan.status == OPEN).desc(), Plan.opened_at.desc())
        .limit(1)
    )


def open_plan_of(db: Session, household_id: str) -> Plan | None:
    return db.scalar(select(Plan).where(Plan.household_id == household_id, Plan.status == OPEN))


def get_plan(db: Session, plan_id: uuid.UUID) -> Plan:
    plan = db.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError("There is no such plan.", fix="Go back to the household's plan.")
    return plan


def get_need(db: Session, need_id: uuid.UUID) -> PlanNeed:
    need = db.get(PlanNeed, need_id)
    if need is None or need.removed:
        raise NotFoundError("There is no such need in the plan.", fix="Go back to the household's plan.")
    return need


def get_action(db: Session, action_id: uuid.UUID) -> PlanAction:
    action = db.get(PlanAction, action_id)
    if action is None:
        raise NotFoundError("There is no such action in the plan.", fix="Go back to the household's plan.")
    return action


def actions_of(db: Session, need_id: uuid.UUID) -> list[PlanAction]:
    """A need's actions, the soonest due first."""
    return list(
        db.scalars(
            select(PlanAction)
            .where(PlanAction.need_id == need_id)
            .order_by(PlanAction.due_on, PlanAction.description)
        )
    )


def versions(db: Session, plan_id: uuid.UUID) -> list[PlanVersion]:
    """Every saved version of the plan, the newest first."""
    return list(
        db.scalars(
            select(PlanVersion).where(PlanVersion.plan_id == plan_id).order_by(PlanVersion.version.desc())
        )
    )


def version(db: Session, plan_id: uuid.UUID, number: int) -> PlanVersion:
    saved = db.scalar(
        select(PlanVersion).where(PlanVersion.plan_id == plan_id, PlanVersion.version == number)
    )
    if saved is None:
        raise NotFoundError(f"The plan has no version {number}.", fix="Choose a version from the list.")
    return saved


@dataclass(frozen=True)
class OverdueAction:
    """An open action past its due date, with the household and need it belongs to."""

    household_id: str
    plan_id: uuid.UUID
    outcome_area: str
    action: PlanAction

    def days_overdue(self, today: date) -> int:
        return (today - self.action.due_on).days


def overdue_actions(
    db: Session, *, username: str | None = None, household_id: str | None = None, today: date
) -> list[OverdueAction]:
    """Open actions of open plans past their due date, the longest overdue first; only the named worker's, or
    only the household's, when given."""
    query = (
        select(Plan.household_id, Plan.id, PlanNeed.outcome_area, PlanAction)
        .join(PlanNeed, PlanNeed.id == PlanAction.need_id)
        .join(Plan, Plan.id == PlanNeed.plan_id)
        .where(
            Plan.status == OPEN,
            PlanNeed.removed.is_(False),
            PlanAction.status == OPEN,
            PlanAction.due_on < today,
        )
        .order_by(PlanAction.due_on, Plan.household_id)
    )
    if username is not None:
        query = query.where(PlanAction.worker_username == core.normalise_username(username))
    if household_id is not None:
        query = query.where(Plan.household_id == household_id)
    return [OverdueAction(*row) for row in db.execute(query).all()]


# ---------------------------------------------------------------- changing a plan


def open_plan(
    db: Session, *, household_id: str, family_words: str, family_priorities: str, by: str, at: datetime
) -> Plan:
    """Start the household's shared plan with the family's own words; one open plan at a time."""
    if open_plan_of(db, household_id) is not None:
        raise ConflictError(
            "This household already has an open plan.", fix="Add to that plan instead of opening another."
        )
    plan = Plan(
        household_id=household_id,
        status=OPEN,
        version=0,
        family_words=_family_words(family_words),
        family_priorities=family_priorities.strip(),
        opened_by=by,
        opened_at=at,
    )
    db.add(plan)
    db.flush()
    _save_version(db, plan, change="Opened the plan", by=by, at=at)
    return plan


def update_family_words(
    db: Session, *, plan_id: uuid.UUID, family_words: str, family_priorities: str, by: str, at: datetime
) -> Plan:
    plan = _changeable(db, plan_id)
    words, priorities = _family_words(family_words), family_priorities.strip()
    if (words, priorities) == (plan.family_words, plan.family_priorities):
        return plan
    plan.family_words, plan.family_priorities = words, priorities
    _save_version(db, plan, change="Updated the family's words and priorities", by=by, at=at)
    return plan


def add_need(
    db: Session, *, plan_id: uuid.UUID, outcome_area: str, description: str, goal: str, by: str, at: datetime
) -> PlanNeed:
    """Add a need coded to one of the place's outcome areas, with the goal the family and workers agree."""
    plan = _changeable(db, plan_id)
    if outcome_area not in {area.code for area in outcome_areas(db)}:
        raise InvalidInputError(
            "Select the outcome area the need is about.",
            field="outcome_area",
            fix="Choose one of the place's outcome areas.",
        )
    description = _required(description, field="description", problem="Enter what the need is")
    goal = _required(goal, field="goal", problem="Enter the goal for this need")
    last = db.scalar(select(func.max(PlanNeed.position)).where(PlanNeed.plan_id == plan.id))
    need = PlanNeed(
        plan_id=plan.id,
        outcome_area=outcome_area,
        description=description,
        goal=goal,
        position=(last or 0) + 1,
        removed=False,
    )
    db.add(need)
    db.flush()
    _save_version(db, plan, change=f"Added the need {_quoted(description)}", by=by, at=at)
    return need


def remove_need(db: Session, *, need_id: uuid.UUID, reason: str, by: str, at: datetime) -> PlanNeed:
    """Take a need out of the plan, with the reason, which the version saved keeps; earlier versions still hold
    the need, and its actions leave the plan with it."""
    need = get_need(db, need_id)
    plan = _changeable(db, need.plan_id)
    reason = _required(reason, field="reason", problem="Enter why the need is being removed from the plan")
    need.removed = True
    change = f"Removed the need {_quoted(need.description)}. Reason: {' '.join(reason.split())}"
    _save_version(db, plan, change=change, by=by, at=at)
    return need


def add_action(
    db: Session,
    *,
    need_id: uuid.UUID,
    description: str,
    agency_id: uuid.UUID,
    worker_name: str,
    worker_username: str | None,
    due_on: date,
    by: str,
    at: datetime,
    meeting_id: uuid.UUID | None = None,
) -> PlanAction:
    """Add something an agency's named worker will do towards a need by a date; from a meeting, if it was
    agreed at one."""
    need = get_need(db, need_id)
    plan = _changeable(db, need.plan_id)
    description = _required(description, field="description", problem="Enter what will be done")
    agency = core.get_agency(db, agency_id)
    worker_name = _required(worker_name, field="worker_name", problem="Enter the name of the worker")
    username = _worker_username(db, worker_username, agency_id=agency.id, agency_name=agency.name)
    if due_on < at.date():
        raise InvalidInputError(
            "The due date must be today or later.", field="due_on", fix="Enter the day it should be done by."
        )
    meeting = _meeting_of(db, meeting_id, plan) if meeting_id is not None else None
    action = PlanAction(
        need_id=need.id,
        description=description,
        agency_id=agency.id,
        worker_name=worker_name,
        worker_username=username,
        due_on=due_on,
        status=OPEN,
        meeting_id=meeting_id,
        done_on=None,
    )
    db.add(action)
    db.flush()
    # The line names no agency or worker: the list of versions shows it to anyone who may see the plan.
    if meeting is None:
        change = f"Added the action {_quoted(description)}"
    else:
        change = f"Action agreed at the meeting on {meeting.held_on:%-d %B %Y}: {_quoted(description)}"
    _save_version(db, plan, change=change, by=by, at=at)
    return action


def set_action_status(db: Session, *, action_id: uuid.UUID, status: str, by: str, at: datetime) -> PlanAction:
    """Mark an open action done or cancel it, or reopen one done or cancelled; the day it was done is kept.
    Asking for the status it already has changes nothing (a form sent twice)."""
    if status not in ACTION_STATUSES:
        raise InvalidInputError("Select done, cancelled or to do.", field="status")
    action = get_action(db, action_id)
    need = db.get(PlanNeed, action.need_id)
    assert need is not None  # the foreign key holds it
    plan = _changeable(db, need.plan_id)
    if action.status == status:
        return action
    if status not in NEXT_STATUSES[action.status]:
        raise ConflictError(
            f"The action {_quoted(action.description)} is {ACTION_STATUSES[action.status].lower()}, so it "
            f"cannot be {STATUS_VERBS[status].lower()} as it stands.",
            fix="Reopen it first.",
        )
    action.status = status
    action.done_on = at.date() if status == "done" else None
    _save_version(
        db, plan, change=f"{STATUS_VERBS[status]} the action {_quoted(action.description)}", by=by, at=at
    )
    return action


def _changeable(db: Session, plan_id: uuid.UUID) -> Plan:
    plan = get_plan(db, plan_id)
    if plan.status != OPEN:
        closed = f" on {plan.closed_at:%-d %B %Y}" if plan.closed_at else ""
        raise ConflictError(
            f"This plan was closed{closed}, so it cannot change.",
            fix="Open a new plan if the family needs one.",
        )
    return plan


def _save_version(db: Session, plan: Plan, *, change: str, by: str, at: datetime) -> PlanVersion:
    db.flush()
    plan.version += 1
    saved = PlanVersion(
        plan_id=plan.id,
        version=plan.version,
        saved_by=by,
        saved_at=at,
        change=change,
        snapshot=snapshot(contents(db, plan)),
    )
    db.add(saved)
    db.flush()
    return saved


def _meeting_of(db: Session, meeting_id: uuid.UUID, plan: Plan) -> Meeting:
    meeting = db.get(Meeting, meeting_id)
    if meeting is None or meeting.household_id != plan.household_id:
        raise InvalidInputError("The meeting is not one of this household's.", field="meeting_id")
    return meeting


def _worker_username(
    db: Session, username: str | None, *, agency_id: uuid.UUID, agency_name: str
) -> str | None:
    if not username or not username.strip():
        return None
    user = core.find_user(db, username)
    if user is None or not user.is_active:
        raise InvalidInputError(
            f"There is no active user called {username.strip()!r}.",
            field="worker_username",
            fix="Choose the worker from the list, or leave it blank if they do not use wholeplace.",
        )
    if user.agency_id != agency_id:
        raise InvalidInputError(
            f"{user.full_name} does not work for {agency_name}.",
            field="worker_username",
            fix="Choose the agency the worker works for.",
        )
    return user.username


def _family_words(words: str) -> str:
    return _required(
        words, field="family_words", problem="Enter what the family says they want, in their own words"
    )


def _required(value: str, *, field: str, problem: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInputError(f"{problem}.", field=field)
    return cleaned


def _quoted(text: str) -> str:
    """Text in a one-line change: on one line, cut short when long."""
    line = " ".join(text.split())
    return f"'{line if len(line) <= QUOTED_LENGTH else line[: QUOTED_LENGTH - 1] + '…'}'"
