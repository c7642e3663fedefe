"""Caseloads: the households a worker has in hand (as lead professional, as owner of an open action, or as an
invitee to a meeting still to come) with what is due and overdue; a team manager's view of the team; and, for
the partnership, the households several agencies work with that nobody leads."""

from __future__ import annotations

import math
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wholeplace.coordination.models import (
    LeadProfessional,
    Meeting,
    MeetingInvitee,
    Plan,
    PlanAction,
    PlanNeed,
)
from wholeplace.coordination.service import plans
from wholeplace.coordination.service.meetings import PLANNED
from wholeplace.core import service as core
from wholeplace.core.models import User
from wholeplace.governance.service import involvements

PAGE_SIZE = 50
LEAD, ACTIONS, MEETING = "lead", "actions", "meeting"


# ---------------------------------------------------------------- a worker's caseload


@dataclass
class CaseloadHousehold:
    """A household in a worker's caseload: why it is there, and what coordination itself holds about it."""

    household_id: str
    why: set[str] = field(default_factory=set)  # lead, actions, meeting
    lead: str | None = None  # the current lead professional's username
    needs: int = 0  # in the open plan
    open_actions: int = 0  # the worker's own
    overdue_actions: int = 0
    next_due: date | None = None  # the worker's earliest open action
    next_meeting: datetime | None = None

    def order(self) -> tuple[bool, date, str]:
        """Households with overdue actions first, then by the next action due, those with none last."""
        return (self.overdue_actions == 0, self.next_due or date.max, self.household_id)


@dataclass(frozen=True)
class Caseload:
    households: list[CaseloadHousehold]
    total: int
    page: int
    pages: int
    overdue: list[plans.OverdueAction]


def caseload(
    db: Session, *, username: str, today: date, at: datetime, page: int = 1, size: int = PAGE_SIZE
) -> Caseload:
    """The worker's households, overdue first, a page at a time, and every overdue action of theirs."""
    username = core.normalise_username(username)
    found = sorted(_households_of(db, username, at).values(), key=CaseloadHousehold.order)
    pages = max(1, math.ceil(len(found) / size))
    page = min(max(page, 1), pages)
    shown = found[(page - 1) * size : page * size]
    _add_what_coordination_holds(db, shown)
    return Caseload(
        households=shown,
        total=len(found),
        page=page,
        pages=pages,
        overdue=plans.overdue_actions(db, username=username, today=today),
    )


def _households_of(db: Session, username: str, at: datetime) -> dict[str, CaseloadHousehold]:
    today = at.date()
    found: dict[str, CaseloadHousehold] = {}

    def one(household_id: str, why: str) -> CaseloadHousehold:
        household = found.setdefault(household_id, CaseloadHousehold(household_id))
        household.why.add(why)
        return household

    for household_id in db.scalars(
        select(LeadProfessional.household_id).where(
            LeadProfessional.username == username, LeadProfessional.ended_at.is_(None)
        )
    ):
        one(household_id, LEAD)
    for household_id, due_on in db.execute(_my_open_actions(username)):
        household = one(household_id, ACTIONS)
        household.open_actions += 1
        if due_on < today:
            household.overdue_actions += 1
        household.next_due = min(household.next_due or due_on, due_on)
    for household_id, held_on in db.execute(
        select(Meeting.household_id, func.min(Meeting.held_on))
        .join(MeetingInvitee, MeetingInvitee.meeting_id == Meeting.id)
        .where(MeetingInvitee.username == username, Meeting.status == PLANNED, Meeting.held_on >= at)
        .group_by(Meeting.household_id)
    ):
        one(household_id, MEETING).next_meeting = held_on
    return found


def _my_open_actions(username: str) -> Select[str, date]:
    return (
        select(Plan.household_id, PlanAction.due_on)
        .join(PlanNeed, PlanNeed.id == PlanAction.need_id)
        .join(Plan, Plan.id == PlanNeed.plan_id)
        .where(
            Plan.status == plans.OPEN,
            PlanNeed.removed.is_(False),
            PlanAction.status == plans.OPEN,
            PlanAction.worker_username == username,
        )
    )


