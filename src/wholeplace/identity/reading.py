"""What the linkage pages read: the review queue, one pair side by side, one person's records and history, and
the quality of the latest run. Reads only; every change goes through identity.service.

Records are named by their key, "source:record id"; their fields come from the lake's `person` view, and which
person and household each belongs to from the latest run's files.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from wholeplace.core.errors import NotFoundError
from wholeplace.identity import bands, service, store
from wholeplace.identity.models import IdentityChange, LinkDecision, LinkRun, LinkThresholds, ReviewPair
from wholeplace.identity.records import lake_views
from wholeplace.sources.lake import Lake

OPEN = "open"
NAME_FIELDS = ("given_name", "middle_names", "family_name")
# The standard's person fields, in the order a reviewer reads them; further identifiers follow.
COMPARED_FIELDS = (
    "given_name",
    "middle_names",
    "family_name",
    "previous_family_names",
    "date_of_birth",
    "sex",
    "address_line_1",
    "address_line_2",
    "locality",
    "town",
    "postcode",
    "country",
    "uprn",
    "phone",
    "email",
    "nhs_number",
    "ni_number",
    "upn",
)
PERSON_PAGE_FIELDS = (*NAME_FIELDS, "date_of_birth", "address_line_1", "postcode")
RECENT_RUNS = 10

Value = str | date | None


# ---------------------------------------------------------------- shapes the pages show


@dataclass(frozen=True)
class RecordRef:
    """A record as a list names it: its key, source and id, the name it holds, and the person it is in now."""

    key: str
    source: str
    record_id: str
    name: str
    person_id: str | None
    in_lake: bool


@dataclass(frozen=True)
class QueueRow:
    pair_id: uuid.UUID
    left: RecordRef
    right: RecordRef
    probability: float
    reason: str
    impact: int


@dataclass(frozen=True)
class ReviewQueue:
    rows: list[QueueRow]
    total: int  # open pairs, of the chosen reason when there is one
    waiting: int  # open pairs of every reason
    by_reason: list[tuple[str, int]]
    page: int
    pages: int
    size: int

    @property
    def first(self) -> int:
        """The position in the queue of the page's first row, counting from 1."""
        return (self.page - 1) * self.size + 1


@dataclass(frozen=True)
class FieldPair:
    """One standard field of two records: their values, and whether both hold one and the two disagree."""

    field: str
    left: Value
    right: Value

    @property
    def differs(self) -> bool:
        return self.left is not None and self.right is not None and _plain(self.left) != _plain(self.right)

    @property
    def one_side_only(self) -> bool:
        return (self.left is None) != (self.right is None)


@dataclass(frozen=True)
class Step:
    """One comparison's part of a pair's match weight, and where it starts and ends counting from the prior."""

    comparison: str
    level: str
    weight: float
    start: float
    end: float


@dataclass(frozen=True)
class Waterfall:
    prior: float
    steps: list[Step]
    total: float


@dataclass(frozen=True)
class Decision:
    at: datetime
    by: str
    decision: str
    reason: str
    origin: str
    record_l: str
    record_r: str
    person_id: str | None


@dataclass(frozen=True)
class PairView:
    pair_id: uuid.UUID
    status: str
    probability: float
    weight: float
    reason: str
    impact: int
    queued_at: datetime
    left: RecordRef
    right: RecordRef
    fields: list[FieldPair]
    waterfall: Waterfall
    decisions: list[Decision]

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True)
class DecidedPair:
    """A pair someone just decided, as the next page tells them: the decision and where the records are now."""

    decision: Decision
    left: RecordRef
    right: RecordRef


@dataclass(frozen=True)
class MovedRecord:
    """A record someone just took out of a person: where it is now, and whether that person's id lived on."""

    record: RecordRef
    left: str
    left_exists: bool


@dataclass(frozen=True)
class PersonRecord:
    ref: RecordRef
    fields: dict[str, Value]


@dataclass(frozen=True)
class Member:
    """Another person of the same household, as the records that make them up."""

    person_id: str
    records: list[RecordRef]


@dataclass(frozen=True)
class PersonChange:
    """A step in a person's history: a merge, split or ending recorded by a run."""

    at: datetime
    run: int
    run_kind: str
    by: str
    kind: str
    kept: str
    other: str
    members: int
    other_exists: bool


