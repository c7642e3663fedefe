"""A household or a person as one access decision lets a practitioner see them: members and relationships,
addresses, the agencies involved, a timeline of significant events, the plan's needs and the lead professional,
read from the register and filtered row by row, field by field, by the decision's Sight."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from wholeplace.coordination.models import (
    PlanNeed,
    RegisterEvent,
    RegisterInvolvement,
    RegisterRecord,
    RegisterRelationship,
)
from wholeplace.coordination.service import leads, plans
from wholeplace.coordination.service.access import Sight
from wholeplace.coordination.service.finding import most_common
from wholeplace.core import service as core
from wholeplace.core.models import Agency
from wholeplace.governance.decision import Subject
from wholeplace.governance.service import involvements

TIMELINE = 50
WITHHELD = "A member of the household whose data is withheld"
NOT_SHARED = "Name not shared"
EVENT_CATEGORIES = ("events", "health", "criminal_offence")


@dataclass(frozen=True)
class Relationship:
    type: str
    other_name: str | None
    other_person_id: str | None  # set when the other person is a member shown on the page


@dataclass(frozen=True)
class Member:
    person_id: str
    withheld: bool
    name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    age: int | None = None
    sex: str | None = None
    relationships: tuple[Relationship, ...] = ()


@dataclass(frozen=True)
class Address:
    text: str
    postcode: str
    recorded_on: date | None


@dataclass(frozen=True)
class AgencyInvolved:
    agency: str
    types: tuple[str, ...]
    started_on: date | None
    ended_on: date | None
    open: bool
    workers: tuple[str, ...]


@dataclass(frozen=True)
class TimelineEvent:
    occurred_on: date
    type: str
    agency: str
    person: str
    role: str | None
    reference: str | None
    detail: str | None


@dataclass(frozen=True)
class Need:
    outcome_area: str
    description: str


@dataclass(frozen=True)
class Lead:
    name: str
    agency: str


@dataclass(frozen=True)
class View:
    """What the page shows, each list already cut to what the Sight allows."""

    subject: Subject
    household_id: str | None
    members: tuple[Member, ...]
    address: Address | None
    addresses: tuple[Address, ...]
    agencies_now: tuple[AgencyInvolved, ...]
    agencies_before: tuple[AgencyInvolved, ...]
    timeline: tuple[TimelineEvent, ...]
    needs: tuple[Need, ...]
    lead: Lead | None

    @property
    def family_names(self) -> tuple[str, ...]:
        """Each family name once, however the agencies capitalised it, as the first member's record spells it."""
        spelt: dict[str, str] = {}
        for member in self.members:
            if member.family_name:
                spelt.setdefault(member.family_name.casefold(), member.family_name)
        return tuple(spelt.values())


def household(db: Session, *, household_id: str, sight: Sight, today: date) -> View:
    """The household page's content."""
    return _assemble(
        db,
        subject=Subject("household", household_id),
        household_id=household_id,
        scope_column="household_id",
        sight=sight,
        today=today,
    )


def person(db: Session, *, person_id: str, sight: Sight, today: date) -> View:
    """The person page's content: the same panels, about one person; their household's plan and lead."""
    household_id = db.scalar(
        select(RegisterRecord.household_id)
        .where(RegisterRecord.person_id == person_id, RegisterRecord.household_id.is_not(None))
        .limit(1)
    )
    return _assemble(
        db,
        subject=Subject("person", person_id),
        household_id=household_id,
        scope_column="person_id",
        sight=sight,
        today=today,
    )


def _assemble(
    db: Session, *, subject: Subject, household_id: str | None, scope_column: str, sight: Sight, today: date
) -> View:
    names = {agency.id: agency.name for agency in db.scalars(select(Agency))}
    withheld = _withheld(sight)
    records = [
        row
        for row in db.scalars(
            select(RegisterRecord).where(getattr(RegisterRecord, scope_column) == subject.id)
        )
        if row.person_id not in withheld
    ]
    members = _members(db, records, names, sight, withheld, scope_column, subject.id, today)
    shown_names = {member.person_id: member.name for member in members if not member.withheld}
    addresses = _addresses(records, names, sight)
    involved = _agencies(db, subject, scope_column, names, sight, withheld, today)
    return View(
        subject=subject,
        household_id=household_id,
        members=members,
        address=addresses[0] if addresses else None,
        addresses=addresses,
        agencies_now=tuple(found for found in involved if found.open),
        agencies_before=tuple(found for found in involved if not found.open),
        timeline=_timeline(db, scope_column, subject.id, names, sight, withheld, shown_names),
        needs=_needs(db, household_id) if household_id else (),
        lead=_lead(db, household_id) if household_id else None,
    )


