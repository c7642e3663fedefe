"""The sources domain's functions: register sources, load files and pushes into the lake atomically and
idempotently, and read back batches, quality and the quarantine. The only writer of this domain's tables."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, IngestError, InvalidInputError, NotFoundError
from wholeplace.core.models import Agency
from wholeplace.core.roles import AgencyKind, Sector
from wholeplace.sources import ingest, standardise
from wholeplace.sources.lake import Lake, LakeBatch
from wholeplace.sources.mapping import Mapping, parse_mapping
from wholeplace.sources.models import Batch, QuarantinedRow, Source
from wholeplace.sources.readers import Chunk, open_source_file
from wholeplace.sources.standard import STANDARD_VERSION
from wholeplace.sources.transform import Quarantined

QUARANTINE_COLUMNS = ("batch", "row", "column", "value", "reason", "problem", "what to do")
INSERT_BATCH_ROWS = 5000


@dataclass(frozen=True)
class Registered:
    source: Source
    created_place: bool
    created_agency: bool
    created_source: bool
    mapping_changed: bool


@dataclass(frozen=True)
class IngestResult:
    batch_id: uuid.UUID
    source: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    duplicate_of: uuid.UUID | None

    def as_json(self) -> dict[str, Any]:
        return {
            "batch_id": str(self.batch_id),
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "duplicate_of": str(self.duplicate_of) if self.duplicate_of else None,
        }


# ---------------------------------------------------------------- sources


def read_mapping_file(path: Path) -> Mapping:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise IngestError(
            f"The mapping cannot be read: {error}.",
            file=path.name,
            fix="Give the path of a YAML file in UTF-8.",
        ) from None
    return parse_mapping(text, file=path.name)


def list_sources(db: Session) -> list[Source]:
    return list(db.scalars(select(Source).order_by(Source.name)))


def find_source(db: Session, name: str) -> Source | None:
    return db.scalars(select(Source).where(Source.name == name)).first()


def require_source(db: Session, name: str) -> Source:
    found = find_source(db, name)
    if found is None:
        known = ", ".join(source.name for source in list_sources(db)) or "none yet"
        raise NotFoundError(
            f"There is no source called {name!r} (sources: {known}).",
            fix="Register it with: wholeplace sources add NAME --mapping MAPPING.yaml",
        )
    return found


def mapping_of(source: Source) -> Mapping:
    return parse_mapping(source.mapping_text, file=f"{source.name} (stored mapping)")


def register_source(
    db: Session,
    *,
    mapping: Mapping,
    name: str | None = None,
    agency: str | None = None,
    place: str | None = None,
    kind: AgencyKind = AgencyKind.PUBLIC,
    sector: Sector = Sector.LOCAL_GOVERNMENT,
    by: str,
    now: datetime,
) -> Registered:
    """Register a source with its mapping, or give a registered one a new mapping; an agency the place does not
    know yet is added, and on an empty database the place itself is created."""
    name = name or mapping.source
    if name != mapping.source:
        raise InvalidInputError(
            f"The mapping is for the source {mapping.source!r}, not {name!r}.",
            fix="Give the source the mapping's name, or correct `source:` in the mapping.",
        )
    agency_name = agency or mapping.agency
    if agency_name != mapping.agency:
        raise InvalidInputError(
            f"The mapping says the source belongs to {mapping.agency!r}, not {agency_name!r}.",
            fix="Correct `agency:` in the mapping, or leave out --agency.",
        )
    created_place = core.get_place(db) is None
    if created_place:
        core.create_place(db, name=place or "Our place", now=now)
    owner = core.find_agency(db, agency_name)
    created_agency = owner is None
    if owner is None:
        owner = core.add_agency(db, name=agency_name, kind=kind, sector=sector, now=now)
    source = find_source(db, name)
    if source is None:
        source = Source(
            name=name,
            agency_id=owner.id,
            entity=mapping.entity.name,
            description=mapping.description,
            mapping_text=mapping.text,
            mapping_version=mapping.version,
            created_at=now,
            created_by=by,
            updated_at=now,
        )
        db.add(source)
        db.flush()
        return Registered(source, created_place, created_agency, True, False)
    if source.agency_id != owner.id:
        raise ConflictError(
            f"The source {name!r} belongs to {source.agency.name}, not {agency_name}.",
            fix="Give the new source another name.",
        )
    changed = source.mapping_text != mapping.text
    if changed and source.mapping_version == mapping.version:
        raise ConflictError(
            f"The mapping of {name!r} has changed but still declares version {mapping.version!r}.",
            fix="Give the changed mapping a new version:, so every batch records which mapping made it.",
        )
    if changed:
        source.mapping_text, source.mapping_version, source.updated_at = mapping.text, mapping.version, now
        source.entity, source.description = mapping.entity.name, mapping.description
    db.flush()
    return Registered(source, created_place, created_agency, False, changed)


# ---------------------------------------------------------------- loading


def ingest_file(
    db: Session,
    *,
    source_name: str,
    path: Path,
    lake: Lake,
    by: str,
    now: datetime,
    mapping: Mapping | None = None,
    file_name: str | None = None,
    chunk_rows: int = 100_000,
) -> IngestResult:
    """Load a file into a source: all its good rows, or nothing; the same file twice changes nothing."""
    file_name = file_name or path.name
    given = mapping
    mapping = given or mapping_of(require_source(db, source_name))
    content_hash, size = ingest.file_digest(path)
    with open_source_file(path, mapping.file_format, chunk_rows=chunk_rows) as extract:
        mapping.check_columns(extract.columns, file=file_name)
        if given is not None:
            register_source(db, mapping=given, name=source_name, by=by, now=now)
        source = require_source(db, source_name)
        earlier = _batch_with_hash(db, source, content_hash, mapping.version)
        if earlier is not None:
            return _duplicate(earlier)
        return _load(
            db,
            source=source,
            mapping=mapping,
            chunks=extract.chunks(),
            lake=lake,
            described=_Described(file_name, content_hash, size, mapping.file_format.type, extract.encoding),
            by=by,
            now=now,
        )


def push_records(
    db: Session,
    *,
    source_name: str,
    agency: Agency,
    records: list[dict[str, Any]],
    lake: Lake,
    by: str,
    now: datetime,
) -> IngestResult:
    """Load records an agency system pushes through the API, already named as the standard names them."""
    source = require_source(db, source_name)
    if source.agency_id != agency.id:
        raise InvalidInputError(
            f"The source {source_name!r} does not belong to {agency.name}.", field="source"
        )
    stored = mapping_of(source)
    if not records:
        raise InvalidInputError(
            "The push holds no records.", field="records", fix="Send at least one record."
        )
    mapping = _standard_named_mapping(stored, records)
    canonical = json.dumps(records, sort_keys=True, separators=(",", ":"), default=str).encode()
    content_hash = hashlib.sha256(canonical).hexdigest()
    earlier = _batch_with_hash(db, source, content_hash, mapping.version)
    if earlier is not None:
        return _duplicate(earlier)
    return _load(
        db,
        source=source,
        mapping=mapping,
        chunks=[_records_chunk(records, mapping)],
        lake=lake,
        described=_Described(
            f"api push {now:%Y-%m-%d %H:%M:%S}", content_hash, len(canonical), "api", "utf-8"
        ),
        by=by,
        now=now,
    )


@dataclass(frozen=True)
class _Described:
    file_name: str
    content_hash: str
    size: int
    file_format: str
    encoding: str | None


def _load(
    db: Session,
    *,
    source: Source,
    mapping: Mapping,
    chunks: Iterable[Chunk],
    lake: Lake,
    described: _Described,
    by: str,
    now: datetime,
) -> IngestResult:
    batch_id = uuid.uuid4()
    staged = lake.stage(batch_id)
    try:
        outcome = ingest.run(chunks, mapping, staged, file=described.file_name, today=now.date())
        if outcome.rows_read == 0:
            raise IngestError(
                "The file has no rows to load (a header only, or nothing but blank lines).",
                file=described.file_name,
                fix="Send the extract with its rows. Nothing was loaded.",
            )
    except BaseException:
        lake.discard(staged)
        raise
    batch = Batch(
        id=batch_id,
        source_id=source.id,
        sequence=_next_sequence(db, source),
        file_name=described.file_name[:500],
        content_hash=described.content_hash,
        size_bytes=described.size,
        file_format=described.file_format,
        encoding=described.encoding,
        rows_read=outcome.rows_read,
        rows_loaded=outcome.rows_loaded,
        rows_quarantined=outcome.rows_quarantined,
        mapping_version=mapping.version,
        standard_version=STANDARD_VERSION,
        loaded_by=by,
        loaded_at=now,
        quality=json.dumps(outcome.quality.as_dict()),
    )
    lake.promote(staged, source=source.name, batch_id=batch_id)
    try:
        db.add(batch)
        db.flush()
        _insert_quarantine(db, batch_id, outcome.quarantined)
    except BaseException:
        lake.remove(source=source.name, batch_id=batch_id)
        raise
    return IngestResult(
        batch_id, source.name, outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined, None
    )


def _insert_quarantine(db: Session, batch_id: uuid.UUID, rows: list[Quarantined]) -> None:
    for start in range(0, len(rows), INSERT_BATCH_ROWS):
        db.execute(
            insert(QuarantinedRow),
            [
                {
                    "batch_id": batch_id,
                    "row_number": row.row,
                    "column_name": row.column,
                    "value": row.value,
                    "reason": row.reason,
                    "problem": row.problem,
                    "fix": row.fix,
                }
                for row in rows[start : start + INSERT_BATCH_ROWS]
            ],
        )


def _batch_with_hash(db: Session, source: Source, content_hash: str, mapping_version: str) -> Batch | None:
    """The batch that already loaded these bytes through this version of the mapping, if one did."""
    return db.scalars(
        select(Batch).where(
            Batch.source_id == source.id,
            Batch.content_hash == content_hash,
            Batch.mapping_version == mapping_version,
        )
    ).first()


def _duplicate(earlier: Batch) -> IngestResult:
    return IngestResult(earlier.id, earlier.source.name, earlier.rows_read, 0, 0, duplicate_of=earlier.id)


def _next_sequence(db: Session, source: Source) -> int:
    highest = db.scalar(select(func.max(Batch.sequence)).where(Batch.source_id == source.id))
    return int(highest or 0) + 1


def _standard_named_mapping(stored: Mapping, records: list[dict[str, Any]]) -> Mapping:
    """The mapping for records named as the standard names them: each field its own column, dates ISO."""
    entity = stored.entity
    keys = sorted({key for record in records for key in record})
    unknown = [
        key for key in keys if key != "record_id" and (entity.field(key) is None or key == "full_name")
    ]
    if unknown:
        raise InvalidInputError(
            f"{unknown[0]!r} is not a field of the standard {entity.name}.",
            field=unknown[0],
            fix="Name each field as docs/data-standard.md does.",
        )
    lines = ["source: " + json.dumps(stored.source), "agency: " + json.dumps(stored.agency)]
    lines += [f"entity: {entity.name}", "format: {type: jsonl}"]
    if entity.needs_record_id:
        lines.append("record_id: record_id")
    lines.append("columns:")
    for key in keys:
        if key == "record_id":
            continue
        standard = entity.field(key)
        assert standard is not None
        spec = f"{{column: {json.dumps(key)}, format: '%Y-%m-%d'}}" if standard.is_date else json.dumps(key)
        lines.append(f"  {json.dumps(key)}: {spec}")
    return parse_mapping("\n".join(lines) + "\n", file="api push")


def _records_chunk(records: list[dict[str, Any]], mapping: Mapping) -> Chunk:
    names = ["record_id"] * (mapping.record_id is not None) + [
        spec.column for spec in mapping.fields if spec.column is not None
    ]
    columns = {
        name: pa.array([_cell(record.get(name)) for record in records], pa.string())
        for name in dict.fromkeys(names)
    }
    return Chunk(pa.table(columns), pa.array(range(1, len(records) + 1), pa.int64()), ())


def _cell(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


# ---------------------------------------------------------------- reading back


def lake_batches(db: Session) -> list[LakeBatch]:
    rows = db.execute(select(Source.name, Batch.id, Batch.sequence, Batch.loaded_at).join(Batch.source)).all()
    return [
        LakeBatch(name, batch_id, sequence, loaded_at.date()) for name, batch_id, sequence, loaded_at in rows
    ]


def batches_of(db: Session, source: Source) -> list[Batch]:
    return list(db.scalars(select(Batch).where(Batch.source_id == source.id).order_by(Batch.sequence.desc())))


@dataclass(frozen=True)
class SourceOverview:
    source: Source
    last: Batch | None
    batches: int


def source_overviews(db: Session) -> list[SourceOverview]:
    """Every source with its latest batch and how many it has: two queries, however many sources."""
    per_source = (
        select(Batch.source_id, func.count().label("batches"), func.max(Batch.sequence).label("latest"))
        .group_by(Batch.source_id)
        .subquery()
    )
    rows = db.execute(
        select(Batch, per_source.c.batches).join(
            per_source,
            (Batch.source_id == per_source.c.source_id) & (Batch.sequence == per_source.c.latest),
        )
    ).all()
    last = {batch.source_id: (batch, int(count)) for batch, count in rows}
    return [SourceOverview(source, *last.get(source.id, (None, 0))) for source in list_sources(db)]


def get_batch(db: Session, batch_id: uuid.UUID) -> Batch:
    batch = db.get(Batch, batch_id)
    if batch is None:
        raise NotFoundError("There is no such batch.")
    return batch


@dataclass(frozen=True)
class QuarantineFilter:
    reason: str | None = None
    column: str | None = None


def quarantined_rows(
    db: Session,
    batch: Batch,
    *,
    where: QuarantineFilter = QuarantineFilter(),
    limit: int | None = None,
    offset: int = 0,
) -> list[QuarantinedRow]:
    query = (
        _quarantine_query(batch, where).order_by(QuarantinedRow.row_number, QuarantinedRow.id).offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))


def count_quarantined(db: Session, batch: Batch, *, where: QuarantineFilter = QuarantineFilter()) -> int:
    query = _quarantine_query(batch, where).with_only_columns(func.count())
    return int(db.scalar(query) or 0)


def quarantine_facets(db: Session, batch: Batch) -> dict[str, list[tuple[str, int]]]:
    """The reasons and columns of a batch's quarantine, each with how many rows it has."""
    facets: dict[str, list[tuple[str, int]]] = {}
    for name, column in (("reason", QuarantinedRow.reason), ("column", QuarantinedRow.column_name)):
        rows = db.execute(
            select(column, func.count())
            .where(QuarantinedRow.batch_id == batch.id)
            .group_by(column)
            .order_by(column)
        ).all()
        facets[name] = [(str(value or ""), int(count)) for value, count in rows]
    return facets


