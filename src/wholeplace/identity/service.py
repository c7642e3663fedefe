"""The identity domain's functions: link the place's person records and keep the result beside the lake, read
it back, export it, and score it against a truth file."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from wholeplace.core.errors import NotFoundError, WholeplaceError
from wholeplace.identity import evaluation
from wholeplace.identity.linkage import DEFAULT_LINK_PROBABILITY, Progress, link_people
from wholeplace.identity.records import person_records
from wholeplace.sources.lake import Lake, LakeBatch

TRUTH_COLUMNS = ("source", "record_id", "person_id")


@dataclass(frozen=True)
class LinkSummary:
    records: int
    comparisons: int
    links: int
    people: int

    def as_json(self) -> dict[str, int]:
        return {
            "records": self.records,
            "comparisons": self.comparisons,
            "links": self.links,
            "people": self.people,
        }


def link_place(
    lake: Lake, batches: list[LakeBatch], *, secret: str, progress: Progress | None = None
) -> LinkSummary:
    """Link every current person record of the place and keep the people, the scored pairs and the model.

    A person's id is a keyed hash of its first record: opaque to anyone without the place's secret."""
    records = person_records(lake.connect(batches))
    linked = link_people(records, progress=progress)
    people = records.select(["unique_id", "source", "record_id"]).join(linked.clusters, "unique_id")
    people = people.set_column(
        people.column_names.index("cluster_id"), "cluster_id", _opaque(people.column("cluster_id"), secret)
    )
    folder = _folder(lake)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(people.sort_by("unique_id"), folder / "people.parquet")
    pq.write_table(linked.pairs, folder / "pairs.parquet")
    (folder / "model.json").write_text(json.dumps(linked.model, indent=1), encoding="utf-8")
    summary = LinkSummary(
        records=records.num_rows,
        comparisons=linked.comparisons,
        links=int(
            pc.sum(
                pc.greater_equal(linked.pairs.column("match_probability"), DEFAULT_LINK_PROBABILITY)
            ).as_py()
            or 0
        ),
        people=int(pc.count_distinct(linked.clusters.column("cluster_id")).as_py()),
    )
    (folder / "summary.json").write_text(json.dumps(summary.as_json()), encoding="utf-8")
    return summary


def linked_people(lake: Lake) -> pa.Table:
    """source, record_id, person_id for every record the last linkage saw."""
    path = _folder(lake) / "people.parquet"
    if not path.exists():
        raise NotFoundError("The place's records have not been linked yet.", fix="Run: wholeplace link")
    table = pq.read_table(path)
    return table.select(["source", "record_id", "cluster_id"]).rename_columns(
        ["source", "record_id", "person_id"]
    )


def export_people(lake: Lake, out: Path) -> int:
    people = linked_people(lake)
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["source", "record_id", "person_id"])
        writer.writerows(zip(*(people.column(name).to_pylist() for name in people.column_names), strict=True))
    return int(people.num_rows)


def evaluate(lake: Lake, truth_path: Path) -> dict[str, Any]:
    """Pairwise and B-cubed scores of the last linkage against a truth file of source, record_id, person_id."""
    people = linked_people(lake).to_pandas()
    truth = _truth(truth_path)
    scored = people.merge(truth, on=["source", "record_id"], suffixes=("", "_true"))
    if scored.empty:
        raise WholeplaceError(
            f"No record in {truth_path.name} matches a linked record.",
            fix="Give the truth file of the place that was linked (columns source, record_id, person_id).",
        )
    return {
        "records": len(scored),
        "records_not_in_truth": len(people) - len(scored),
        "pairwise": evaluation.pairwise_scores(scored["person_id"], scored["person_id_true"]).as_dict(),
        "bcubed": evaluation.bcubed_scores(scored["person_id"], scored["person_id_true"]).as_dict(),
    }


def _truth(path: Path) -> pd.DataFrame:
    try:
        truth = pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as error:
        raise WholeplaceError(f"The truth file cannot be read: {error}.", fix="Give a CSV file.") from None
    missing = [name for name in TRUTH_COLUMNS if name not in truth.columns]
    if missing:
        raise WholeplaceError(
            f"The truth file {path.name} has no column {missing[0]!r}.",
            fix="It needs the columns source, record_id and person_id.",
        )
    return truth[list(TRUTH_COLUMNS)]


def _opaque(cluster_ids: pa.ChunkedArray, secret: str) -> pa.Array:
    key = secret.encode()
    ids = {
        cluster: "P" + hmac.new(key, cluster.encode(), hashlib.sha256).hexdigest()[:20]
        for cluster in pc.unique(cluster_ids).to_pylist()
    }
    return pa.array([ids[cluster] for cluster in cluster_ids.to_pylist()], pa.string())


def _folder(lake: Lake) -> Path:
    return lake.root / "identity"