def _withheld(sight: Sight) -> frozenset[str]:
    return frozenset(person for decision in sight.decisions.values() for person in decision.withheld)


def _members(
    db: Session,
    records: Sequence[RegisterRecord],
    names: dict[uuid.UUID, str],
    sight: Sight,
    withheld: frozenset[str],
    scope_column: str,
    subject_id: str,
    today: date,
) -> tuple[Member, ...]:
    by_person: dict[str, list[RegisterRecord]] = {}
    for record in records:
        if sight.shows("identity", provider=names[record.agency_id], person_id=record.person_id):
            by_person.setdefault(record.person_id, []).append(record)
    agency_of_source = {record.source: record.agency_id for record in records}
    relationships = _relationships(
        db, scope_column, subject_id, agency_of_source, names, sight, withheld, by_person
    )
    shown = [
        _member(person, held, relationships.get(person, ()), today) for person, held in by_person.items()
    ]
    shown.sort(key=lambda member: (member.date_of_birth or date.max, member.name))
    hidden = [
        Member(person_id=person, withheld=True) for person in sorted(withheld) if scope_column != "person_id"
    ]
    if scope_column == "person_id" and subject_id in withheld:
        hidden = [Member(person_id=subject_id, withheld=True)]
    return (*shown, *hidden)


def _member(
    person: str, held: Sequence[RegisterRecord], relationships: tuple[Relationship, ...], today: date
) -> Member:
    given = most_common(record.given_name for record in held) or ""
    family = most_common(record.family_name for record in held) or ""
    born = most_common(record.date_of_birth for record in held)
    return Member(
        person_id=person,
        withheld=False,
        name=" ".join(part for part in (given, family) if part) or NOT_SHARED,
        family_name=family,
        date_of_birth=born,
        age=age_on(born, today) if born else None,
        sex=most_common(record.sex for record in held),
        relationships=relationships,
    )


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _relationships(
    db: Session,
    scope_column: str,
    subject_id: str,
    agency_of_source: dict[str, uuid.UUID],
    names: dict[uuid.UUID, str],
    sight: Sight,
    withheld: frozenset[str],
    shown_people: dict[str, list[RegisterRecord]],
) -> dict[str, tuple[Relationship, ...]]:
    rows = db.scalars(
        select(RegisterRelationship).where(getattr(RegisterRelationship, scope_column) == subject_id)
    )
    found: dict[str, dict[tuple[str, str | None, str | None], None]] = {}
    for row in rows:
        agency = agency_of_source.get(row.source)
        if agency is None or row.person_id in withheld:
            continue
        if not sight.shows("household", provider=names[agency], person_id=row.person_id):
            continue
        member = row.other_person_id if row.other_person_id in shown_people else None
        other_name = None if row.other_person_id in withheld else row.other_name
        found.setdefault(row.person_id, {})[(row.type, other_name, member)] = None
    return {
        person: tuple(Relationship(kind, name, member) for kind, name, member in kept)
        for person, kept in found.items()
    }


def _addresses(
    records: Sequence[RegisterRecord], names: dict[uuid.UUID, str], sight: Sight
) -> tuple[Address, ...]:
    """Distinct addresses, each with the latest day a record gave it, most recent first."""
    latest: dict[tuple[str, str], date | None] = {}
    for record in records:
        if not (record.address or record.postcode):
            continue
        if not sight.shows("contact", provider=names[record.agency_id], person_id=record.person_id):
            continue
        key = (record.address or "", record.postcode or "")
        seen = latest.get(key)
        if key not in latest or (record.recorded_on and (seen is None or record.recorded_on > seen)):
            latest[key] = record.recorded_on
    # a record that gives only a postcode adds nothing where another gives the full address at that postcode
    placed = {postcode for text, postcode in latest if text}
    found = [
        Address(text, postcode, recorded_on)
        for (text, postcode), recorded_on in latest.items()
        if text or postcode not in placed
    ]
    found.sort(key=lambda address: (address.recorded_on or date.min, address.text), reverse=True)
    return tuple(found)


def _agencies(
    db: Session,
    subject: Subject,
    scope_column: str,
    names: dict[uuid.UUID, str],
    sight: Sight,
    withheld: frozenset[str],
    today: date,
) -> tuple[AgencyInvolved, ...]:
    """The agencies' cases from their records, grouped by agency, and those opened here by referral or lead."""
    grouped: dict[str, list[RegisterInvolvement]] = {}
    rows = db.scalars(
        select(RegisterInvolvement).where(getattr(RegisterInvolvement, scope_column) == subject.id)
    )
    for row in rows:
        agency = names[row.agency_id]
        if row.person_id not in withheld and sight.shows(
            "involvement", provider=agency, person_id=row.person_id
        ):
            grouped.setdefault(agency, []).append(row)
    found = {agency: _involved(agency, held, sight, today) for agency, held in grouped.items()}
    for agency, started, ended in involvements.involvements_of(db, subject):
        if agency in found or not sight.shows("involvement", provider=agency):
            continue
        found[agency] = AgencyInvolved(agency, (), started, ended, _open(ended, today), ())
    return tuple(
        sorted(found.values(), key=lambda one: (one.started_on or date.min, one.agency), reverse=True)
    )