def _quarantine_query(batch: Batch, where: QuarantineFilter) -> Any:
    query = select(QuarantinedRow).where(QuarantinedRow.batch_id == batch.id)
    if where.reason:
        query = query.where(QuarantinedRow.reason == where.reason)
    if where.column:
        query = query.where(QuarantinedRow.column_name == where.column)
    return query


def quarantine_csv(
    db: Session, batch: Batch, *, where: QuarantineFilter = QuarantineFilter()
) -> Iterator[str]:
    """The quarantine as CSV lines for the agency to fix, cells that look like formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(QUARANTINE_COLUMNS)
    yield _drain(buffer)
    offset = 0
    while rows := quarantined_rows(db, batch, where=where, limit=INSERT_BATCH_ROWS, offset=offset):
        cells = [
            [
                str(batch.id),
                str(row.row_number),
                row.column_name or "",
                row.value or "",
                row.reason,
                row.problem,
                row.fix,
            ]
            for row in rows
        ]
        for column in range(len(QUARANTINE_COLUMNS)):
            safe = standardise.neutralise_formulas(pa.array([line[column] for line in cells], pa.string()))
            for line, value in zip(cells, safe.to_pylist(), strict=True):
                line[column] = value or ""
        writer.writerows(cells)
        yield _drain(buffer)
        offset += len(rows)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def quality_of(batch: Batch) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(batch.quality)
    return found
