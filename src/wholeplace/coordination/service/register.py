"""The register: what the latest linkage run says about people, households, their agencies' cases and the
events in their records, copied into the operational database in rows a page can read in milliseconds. It is
rebuilt whole after each linkage run; pages and the alert scanner ask `refresh_if_stale` first."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from wholeplace.coordination import framework
from wholeplace.coordination.models import (
    RegisterEvent,
    RegisterInvolvement,
    RegisterRecord,
    RegisterRelationship,
    RegisterState,
)
from wholeplace.core.models import Agency
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

STATE_ROW = 1
INSERT_BATCH = 10_000
READ_BATCH = 100_000
ADDRESS_PARTS = ("address_line_1", "address_line_2", "locality", "town")
PERSON_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    *ADDRESS_PARTS,
    "postcode",
    "uprn",
    "nhs_number",
    "ni_number",
    "upn",
    "updated_at",
)
EVENT_FIELDS = ("type", "date", "role", "reference", "detail")
INVOLVEMENT_FIELDS = ("type", "reference", "role", "start", "end", "lead_worker")
RELATIONSHIP_FIELDS = ("type", "other_person", "other_record")
_NOT_KEPT = re.compile(r"[^a-z0-9]")
# Letters that decomposition leaves whole, spelt the way English-language records usually spell them.
_SPELT_OUT = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d", "\u0131": "i"}
)


@dataclass(frozen=True)
class RegisterCounts:
    link_run: int | None
    records: int
    events: int
    involvements: int
    relationships: int


def fold(text: str | None) -> str:
    """A name or code as search compares it: lower case, no accents, nothing but letters and digits."""
    if not text:
        return ""
    plain = (
        unicodedata.normalize("NFKD", text.lower().translate(_SPELT_OUT))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    return _NOT_KEPT.sub("", plain.lower())


def postcode_key(text: str | None) -> str:
    return "".join((text or "").split()).upper()


def identifier_key(text: str | None) -> str:
    return "".join((text or "").split()).upper()


def link_run(db: Session) -> int | None:
    """The linkage run the register was built from."""
    return db.scalar(select(RegisterState.link_run).where(RegisterState.id == STATE_ROW))


def refresh_if_stale(db: Session, lake: Lake, *, at: datetime) -> bool:
    """Rebuild the register when a newer linkage run exists; True if it did."""
    latest, built_from = db.execute(_STALENESS).one()  # every page asks: one round trip
    if latest is None or latest == built_from:
        return False
    rebuild(db, lake, at=at)
    return True


_STALENESS = select(
    identity.latest_sequence_query(),
    select(RegisterState.link_run).where(RegisterState.id == STATE_ROW).scalar_subquery(),
)


def rebuild(db: Session, lake: Lake, *, at: datetime) -> RegisterCounts:
    """Replace the register with what the latest linkage run and the lake's current rows say."""
    run = identity.latest_run(db)
    for table in (RegisterRecord, RegisterEvent, RegisterInvolvement, RegisterRelationship):
        db.execute(delete(table))
    if run is None:
        return RegisterCounts(None, 0, 0, 0, 0)
    people = _people(identity.linked_people(db, lake))
    batches = sources.lake_batches(db)
    context = _Context(
        people=people,
        agency_of={source.name: source.agency_id for source in sources.list_sources(db)},
        sector_of={agency.id: agency.sector for agency in db.scalars(select(Agency))},
        loaded_on={str(batch.batch_id): batch.loaded_on for batch in batches},
    )
    with lake.connect(batches) as connection:
        held = _views(connection)
        counts = RegisterCounts(
            link_run=run.sequence,
            records=_load(db, RegisterRecord, _records(connection, context)) if "person" in held else 0,
            events=_load(db, RegisterEvent, _events(connection, context)) if "event" in held else 0,
            involvements=(
                _load(db, RegisterInvolvement, _involvements(connection, context))
                if "involvement" in held
                else 0
            ),
            relationships=(
                _load(db, RegisterRelationship, _relationships(connection, context))
                if "relationship" in held
                else 0
            ),
        )
    db.merge(RegisterState(id=STATE_ROW, link_run=run.sequence, rebuilt_at=at))
    db.flush()
    return counts


@dataclass(frozen=True)
class _Context:
    people: dict[tuple[str, str], tuple[str, str | None]]  # (source, record) -> (person, household)
    agency_of: dict[str, uuid.UUID]
    sector_of: dict[uuid.UUID, str]
    loaded_on: dict[str, date | None]


def _people(linked: pa.Table) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {
        (source, record): (person, household)
        for source, record, person, household in zip(
            linked.column("source").to_pylist(),
            linked.column("record_id").to_pylist(),
            linked.column("person_id").to_pylist(),
            linked.column("household_id").to_pylist(),
            strict=True,
        )
    }


