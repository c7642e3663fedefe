"""The load pipeline without the database: chunks in, a staged batch of standard rows out, with every row
either loaded or set aside, and the quality counted. The service commits what this produces."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from wholeplace.core.errors import IngestError
from wholeplace.sources import standardise
from wholeplace.sources.lake import StagedBatch
from wholeplace.sources.mapping import Mapping
from wholeplace.sources.readers import Chunk
from wholeplace.sources.transform import (
    FIX_FOR,
    REASON_TEXT,
    Quality,
    Quarantined,
    Standardised,
    standardise_chunk,
)

# A date column is taken to have changed format when a chunk fails this share of its dates after earlier
# chunks failed fewer than the second figure.
DRIFT_FAILING_SHARE = 0.5
DRIFT_EARLIER_SHARE = 0.1
FAR_FUTURE = dt.date(9000, 1, 1)
DUCKDB_MEMORY = "256MB"
WORKERS = 2
# Up to this many rows the record ids are kept to look for repeats in memory; beyond it DuckDB looks on disk.
REPEATS_CHECKED_IN_MEMORY = 1_000_000  # "today" for a check that cares only whether a cell parses


@dataclass
class Outcome:
    rows_read: int = 0
    rows_loaded: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    quality: Quality = field(default_factory=Quality)
    record_ids: list[pa.ChunkedArray] = field(default_factory=list)  # a few bytes a row, to find repeats

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)


def file_digest(path: Path) -> tuple[str, int]:
    """The SHA-256 of a file's bytes and its size, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def run(
    chunks: Iterable[Chunk], mapping: Mapping, staged: StagedBatch, *, file: str, today: dt.date
) -> Outcome:
    """Standardise every chunk into the staged batch; then set aside the later rows of a duplicated record id.

    Chunks are standardised on worker threads (Arrow's kernels release the GIL) and written in file order by
    another, so reading, standardising and writing overlap; at most a few chunks are in memory at once."""
    outcome = Outcome()
    drift = _DriftWatch(mapping, file)
    with ThreadPoolExecutor(WORKERS) as workers, ThreadPoolExecutor(1) as writer:
        in_flight: deque[Future[tuple[Chunk, Standardised, list[_DateSurvey]]]] = deque()
        writes: deque[Future[None]] = deque()
        for chunk in chunks:
            in_flight.append(workers.submit(_prepare, chunk, mapping, drift, today))
            if len(in_flight) > WORKERS:
                _take(in_flight.popleft().result(), outcome, drift, staged, writer, writes)
        while in_flight:
            _take(in_flight.popleft().result(), outcome, drift, staged, writer, writes)
        repeats = workers.submit(_may_repeat, outcome)  # while the last chunks are written
        for write in writes:
            write.result()
    staged.close()
    row_entity = mapping.entity.name
    if mapping.record_id is not None and repeats.result():
        outcome.quarantined.extend(_set_aside_duplicates(staged, row_entity, mapping.record_id))
    outcome.rows_loaded = sum(pq.ParquetFile(path).metadata.num_rows for path in staged.files(row_entity))
    if outcome.rows_loaded + outcome.rows_quarantined != outcome.rows_read:  # the promise every load keeps
        raise AssertionError(
            f"{file}: {outcome.rows_read} rows read but {outcome.rows_loaded} loaded "
            f"and {outcome.rows_quarantined} set aside"
        )
    return outcome


def _prepare(
    chunk: Chunk, mapping: Mapping, drift: _DriftWatch, today: dt.date
) -> tuple[Chunk, Standardised, list[_DateSurvey]]:
    return chunk, standardise_chunk(chunk, mapping, today=today), drift.survey(chunk)


def _take(
    prepared: tuple[Chunk, Standardised, list[_DateSurvey]],
    outcome: Outcome,
    drift: _DriftWatch,
    staged: StagedBatch,
    writer: ThreadPoolExecutor,
    writes: deque[Future[None]],
) -> None:
    """Account for a standardised chunk, in file order, and hand its tables to the writer."""
    chunk, standard, surveys = prepared
    drift.judge(chunk, surveys)
    outcome.rows_read += standard.quality.rows
    outcome.quality.add(standard.quality)
    outcome.quarantined.extend(standard.quarantined)
    if "record_id" in standard.rows.column_names and outcome.rows_read <= REPEATS_CHECKED_IN_MEMORY:
        outcome.record_ids.append(standard.rows.column("record_id"))
    writes.append(writer.submit(_write, standard, staged))
    while writes and (writes[0].done() or len(writes) > WORKERS):  # a slow disk holds back the reading
        writes.popleft().result()


def _write(standard: Standardised, staged: StagedBatch) -> None:
    if standard.rows.num_rows:
        staged.append(standard.entity, "rows", standard.rows)
    for entity, tables in standard.blocks.items():
        for index, table in enumerate(tables):
            staged.append(entity, f"block-{index}", table)


@dataclass(frozen=True)
class _DateSurvey:
    column: str
    date_format: str
    changed_at: int | None  # 1-based position in the chunk where the format changes, if it does within it
    first_failing: int | None
    failing: int
    present: int