@dataclass(frozen=True)
class PersonView:
    person_id: str
    household_id: str
    dwelling: str | None
    since: date | None
    records: list[PersonRecord]
    members: list[Member]
    history: list[PersonChange]
    decisions: list[Decision]


@dataclass(frozen=True)
class WeightBin:
    """Scored pairs whose match weight is at least `weight` and below `weight + 1`, by band."""

    weight: int
    link: int
    review: int
    no_link: int


@dataclass(frozen=True)
class SourceLinks:
    source: str
    records: int
    linked_elsewhere: int  # records whose person also has records from another source
    alone: int  # records whose person has no other record


@dataclass(frozen=True)
class Quality:
    run: LinkRun
    estimate: bands.Estimate
    pairs_by_band: dict[str, int]
    histogram: list[WeightBin]
    sources: list[SourceLinks]
    runs: list[LinkRun]
    thresholds: list[LinkThresholds]


# ---------------------------------------------------------------- the review queue


def review_queue(
    db: Session, lake: Lake, connection: duckdb.DuckDBPyConnection, *, reason: str, page: int, size: int
) -> ReviewQueue:
    """One page of the open pairs, those a decision would change most first, then the likeliest matches."""
    by_reason = _open_by_reason(db)
    total = sum(count for name, count in by_reason if not reason or name == reason)
    pages = max(1, math.ceil(total / size))
    page = min(max(page, 1), pages)
    query = _open_pairs(reason).offset((page - 1) * size).limit(size)
    pairs = list(db.scalars(query))
    refs = record_refs(
        db, lake, connection, [key for pair in pairs for key in (pair.record_l, pair.record_r)]
    )
    rows = [
        QueueRow(
            pair_id=pair.id,
            left=refs[pair.record_l],
            right=refs[pair.record_r],
            probability=pair.match_probability,
            reason=pair.reason,
            impact=pair.impact,
        )
        for pair in pairs
    ]
    waiting = sum(count for _name, count in by_reason)
    return ReviewQueue(
        rows=rows, total=total, waiting=waiting, by_reason=by_reason, page=page, pages=pages, size=size
    )


def next_pair(db: Session, *, reason: str, after: uuid.UUID) -> uuid.UUID | None:
    """The pair to review next: the first in the queue nobody has decided anything about yet (a pair someone was
    unsure of stays open), failing that the first but the one just decided."""
    undecided = _open_pairs(reason).where(
        ~exists().where(
            LinkDecision.record_l == ReviewPair.record_l, LinkDecision.record_r == ReviewPair.record_r
        )
    )
    found = db.scalars(undecided.limit(1)).first()
    if found is None:
        found = db.scalars(_open_pairs(reason).where(ReviewPair.id != after).limit(1)).first()
    return found.id if found is not None else None


def _open_pairs(reason: str) -> Select[ReviewPair]:
    query = select(ReviewPair).where(ReviewPair.status == OPEN)
    if reason:
        query = query.where(ReviewPair.reason == reason)
    return query.order_by(ReviewPair.impact.desc(), ReviewPair.match_probability.desc(), ReviewPair.id)


def _open_by_reason(db: Session) -> list[tuple[str, int]]:
    rows = db.execute(
        select(ReviewPair.reason, func.count())
        .where(ReviewPair.status == OPEN)
        .group_by(ReviewPair.reason)
        .order_by(func.count().desc(), ReviewPair.reason)
    )
    return [(reason, int(count)) for reason, count in rows]


# ---------------------------------------------------------------- one pair


def review_pair(
    db: Session, lake: Lake, connection: duckdb.DuckDBPyConnection, pair_id: uuid.UUID
) -> PairView:
    pair = db.get(ReviewPair, pair_id)
    if pair is None:
        raise NotFoundError("There is no such pair to review.", fix="Go back to the review queue.")
    keys = [pair.record_l, pair.record_r]
    refs = record_refs(db, lake, connection, keys)
    compared = _compared_columns(connection)
    values = _lake_fields(connection, keys, compared)
    left, right = values.get(pair.record_l, {}), values.get(pair.record_r, {})
    fields = [
        FieldPair(name, left.get(name), right.get(name))
        for name in compared
        if left.get(name) is not None or right.get(name) is not None
    ]
    return PairView(
        pair_id=pair.id,
        status=pair.status,
        probability=pair.match_probability,
        weight=pair.match_weight,
        reason=pair.reason,
        impact=pair.impact,
        queued_at=pair.queued_at,
        left=refs[pair.record_l],
        right=refs[pair.record_r],
        fields=fields,
        waterfall=_waterfall(pair.levels),
        decisions=_decisions(
            db, LinkDecision.record_l == pair.record_l, LinkDecision.record_r == pair.record_r
        ),
    )


