"""Referrals between agencies: one agency asks another to work with a person, for a purpose, with a reason and
an urgency that sets the time to answer by. What the referral passes on is decided and logged as a disclosure to
the receiving agency; accepting it opens that agency's involvement with the person."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.orm import Session

from wholeplace.coordination import framework
from wholeplace.coordination.framework import LOCAL_TIME
from wholeplace.coordination.models import Referral, RegisterRecord
from wholeplace.coordination.service import access, alerts, settings
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.governance import signing
from wholeplace.governance.decision import Subject
from wholeplace.governance.service import decisions, involvements, subject_access
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer

WAITING, ACCEPTED, DECLINED, WITHDRAWN = "waiting", "accepted", "declined", "withdrawn"
STATUSES = {WAITING: "Waiting", ACCEPTED: "Accepted", DECLINED: "Declined", WITHDRAWN: "Withdrawn"}
# Who the person is and how to reach them, and the referrer's involvement with them, which the reason tells.
CATEGORIES = ("identity", "contact", "involvement")
TAKES_REFERRALS = frozenset({Role.PRACTITIONER.value, Role.LEAD_PROFESSIONAL.value})
LISTED = 100
MINUTES_AN_HOUR, MINUTES_A_DAY = 60, 24 * 60
# The fields of the register's records that a referral's person panel shows.
ALL_FIELDS = frozenset({"given_name", "family_name", "date_of_birth", "address_line_1", "postcode"})

# What to do about a refusal, by what the decision said: first match wins.
_ADVICE = (
    ("no current consent", "Ask the family for consent to the referral and record it, then refer again."),
    (
        "own choices stop it",
        "The person has said no to this sharing: talk with them, or ask your information governance officer "
        "whether the law allows the referral without their agreement.",
    ),
    (
        "No sharing agreement in force",
        "Ask your information governance officer whether an agreement covers this referral, or refer under "
        "another purpose.",
    ),
    ("needs a case reference", "Enter the case reference."),
    ("Emergency access", "Choose another purpose: a referral is not an emergency access."),
    ("de-identified", "Choose a casework purpose."),
)
_DEFAULT_ADVICE = "Ask your information governance officer."


class ReferralRefusedError(InvalidInputError):
    """The access decision did not let the referral pass the person on; the refusal is logged at `position`."""

    def __init__(self, problem: str, *, fix: str, position: int) -> None:
        super().__init__(problem, field="to_agency", fix=fix)
        self.position = position


class NotYoursToAnswerError(WholeplaceError):
    """Only the receiving agency answers a referral, and only the referring agency withdraws it."""


@dataclass(frozen=True)
class Listed:
    """A referral in a list: the agencies at each end, and how its time to answer stands."""

    referral: Referral
    from_agency: str
    to_agency: str
    overdue: bool
    time_left: str  # "3 hours left", "overdue by 2 days"; empty once answered


@dataclass(frozen=True)
class PersonShown:
    """The person a referral is about, as far as the viewer may see them."""

    person_id: str
    name: str | None
    date_of_birth: date | None
    address: str | None
    postcode: str | None


def make(
    db: Session,
    *,
    data_dir: Path,
    viewer: Viewer,
    person_id: str,
    household_id: str | None,
    to_agency_id: uuid.UUID,
    purpose: str,
    reason: str,
    urgency: str,
    case_reference: str,
    at: datetime,
) -> Referral:
    """Refer a person to another agency, if the access decision lets the referral pass them on; the receiving
    agency's practitioners are alerted. A refusal is logged and raised as ReferralRefusedError."""
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("Enter why you are making the referral.", field="reason")
    if urgency not in framework.URGENCIES:
        raise InvalidInputError("Select how urgent the referral is.", field="urgency")
    household_id = _household_of(db, person_id=person_id, household_id=household_id)
    receiving = core.get_agency(db, to_agency_id)
    referrer = access.asker_for(db, viewer, purpose)
    if receiving.id == referrer.agency_id:
        raise InvalidInputError(
            "Choose another agency: a referral goes to another agency.", field="to_agency"
        )
    disclosure = decisions.refer(
        db,
        Lake.in_data_dir(data_dir),
        referrer=referrer,
        to=decisions.Asker(
            username=referrer.username, agency_id=receiving.id, agency=receiving.name, role=referrer.role
        ),
        purpose=purpose,
        subject=Subject("person", person_id),
        categories=CATEGORIES,
        case_reference=case_reference.strip(),
        at=at,
        signing_key=lambda: signing.place_key(data_dir),
    )
    refused = next((found for found in disclosure.decisions.values() if not found.permitted), None)
    if refused is not None:
        raise ReferralRefusedError(refused.reason, fix=advice(refused.reason), position=disclosure.position)
    referral = Referral(
        household_id=household_id,
        person_id=person_id,
        from_agency_id=referrer.agency_id,
        from_username=viewer.username,
        to_agency_id=receiving.id,
        purpose=purpose,
        reason=reason,
        urgency=urgency,
        decision_position=disclosure.position,
        made_at=at,
        respond_by=at + timedelta(hours=response_hours(db)[urgency]),
        status=WAITING,
    )
    db.add(referral)
    db.flush()
    _tell_the_receiving_agency(db, referral, referrer_agency=referrer.agency, at=at)
    return referral


