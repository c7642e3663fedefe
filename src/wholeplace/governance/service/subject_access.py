"""Subject access: what a person may learn about the partnership's use of their data. Who has looked at it (less
the accesses withheld for a while on a ground the law allows, without a trace of them), the exemptions that
withhold them, and one export of everything held about the person.

The person is told which agency looked, in which role and why, never the worker's name: the log keeps the name
for the information governance officer, who answers a request for it case by case (docs/subject-access.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from wholeplace.core import service as core
from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import AccessExemption, AccessLogEntry, ConsentRecord
from wholeplace.governance.service import agreements, consent, involvements
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake, LakeBatch

PERMIT = "permit"
EXPORT_FORMAT = "wholeplace subject access export"
EXPORT_VERSION = 1

# The grounds in the Data Protection Act 2018 on which an access may be kept out of the person's report for a
# while, each with the provision it rests on.
EXEMPTION_GROUNDS: tuple[str, ...] = (
    "DPA 2018 Sch. 2 para. 2 — crime and taxation: prevention or detection of crime, or apprehension or "
    "prosecution of offenders",
    "DPA 2018 Sch. 2 para. 16 — protection of the rights of others: telling would reveal another person",
    "DPA 2018 Sch. 3 para. 5 — health data: telling would be likely to cause serious harm to the physical or "
    "mental health of the person or someone else",
    "DPA 2018 Sch. 3 para. 11 — social work data: telling would be likely to prejudice social work by causing "
    "serious harm to the person or someone else",
    "DPA 2018 Sch. 3 para. 21 — child abuse data: asked by a parent or a court-appointed deputy, and telling "
    "would not be in the child's best interests",
    "DPA 2018 s. 26 — national security",
)

ROLE_WORDS = {role.value: role.label for role in Role}
# Columns of a lake row that say where the record came from rather than what it says about the person.
PROVENANCE = frozenset({"source", "record_id", "batch", "row_number", "problems", "updated_at"})
# The forms a lake keeps of one standard field beside its standardised value.
FIELD_FORMS = ("_original", "_key_ascii", "_key", "_parts", "_sector", "_district")

EXPLANATIONS = {
    "document": (
        "Everything the partnership's shared system holds about you: the records each organisation sent it, the "
        "household we think you live in, the organisations working with you, your consent and objection choices, "
        "and who has looked at your information."
    ),
    "records": (
        "The records each organisation sent, as the system holds them today. A record can come with work the "
        "organisation did with you (involvements), things that happened (events) and the people it says you are "
        "related to (relationships). Each value is given as the organisation sent it (the name ending in "
        "_original) and as the system tidied it; the forms of your name ending in _key are what the system uses to "
        "match records."
    ),
    "household": (
        "The household the system thinks you live in, worked out from the addresses in the records, and the ids of "
        "the other people it thinks live there. Their own information is not given here: it is theirs."
    ),
    "involvements": (
        "The organisations working with you, or who have worked with you, as their records show or since a "
        "referral was accepted, with the first and last dates the system knows."
    ),
    "choices": (
        "Every consent or objection recorded for you, newest first, including those later withdrawn or replaced. "
        "An empty list of purposes, organisations or kinds of information means all of them."
    ),
    "who_looked": (
        "Each time someone in the partnership was allowed to see information about you or your household, newest "
        "first: when, which organisation, the kind of worker, why, and what kind of information. Workers are not "
        "named; refused requests are not listed because nothing was shown."
    ),
}


@dataclass(frozen=True)
class Look:
    """One permitted access to a person's data, as the person is told of it."""

    position: int
    at: datetime
    agency: str
    role: str
    purpose: str
    categories: tuple[str, ...]
    about: str  # person, household

    def as_json(self) -> dict[str, Any]:
        return {
            "log_entry": self.position,
            "at": self.at.isoformat(),
            "agency": self.agency,
            "role": self.role,
            "purpose": self.purpose,
            "information": list(self.categories),
            "about": "you" if self.about == "person" else "your household",
        }


# ---------------------------------------------------------------- who looked


def who_looked(db: Session, *, person_id: str, household_id: str | None, today: date) -> list[Look]:
    """The permitted accesses to the person or their current household, newest first, less those an exemption
    withholds on `today`. Nothing in the list shows that anything was left out."""
    about = _about(person_id, household_id)
    entries = db.scalars(
        select(AccessLogEntry)
        .where(AccessLogEntry.outcome == PERMIT, about)
        .order_by(AccessLogEntry.position.desc())
    )
    withheld = _withheld(db, about, today=today)
    labels = agreements.purpose_labels(db)
    return [_look(entry, labels) for entry in entries if entry.position not in withheld]