def _involved(agency: str, held: Sequence[RegisterInvolvement], sight: Sight, today: date) -> AgencyInvolved:
    started = [row.started_on for row in held if row.started_on]
    open_now = any(_open(row.ended_on, today) for row in held)
    ended = [row.ended_on for row in held if row.ended_on]
    named = agency == sight.agency or sight.field_shown("involvement_detail", "involvement.lead_worker")
    return AgencyInvolved(
        agency=agency,
        types=tuple(dict.fromkeys(row.type for row in held if row.type)),
        started_on=min(started) if started else None,
        ended_on=None if open_now or not ended else max(ended),
        open=open_now,
        workers=tuple(dict.fromkeys(row.lead_worker for row in held if row.lead_worker)) if named else (),
    )


def _open(ended: date | None, today: date) -> bool:
    return ended is None or ended >= today


def _timeline(
    db: Session,
    scope_column: str,
    subject_id: str,
    names: dict[uuid.UUID, str],
    sight: Sight,
    withheld: frozenset[str],
    shown_names: dict[str, str],
) -> tuple[TimelineEvent, ...]:
    """The newest events the Sight allows; the filter is in the query, so fifty shown are fifty fetched."""
    query = (
        select(RegisterEvent)
        .where(getattr(RegisterEvent, scope_column) == subject_id, _visible_events(names, sight))
        .order_by(RegisterEvent.occurred_on.desc(), RegisterEvent.id.desc())
        .limit(TIMELINE)
    )
    if withheld:
        query = query.where(RegisterEvent.person_id.not_in(withheld))
    return tuple(
        TimelineEvent(
            occurred_on=row.occurred_on,
            type=row.type,
            agency=names[row.agency_id],
            person=shown_names.get(row.person_id, ""),
            role=row.role if _field_shown(sight, row.category, names[row.agency_id], "event.role") else None,
            reference=(
                row.reference
                if _field_shown(sight, row.category, names[row.agency_id], "event.reference")
                else None
            ),
            detail=row.detail if _detail_shown(sight, row.category, names[row.agency_id]) else None,
        )
        for row in db.scalars(query)
    )


def _visible_events(names: dict[uuid.UUID, str], sight: Sight) -> ColumnElement[bool]:
    """Rows of the viewer's own agency, and of each category the providers the decision names."""
    own = [agency_id for agency_id, name in names.items() if name == sight.agency]
    allowed: list[ColumnElement[bool]] = [RegisterEvent.agency_id.in_(own)] if own else []
    for category in EVENT_CATEGORIES:
        providers = [agency_id for agency_id, name in names.items() if sight.shows(category, provider=name)]
        if providers:
            allowed.append(and_(RegisterEvent.category == category, RegisterEvent.agency_id.in_(providers)))
    return or_(*allowed) if allowed else false()


def _field_shown(sight: Sight, category: str, agency: str, name: str) -> bool:
    """A field of an event the viewer may see: its own agency's, or one the event's category releases."""
    return agency == sight.agency or sight.field_shown(category, name)


def _detail_shown(sight: Sight, category: str, agency: str) -> bool:
    if agency == sight.agency:
        return True
    # health and police events carry their detail in their own category; other events need event_detail
    if sight.field_shown(category, "event.detail"):
        return True
    return sight.shows("event_detail", provider=agency) and sight.field_shown("event_detail", "event.detail")


def _needs(db: Session, household_id: str) -> tuple[Need, ...]:
    plan = plans.open_plan_of(db, household_id)
    if plan is None:
        return ()
    areas = plans.outcome_areas(db)
    rows = db.scalars(
        select(PlanNeed)
        .where(PlanNeed.plan_id == plan.id, PlanNeed.removed.is_(False))
        .order_by(PlanNeed.position)
    )
    return tuple(Need(plans.outcome_label(areas, row.outcome_area), row.description) for row in rows)


def _lead(db: Session, household_id: str) -> Lead | None:
    spell = leads.current(db, household_id)
    if spell is None:
        return None
    user = core.find_user(db, spell.username)
    return Lead(
        name=user.full_name if user is not None else spell.username,
        agency=core.get_agency(db, spell.agency_id).name,
    )