class _DriftWatch:
    """Refuses a file whose date column changes format part-way down, naming the row where it changes."""

    def __init__(self, mapping: Mapping, file: str) -> None:
        self.file = file
        self.dates = [spec for spec in mapping.fields if spec.date_format and spec.column is not None]
        self.failing_before: dict[str, tuple[int, int]] = {}

    def survey(self, chunk: Chunk) -> list[_DateSurvey]:
        """What each date column of one chunk looks like: safe to run on any thread, in any order."""
        surveys = []
        for spec in self.dates:
            assert spec.column is not None and spec.date_format is not None
            values = chunk.rows.column(spec.column)
            unparsed = _unparsed(values, spec.date_format)
            failing = np.flatnonzero(unparsed)
            surveys.append(
                _DateSurvey(
                    spec.column,
                    spec.date_format,
                    standardise.date_format_drift(values, spec.date_format),
                    int(failing[0]) + 1 if len(failing) else None,
                    len(failing),
                    int(np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False)).sum()),
                )
            )
        return surveys

    def judge(self, chunk: Chunk, surveys: list[_DateSurvey]) -> None:
        """Given the chunks before it, whether this chunk is where a date column changes format."""
        for survey in surveys:
            earlier_failing, earlier_present = self.failing_before.get(survey.column, (0, 0))
            changed_at = survey.changed_at
            mostly_failing_now = survey.failing > DRIFT_FAILING_SHARE * max(survey.present, 1)
            mostly_fine_before = earlier_present and earlier_failing <= DRIFT_EARLIER_SHARE * earlier_present
            if changed_at is None and mostly_failing_now and mostly_fine_before:
                changed_at = survey.first_failing
            if changed_at is not None:
                self._refuse(chunk, survey, changed_at)
            self.failing_before[survey.column] = (
                earlier_failing + survey.failing,
                earlier_present + survey.present,
            )

    def _refuse(self, chunk: Chunk, survey: _DateSurvey, changed_at: int) -> None:
        row = int(chunk.row_numbers[changed_at - 1].as_py())
        example = chunk.rows.column(survey.column)[changed_at - 1].as_py()
        raise IngestError(
            f"From row {row} the dates in this column are no longer in the declared format "
            f"{survey.date_format} (for example {example!r}).",
            file=self.file,
            row=row,
            column=survey.column,
            fix="Send the file with one date format throughout, or correct the format in the mapping. "
            "Nothing was loaded.",
        )


def _unparsed(values: pa.ChunkedArray, fmt: str) -> np.ndarray:
    """Which cells are not dates in the format at all (implausible dates are another matter)."""
    parsed = standardise.dates(values, fmt, today=FAR_FUTURE, kind="event")
    return np.asarray(
        pc.fill_null(pc.equal(parsed.problem, standardise.NOT_A_DATE), False).to_numpy(zero_copy_only=False)
    )


def _may_repeat(outcome: Outcome) -> bool:
    """Whether any record id may come twice: known from the ids kept in memory, else left to DuckDB to find."""
    if outcome.rows_read > REPEATS_CHECKED_IN_MEMORY:
        return True
    if not outcome.record_ids:
        return False
    every = pa.chunked_array([chunk for ids in outcome.record_ids for chunk in ids.chunks], pa.string())
    return bool(pc.count_distinct(every).as_py() < len(every))


def _set_aside_duplicates(staged: StagedBatch, entity: str, record_id_column: str) -> list[Quarantined]:
    """Keep the first row of each record id; set the later ones aside and drop their blocks too."""
    files = staged.files(entity)
    if not files:
        return []
    with duckdb.connect() as connection:
        # Bounded memory for files of any size: DuckDB spills to the staging folder beyond this.
        connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        connection.execute("SET enable_progress_bar = false")
        connection.execute(f"SET temp_directory = '{staged.folder / 'spill'}'")
        duplicates = connection.execute(
            f"""
            SELECT row_number, record_id, first_row FROM (
                SELECT row_number, record_id,
                       min(row_number) OVER (PARTITION BY record_id) AS first_row
                FROM read_parquet({_paths(files)})
            ) WHERE row_number <> first_row ORDER BY row_number
            """  # noqa: S608
        ).fetchall()
        if not duplicates:
            return []
        connection.execute("CREATE TABLE later (row_number BIGINT)")
        connection.executemany("INSERT INTO later VALUES (?)", [(row,) for row, _, _ in duplicates])
        for path in _all_files(staged):
            kept = path.with_suffix(".kept")
            connection.execute(
                f"COPY (SELECT * FROM read_parquet('{path}') WHERE row_number NOT IN (SELECT row_number FROM later)) "  # noqa: S608
                f"TO '{kept}' (FORMAT parquet, COMPRESSION zstd)"
            )
            kept.replace(path)
    return [
        Quarantined(
            row,
            record_id_column,
            record_id,
            "duplicate_record_id",
            f"{REASON_TEXT['duplicate_record_id'][:-1]} (row {first}).",
            FIX_FOR["duplicate_record_id"],
        )
        for row, record_id, first in duplicates
    ]


def _all_files(staged: StagedBatch) -> list[Path]:
    return sorted(staged.folder.glob("*/*.parquet"))


def _paths(files: list[Path]) -> str:
    return "[" + ", ".join(f"'{path}'" for path in files) + "]"