def _about(person_id: str, household_id: str | None) -> ColumnElement[bool]:
    person = and_(AccessLogEntry.subject_kind == "person", AccessLogEntry.subject_id == person_id)
    if household_id is None:
        return person
    household = and_(AccessLogEntry.subject_kind == "household", AccessLogEntry.subject_id == household_id)
    return or_(person, household)


def _withheld(db: Session, about: ColumnElement[bool], *, today: date) -> set[int]:
    """Positions whose latest exemption still holds: withheld up to and including its day."""
    latest: dict[int, AccessExemption] = {}
    for exemption in db.scalars(
        select(AccessExemption)
        .where(AccessExemption.position.in_(select(AccessLogEntry.position).where(about)))
        .order_by(AccessExemption.id)
    ):
        latest[exemption.position] = exemption
    return {position for position, exemption in latest.items() if _holds(exemption, today)}


def _holds(exemption: AccessExemption, today: date) -> bool:
    return exemption.withheld_until >= today


def _look(entry: AccessLogEntry, purpose_labels: dict[str, str]) -> Look:
    return Look(
        position=entry.position,
        at=datetime.fromisoformat(entry.at),
        agency=entry.agency,
        role=role_label(entry.role),
        purpose=purpose_labels.get(entry.purpose, entry.purpose),
        categories=_seen(entry),
        about=entry.subject_kind,
    )


def role_label(code: str) -> str:
    return ROLE_WORDS.get(code, code.replace("_", " ").capitalize())


def _seen(entry: AccessLogEntry) -> tuple[str, ...]:
    """The kinds of information an entry released some field of. Kinds that share a field (events and health
    events both have a type and a date) are both named: the person is told too much rather than too little."""
    released = set(json.loads(entry.fields))
    asked = (vocabulary.category(code) for code in json.loads(entry.categories))
    return tuple(found.label for found in asked if found is not None and released & set(found.fields))


# ---------------------------------------------------------------- exemptions


def record_exemption(
    db: Session, *, position: int, ground: str, withheld_until: date, by: str, at: datetime
) -> AccessExemption:
    """Withhold a permitted access from the person's report up to and including a day at most a year ahead, on
    one of EXEMPTION_GROUNDS. Renewing is recording another exemption: the latest one for an entry holds."""
    if log_entry(db, position).outcome != PERMIT:
        raise InvalidInputError(
            f"Entry {position} was refused, so nothing was shown and it is not in the person's report.",
            fix="Only a permitted access can be withheld.",
        )
    if ground not in EXEMPTION_GROUNDS:
        raise InvalidInputError(
            "Choose the ground in the Data Protection Act 2018 the exemption rests on.", field="ground"
        )
    _check_withholding(withheld_until, today=at.date())
    exemption = AccessExemption(
        position=position, ground=ground, withheld_until=withheld_until, recorded_by=by, recorded_at=at
    )
    db.add(exemption)
    db.flush()
    return exemption


def latest_withholding(today: date) -> date:
    """The last day an exemption recorded today may withhold an access to: a year ahead."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def _check_withholding(withheld_until: date, *, today: date) -> None:
    if withheld_until <= today:
        raise InvalidInputError(
            "The date to withhold the access until must be in the future.", field="withheld_until"
        )
    latest = latest_withholding(today)
    if withheld_until > latest:
        raise InvalidInputError(
            f"An access can be withheld for at most a year at a time: until {latest:%-d %B %Y} at the latest.",
            field="withheld_until",
            fix="Record the exemption again nearer the time if the ground still holds.",
        )


def exemptions_of(db: Session, position: int) -> list[AccessExemption]:
    """Every exemption recorded for an access-log entry, latest (the one that holds) first."""
    return list(
        db.scalars(
            select(AccessExemption)
            .where(AccessExemption.position == position)
            .order_by(AccessExemption.id.desc())
        )
    )


def exemption_holding(db: Session, position: int, *, today: date) -> AccessExemption | None:
    """The exemption that keeps an entry out of the person's report today, if one does."""
    latest = next(iter(exemptions_of(db, position)), None)
    return latest if latest is not None and _holds(latest, today) else None