def advice(reason: str) -> str:
    """What to do about a refused referral, from the decision's reason."""
    return next((told for said, told in _ADVICE if said in reason), _DEFAULT_ADVICE)


def response_hours(db: Session) -> dict[str, int]:
    """Hours to answer, by urgency, as the place's settings hold them."""
    return settings.response_hours(db)


def accept(
    db: Session,
    *,
    referral_id: uuid.UUID,
    by_username: str,
    by_agency_id: uuid.UUID,
    reason: str,
    at: datetime,
) -> Referral:
    """The receiving agency takes the person on: its involvement with them opens today."""
    referral = _answerable(db, referral_id, by_agency_id, reason, doing="accept")
    involvement = involvements.open_involvement(
        db,
        person_id=referral.person_id,
        household_id=referral.household_id,
        agency_id=referral.to_agency_id,
        origin="referral",
        reference=str(referral.id),
        on=at.date(),
    )
    referral.involvement_id = involvement.id
    _close(db, referral, ACCEPTED, by_username=by_username, reason=reason, at=at)
    return referral


def decline(
    db: Session,
    *,
    referral_id: uuid.UUID,
    by_username: str,
    by_agency_id: uuid.UUID,
    reason: str,
    at: datetime,
) -> Referral:
    referral = _answerable(db, referral_id, by_agency_id, reason, doing="decline")
    _close(db, referral, DECLINED, by_username=by_username, reason=reason, at=at)
    return referral


def withdraw(
    db: Session,
    *,
    referral_id: uuid.UUID,
    by_username: str,
    by_agency_id: uuid.UUID,
    reason: str,
    at: datetime,
) -> Referral:
    """The referring agency takes its referral back before it is answered."""
    referral = _waiting(db, referral_id, reason, doing="withdraw")
    if referral.from_agency_id != by_agency_id:
        raise NotYoursToAnswerError(
            f"Only {core.get_agency(db, referral.from_agency_id).name} can withdraw this referral."
        )
    referral.status, referral.responded_by = WITHDRAWN, by_username
    referral.responded_at, referral.response_reason = at, reason.strip()
    db.flush()
    return referral


def _answerable(
    db: Session, referral_id: uuid.UUID, agency_id: uuid.UUID, reason: str, *, doing: str
) -> Referral:
    referral = _waiting(db, referral_id, reason, doing=doing)
    if referral.to_agency_id != agency_id:
        raise NotYoursToAnswerError(
            f"Only {core.get_agency(db, referral.to_agency_id).name} can {doing} this referral."
        )
    return referral


def _waiting(db: Session, referral_id: uuid.UUID, reason: str, *, doing: str) -> Referral:
    referral = _get(db, referral_id)
    if not reason.strip():
        raise InvalidInputError(f"Enter why you {doing} the referral.", field="reason")
    if referral.status != WAITING:
        raise ConflictError(
            f"This referral was {referral.status} on {referral.responded_at:%-d %B %Y}.",
            fix="It can no longer be changed; make a new referral if one is needed.",
        )
    return referral


def _close(
    db: Session, referral: Referral, status: str, *, by_username: str, reason: str, at: datetime
) -> None:
    referral.status, referral.responded_by = status, by_username
    referral.responded_at, referral.response_reason = at, reason.strip()
    db.flush()
    answering = core.get_agency(db, referral.to_agency_id).name
    alerts.notify(
        db,
        username=referral.from_username,
        household_id=referral.household_id or "",
        kind="referral",
        about=f"referral:{referral.id}:{status}",
        summary=f"{answering} {status} your referral of {referral.made_at:%-d %B %Y}.",
        occurred_on=at.date(),
        at=at,
        decision_position=None,
    )


def _tell_the_receiving_agency(
    db: Session, referral: Referral, *, referrer_agency: str, at: datetime
) -> None:
    urgency = framework.URGENCIES[referral.urgency].lower()
    answer_by = referral.respond_by.astimezone(LOCAL_TIME)
    summary = f"Referral from {referrer_agency}, {urgency}: answer by {answer_by:%-d %B %Y, %H:%M}."
    for user in core.list_users(db):
        if user.agency_id == referral.to_agency_id and user.is_active and user.roles & TAKES_REFERRALS:
            alerts.notify(
                db,
                username=user.username,
                household_id=referral.household_id or "",
                kind="referral",
                about=f"referral:{referral.id}",
                summary=summary,
                occurred_on=at.date(),
                at=at,
                decision_position=referral.decision_position,
            )


