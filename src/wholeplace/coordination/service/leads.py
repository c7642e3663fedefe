"""A household's lead professional: one at a time, assigned with the family's agreement, handed over with a
reason; every spell is kept, so the household's history of leads can always be read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wholeplace.coordination.framework import LOCAL_TIME
from wholeplace.coordination.models import LeadProfessional, RegisterRecord
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.core.models import User
from wholeplace.core.roles import Role
from wholeplace.governance.decision import Subject
from wholeplace.governance.service import involvements

LEAD_ORIGIN = "lead"  # an involvement opened because the agency leads the household's plan


def assign(
    db: Session,
    *,
    household_id: str,
    username: str,
    family_agreed_on: date,
    family_agreement: str,
    by: str,
    at: datetime,
) -> LeadProfessional:
    """Make a user the household's lead professional; refused while the household has one (hand over instead)."""
    lead = current(db, household_id)
    if lead is not None:
        raise ConflictError(
            f"This household already has a lead professional, {_name_of(db, lead.username)}.",
            fix="Hand over to the new lead professional instead.",
        )
    return _start(
        db,
        household_id=household_id,
        username=username,
        family_agreed_on=family_agreed_on,
        family_agreement=family_agreement,
        by=by,
        at=at,
    )


def hand_over(
    db: Session,
    *,
    household_id: str,
    to_username: str,
    reason: str,
    family_agreed_on: date,
    family_agreement: str,
    by: str,
    at: datetime,
) -> LeadProfessional:
    """End the current lead's spell with the reason, and start the next lead's."""
    lead = current(db, household_id)
    if lead is None:
        raise ConflictError(
            "This household has no lead professional to hand over from.", fix="Assign a lead professional."
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInputError(
            "Enter why the lead professional is changing.", field="handover_reason", fix="Say why, in a line."
        )
    if core.normalise_username(to_username) == lead.username:
        raise InvalidInputError(
            f"{_name_of(db, lead.username)} is already the lead professional.",
            field="username",
            fix="Choose someone else to hand over to.",
        )
    _lead_user(db, to_username)
    lead.ended_at = at
    lead.ended_by = by
    lead.handover_reason = reason
    db.flush()
    return _start(
        db,
        household_id=household_id,
        username=to_username,
        family_agreed_on=family_agreed_on,
        family_agreement=family_agreement,
        by=by,
        at=at,
    )


def current(db: Session, household_id: str) -> LeadProfessional | None:
    return db.scalar(
        select(LeadProfessional).where(
            LeadProfessional.household_id == household_id, LeadProfessional.ended_at.is_(None)
        )
    )


def history(db: Session, household_id: str) -> list[LeadProfessional]:
    """Every spell of the household's leads, the newest first."""
    return list(
        db.scalars(
            select(LeadProfessional)
            .where(LeadProfessional.household_id == household_id)
            .order_by(LeadProfessional.started_at.desc())
        )
    )


def led_by(db: Session, username: str) -> list[str]:
    """The households the user is the lead professional of now."""
    return list(
        db.scalars(
            select(LeadProfessional.household_id)
            .where(
                LeadProfessional.username == core.normalise_username(username),
                LeadProfessional.ended_at.is_(None),
            )
            .order_by(LeadProfessional.household_id)
        )
    )


def candidates(db: Session) -> list[User]:
    """The active users who may be a lead professional, by name."""
    found = [user for user in core.list_users(db) if user.is_active and Role.LEAD_PROFESSIONAL in user.roles]
    return sorted(found, key=lambda user: (user.full_name, user.username))


def _start(
    db: Session,
    *,
    household_id: str,
    username: str,
    family_agreed_on: date,
    family_agreement: str,
    by: str,
    at: datetime,
) -> LeadProfessional:
    user = _lead_user(db, username)
    if family_agreed_on > at.astimezone(LOCAL_TIME).date():
        raise InvalidInputError(
            "The date the family agreed must be today or in the past.",
            field="family_agreed_on",
            fix="Enter the day the family agreed.",
        )
    agreement = family_agreement.strip()
    if not agreement:
        raise InvalidInputError(
            "Enter how the family agreed to the lead professional.",
            field="family_agreement",
            fix="For example: at a home visit, both parents agreed.",
        )
    lead = LeadProfessional(
        household_id=household_id,
        username=user.username,
        agency_id=user.agency_id,
        family_agreed_on=family_agreed_on,
        family_agreement=agreement,
        assigned_by=by,
        started_at=at,
    )
    try:
        with db.begin_nested():
            db.add(lead)
            db.flush()
    except IntegrityError:
        raise ConflictError(
            "Someone else has just assigned a lead professional to this household.",
            fix="Reload the page, then hand over if the lead should change.",
        ) from None
    _involve_lead_agency(db, lead, on=at.date())
    return lead


def _involve_lead_agency(db: Session, lead: LeadProfessional, *, on: date) -> None:
    """Leading a household is working with it: the lead's agency becomes involved with each member it is not
    already working with, so its access decisions say so."""
    for person_id in _members(db, lead.household_id):
        subject = Subject("person", person_id)
        if not involvements.is_involved(db, agency_id=lead.agency_id, subject=subject, on=on):
            involvements.open_involvement(
                db,
                person_id=person_id,
                household_id=lead.household_id,
                agency_id=lead.agency_id,
                origin=LEAD_ORIGIN,
                reference=f"lead professional {lead.username}",
                on=on,
            )


def _members(db: Session, household_id: str) -> list[str]:
    return list(
        db.scalars(
            select(RegisterRecord.person_id)
            .where(RegisterRecord.household_id == household_id)
            .distinct()
            .order_by(RegisterRecord.person_id)
        )
    )


def _lead_user(db: Session, username: str) -> User:
    user = core.find_user(db, username)
    if user is None or not user.is_active:
        raise InvalidInputError(
            f"There is no active user called {username.strip()!r}.",
            field="username",
            fix="Choose the lead professional from the list.",
        )
    if Role.LEAD_PROFESSIONAL not in user.roles:
        raise InvalidInputError(
            f"{user.full_name} does not hold the lead professional role.",
            field="username",
            fix="Choose someone who does, or ask an administrator to give them the role.",
        )
    return user


def _name_of(db: Session, username: str) -> str:
    user = core.find_user(db, username)
    return user.full_name if user is not None else username