def log_entry(db: Session, position: int) -> AccessLogEntry:
    found = db.get(AccessLogEntry, position)
    if found is None:
        raise NotFoundError(f"There is no access-log entry {position}.", fix="Check the entry's number.")
    return found


# ---------------------------------------------------------------- the export


def subject_access_export(
    db: Session, lake: Lake, batches: list[LakeBatch], *, person_id: str, at: datetime
) -> dict[str, Any]:
    """Everything held about a person, as JSON-able data with a plain-English explanation of each section: their
    records from every source, their household (its members by id only), the agencies involved, their consents
    and objections, and who looked at their data."""
    household_id = identity.household_of(db, lake, person_id)
    held = identity.records_of(db, lake, batches, person_id)
    purposes = agreements.purpose_labels(db)
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "person_id": person_id,
        "generated_at": at.isoformat(),
        "explanation": EXPLANATIONS["document"],
        "records": {
            "explanation": EXPLANATIONS["records"],
            "agencies": _agencies_of(db, held),
            **{entity: [_plain_row(row) for row in rows] for entity, rows in held.items()},
        },
        "household": {
            "explanation": EXPLANATIONS["household"],
            "household_id": household_id,
            "other_members": [
                member
                for member in (identity.household_members(db, lake, household_id) if household_id else [])
                if member != person_id
            ],
        },
        "involvements": {
            "explanation": EXPLANATIONS["involvements"],
            "agencies": [
                {"agency": agency, "from": _plain(start), "until": _plain(end)}
                for agency, start, end in involvements.involvements_of(db, Subject("person", person_id))
            ],
        },
        "choices": {
            "explanation": EXPLANATIONS["choices"],
            "records": [_choice(record, purposes) for record in consent.history_of(db, person_id)],
        },
        "who_looked": {
            "explanation": EXPLANATIONS["who_looked"],
            "accesses": [
                look.as_json()
                for look in who_looked(db, person_id=person_id, household_id=household_id, today=at.date())
            ],
        },
    }


def _agencies_of(db: Session, held: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """The agency behind each source the person's records came from."""
    named = {source.name: core.get_agency(db, source.agency_id).name for source in sources.list_sources(db)}
    used = sorted({row["source"] for rows in held.values() for row in rows})
    return {source: named.get(source, source) for source in used}


def _choice(record: ConsentRecord, purposes: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "status": record.status,
        "in_force": not record.superseded,
        "purposes": [purposes.get(code, code) for code in record.purposes],
        "organisations": list(record.recipients),
        "information": [_category_label(code) for code in record.categories],
        "given_by": record.given_by,
        "given_by_relationship": record.given_by_relationship,
        "evidence": record.evidence,
        "valid_from": _plain(record.valid_from),
        "valid_until": _plain(record.valid_until),
        "recorded_at": _plain(record.recorded_at),
    }


def _category_label(code: str) -> str:
    found = vocabulary.category(code)
    return found.label if found else code


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    """A lake row without the columns it has no value in (the lake's columns are those of every source)."""
    return {name: _plain(value) for name, value in row.items() if value is not None}


def _plain(value: Any) -> Any:
    """A value as JSON holds it: dates and times as ISO 8601 text, lists item by item."""
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# ---------------------------------------------------------------- what a disclosure released


def standard_field(entity: str, column: str) -> str | None:
    """The standard field, as agreements name it, that a lake column holds a form of; None for the columns that
    say where a record came from."""
    if column in PROVENANCE:
        return None
    base = next((column.removesuffix(form) for form in FIELD_FORMS if column.endswith(form)), column)
    if entity != "person":
        return f"{entity}.{base}"
    if base == "full_name":  # the name in one column, before it was split into given and family names
        return "given_name"
    if base.startswith("identifiers."):  # a source's own identifier of another kind
        return "record_id"
    return base


def released(export: dict[str, Any], *, fields: frozenset[str]) -> dict[str, Any]:
    """The export with every record narrowed to the fields a disclosure released (and where it came from)."""
    records = export["records"]
    narrowed = {
        entity: [
            {
                column: value
                for column, value in row.items()
                if (field := standard_field(entity, column)) is None or field in fields
            }
            for row in records[entity]
        ]
        for entity in ("person", "involvement", "event", "relationship")
    }
    return {**export, "records": {**records, **narrowed}}
