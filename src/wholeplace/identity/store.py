"""What each linkage run made, kept beside the lake: `identity/runs/<folder>/` holds the people (record → person →
household), the households (person → dwelling, since when), the scored pairs with their bands, what re-clustering
needs of each record, the relationships sources stated, the model, and the ingest batches the run read.

A run's folder is written in full before the run is recorded in the database, so readers, who find the folder
through the latest recorded run, never see half a run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from wholeplace.sources.lake import Lake

PEOPLE, HOUSEHOLDS, PAIRS, MODEL = "people.parquet", "households.parquet", "pairs.parquet", "model.json"
RECORDS, RELATED, BATCHES = "records.parquet", "related.parquet", "batches.json"


@dataclass(frozen=True)
class RunFiles:
    people: pa.Table  # unique_id, source, record_id, person_id, household_id
    households: pa.Table  # person_id, household_id, dwelling, since
    pairs: (
        pa.Table
    )  # unique_id_l, unique_id_r, match_weight, match_probability, gamma_*, bf_*, conflict, band
    records: pa.Table  # what re-clustering needs of each record: see identity.pipeline.resolve
    related: pa.Table  # unique_id_a, unique_id_b: records a source says are related
    model: dict[str, Any]
    batches: frozenset[uuid.UUID]  # the ingest batches the run read, whether or not they held person records


def runs_folder(lake: Lake) -> Path:
    return lake.root / "identity" / "runs"


def write_run(lake: Lake, folder: str, files: RunFiles) -> Path:
    staging = runs_folder(lake) / f".{folder}"
    staging.mkdir(parents=True, exist_ok=True)
    pq.write_table(files.people, staging / PEOPLE)
    pq.write_table(files.households, staging / HOUSEHOLDS)
    pq.write_table(files.pairs, staging / PAIRS)
    pq.write_table(files.records, staging / RECORDS)
    pq.write_table(files.related, staging / RELATED)
    (staging / MODEL).write_text(json.dumps(files.model, indent=1), encoding="utf-8")
    (staging / BATCHES).write_text(
        json.dumps(sorted(str(batch) for batch in files.batches)), encoding="utf-8"
    )
    final = runs_folder(lake) / folder
    staging.rename(final)
    return final


def discard_run(lake: Lake, folder: str) -> None:
    shutil.rmtree(runs_folder(lake) / folder, ignore_errors=True)


def run_file(lake: Lake, folder: str, name: str) -> Path:
    return runs_folder(lake) / folder / name


def read_table(lake: Lake, folder: str, name: str) -> pa.Table:
    return pq.read_table(run_file(lake, folder, name))


def read_model(lake: Lake, folder: str) -> dict[str, Any]:
    return dict(json.loads((runs_folder(lake) / folder / MODEL).read_text(encoding="utf-8")))


def read_batches(lake: Lake, folder: str) -> frozenset[uuid.UUID] | None:
    """The ingest batches a run read; None for a run written before runs kept them."""
    path = runs_folder(lake) / folder / BATCHES
    if not path.exists():
        return None
    return frozenset(uuid.UUID(batch) for batch in json.loads(path.read_text(encoding="utf-8")))


def model_hash(model: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()