def _views(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in connection.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    }


def _rows(
    connection: duckdb.DuckDBPyConnection, entity: str, fields: Sequence[str]
) -> Iterator[dict[str, Any]]:
    """The entity's current rows, with the fields it has (None for those no source gave), in chunks."""
    present = {row[0] for row in connection.execute(f"DESCRIBE {entity}").fetchall()}
    columns = ", ".join(
        f'"{name}"' if name in present else f'NULL AS "{name}"'
        for name in ("source", "record_id", "batch", *fields)
    )
    result = connection.execute(f"SELECT {columns} FROM {entity}")  # noqa: S608 - our names
    names = [column[0] for column in result.description]
    while chunk := result.fetchmany(READ_BATCH):
        for values in chunk:
            yield dict(zip(names, values, strict=True))


def _owned(row: dict[str, Any], context: _Context) -> tuple[str, str | None, uuid.UUID] | None:
    """The person and household a row's record links to, and the agency that holds it; None if unlinked."""
    linked = context.people.get((row["source"], str(row["record_id"])))
    agency = context.agency_of.get(row["source"])
    if linked is None or agency is None:
        return None
    return linked[0], linked[1], agency


def _records(connection: duckdb.DuckDBPyConnection, context: _Context) -> Iterator[dict[str, Any]]:
    for row in _rows(connection, "person", PERSON_FIELDS):
        owned = _owned(row, context)
        if owned is None:
            continue
        person, household, agency = owned
        yield {
            "person_id": person,
            "household_id": household,
            "source": row["source"],
            "agency_id": agency,
            "record_id": str(row["record_id"]),
            "given_name": row["given_name"],
            "family_name": row["family_name"],
            "date_of_birth": _day(row["date_of_birth"]),
            "sex": row["sex"],
            "address": ", ".join(str(row[part]) for part in ADDRESS_PARTS if row[part]) or None,
            "postcode": row["postcode"],
            "uprn": _text(row["uprn"]),
            "nhs_number": identifier_key(_text(row["nhs_number"])) or None,
            "ni_number": identifier_key(_text(row["ni_number"])) or None,
            "upn": identifier_key(_text(row["upn"])) or None,
            "recorded_on": _day(row["updated_at"]) or context.loaded_on.get(str(row["batch"])),
            "given_key": fold(row["given_name"]),
            "family_key": fold(row["family_name"]),
            "postcode_key": postcode_key(row["postcode"]),
        }


def _events(connection: duckdb.DuckDBPyConnection, context: _Context) -> Iterator[dict[str, Any]]:
    for row in _rows(connection, "event", EVENT_FIELDS):
        owned = _owned(row, context)
        happened = _day(row["date"])
        if owned is None or happened is None or not row["type"]:
            continue
        person, household, agency = owned
        yield {
            "person_id": person,
            "household_id": household,
            "source": row["source"],
            "agency_id": agency,
            "record_id": str(row["record_id"]),
            "type": row["type"],
            "occurred_on": happened,
            "role": row["role"],
            "reference": row["reference"],
            "detail": row["detail"],
            "category": framework.event_category(context.sector_of.get(agency, "")),
            "batch_id": uuid.UUID(str(row["batch"])),
        }


def _involvements(connection: duckdb.DuckDBPyConnection, context: _Context) -> Iterator[dict[str, Any]]:
    for row in _rows(connection, "involvement", INVOLVEMENT_FIELDS):
        owned = _owned(row, context)
        if owned is None:
            continue
        person, household, agency = owned
        yield {
            "person_id": person,
            "household_id": household,
            "source": row["source"],
            "agency_id": agency,
            "record_id": str(row["record_id"]),
            "type": row["type"],
            "reference": row["reference"],
            "role": row["role"],
            "started_on": _day(row["start"]),
            "ended_on": _day(row["end"]),
            "lead_worker": row["lead_worker"],
            "batch_id": uuid.UUID(str(row["batch"])),
        }


def _relationships(connection: duckdb.DuckDBPyConnection, context: _Context) -> Iterator[dict[str, Any]]:
    for row in _rows(connection, "relationship", RELATIONSHIP_FIELDS):
        owned = _owned(row, context)
        if owned is None or not row["type"]:
            continue
        person, household, _agency = owned
        other = context.people.get((row["source"], str(row["other_record"]))) if row["other_record"] else None
        yield {
            "person_id": person,
            "household_id": household,
            "source": row["source"],
            "type": row["type"],
            "other_person_id": other[0] if other else None,
            "other_name": row["other_person"],
        }


def _load(db: Session, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    loaded = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == INSERT_BATCH:
            db.execute(insert(table), chunk)
            loaded += len(chunk)
            chunk = []
    if chunk:
        db.execute(insert(table), chunk)
        loaded += len(chunk)
    return loaded


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
