"""People's consents and objections: recorded with their scope and evidence, changed only by a new record that
supersedes the old (so the history stays), and read by the access decision as choices."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.governance import vocabulary
from wholeplace.governance.decision import Choice
from wholeplace.governance.models import ConsentRecord, Purpose

Kind = Literal["consent", "objection"]
Status = Literal["given", "refused", "withdrawn", "expired"]
ON_BEHALF = ("parent", "guardian")
THE_PERSON = "the person"
CHOICE_LABELS = {
    ("consent", "given"): "Consent given",
    ("consent", "refused"): "Consent refused",
    ("consent", "withdrawn"): "Consent withdrawn",
    ("consent", "expired"): "Consent expired",
    ("objection", "given"): "Objection",
    ("objection", "withdrawn"): "Objection withdrawn",
}


@dataclass(frozen=True)
class Scope:
    """What a choice covers; an empty set covers everything of its kind."""

    purposes: frozenset[str] = frozenset()
    recipients: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GivenBy:
    """Who made the choice: the person, or a parent or guardian on a child's behalf."""

    name: str = THE_PERSON
    relationship: str | None = None


def record_choice(
    db: Session,
    *,
    person_id: str,
    kind: Kind,
    status: Status,
    scope: Scope,
    given_by: GivenBy,
    evidence: str,
    by: str,
    at: datetime,
    valid_until: datetime | None = None,
) -> ConsentRecord:
    """Record a consent (given or refused) or an objection; it applies to the next decision."""
    _check(db, kind=kind, status=status, scope=scope, given_by=given_by, evidence=evidence)
    record = ConsentRecord(
        person_id=person_id,
        kind=kind,
        status=status,
        purposes=sorted(scope.purposes),
        recipients=sorted(scope.recipients),
        categories=sorted(scope.categories),
        given_by=given_by.name,
        given_by_relationship=given_by.relationship,
        evidence=evidence.strip(),
        valid_from=at,
        valid_until=valid_until,
        recorded_by=by,
        recorded_at=at,
        superseded=False,
    )
    db.add(record)
    db.flush()
    return record


def change_status(
    db: Session, *, record_id: uuid.UUID, status: Status, evidence: str, by: str, at: datetime
) -> ConsentRecord:
    """Withdraw, refuse, expire or renew a choice: a new record with the same scope supersedes the old one."""
    earlier = db.get(ConsentRecord, record_id)
    if earlier is None or earlier.superseded:
        raise NotFoundError("That consent record does not exist or has already been changed.")
    if earlier.kind == "objection" and status not in ("given", "withdrawn"):
        raise InvalidInputError("An objection is either in force (given) or withdrawn.")
    _check_evidence(evidence)
    earlier.superseded = True
    later = ConsentRecord(
        person_id=earlier.person_id,
        kind=earlier.kind,
        status=status,
        purposes=earlier.purposes,
        recipients=earlier.recipients,
        categories=earlier.categories,
        given_by=earlier.given_by,
        given_by_relationship=earlier.given_by_relationship,
        evidence=evidence.strip(),
        valid_from=at,
        valid_until=earlier.valid_until if status == "given" else None,
        recorded_by=by,
        recorded_at=at,
        supersedes_id=earlier.id,
        superseded=False,
    )
    db.add(later)
    db.flush()
    return later


def choices_of(db: Session, person_ids: Iterable[str]) -> tuple[Choice, ...]:
    """The choices in force for these people, as the access decision reads them."""
    wanted = list(person_ids)
    if not wanted:
        return ()
    return tuple(_choice(row) for row in db.connection().execute(_CHOICES, {"people": wanted}))


def history_of(db: Session, person_id: str) -> list[ConsentRecord]:
    """Every consent and objection record of a person, newest first, superseded ones included."""
    return list(
        db.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.person_id == person_id)
            .order_by(ConsentRecord.recorded_at.desc())
        )
    )


def recent_withdrawals(db: Session, *, since: datetime, limit: int = 50) -> list[ConsentRecord]:
    """Objections and withdrawn or refused consents recorded since a time, for the governance officer."""
    return list(
        db.scalars(
            select(ConsentRecord)
            .where(
                ConsentRecord.recorded_at >= since,
                ConsentRecord.superseded.is_(False),
                (ConsentRecord.kind == "objection") & (ConsentRecord.status == "given")
                | ConsentRecord.status.in_(("withdrawn", "refused")),
            )
            .order_by(ConsentRecord.recorded_at.desc())
            .limit(limit)
        )
    )


CHOICE_COLUMNS = (
    ConsentRecord.person_id,
    ConsentRecord.kind,
    ConsentRecord.status,
    ConsentRecord.purposes,
    ConsentRecord.recipients,
    ConsentRecord.categories,
    ConsentRecord.valid_from,
    ConsentRecord.valid_until,
)


_CHOICES = select(*CHOICE_COLUMNS).where(
    ConsentRecord.person_id.in_(bindparam("people", expanding=True)), ConsentRecord.superseded.is_(False)
)
ChoiceRow = Row[str, str, str, list[str], list[str], list[str], datetime, datetime | None]


def _choice(row: ChoiceRow) -> Choice:
    return Choice(
        person_id=row.person_id,
        kind=row.kind,
        status=row.status,
        purposes=frozenset(row.purposes),
        recipients=frozenset(row.recipients),
        categories=frozenset(row.categories),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


def _check(
    db: Session, *, kind: Kind, status: Status, scope: Scope, given_by: GivenBy, evidence: str
) -> None:
    if kind == "objection" and status != "given":
        raise InvalidInputError("Record an objection as given; withdraw it later with a new record.")
    if given_by.name != THE_PERSON and given_by.relationship not in ON_BEHALF:
        raise InvalidInputError(
            "A choice made for someone else needs the relationship of who made it.",
            fix="Say whether a parent or a guardian made it on the child's behalf.",
        )
    known_purposes = {purpose.code for purpose in vocabulary.PURPOSES} | set(db.scalars(select(Purpose.code)))
    unknown = sorted(scope.purposes - known_purposes)
    if unknown:
        raise InvalidInputError(f"{', '.join(unknown)}: not a purpose this place recognises.")
    unknown = sorted(scope.categories - {category.code for category in vocabulary.CATEGORIES})
    if unknown:
        raise InvalidInputError(f"{', '.join(unknown)}: not a data category.")
    _check_evidence(evidence)


def _check_evidence(evidence: str) -> None:
    if not evidence.strip():
        raise InvalidInputError(
            "Say what the choice rests on.",
            fix="For example: signed form on the case file, or a phone call with the date and who took it.",
        )