def decided_pair(
    db: Session, lake: Lake, connection: duckdb.DuckDBPyConnection, pair_id: uuid.UUID
) -> DecidedPair | None:
    """The latest decision on a pair that has been decided, with where its records are now; None otherwise."""
    pair = db.get(ReviewPair, pair_id)
    if pair is None or pair.status == "vanished":
        return None
    decisions = _decisions(db, LinkDecision.record_l == pair.record_l, LinkDecision.record_r == pair.record_r)
    if not decisions:
        return None
    refs = record_refs(db, lake, connection, [pair.record_l, pair.record_r])
    return DecidedPair(decisions[0], refs[pair.record_l], refs[pair.record_r])


def _waterfall(levels: str) -> Waterfall:
    """A pair's match weight built up from the prior, comparison by comparison (as kept with the pair)."""
    kept = json.loads(levels)
    prior = float(kept["prior"])
    steps, running = [], prior
    for step in kept["steps"]:
        weight = float(step["weight"])
        steps.append(Step(str(step["comparison"]), str(step["level"]), weight, running, running + weight))
        running += weight
    return Waterfall(prior=prior, steps=steps, total=float(kept["total"]))


# ---------------------------------------------------------------- records


def record_refs(
    db: Session, lake: Lake, connection: duckdb.DuckDBPyConnection, keys: Sequence[str]
) -> dict[str, RecordRef]:
    """Each record by its key, named as the lake holds it, with its person in the latest run."""
    wanted = list(dict.fromkeys(keys))
    names = _lake_fields(connection, wanted, [name for name in NAME_FIELDS if name in _columns(connection)])
    people = people_of(db, lake, wanted)
    return {key: _ref(key, names.get(key), people.get(key)) for key in wanted}


def _ref(key: str, fields: dict[str, Value] | None, person_id: str | None) -> RecordRef:
    source, _, record_id = key.partition(":")
    return RecordRef(
        key=key,
        source=source,
        record_id=record_id,
        name=_full_name(fields or {}),
        person_id=person_id,
        in_lake=fields is not None,
    )


def _full_name(fields: dict[str, Value]) -> str:
    return " ".join(str(fields[name]) for name in NAME_FIELDS if fields.get(name))


def _columns(connection: duckdb.DuckDBPyConnection) -> set[str]:
    if "person" not in lake_views(connection):
        return set()
    return {row[0] for row in connection.execute("DESCRIBE person").fetchall()}


def _compared_columns(connection: duckdb.DuckDBPyConnection) -> list[str]:
    present = _columns(connection)
    further = sorted(
        name for name in present if name.startswith("identifiers.") and not name.endswith("_original")
    )
    return [name for name in COMPARED_FIELDS if name in present] + further


def _lake_fields(
    connection: duckdb.DuckDBPyConnection, keys: Sequence[str], columns: Sequence[str]
) -> dict[str, dict[str, Value]]:
    """The chosen standard fields of the records the lake still holds, by key."""
    if not keys or not _columns(connection):
        return {}
    selected = "".join(f", {_quoted(name)}" for name in columns)
    # A filter rather than a join with a table of keys: DuckDB 2.0 pushes a join's filter into the view's
    # latest-row-per-record window and then loses rows once three or more columns are selected.
    rows = connection.execute(
        f"SELECT source, record_id{selected} FROM person "  # noqa: S608
        "WHERE list_contains($keys, source || ':' || record_id)",
        {"keys": list(keys)},
    ).fetchall()
    return {
        f"{row[0]}:{row[1]}": {name: _value(value) for name, value in zip(columns, row[2:], strict=True)}
        for row in rows
    }


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _value(value: Any) -> Value:
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    return text or None


def _plain(value: str | date) -> str:
    return " ".join(str(value).split()).casefold()


# ---------------------------------------------------------------- the latest run's files


