"""What the information governance officer oversees: the access log searched and downloaded, the anomalies in it,
break-glass accesses and their review, and one overview of everything waiting for the officer.

The log's `at` is ISO 8601 text in UTC with a fixed width, so a period is a comparison of texts on its index."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import ColumnElement, RowMapping, func, select, update
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.governance import anomalies as rules
from wholeplace.governance import vocabulary
from wholeplace.governance.chain import STORED_COLUMNS, log_time
from wholeplace.governance.models import AccessLogEntry, BreakGlassReview, ConsentRecord, Involvement
from wholeplace.governance.service import agreements, consent
from wholeplace.sources.standardise import neutralise_formulas

AWAITING, JUSTIFIED, NOT_JUSTIFIED = "awaiting", "justified", "not_justified"
ANOMALY_DAYS = 30
CSV_BATCH = 5_000
IN_LIST_BATCH = 500  # ids per IN (...) list: well inside what SQLite and PostgreSQL accept
CSV_COLUMNS = STORED_COLUMNS[:-2]  # every column but the chain's own two hashes


@dataclass(frozen=True)
class LogFilter:
    """What to look for in the access log; None leaves a column unfiltered. `until` is the last day included."""

    person: str | None = None
    user: str | None = None
    agency: str | None = None
    purpose: str | None = None
    outcome: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class LogPage:
    """One page of the entries a search found, the newest first."""

    entries: list[AccessLogEntry]
    total: int
    page: int
    pages: int
    size: int

    @property
    def first(self) -> int:
        """The place in the results of the page's first entry, counting from 1."""
        return (self.page - 1) * self.size + 1


@dataclass(frozen=True)
class BreakGlassAccess:
    """An emergency access and its review."""

    entry: AccessLogEntry
    review: BreakGlassReview


@dataclass(frozen=True)
class Dashboard:
    """Everything waiting for the information governance officer."""

    since: datetime
    attention: list[agreements.Attention]
    break_glass: list[BreakGlassAccess]
    anomalies: rules.Anomalies
    withdrawals: list[ConsentRecord]


# ---------------------------------------------------------------- the log


def search_log(db: Session, *, where: LogFilter, page: int, size: int) -> LogPage:
    """One page of the entries the filter finds, the newest first; a page beyond the last shows the last."""
    conditions = _conditions(where)
    total = db.scalar(select(func.count()).select_from(AccessLogEntry).where(*conditions)) or 0
    pages = max(1, math.ceil(total / size))
    page = min(max(page, 1), pages)
    query = select(AccessLogEntry).where(*conditions).order_by(AccessLogEntry.position.desc())
    entries = list(db.scalars(query.offset((page - 1) * size).limit(size)))
    return LogPage(entries=entries, total=total, page=page, pages=pages, size=size)


def log_csv(db: Session, *, where: LogFilter) -> Iterator[str]:
    """The entries the filter finds as CSV lines, the newest first, cells that look like formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    table = AccessLogEntry.__table__
    # Plain rows rather than entries, so the session does not keep every entry it has streamed.
    columns = select(*(table.c[name] for name in CSV_COLUMNS)).where(*_conditions(where))
    before: int | None = None
    while True:
        # Keyset paging by position, so each batch is as quick as the first however long the log.
        query = columns.order_by(table.c.position.desc()).limit(CSV_BATCH)
        if before is not None:
            query = query.where(table.c.position < before)
        batch = db.execute(query).all()
        if not batch:
            return
        writer.writerows(_safe_cells([_csv_cells(row._mapping) for row in batch]))
        yield _drain(buffer)
        before = batch[-1].position


def _conditions(where: LogFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.person:
        conditions += [AccessLogEntry.subject_kind == "person", AccessLogEntry.subject_id == where.person]
    if where.user:
        conditions.append(AccessLogEntry.username == where.user)
    if where.agency:
        conditions.append(AccessLogEntry.agency == where.agency)
    if where.purpose:
        conditions.append(AccessLogEntry.purpose == where.purpose)
    if where.outcome:
        conditions.append(AccessLogEntry.outcome == where.outcome)
    if where.since:
        conditions.append(AccessLogEntry.at >= _day_starts(where.since))
    if where.until:
        conditions.append(AccessLogEntry.at < _day_starts(where.until + timedelta(days=1)))
    return conditions


def _day_starts(day: date) -> str:
    return log_time(datetime.combine(day, time(), tzinfo=UTC))


def _csv_cells(row: RowMapping) -> list[str]:
    lists = ("categories", "fields", "agreements")
    cells = {
        name: "; ".join(json.loads(row[name])) if name in lists else str(row[name]) for name in CSV_COLUMNS
    }
    cells["break_glass"] = "yes" if row["break_glass"] else "no"
    return [cells[name] for name in CSV_COLUMNS]


def _safe_cells(lines: list[list[str]]) -> list[list[str]]:
    """The same lines, a quote before any cell a spreadsheet would run as a formula."""
    for column in range(len(CSV_COLUMNS)):
        safe = neutralise_formulas(pa.array([line[column] for line in lines], pa.string()))
        for line, value in zip(lines, safe.to_pylist(), strict=True):
            line[column] = value or ""
    return lines


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# ---------------------------------------------------------------- anomalies


def anomalies(db: Session, *, since: datetime, until: datetime) -> rules.Anomalies:
    """The anomalies of the log's entries from `since` up to (not including) `until`."""
    accesses = _accesses(db, since=since, until=until)
    casework = casework_purposes(db)
    looked_into = {
        (access.subject_kind, access.subject_id)
        for access in accesses
        if access.permitted and access.purpose in casework
    }
    return rules.find_anomalies(accesses, casework_purposes=casework, involved=_involved(db, looked_into))


