"""The load pipeline without the database: chunks in, a staged batch of standard rows out, with every row
either loaded or set aside, and the quality counted. The service commits what this produces."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
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
from wholeplace.sources.transform import FIX_FOR, REASON_TEXT, Quality, Quarantined, standardise_chunk

# A date column is taken to have changed format when a chunk fails this share of its dates after earlier
# chunks failed fewer than the second figure.
DRIFT_FAILING_SHARE = 0.5
DRIFT_EARLIER_SHARE = 0.1
FAR_FUTURE = dt.date(9000, 1, 1)
DUCKDB_MEMORY = "1GB"  # "today" for a check that cares only whether a cell parses


@dataclass
class Outcome:
    rows_read: int = 0
    rows_loaded: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    quality: Quality = field(default_factory=Quality)

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
    """Standardise every chunk into the staged batch; then set aside the later rows of a duplicated record id."""
    outcome = Outcome()
    drift = _DriftWatch(mapping, file)
    row_entity = mapping.entity.name
    for chunk in chunks:
        drift.check(chunk)
        standard = standardise_chunk(chunk, mapping, today=today)
        outcome.rows_read += standard.quality.rows
        outcome.quality.add(standard.quality)
        outcome.quarantined.extend(standard.quarantined)
        if standard.rows.num_rows:
            staged.append(row_entity, "rows", standard.rows)
        for entity, tables in standard.blocks.items():
            for index, table in enumerate(tables):
                staged.append(entity, f"block-{index}", table)
    staged.close()
    if mapping.record_id is not None:
        outcome.quarantined.extend(_set_aside_duplicates(staged, row_entity, mapping.record_id))
    outcome.rows_loaded = sum(pq.ParquetFile(path).metadata.num_rows for path in staged.files(row_entity))
    if outcome.rows_loaded + outcome.rows_quarantined != outcome.rows_read:  # the promise every load keeps
        raise AssertionError(
            f"{file}: {outcome.rows_read} rows read but {outcome.rows_loaded} loaded "
            f"and {outcome.rows_quarantined} set aside"
        )
    return outcome


class _DriftWatch:
    """Refuses a file whose date column changes format part-way down, naming the row where it changes."""

    def __init__(self, mapping: Mapping, file: str) -> None:
        self.file = file
        self.dates = [spec for spec in mapping.fields if spec.date_format and spec.column is not None]
        self.failing_before: dict[str, tuple[int, int]] = {}

    def check(self, chunk: Chunk) -> None:
        for spec in self.dates:
            assert spec.column is not None and spec.date_format is not None
            values = chunk.rows.column(spec.column)
            changed_at = standardise.date_format_drift(values, spec.date_format)
            failing, present = self._failing(values, spec.date_format)
            earlier_failing, earlier_present = self.failing_before.get(spec.column, (0, 0))
            mostly_failing_now = failing > DRIFT_FAILING_SHARE * max(present, 1)
            mostly_fine_before = earlier_present and earlier_failing <= DRIFT_EARLIER_SHARE * earlier_present
            if changed_at is None and mostly_failing_now and mostly_fine_before:
                changed_at = _first_failing(values, spec.date_format)
            if changed_at is not None:
                row = int(chunk.row_numbers[changed_at - 1].as_py())
                raise IngestError(
                    f"From row {row} the dates in this column are no longer in the declared format "
                    f"{spec.date_format} (for example {values[changed_at - 1].as_py()!r}).",
                    file=self.file,
                    row=row,
                    column=spec.column,
                    fix="Send the file with one date format throughout, or correct the format in the mapping. "
                    "Nothing was loaded.",
                )
            self.failing_before[spec.column] = (earlier_failing + failing, earlier_present + present)

    @staticmethod
    def _failing(values: pa.ChunkedArray, fmt: str) -> tuple[int, int]:
        unparsed = _unparsed(values, fmt)
        return int(unparsed.sum()), int(np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False)).sum())


def _first_failing(values: pa.ChunkedArray, fmt: str) -> int:
    return int(np.flatnonzero(_unparsed(values, fmt))[0]) + 1


def _unparsed(values: pa.ChunkedArray, fmt: str) -> np.ndarray:
    """Which cells are not dates in the format at all (implausible dates are another matter)."""
    parsed = standardise.dates(values, fmt, today=FAR_FUTURE, kind="event")
    return np.asarray(
        pc.fill_null(pc.equal(parsed.problem, standardise.NOT_A_DATE), False).to_numpy(zero_copy_only=False)
    )


def _set_aside_duplicates(staged: StagedBatch, entity: str, record_id_column: str) -> list[Quarantined]:
    """Keep the first row of each record id; set the later ones aside and drop their blocks too."""
    files = staged.files(entity)
    if not files:
        return []
    with duckdb.connect() as connection:
        # Bounded memory for files of any size: DuckDB spills to the staging folder beyond this.
        connection.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
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
