"""Which agencies are working with whom: the index the access decision asks. Involvements from the agencies'
records are rebuilt after each linkage run (the linked people say whose they are); involvements opened here,
such as by accepting a referral, are kept across rebuilds."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import Exists, Select, delete, exists, func, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from wholeplace.core.models import Agency
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import Involvement, InvolvementIndex
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

FROM_RECORDS = "records"
INSERT_BATCH = 10_000
INDEX_ROW = 1


def refresh_if_stale(db: Session, lake: Lake, *, at: datetime) -> bool:
    """Rebuild the index from the agencies' records when a newer linkage run exists; True if it did."""
    latest = identity.latest_sequence(db)
    if latest is None or latest == indexed_run(db):
        return False
    rebuild(db, lake, at=at)
    return True


def indexed_run(db: Session) -> int | None:
    """The linkage run the index was built from."""
    return db.execute(select(indexed_run_query())).scalar()


def indexed_run_query() -> ScalarSelect[int]:
    """The linkage run the index was built from, to ask alongside other facts."""
    return select(InvolvementIndex.link_run).where(InvolvementIndex.id == INDEX_ROW).scalar_subquery()


def rebuild(db: Session, lake: Lake, *, at: datetime) -> int:
    """Replace the involvements taken from records with those of the latest run; returns how many."""
    run = identity.latest_run(db)
    if run is None:
        return 0
    linked = identity.linked_involvements(db, lake, sources.lake_batches(db))
    agency_of = {source.name: source.agency_id for source in sources.list_sources(db)}
    db.execute(delete(Involvement).where(Involvement.origin == FROM_RECORDS))
    rows = _rows(linked, agency_of, run.sequence)
    for start in range(0, len(rows), INSERT_BATCH):
        db.execute(insert(Involvement), rows[start : start + INSERT_BATCH])
    db.merge(InvolvementIndex(id=INDEX_ROW, link_run=run.sequence, rebuilt_at=at))
    db.flush()
    return len(rows)


def open_involvement(
    db: Session,
    *,
    person_id: str,
    household_id: str | None,
    agency_id: uuid.UUID,
    origin: str,
    reference: str | None,
    on: date,
) -> Involvement:
    """An involvement begun here (for example by accepting a referral), not read from an agency's records."""
    involvement = Involvement(
        person_id=person_id,
        household_id=household_id,
        agency_id=agency_id,
        started_on=on,
        ended_on=None,
        origin=origin,
        reference=reference,
    )
    db.add(involvement)
    db.flush()
    return involvement


def is_involved(db: Session, *, agency_id: uuid.UUID, subject: Subject, on: date) -> bool:
    """Whether the agency is working with the person, or with anyone in the household, on the day."""
    involved = current_involvement(subject.kind, agency_id=agency_id, subject_id=subject.id, on=on)
    return bool(db.execute(select(involved)).scalar())


def current_involvement(kind: str, *, agency_id: Any, subject_id: Any, on: Any) -> Exists:
    """The condition that the agency is working with the subject on the day, to ask alongside other facts;
    the values may be bound parameters, for a statement built once."""
    column = Involvement.person_id if kind == "person" else Involvement.household_id
    return exists().where(
        column == subject_id,
        Involvement.agency_id == agency_id,
        or_(Involvement.started_on.is_(None), Involvement.started_on <= on),
        or_(Involvement.ended_on.is_(None), Involvement.ended_on >= on),
    )


def involvements_of(db: Session, subject: Subject) -> list[tuple[str, date | None, date | None]]:
    """(agency name, started, ended) for every involvement with the subject, current first."""
    column = Involvement.person_id if subject.kind == "person" else Involvement.household_id
    rows = db.execute(
        select(Agency.name, func.min(Involvement.started_on), func.max(Involvement.ended_on))
        .join(Agency, Agency.id == Involvement.agency_id)
        .where(column == subject.id)
        .group_by(Agency.name)
    ).all()
    return sorted(
        ((name, start, end) for name, start, end in rows), key=lambda row: (row[2] is not None, row[0])
    )


def agency_counts_by_household(
    *, on: date, agency_ids: Collection[uuid.UUID], at_least: int
) -> Select[str | None, int]:
    """Households with how many of these agencies work with someone in them on the day, where at least
    `at_least` do: a query (household_id, agencies) for the caller to filter, order and page."""
    agencies = func.count(Involvement.agency_id.distinct()).label("agencies")
    return (
        select(Involvement.household_id, agencies)
        .where(
            Involvement.household_id.is_not(None),
            Involvement.agency_id.in_(agency_ids),
            *_open_on(on),
        )
        .group_by(Involvement.household_id)
        .having(agencies >= at_least)
    )


def agencies_by_household(
    db: Session, *, household_ids: Collection[str], on: date, agency_ids: Collection[uuid.UUID]
) -> dict[str, list[str]]:
    """The names of those of these agencies working with someone in each household on the day, by name."""
    rows = db.execute(
        select(Involvement.household_id, Agency.name)
        .join(Agency, Agency.id == Involvement.agency_id)
        .where(
            Involvement.household_id.in_(household_ids),
            Involvement.agency_id.in_(agency_ids),
            *_open_on(on),
        )
        .distinct()
        .order_by(Involvement.household_id, Agency.name)
    ).all()
    found: dict[str, list[str]] = {}
    for household, name in rows:
        found.setdefault(str(household), []).append(name)
    return found


def _open_on(on: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        or_(Involvement.started_on.is_(None), Involvement.started_on <= on),
        or_(Involvement.ended_on.is_(None), Involvement.ended_on >= on),
    )


def _rows(linked: pa.Table, agency_of: dict[str, uuid.UUID], run: int) -> list[dict[str, object]]:
    columns = {name: linked.column(name).to_pylist() for name in linked.column_names}
    return [
        {
            "person_id": person,
            "household_id": household,
            "agency_id": agency_of[source],
            "started_on": start,
            "ended_on": end,
            "origin": FROM_RECORDS,
            "reference": reference,
            "link_run": run,
        }
        for source, person, household, start, end, reference in zip(
            columns["source"],
            columns["person_id"],
            columns["household_id"],
            columns["start"],
            columns["end"],
            columns["reference"],
            strict=True,
        )
        if source in agency_of
    ]