def casework_purposes(db: Session) -> frozenset[str]:
    """The purposes practitioners act for about identified people, emergencies aside."""
    return frozenset(
        purpose.code
        for purpose in agreements.purposes(db)
        if purpose.roles & vocabulary.CASEWORK and not purpose.deidentified and not purpose.vital_interests
    )


def _accesses(db: Session, *, since: datetime, until: datetime) -> list[rules.Access]:
    rows = db.execute(
        select(
            AccessLogEntry.position,
            AccessLogEntry.at,
            AccessLogEntry.username,
            AccessLogEntry.agency,
            AccessLogEntry.purpose,
            AccessLogEntry.subject_kind,
            AccessLogEntry.subject_id,
            AccessLogEntry.outcome,
            AccessLogEntry.break_glass,
        ).where(AccessLogEntry.at >= log_time(since), AccessLogEntry.at < log_time(until))
    )
    return [
        rules.Access(
            position=position,
            at=datetime.fromisoformat(at),
            username=username,
            agency=agency,
            purpose=purpose,
            subject_kind=subject_kind,
            subject_id=subject_id,
            permitted=outcome == "permit",
            break_glass=break_glass,
        )
        for position, at, username, agency, purpose, subject_kind, subject_id, outcome, break_glass in rows
    ]


def _involved(db: Session, subjects: set[tuple[str, str]]) -> set[rules.SubjectKey]:
    """(agency, kind, id) for every involvement on record, past or present, with these subjects."""
    names = {agency.id: agency.name for agency in core.list_agencies(db)}
    found: set[rules.SubjectKey] = set()
    for kind, column in (("person", Involvement.person_id), ("household", Involvement.household_id)):
        ids = sorted(subject_id for subject_kind, subject_id in subjects if subject_kind == kind)
        for start in range(0, len(ids), IN_LIST_BATCH):
            chunk = ids[start : start + IN_LIST_BATCH]
            rows = db.execute(select(column, Involvement.agency_id).where(column.in_(chunk)).distinct())
            found.update((names[agency_id], kind, str(subject_id)) for subject_id, agency_id in rows)
    return found


# ---------------------------------------------------------------- break-glass


def break_glass_waiting(db: Session) -> list[BreakGlassAccess]:
    """Emergency accesses not yet reviewed, the oldest first."""
    rows = db.execute(
        select(AccessLogEntry, BreakGlassReview)
        .join(BreakGlassReview, BreakGlassReview.position == AccessLogEntry.position)
        .where(BreakGlassReview.status == AWAITING)
        .order_by(AccessLogEntry.position)
    )
    return [BreakGlassAccess(entry, review) for entry, review in rows]


def break_glass_access(db: Session, *, position: int) -> BreakGlassAccess:
    """The emergency access at a position of the log, and its review."""
    found = db.execute(
        select(AccessLogEntry, BreakGlassReview)
        .join(BreakGlassReview, BreakGlassReview.position == AccessLogEntry.position)
        .where(AccessLogEntry.position == position)
    ).first()
    if found is None:
        raise NotFoundError(
            f"Entry {position} of the access log is not an emergency (break-glass) access.",
            fix="Choose one from the list of break-glass accesses awaiting review.",
        )
    return BreakGlassAccess(*found)


def review_break_glass(
    db: Session, *, position: int, finding: str, justified: bool, by: str, at: datetime
) -> BreakGlassReview:
    """Record whether an emergency access was justified, and what the review found; an access is reviewed once."""
    if not finding.strip():
        raise InvalidInputError(
            "Enter what the review found.",
            field="finding",
            fix="Say what you checked and why the access was or was not justified.",
        )
    review = break_glass_access(db, position=position).review
    # One conditional update: of two officers saving at once, only the first finds it still awaiting.
    changed = db.execute(
        update(BreakGlassReview)
        .where(BreakGlassReview.position == position, BreakGlassReview.status == AWAITING)
        .values(
            status=JUSTIFIED if justified else NOT_JUSTIFIED,
            finding=finding.strip(),
            reviewed_by=by,
            reviewed_at=at,
        )
        .execution_options(synchronize_session=False)
    )
    db.refresh(review)
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        raise ConflictError(
            f"The emergency access at entry {position} was already reviewed by {review.reviewed_by}.",
            fix="Its review stands; go back to the overview for the accesses still awaiting review.",
        )
    return review


# ---------------------------------------------------------------- the overview


def dashboard(db: Session, *, today: date) -> Dashboard:
    """Agreements needing attention, break-glass accesses awaiting review, and the anomalies, objections and
    withdrawn consents of the last 30 days."""
    since = datetime.combine(today - timedelta(days=ANOMALY_DAYS), time(), tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
    return Dashboard(
        since=since,
        attention=agreements.agreements_needing_attention(db, today=today),
        break_glass=break_glass_waiting(db),
        anomalies=anomalies(db, since=since, until=until),
        withdrawals=consent.recent_withdrawals(db, since=since),
    )
