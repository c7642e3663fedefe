"""The analytical lake: standardised rows as Parquet under the data directory, one folder per entity, source
and batch, read with DuckDB. Only batches the operational database lists are ever read, so a batch whose files
are in place but whose record was never committed stays invisible."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

ENTITIES = ("person", "spend_line", "involvement", "event", "relationship")
BLOCK_ENTITIES = ("involvement", "event", "relationship")
SPEND_LINE_KEY = ("agency", "service", "period", "area", "cost_type", "theme")


@dataclass(frozen=True)
class LakeBatch:
    source: str
    batch_id: uuid.UUID
    sequence: int
    loaded_on: date | None = None  # the day the extract was loaded: what its records said was true then


@dataclass
class StagedBatch:
    """A batch being written: one Parquet file per entity and block, appended chunk by chunk."""

    folder: Path
    _writers: dict[str, pq.ParquetWriter] = field(default_factory=dict)

    def append(self, entity: str, part: str, table: pa.Table) -> None:
        key = f"{entity}/{part}"
        writer = self._writers.get(key)
        if writer is None:
            (self.folder / entity).mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(
                self.folder / entity / f"{part}.parquet",
                table.schema,
                compression="snappy",
                use_dictionary=False,
            )
            self._writers[key] = writer
        writer.write_table(table.cast(writer.schema))

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def files(self, entity: str) -> list[Path]:
        return sorted((self.folder / entity).glob("*.parquet"))


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> Lake:
        return cls(data_dir / "lake")

    def stage(self, batch_id: uuid.UUID) -> StagedBatch:
        folder = self.root / "_staging" / str(batch_id)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return StagedBatch(folder)

    def batch_folder(self, entity: str, source: str, batch_id: uuid.UUID) -> Path:
        return self.root / entity / f"source={source}" / f"batch={batch_id}"

    def promote(self, staged: StagedBatch, *, source: str, batch_id: uuid.UUID) -> None:
        """Move a staged batch's files into their places in the lake."""
        staged.close()
        for entity in ENTITIES:
            if not staged.files(entity):
                continue
            target = self.batch_folder(entity, source, batch_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            (staged.folder / entity).rename(target)
        shutil.rmtree(staged.folder, ignore_errors=True)

    def discard(self, staged: StagedBatch) -> None:
        staged.close()
        shutil.rmtree(staged.folder, ignore_errors=True)

    def remove(self, *, source: str, batch_id: uuid.UUID) -> None:
        for entity in ENTITIES:
            shutil.rmtree(self.batch_folder(entity, source, batch_id), ignore_errors=True)

    def files(self, entity: str, batches: Iterable[LakeBatch]) -> list[Path]:
        found: list[Path] = []
        for batch in batches:
            found.extend(sorted(self.batch_folder(entity, batch.source, batch.batch_id).glob("*.parquet")))
        return found

    def connect(self, batches: list[LakeBatch]) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with a view per entity of the current rows: for each source and record id, the
        row of the latest batch that holds it; an involvement, event or relationship is current while the
        person row it came with is."""
        connection = duckdb.connect()
        connection.execute("SET enable_progress_bar = false")
        connection.execute("CREATE TABLE batches (batch VARCHAR, source VARCHAR, sequence INTEGER)")
        if batches:
            connection.executemany(
                "INSERT INTO batches VALUES (?, ?, ?)",
                [(str(b.batch_id), b.source, b.sequence) for b in batches],
            )
        for entity in ENTITIES:
            files = self.files(entity, batches)
            if files:
                connection.execute(
                    f"CREATE VIEW {entity}_rows AS SELECT * FROM read_parquet({_list(files)}, "  # noqa: S608
                    "hive_partitioning = true, union_by_name = true)"
                )
        _current_views(connection)
        return connection


def _list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in files) + "]"


def _current_views(connection: duckdb.DuckDBPyConnection) -> None:
    views = {
        row[0]
        for row in connection.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    }
    if "person_rows" in views:
        connection.execute(
            """
            CREATE VIEW person AS
            SELECT p.* FROM person_rows p JOIN batches b USING (batch)
            QUALIFY row_number() OVER (PARTITION BY p.source, p.record_id ORDER BY b.sequence DESC) = 1
            """
        )
        for entity in BLOCK_ENTITIES:
            if f"{entity}_rows" in views:
                connection.execute(
                    f"""
                    CREATE VIEW {entity} AS
                    SELECT e.* FROM {entity}_rows e
                    JOIN person p ON p.source = e.source AND p.record_id = e.record_id AND p.batch = e.batch
                    """  # noqa: S608
                )
    if "spend_line_rows" in views:
        # A later batch's lines replace the earlier lines of the same service, period, area, type and theme.
        columns = {row[0] for row in connection.execute("DESCRIBE spend_line_rows").fetchall()}
        key = ", ".join(f"s.{name}" for name in SPEND_LINE_KEY if name in columns)
        connection.execute(
            f"""
            CREATE VIEW spend_line AS
            SELECT s.* FROM spend_line_rows s JOIN batches b USING (batch)
            QUALIFY b.sequence = max(b.sequence) OVER (PARTITION BY s.source, {key})
            """  # noqa: S608
        )