def _add_what_coordination_holds(db: Session, households: list[CaseloadHousehold]) -> None:
    ids = [household.household_id for household in households]
    if not ids:
        return
    lead_of = dict(
        db.execute(
            select(LeadProfessional.household_id, LeadProfessional.username).where(
                LeadProfessional.household_id.in_(ids), LeadProfessional.ended_at.is_(None)
            )
        ).all()
    )
    needs_of = dict(
        db.execute(
            select(Plan.household_id, func.count(PlanNeed.id))
            .join(PlanNeed, PlanNeed.plan_id == Plan.id)
            .where(Plan.household_id.in_(ids), Plan.status == plans.OPEN, PlanNeed.removed.is_(False))
            .group_by(Plan.household_id)
        ).all()
    )
    for household in households:
        household.lead = lead_of.get(household.household_id)
        household.needs = needs_of.get(household.household_id, 0)


# ---------------------------------------------------------------- a team


@dataclass(frozen=True)
class TeamMember:
    username: str
    full_name: str
    households: int
    open_actions: int
    overdue_actions: int


def team_of(db: Session, username: str) -> tuple[uuid.UUID | None, list[User]]:
    """The user's team, and its active members by name (none when the user is in no team)."""
    manager = core.find_user(db, username)
    if manager is None or manager.team_id is None:
        return None, []
    members = sorted(
        (user for user in core.list_users(db) if user.team_id == manager.team_id and user.is_active),
        key=lambda user: (user.full_name, user.username),
    )
    return manager.team_id, members


def team_caseloads(db: Session, *, manager: str, at: datetime) -> list[TeamMember]:
    """For each member of the manager's team: how many households they have, their open and overdue actions."""
    _, members = team_of(db, manager)
    shown = []
    for member in members:
        households = _households_of(db, member.username, at).values()
        shown.append(
            TeamMember(
                username=member.username,
                full_name=member.full_name,
                households=len(households),
                open_actions=sum(household.open_actions for household in households),
                overdue_actions=sum(household.overdue_actions for household in households),
            )
        )
    return shown


def manages(db: Session, *, manager: str, worker: str) -> bool:
    """Whether the manager's team is the worker's (a team manager sees their own team's caseloads only)."""
    team_id, members = team_of(db, manager)
    return team_id is not None and core.normalise_username(worker) in {member.username for member in members}


# ---------------------------------------------------------------- nobody owns the whole


@dataclass(frozen=True)
class Unowned:
    household_id: str
    agency_count: int
    agencies: tuple[str, ...]  # names, where the decision releases them


@dataclass(frozen=True)
class UnownedPage:
    households: list[Unowned]
    total: int
    page: int
    pages: int


def unowned_households(
    db: Session,
    *,
    at_least: int,
    on: date,
    agency_ids: Collection[uuid.UUID],
    named: bool,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> UnownedPage:
    """Households that at least `at_least` of these agencies work with on the day and that have no lead
    professional, the most agencies first; with the agencies' names when `named`."""
    counted = involvements.agency_counts_by_household(
        on=on, agency_ids=agency_ids, at_least=at_least
    ).subquery()
    led = select(LeadProfessional.household_id).where(LeadProfessional.ended_at.is_(None))
    unled = select(counted.c.household_id, counted.c.agencies).where(counted.c.household_id.not_in(led))
    total = db.scalar(select(func.count()).select_from(unled.subquery())) or 0
    pages = max(1, math.ceil(total / size))
    page = min(max(page, 1), pages)
    rows = db.execute(
        unled.order_by(counted.c.agencies.desc(), counted.c.household_id)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    names = (
        involvements.agencies_by_household(
            db, household_ids=[str(row[0]) for row in rows], on=on, agency_ids=agency_ids
        )
        if named
        else {}
    )
    return UnownedPage(
        households=[
            Unowned(str(household), int(count), tuple(names.get(str(household), ())))
            for household, count in rows
        ],
        total=total,
        page=page,
        pages=pages,
    )