def _people_rows(lake: Lake, run: LinkRun, column: str, values: Iterable[str]) -> pa.Table:
    """The rows of the run's people (record → person → household) whose `column` is one of `values`."""
    path = store.run_file(lake, run.folder, store.PEOPLE)
    wanted = sorted(set(values))
    if not wanted:
        return pq.read_schema(path).empty_table()
    return pq.read_table(path, filters=[(column, "in", wanted)])


def people_of(db: Session, lake: Lake, keys: Sequence[str]) -> dict[str, str]:
    """The person each record is in now, by the record's key."""
    run = service.latest_run(db)
    if run is None:
        return {}
    rows = _people_rows(lake, run, "unique_id", keys)
    return dict(zip(rows.column("unique_id").to_pylist(), rows.column("person_id").to_pylist(), strict=True))


# ---------------------------------------------------------------- one person


def person(db: Session, lake: Lake, connection: duckdb.DuckDBPyConnection, person_id: str) -> PersonView:
    """A person of the latest run: their records, the other people of their household, what happened to them."""
    run = service.latest_run(db)
    if run is None:
        raise _no_such_person()
    mine = _people_rows(lake, run, "person_id", [person_id])
    if mine.num_rows == 0:
        raise _no_such_person()
    keys = sorted(mine.column("unique_id").to_pylist())
    household_id = str(mine.column("household_id")[0].as_py())
    present = _columns(connection)
    fields = _lake_fields(connection, keys, [name for name in PERSON_PAGE_FIELDS if name in present])
    records = [PersonRecord(_ref(key, fields.get(key), person_id), fields.get(key, {})) for key in keys]
    dwelling, since = _home(lake, run, person_id)
    return PersonView(
        person_id=person_id,
        household_id=household_id,
        dwelling=dwelling,
        since=since,
        records=records,
        members=_members(lake, run, connection, household_id, besides=person_id),
        history=_history(db, lake, run, person_id),
        decisions=_decisions(
            db,
            or_(
                LinkDecision.record_l.in_(keys),
                LinkDecision.record_r.in_(keys),
                LinkDecision.person_id == person_id,
            ),
        ),
    )


def _no_such_person() -> NotFoundError:
    return NotFoundError("There is no such person in the latest linkage.", fix="Check the link you followed.")


def moved_record(
    db: Session, lake: Lake, connection: duckdb.DuckDBPyConnection, key: str, *, left: str
) -> MovedRecord | None:
    """A record taken out of the person `left`, told from the undo kept for it (never from the address alone)."""
    undone = db.scalars(
        select(LinkDecision.id)
        .where(
            LinkDecision.origin == "undo",
            LinkDecision.person_id == left,
            or_(LinkDecision.record_l == key, LinkDecision.record_r == key),
        )
        .limit(1)
    ).first()
    run = service.latest_run(db)
    if undone is None or run is None:
        return None
    record = record_refs(db, lake, connection, [key])[key]
    left_exists = _people_rows(lake, run, "person_id", [left]).num_rows > 0
    return MovedRecord(record=record, left=left, left_exists=left_exists)


def _home(lake: Lake, run: LinkRun, person_id: str) -> tuple[str | None, date | None]:
    homes = pq.read_table(
        store.run_file(lake, run.folder, store.HOUSEHOLDS), filters=[("person_id", "=", person_id)]
    )
    if homes.num_rows == 0:
        return None, None
    return homes.column("dwelling")[0].as_py(), homes.column("since")[0].as_py()


def _members(
    lake: Lake, run: LinkRun, connection: duckdb.DuckDBPyConnection, household_id: str, *, besides: str
) -> list[Member]:
    rows = _people_rows(lake, run, "household_id", [household_id])
    keys_of: dict[str, list[str]] = {}
    for key, member in zip(
        rows.column("unique_id").to_pylist(), rows.column("person_id").to_pylist(), strict=True
    ):
        if member != besides:
            keys_of.setdefault(member, []).append(key)
    every_key = [key for keys in keys_of.values() for key in keys]
    names = _lake_fields(
        connection, every_key, [name for name in NAME_FIELDS if name in _columns(connection)]
    )
    return [
        Member(member, [_ref(key, names.get(key), member) for key in sorted(keys)])
        for member, keys in sorted(keys_of.items())
    ]