def _household_of(db: Session, *, person_id: str, household_id: str | None) -> str | None:
    """The person's household as the register has it; a household given must be theirs."""
    households = set(
        db.scalars(select(RegisterRecord.household_id).where(RegisterRecord.person_id == person_id))
    )
    if not households:
        raise InvalidInputError("Choose the person the referral is about.", field="person")
    if household_id is not None and household_id not in households:
        raise InvalidInputError("Choose a member of the household.", field="person")
    return household_id or next((found for found in sorted(households, key=str) if found), None)


# ---------------------------------------------------------------- reading


def get(db: Session, *, referral_id: uuid.UUID, agency_id: uuid.UUID) -> Referral:
    """A referral, for a user of the agency that made it or the one it was made to; nobody else sees it."""
    referral = _get(db, referral_id)
    if agency_id not in (referral.from_agency_id, referral.to_agency_id):
        raise NotFoundError("There is no such referral.", fix="Check the link, or look in Referrals.")
    return referral


def decided_for(db: Session, *, position: int, agency_id: uuid.UUID) -> bool:
    """Whether the access-log entry at `position` is the decision behind a referral that the agency made or
    received: its users may read it, as they may read the referral."""
    found = db.scalars(
        select(Referral.id)
        .where(
            Referral.decision_position == position,
            or_(Referral.from_agency_id == agency_id, Referral.to_agency_id == agency_id),
        )
        .limit(1)
    ).first()
    return found is not None


def _get(db: Session, referral_id: uuid.UUID) -> Referral:
    referral = db.get(Referral, referral_id)
    if referral is None:
        raise NotFoundError("There is no such referral.", fix="Check the link, or look in Referrals.")
    return referral


def received(db: Session, *, agency_id: uuid.UUID, at: datetime) -> list[Listed]:
    """Referrals made to the agency: those waiting first, the soonest due at the top, then the latest answered."""
    return _listed(db, Referral.to_agency_id == agency_id, at)


def sent(db: Session, *, agency_id: uuid.UUID, at: datetime) -> list[Listed]:
    return _listed(db, Referral.from_agency_id == agency_id, at)


def _listed(db: Session, which: ColumnElement[bool], at: datetime) -> list[Listed]:
    waiting_first = case((Referral.status == WAITING, 0), else_=1)
    rows = db.scalars(
        select(Referral)
        .where(which)
        .order_by(
            waiting_first, case((Referral.status == WAITING, Referral.respond_by)), Referral.made_at.desc()
        )
        .limit(LISTED)
    )
    names = {agency.id: agency.name for agency in core.list_agencies(db)}
    return [
        Listed(
            referral=referral,
            from_agency=names[referral.from_agency_id],
            to_agency=names[referral.to_agency_id],
            overdue=is_overdue(referral, at),
            time_left=time_left(referral.respond_by, at) if referral.status == WAITING else "",
        )
        for referral in rows
    ]


def is_overdue(referral: Referral, at: datetime) -> bool:
    return referral.status == WAITING and at > referral.respond_by


def time_left(respond_by: datetime, at: datetime) -> str:
    """How long is left to answer, or how long ago the time ran out, in the largest whole unit."""
    remaining = respond_by - at
    span = _span(abs(remaining))
    return f"{span} left" if remaining >= timedelta(0) else f"overdue by {span}"


def _span(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    if minutes >= 2 * MINUTES_A_DAY:
        return _count(minutes // MINUTES_A_DAY, "day")
    if minutes >= MINUTES_AN_HOUR:
        return _count(minutes // MINUTES_AN_HOUR, "hour")
    return _count(minutes, "minute")


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


def person_shown(db: Session, referral: Referral, *, agency_id: uuid.UUID) -> PersonShown:
    """The person as the referring agency's records have them: to that agency in full, to the receiving agency
    only the fields the referral's logged decision released."""
    record = db.scalars(
        select(RegisterRecord)
        .where(RegisterRecord.person_id == referral.person_id)
        .order_by(case((RegisterRecord.agency_id == referral.from_agency_id, 0), else_=1), RegisterRecord.id)
        .limit(1)
    ).first()
    if record is None or record.agency_id != referral.from_agency_id:
        return PersonShown(referral.person_id, None, None, None, None)
    released = _released(db, referral, agency_id)
    names = [
        record.given_name if "given_name" in released else None,
        record.family_name if "family_name" in released else None,
    ]
    return PersonShown(
        person_id=referral.person_id,
        name=" ".join(part for part in names if part) or None,
        date_of_birth=record.date_of_birth if "date_of_birth" in released else None,
        address=record.address if "address_line_1" in released else None,
        postcode=record.postcode if "postcode" in released else None,
    )


def _released(db: Session, referral: Referral, agency_id: uuid.UUID) -> frozenset[str]:
    if agency_id == referral.from_agency_id:
        return ALL_FIELDS
    if agency_id != referral.to_agency_id:
        return frozenset()
    return frozenset(json.loads(subject_access.log_entry(db, referral.decision_position).fields))
