"""Multi-agency meetings about a household: arranged with their invitees, then recorded with who came, the
notes and the decisions; a decision that someone will do something becomes an action in the shared plan."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.coordination.models import NAME, Meeting, MeetingDecision, MeetingInvitee
from wholeplace.coordination.service import plans
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError

PLANNED = "planned"
HELD = "held"
KINDS = ("Team around the family", "Review of the plan", "Family network meeting", "Professionals' meeting")


@dataclass(frozen=True)
class Invitee:
    """Someone asked to a meeting: a user of wholeplace (with their username) or anyone else, by name."""

    name: str
    agency_id: uuid.UUID
    username: str | None = None


@dataclass(frozen=True)
class ActionInput:
    """What a decision asks someone to do, as an action of the plan."""

    need_id: uuid.UUID
    description: str
    agency_id: uuid.UUID
    worker_name: str
    worker_username: str | None
    due_on: date


@dataclass(frozen=True)
class DecisionInput:
    text: str
    action: ActionInput | None = None


def arrange(
    db: Session,
    *,
    household_id: str,
    kind: str,
    held_on: datetime,
    invitees: Sequence[Invitee],
    by: str,
    at: datetime,
) -> Meeting:
    """Arrange a meeting about the household, for its open plan if it has one."""
    if kind not in KINDS:
        raise InvalidInputError("Select the kind of meeting.", field="kind", fix="Choose one from the list.")
    if not invitees:
        raise InvalidInputError(
            "Invite at least one person.", field="invitees", fix="Choose people, or type a name and agency."
        )
    open_plan = plans.open_plan_of(db, household_id)
    meeting = Meeting(
        household_id=household_id,
        plan_id=open_plan.id if open_plan is not None else None,
        kind=kind,
        held_on=held_on,
        status=PLANNED,
        notes="",
        arranged_by=by,
        recorded_by=None,
    )
    db.add(meeting)
    db.flush()
    db.add_all(_invitee_rows(db, meeting.id, invitees))
    db.flush()
    return meeting


def record(
    db: Session,
    *,
    meeting_id: uuid.UUID,
    attendance: Mapping[uuid.UUID, bool],
    notes: str,
    decisions: Sequence[DecisionInput],
    by: str,
    at: datetime,
) -> Meeting:
    """Record a meeting that has been held: who came (anyone not marked did not), the notes, and the decisions,
    each with an action in the plan where it asks someone to do something."""
    found = meeting(db, meeting_id)
    if found.status == HELD:
        raise ConflictError("This meeting has already been recorded.", fix="Arrange another meeting.")
    if found.held_on > at:
        raise ConflictError(
            f"This meeting is on {found.held_on:%-d %B %Y}.", fix="Record it once it has been held."
        )
    asked = invitees(db, found.id)
    unknown = set(attendance) - {invitee.id for invitee in asked}
    if unknown:
        raise InvalidInputError("Attendance names someone who was not invited.", field="attendance")
    notes = notes.strip()
    if not notes:
        raise InvalidInputError("Enter the notes of the meeting.", field="notes")
    for invitee in asked:
        invitee.attended = attendance.get(invitee.id, False)
    found.notes = notes
    found.status = HELD
    found.recorded_by = by
    for position, decision in enumerate(decisions, start=1):
        _decide(db, found, decision, position=position, by=by, at=at)
    db.flush()
    return found


def meetings_of(db: Session, household_id: str) -> list[Meeting]:
    """The household's meetings, the latest first."""
    return list(
        db.scalars(
            select(Meeting).where(Meeting.household_id == household_id).order_by(Meeting.held_on.desc())
        )
    )


def meeting(db: Session, meeting_id: uuid.UUID) -> Meeting:
    found = db.get(Meeting, meeting_id)
    if found is None:
        raise NotFoundError("There is no such meeting.", fix="Go back to the household's meetings.")
    return found


def invitees(db: Session, meeting_id: uuid.UUID) -> list[MeetingInvitee]:
    return list(
        db.scalars(
            select(MeetingInvitee)
            .where(MeetingInvitee.meeting_id == meeting_id)
            .order_by(MeetingInvitee.name)
        )
    )


def decisions_of(db: Session, meeting_id: uuid.UUID) -> list[MeetingDecision]:
    return list(
        db.scalars(
            select(MeetingDecision)
            .where(MeetingDecision.meeting_id == meeting_id)
            .order_by(MeetingDecision.position)
        )
    )


def _invitee_rows(db: Session, meeting_id: uuid.UUID, invitees: Sequence[Invitee]) -> list[MeetingInvitee]:
    rows: list[MeetingInvitee] = []
    for invitee in invitees:
        agency = core.get_agency(db, invitee.agency_id)
        name = invitee.name.strip()
        if not name or len(name) > NAME:
            raise InvalidInputError(
                f"Enter the name of each invitee, at most {NAME} characters.", field="invitees"
            )
        username = _invitee_username(db, invitee.username, agency_id=agency.id, agency_name=agency.name)
        if username is not None and username in {row.username for row in rows}:
            raise InvalidInputError(
                f"{name} is invited twice.", field="invitees", fix="Invite each person once."
            )
        rows.append(MeetingInvitee(meeting_id=meeting_id, name=name, username=username, agency_id=agency.id))
    return rows


def _invitee_username(
    db: Session, username: str | None, *, agency_id: uuid.UUID, agency_name: str
) -> str | None:
    if not username:
        return None
    user = core.find_user(db, username)
    if user is None or not user.is_active:
        raise InvalidInputError(f"There is no active user called {username!r}.", field="invitees")
    if user.agency_id != agency_id:
        raise InvalidInputError(f"{user.full_name} does not work for {agency_name}.", field="invitees")
    return user.username


def _decide(
    db: Session, meeting: Meeting, decision: DecisionInput, *, position: int, by: str, at: datetime
) -> MeetingDecision:
    text = decision.text.strip()
    if not text:
        raise InvalidInputError(f"Enter what decision {position} was.", field=f"decision-{position}")
    action_id = None
    if decision.action is not None:
        _plan_for(db, meeting, decision.action.need_id)
        action_id = plans.add_action(
            db,
            need_id=decision.action.need_id,
            description=decision.action.description,
            agency_id=decision.action.agency_id,
            worker_name=decision.action.worker_name,
            worker_username=decision.action.worker_username,
            due_on=decision.action.due_on,
            by=by,
            at=at,
            meeting_id=meeting.id,
        ).id
    made = MeetingDecision(meeting_id=meeting.id, text=text, position=position, action_id=action_id)
    db.add(made)
    return made


def _plan_for(db: Session, meeting: Meeting, need_id: uuid.UUID) -> None:
    """The meeting belongs to the plan the action goes in: the household's open plan, even one opened after the
    meeting was arranged."""
    need = plans.get_need(db, need_id)
    plan = plans.get_plan(db, need.plan_id)
    if plan.household_id != meeting.household_id:
        raise InvalidInputError("The need is not in this household's plan.", field="need_id")
    meeting.plan_id = plan.id