def _history(db: Session, lake: Lake, run: LinkRun, person_id: str) -> list[PersonChange]:
    rows = db.execute(
        select(IdentityChange, LinkRun)
        .join(LinkRun, LinkRun.id == IdentityChange.run_id)
        .where(
            IdentityChange.entity == "person",
            or_(IdentityChange.kept == person_id, IdentityChange.other == person_id),
        )
        .order_by(LinkRun.sequence.desc(), IdentityChange.id)
    ).all()
    others = {change.other for change, _ in rows} | {change.kept for change, _ in rows}
    existing = set(
        _people_rows(lake, run, "person_id", others - {"", person_id}).column("person_id").to_pylist()
    )
    return [
        PersonChange(
            at=made_by.finished_at,
            run=made_by.sequence,
            run_kind=made_by.kind,
            by=made_by.started_by,
            kind=change.kind,
            kept=change.kept,
            other=change.other,
            members=change.members,
            other_exists=(change.other if change.kept == person_id else change.kept) in existing,
        )
        for change, made_by in rows
    ]


def _decisions(db: Session, *conditions: Any) -> list[Decision]:
    rows = db.scalars(
        select(LinkDecision)
        .where(and_(*conditions))
        .order_by(LinkDecision.decided_at.desc(), LinkDecision.id)
    )
    return [
        Decision(
            at=row.decided_at,
            by=row.decided_by,
            decision=row.decision,
            reason=row.reason,
            origin=row.origin,
            record_l=row.record_l,
            record_r=row.record_r,
            person_id=row.person_id,
        )
        for row in rows
    ]


# ---------------------------------------------------------------- the quality of the latest run


def quality(db: Session, lake: Lake) -> Quality | None:
    """The latest run's figures and the model's own estimate of them, or None before the first run."""
    run = service.latest_run(db)
    if run is None:
        return None
    pairs = store.run_file(lake, run.folder, store.PAIRS)
    probabilities = pq.read_table(pairs, columns=["match_probability"]).column(0).to_numpy()
    histogram = _histogram(pairs)
    return Quality(
        run=run,
        estimate=bands.estimate(probabilities, bands.Thresholds(upper=run.upper, lower=run.lower)),
        pairs_by_band={
            bands.AUTO: sum(one.link for one in histogram),
            bands.REVIEW: sum(one.review for one in histogram),
            bands.NO_LINK: sum(one.no_link for one in histogram),
        },
        histogram=histogram,
        sources=_source_links(store.run_file(lake, run.folder, store.PEOPLE)),
        runs=list(db.scalars(select(LinkRun).order_by(LinkRun.sequence.desc()).limit(RECENT_RUNS))),
        thresholds=list(db.scalars(select(LinkThresholds).order_by(LinkThresholds.id.desc()))),
    )


def _histogram(pairs: Path) -> list[WeightBin]:
    """Scored pairs in bins of one match weight, every bin from the lowest to the highest, by band."""
    with duckdb.connect() as connection:
        rows = connection.execute(
            """
            SELECT floor(match_weight)::INTEGER AS bin, count(*) FILTER (WHERE band = $link),
                count(*) FILTER (WHERE band = $review), count(*) FILTER (WHERE band = $no_link)
            FROM read_parquet($path) WHERE isfinite(match_weight) GROUP BY bin ORDER BY bin
            """,
            {"path": str(pairs), "link": bands.AUTO, "review": bands.REVIEW, "no_link": bands.NO_LINK},
        ).fetchall()
    counted = {int(row[0]): row[1:] for row in rows}
    if not counted:
        return []
    return [
        WeightBin(weight, *(int(count) for count in counted.get(weight, (0, 0, 0))))
        for weight in range(min(counted), max(counted) + 1)
    ]


def _source_links(people: Path) -> list[SourceLinks]:
    with duckdb.connect() as connection:
        rows = connection.execute(
            """
            WITH person AS (
                SELECT person_id, count(*) AS records, count(DISTINCT source) AS sources
                FROM read_parquet($path) GROUP BY person_id
            )
            SELECT r.source, count(*), count(*) FILTER (WHERE p.sources > 1), count(*) FILTER (WHERE p.records = 1)
            FROM read_parquet($path) r JOIN person p USING (person_id)
            GROUP BY r.source ORDER BY r.source
            """,
            {"path": str(people)},
        ).fetchall()
    return [
        SourceLinks(str(source), int(records), int(linked), int(alone))
        for source, records, linked, alone in rows
    ]
