"""The identity domain's functions: link the place's person records into people and households, take a reviewer's
decision or an undone link, and read back, export and score what the latest run made.

Every change ends in a new run: its files are written beside the lake first, then the run, the changes to people
and households and the review queue are recorded in one transaction.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import hmac
import json
import math
import secrets
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from wholeplace.core.errors import (
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    WholeplaceError,
)
from wholeplace.identity import bands, evaluation, households, linkage, store
from wholeplace.identity.linkage import Progress
from wholeplace.identity.model import STRONG_IDENTIFIERS
from wholeplace.identity.models import IdentityChange, LinkDecision, LinkRun, LinkThresholds, ReviewPair
from wholeplace.identity.pipeline import Decisions, Outcome, Previous, resolve
from wholeplace.identity.records import lake_views, person_records, record_activity, record_relationships
from wholeplace.identity.stable_ids import Change
from wholeplace.sources.lake import Lake, LakeBatch
from wholeplace.sources.models import Batch

TRUTH_COLUMNS = ("source", "record_id", "person_id")
SAME, DIFFERENT, NOT_SURE = "same", "different", "not sure"
DECISIONS = (SAME, DIFFERENT, NOT_SURE)


class ModelMismatchError(WholeplaceError):
    """A saved model that does not belong to this place or its records."""


@dataclass(frozen=True)
class LinkSummary:
    kind: str
    records: int
    comparisons: int
    links: int
    people: int
    households: int
    review_queue: int
    upper: float
    lower: float
    thresholds_from: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "records": self.records,
            "comparisons": self.comparisons,
            "links": self.links,
            "people": self.people,
            "households": self.households,
            "review_queue": self.review_queue,
            "thresholds": {"upper": self.upper, "lower": self.lower, "from": self.thresholds_from},
        }


@dataclass(frozen=True)
class Linkage:
    """What a run found, before people and households are resolved from it."""

    kind: str  # full, new records, decision
    records: pa.Table  # see identity.pipeline.resolve
    pairs: pa.Table  # scored pairs, without bands
    model: dict[str, Any]
    comparisons: int
    related: list[tuple[str, str]]
    backend: str
    batches: frozenset[uuid.UUID]  # the ingest batches it read


@dataclass(frozen=True)
class Actor:
    """Who asked for a change, and when."""

    name: str
    at: datetime


def link_place(
    db: Session,
    lake: Lake,
    batches: list[LakeBatch],
    *,
    secret: str,
    actor: Actor,
    retrain: bool = False,
    model_file: Path | None = None,
    backend: str = "duckdb",
    spark_master: str = "local[2]",
    progress: Progress | None = None,
) -> LinkSummary:
    """Link every current person record of the place: train the model (the first time, when asked, or never if
    a model file is given), score every candidate pair on the backend, and resolve people and households."""
    say = progress or (lambda _stage: None)
    connection = lake.connect(batches)
    say("reading records")
    records = person_records(connection)
    trained = _model(db, lake, records, secret=secret, retrain=retrain, model_file=model_file, progress=say)
    scored = _score(backend, records, trained, spark_master=spark_master, progress=say)
    say("reading dwellings and relationships")
    made = Linkage(
        kind="full",
        records=_run_records(connection, records, batches),
        pairs=scored.pairs,
        model=trained,
        comparisons=scored.comparisons,
        related=record_relationships(connection),
        backend=backend,
        batches=_ids(batches),
    )
    return _record_run(db, lake, made, actor=actor, progress=say)


def link_new_records(
    db: Session,
    lake: Lake,
    batches: list[LakeBatch],
    *,
    secret: str,
    actor: Actor,
    progress: Progress | None = None,
) -> LinkSummary:
    """Link the records that arrived (or changed) since the latest run to the people already found, with the
    saved model: no retraining. Pairs among the records already linked keep their scores."""
    say = progress or (lambda _stage: None)
    run = latest_run(db)
    if run is None:
        return link_place(db, lake, batches, secret=secret, actor=actor, progress=progress)
    connection = lake.connect(batches)
    say("reading records")
    records = person_records(connection)
    trained = _checked_model(
        store.read_model(lake, run.folder), place_fingerprint(secret), records, "The saved model"
    )
    arrived = _arrived(records, store.read_table(lake, run.folder, store.RECORDS))
    scored = linkage.score_new(records, arrived, trained["splink"], progress=say) if arrived else None
    say("reading dwellings and relationships")
    made = Linkage(
        kind="new records",
        records=_run_records(connection, records, batches),
        pairs=_pairs_with(store.read_table(lake, run.folder, store.PAIRS), scored, records, arrived),
        model=trained,
        comparisons=scored.comparisons if scored else 0,
        related=record_relationships(connection),
        backend=run.backend,
        batches=_ids(batches),
    )
    return _record_run(db, lake, made, actor=actor, progress=say)


def _arrived(records: pa.Table, linked: pa.Table) -> set[str]:
    """Records not in the latest run, or in it from an earlier batch."""
    before = dict(
        zip(linked.column("unique_id").to_pylist(), linked.column("batch").to_pylist(), strict=True)
    )
    return {
        uid
        for uid, batch in zip(
            records.column("unique_id").to_pylist(), records.column("batch").to_pylist(), strict=True
        )
        if before.get(uid) != batch
    }


def _pairs_with(
    previous: pa.Table, scored: linkage.Scored | None, records: pa.Table, arrived: set[str]
) -> pa.Table:
    """The latest run's pairs among records still current and unchanged, with the new records' pairs."""
    unchanged = pa.array(sorted(set(records.column("unique_id").to_pylist()) - arrived), pa.string())
    kept = previous.drop_columns(["band", "reason"]).filter(
        pc.and_(
            pc.is_in(previous.column("unique_id_l"), value_set=unchanged),
            pc.is_in(previous.column("unique_id_r"), value_set=unchanged),
        )
    )
    if scored is None:
        return kept
    return pa.concat_tables([kept, scored.pairs.select(kept.column_names)], promote_options="permissive")


def decide(
    db: Session, lake: Lake, pair_id: uuid.UUID, decision: str, reason: str, *, actor: Actor
) -> LinkSummary:
    """Record a reviewer's decision on a pair in the queue and re-cluster at once."""
    if decision not in DECISIONS:
        raise InvalidInputError("Choose same person, different people or not sure.", field="decision")
    pair = db.get(ReviewPair, pair_id)
    if pair is None or pair.status != "open":
        raise NotFoundError(
            "This pair is no longer in the review queue: someone decided it, or a later linkage changed or "
            "withdrew its records.",
            fix="Go back to the queue; nothing was recorded.",
        )
    _add_decision(db, pair.record_l, pair.record_r, decision, reason, origin="review", actor=actor)
    pair.status = "decided"
    return relink(db, lake, actor=actor)


def undo_link(
    db: Session, lake: Lake, person_id: str, record: str, reason: str, *, actor: Actor
) -> LinkSummary:
    """Take one record out of a person: it is kept apart from the person's other records from now on."""
    run = _latest_run(db)
    people = store.read_table(lake, run.folder, store.PEOPLE)
    members = people.filter(pc.equal(people.column("person_id"), person_id)).column("unique_id").to_pylist()
    if record not in members:
        raise NotFoundError(
            "That record is not linked to this person any more.", fix="Reload the person's page."
        )
    if len(members) == 1:
        raise InvalidInputError("This is the person's only record: there is no link to undo.", field="record")
    for other in members:
        if other != record:
            _add_decision(
                db, record, other, DIFFERENT, reason, origin="undo", actor=actor, person_id=person_id
            )
    return relink(db, lake, actor=actor)


def relink(db: Session, lake: Lake, *, actor: Actor) -> LinkSummary:
    """Resolve people and households again from the latest run's scored pairs, with every decision so far."""
    run = _latest_run(db)
    pairs = store.read_table(lake, run.folder, store.PAIRS)
    related = store.read_table(lake, run.folder, store.RELATED)
    made = Linkage(
        kind="decision",
        records=store.read_table(lake, run.folder, store.RECORDS),
        pairs=pairs.drop_columns(["band", "reason"]),
        model=store.read_model(lake, run.folder),
        comparisons=run.comparisons,
        related=list(zip(related.column(0).to_pylist(), related.column(1).to_pylist(), strict=True)),
        backend=run.backend,
        batches=batches_read(db, lake, run),
    )
    return _record_run(db, lake, made, actor=actor)


def set_thresholds(
    db: Session, upper: float | None, lower: float | None, reason: str, *, actor: Actor
) -> None:
    """Set the place's own thresholds (both), or go back to the model's choice (neither)."""
    if (upper is None) != (lower is None):
        raise InvalidInputError("Give both thresholds, or neither to let the model choose.", field="upper")
    if upper is not None and lower is not None:
        try:
            bands.Thresholds(upper=upper, lower=lower)
        except ValueError as error:
            raise InvalidInputError(str(error), field="upper") from None
    if not reason.strip():
        raise InvalidInputError("Say why the thresholds change.", field="reason")
    db.add(
        LinkThresholds(upper=upper, lower=lower, reason=reason.strip(), set_by=actor.name, set_at=actor.at)
    )
    db.flush()


def latest_run(db: Session) -> LinkRun | None:
    return db.scalars(select(LinkRun).order_by(LinkRun.sequence.desc()).limit(1)).first()


def batches_read(db: Session, lake: Lake, run: LinkRun) -> frozenset[uuid.UUID]:
    """The ingest batches a run read. A run from before runs kept them read those loaded by the time it began."""
    kept = store.read_batches(lake, run.folder)
    if kept is not None:
        return kept
    return frozenset(db.scalars(select(Batch.id).where(Batch.loaded_at <= run.started_at)))


def _ids(batches: list[LakeBatch]) -> frozenset[uuid.UUID]:
    return frozenset(batch.batch_id for batch in batches)


def latest_sequence(db: Session) -> int | None:
    """The sequence number of the latest run, cheaply: for callers that only need to know whether it changed."""
    return db.execute(select(latest_sequence_query())).scalar()


def latest_sequence_query() -> ScalarSelect[int]:
    """The latest run's sequence number, for a caller to ask alongside facts of its own in one statement."""
    return select(func.max(LinkRun.sequence)).scalar_subquery()


def linked_people(db: Session, lake: Lake) -> pa.Table:
    """source, record_id, person_id, household_id for every record the latest run saw."""
    run = _latest_run(db)
    return store.read_table(lake, run.folder, store.PEOPLE).select(
        ["source", "record_id", "person_id", "household_id"]
    )


def household_of(db: Session, lake: Lake, person_id: str) -> str | None:
    """The person's current household in the latest run, or None."""
    homes = _households_where(db, lake, "person_id", person_id)
    return str(homes.column("household_id")[0].as_py()) if homes.num_rows else None


def person_exists(db: Session, lake: Lake, person_id: str) -> bool:
    """Whether the latest run made a person with this id."""
    run = latest_run(db)
    if run is None:
        return False
    found = pq.read_table(
        store.run_file(lake, run.folder, store.PEOPLE),
        columns=["person_id"],
        filters=[("person_id", "=", person_id)],
    )
    return bool(found.num_rows)


def household_members(db: Session, lake: Lake, household_id: str) -> list[str]:
    """The people whose current household it is, in the latest run."""
    run = latest_run(db)
    if run is None:
        return []
    return _memberships(store.run_file(lake, run.folder, store.HOUSEHOLDS)).members(household_id)


class _Memberships:
    """A run's households file sorted by household, so that a household's members are found by binary search:
    the access decision asks on every household page, and reading the whole file each time takes a third of a
    second at a million residents."""

    def __init__(self, path: Path) -> None:
        table = pq.read_table(path, columns=["person_id", "household_id"])
        table = table.filter(pc.is_valid(table.column("household_id"))).sort_by("household_id")
        self.households = table.column("household_id").combine_chunks()
        self.people = table.column("person_id").combine_chunks()

    def members(self, household_id: str) -> list[str]:
        def key(index: int) -> str:
            return str(self.households[index].as_py())

        positions = range(len(self.households))
        first = bisect.bisect_left(positions, household_id, key=key)
        after = bisect.bisect_right(positions, household_id, lo=first, key=key)
        return sorted(self.people[first:after].to_pylist())


# The latest run's, kept while its file is unchanged; a run's files are written once, so a new run is a new file.
_MEMBERSHIPS: dict[tuple[Path, int, int], _Memberships] = {}
_MEMBERSHIPS_LOCK = threading.Lock()


def _memberships(path: Path) -> _Memberships:
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    with _MEMBERSHIPS_LOCK:  # one thread reads the file; the others wait for it rather than read it too
        found = _MEMBERSHIPS.get(key)
        if found is None:
            _MEMBERSHIPS.clear()
            found = _MEMBERSHIPS[key] = _Memberships(path)
    return found


def _households_where(db: Session, lake: Lake, column: str, value: str) -> pa.Table:
    run = latest_run(db)
    if run is None:
        return pa.table({"person_id": pa.array([], pa.string()), "household_id": pa.array([], pa.string())})
    return pq.read_table(
        store.run_file(lake, run.folder, store.HOUSEHOLDS),
        columns=["person_id", "household_id"],
        filters=[(column, "=", value)],
    )


def linked_involvements(db: Session, lake: Lake, batches: list[LakeBatch]) -> pa.Table:
    """Every involvement in the lake with the person and current household its record links to in the latest
    run: source, person_id, household_id, start, end, reference. Empty before the first run."""
    run = latest_run(db)
    empty = pa.table(
        {
            **{
                name: pa.array([], pa.string())
                for name in ("source", "record_id", "person_id", "household_id")
            },
            **{name: pa.array([], pa.date32()) for name in ("start", "end")},
            "reference": pa.array([], pa.string()),
        }
    )
    if run is None:
        return empty
    with lake.connect(batches) as connection:
        if "involvement" not in lake_views(connection):
            return empty
        rows = connection.sql(
            'SELECT source, record_id, "start", "end", reference FROM involvement'
        ).to_arrow_table()
    people = store.read_table(lake, run.folder, store.PEOPLE).select(["source", "record_id", "person_id"])
    homes = store.read_table(lake, run.folder, store.HOUSEHOLDS).select(["person_id", "household_id"])
    return (
        _plain_strings(rows)
        .join(_plain_strings(people), ["source", "record_id"], join_type="inner")
        .join(_plain_strings(homes), "person_id", join_type="left outer")
    )


def records_of(
    db: Session, lake: Lake, batches: list[LakeBatch], person_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Every current lake row of the person's records in the latest run, whole, keyed by entity (person,
    involvement, event, relationship); empty lists before the first run or for someone no run knows."""
    run = latest_run(db)
    found: dict[str, list[dict[str, Any]]] = {
        entity: [] for entity in ("person", "involvement", "event", "relationship")
    }
    keys = [] if run is None else _record_keys(lake, run.folder, person_id)
    if not keys:
        return found
    with lake.connect(batches) as connection:
        held = lake_views(connection)
        for entity in found:
            if entity in held:
                found[entity] = _rows_with_keys(connection, entity, keys)
    return found


def _record_keys(lake: Lake, folder: str, person_id: str) -> list[str]:
    records = pq.read_table(
        store.run_file(lake, folder, store.PEOPLE),
        columns=["source", "record_id"],
        filters=[("person_id", "=", person_id)],
    )
    return [
        f"{source}:{record_id}"
        for source, record_id in zip(
            records.column("source").to_pylist(), records.column("record_id").to_pylist(), strict=True
        )
    ]


def _rows_with_keys(
    connection: duckdb.DuckDBPyConnection, entity: str, keys: list[str]
) -> list[dict[str, Any]]:
    # A list parameter, not a join: joining the person view to another relation can drop rows (DuckDB 2.0.1).
    found = connection.execute(
        f"SELECT * FROM {entity} WHERE source || ':' || record_id IN (SELECT unnest(?)) "  # noqa: S608
        "ORDER BY source, record_id, row_number",
        [keys],
    )
    names = [column[0] for column in found.description]
    return [dict(zip(names, row, strict=True)) for row in found.fetchall()]


def _plain_strings(table: pa.Table) -> pa.Table:
    """The table with every text column as `string`: Arrow joins refuse a `string` key against a `large_string`."""
    schema = pa.schema(
        [
            field.with_type(pa.string()) if pa.types.is_large_string(field.type) else field
            for field in table.schema
        ]
    )
    return table.cast(schema)


def export_people(db: Session, lake: Lake, out: Path) -> int:
    people = linked_people(db, lake)
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(people.column_names)
        writer.writerows(zip(*(people.column(name).to_pylist() for name in people.column_names), strict=True))
    return int(people.num_rows)


def evaluate(db: Session, lake: Lake, truth_path: Path) -> dict[str, Any]:
    """Scores of the latest run against a truth file of source, record_id, person_id (and household_id, when
    given): pairwise and B-cubed for people, pairwise and B-cubed for households."""
    people = linked_people(db, lake).to_pandas()
    truth = _truth(truth_path)
    scored = people.merge(truth, on=["source", "record_id"], suffixes=("", "_true"))
    if scored.empty:
        raise WholeplaceError(
            f"No record in {truth_path.name} matches a linked record.",
            fix="Give the truth file of the place that was linked (columns source, record_id, person_id).",
        )
    result: dict[str, Any] = {
        "records": len(scored),
        "records_not_in_truth": len(people) - len(scored),
        "pairwise": evaluation.pairwise_scores(scored["person_id"], scored["person_id_true"]).as_dict(),
        "bcubed": evaluation.bcubed_scores(scored["person_id"], scored["person_id_true"]).as_dict(),
    }
    if "household_id_true" in scored.columns:
        result["households"] = evaluation.pairwise_scores(
            scored["household_id"], scored["household_id_true"]
        ).as_dict()
        result["households_bcubed"] = evaluation.bcubed_scores(
            scored["household_id"], scored["household_id_true"]
        ).as_dict()
    return result


def _score(
    backend: str, records: pa.Table, trained: dict[str, Any], *, spark_master: str, progress: Progress
) -> linkage.Scored:
    if backend == "duckdb":
        return linkage.score(records, trained["splink"], progress=progress)
    if backend == "spark":
        try:
            from wholeplace.identity import spark  # here, not above: importing pyspark takes a second
        except ImportError:
            raise ConfigurationError(
                "Linking on Spark needs pyspark, which is not installed.",
                fix="Install it with: pip install 'wholeplace[spark]'; or link with --backend duckdb.",
            ) from None
        return spark.score(
            records, trained["splink"], set(trained["columns"]), master=spark_master, progress=progress
        )
    raise InvalidInputError(
        f"There is no backend called {backend!r}.", field="backend", fix="Use duckdb or spark."
    )


def place_fingerprint(secret: str) -> str:
    """Names the place a model was trained in without revealing its secret."""
    return hmac.new(secret.encode(), b"wholeplace linkage model", hashlib.sha256).hexdigest()[:16]


def _model(
    db: Session,
    lake: Lake,
    records: pa.Table,
    *,
    secret: str,
    retrain: bool,
    model_file: Path | None,
    progress: Progress,
) -> dict[str, Any]:
    place = place_fingerprint(secret)
    if model_file is not None:
        return _checked_model(_read_model_file(model_file), place, records, f"The model in {model_file.name}")
    run = latest_run(db)
    if run is not None and not retrain:
        return _checked_model(store.read_model(lake, run.folder), place, records, "The saved model")
    try:
        splink_model = linkage.train(records, matches=_decisions(db).same, progress=progress)
    except linkage.UntrainableError as error:
        raise WholeplaceError(
            str(error),
            fix="Load sources that share identifiers, or names with dates of birth, then link again.",
        ) from None
    return {"place": place, "columns": sorted(linkage.model_columns(records)), "splink": splink_model}


def _read_model_file(path: Path) -> dict[str, Any]:
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelMismatchError(
            f"The model file {path.name} cannot be read: {error}.",
            fix="Give a model.json saved by wholeplace link.",
        ) from None
    if not isinstance(model, dict) or not {"place", "columns", "splink"} <= model.keys():
        raise ModelMismatchError(
            f"{path.name} is not a model saved by wholeplace link.",
            fix="Give a model.json from a run folder, or leave out --model to train one.",
        )
    return model


def _checked_model(model: dict[str, Any], place: str, records: pa.Table, name: str) -> dict[str, Any]:
    if model.get("place") != place:
        raise ModelMismatchError(
            f"{name} was trained in another place, on other people's records.",
            fix="Train this place's own model: wholeplace link --retrain.",
        )
    missing = sorted(set(model["columns"]) - linkage.model_columns(records))
    if missing:
        raise ModelMismatchError(
            f"{name} compares {', '.join(missing)}, which no current record holds.",
            fix="Retrain on the records as they are now: wholeplace link --retrain.",
        )
    return model


def _run_records(
    connection: duckdb.DuckDBPyConnection, records: pa.Table, batches: list[LakeBatch]
) -> pa.Table:
    """What re-clustering needs of each record: its strong identifiers, its dwelling, and the dates it was active
    — a record with no dated activity speaks for the day its extract was loaded."""
    activity = record_activity(connection)
    uids = records.column("unique_id")
    seen = pc.index_in(uids, value_set=activity.column("unique_id").cast(uids.type))
    batch_of = pc.index_in(
        records.column("batch"), value_set=pa.array([str(batch.batch_id) for batch in batches])
    )
    loaded_on = pa.array([batch.loaded_on for batch in batches], pa.date32()).take(batch_of)
    dwelling = households.dwellings(records.select(["address", "postcode", "uprn"]).to_pandas())
    kept = records.select(["unique_id", "source", "record_id", "batch", *STRONG_IDENTIFIERS])
    return (
        kept.append_column("dwelling", pa.array(dwelling, pa.string(), from_pandas=True))
        .append_column("first_seen", pc.coalesce(activity.column("first_seen").take(seen), loaded_on))
        .append_column("last_seen", pc.coalesce(activity.column("last_seen").take(seen), loaded_on))
    )


def _record_run(
    db: Session, lake: Lake, made: Linkage, *, actor: Actor, progress: Progress | None = None
) -> LinkSummary:
    say = progress or (lambda _stage: None)
    say("resolving people and households")
    records, pairs, model = made.records, made.pairs, made.model
    thresholds, chosen_by = _thresholds(db, pairs)
    banded = bands.banded(pairs, thresholds)
    outcome = resolve(
        records,
        banded,
        decisions=_decisions(db),
        related=made.related,
        previous=_previous(db, lake),
        new_person_id=_random_ids("P"),
        new_household_id=_random_ids("H"),
    )
    latest = latest_run(db)
    sequence = latest.sequence + 1 if latest is not None else 1
    run = LinkRun(
        id=uuid.uuid4(),
        sequence=sequence,
        kind=made.kind,
        backend=made.backend,
        started_at=actor.at,
        finished_at=actor.at,
        started_by=actor.name,
        records=records.num_rows,
        comparisons=made.comparisons,
        links=outcome.links,
        review_pairs=0,
        people=_distinct(outcome.people, "person_id"),
        households=_distinct(outcome.households, "household_id"),
        upper=thresholds.upper,
        lower=thresholds.lower,
        thresholds_from=chosen_by,
        model_hash=store.model_hash(model),
    )
    run.folder = f"{sequence:06d}-{run.id.hex[:8]}"  # two runs racing for one sequence never share a folder
    files = store.RunFiles(
        people=outcome.people,
        households=outcome.households,
        pairs=banded,
        records=records,
        related=_related_table(made.related),
        model=model,
        batches=made.batches,
    )
    say("writing the run and updating the review queue")
    # Parquet is written outside the GIL, so the files are written while the queue is worked out.
    with ThreadPoolExecutor(1) as writer:
        written = writer.submit(store.write_run, lake, run.folder, files)
        try:
            run.review_pairs = _sync_review_queue(db, outcome, model, at=actor.at)
            written.result()
            db.add(run)
            db.flush()
            _record_changes(db, run.id, outcome)
            db.flush()
        except IntegrityError:
            _discard_once_written(lake, run.folder, written)
            raise ConflictError(
                "Another linkage finished while this one ran.",
                fix="Try again: it will start from the newer one.",
            ) from None
        except Exception:
            _discard_once_written(lake, run.folder, written)
            raise
    return LinkSummary(
        kind=made.kind,
        records=run.records,
        comparisons=run.comparisons,
        links=run.links,
        people=run.people,
        households=run.households,
        review_queue=run.review_pairs,
        upper=run.upper,
        lower=run.lower,
        thresholds_from=chosen_by,
    )


def _discard_once_written(lake: Lake, folder: str, written: Future[Path]) -> None:
    wait([written])
    store.discard_run(lake, folder)


def _random_ids(prefix: str) -> Callable[[], str]:
    """Opaque ids of 20 random hex digits after `prefix`, drawn from the system's randomness in blocks: a first
    linkage of a million residents names hundreds of thousands of people at once."""
    pool: list[str] = []

    def next_id() -> str:
        if not pool:
            block = secrets.token_hex(10 * 4096)
            pool.extend(prefix + block[start : start + 20] for start in range(0, len(block), 20))
        return pool.pop()

    return next_id


def _distinct(table: pa.Table, column: str) -> int:
    return int(pc.count_distinct(table.column(column)).as_py())


def _related_table(related: list[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {
            "unique_id_a": pa.array([a for a, _ in related], pa.string()),
            "unique_id_b": pa.array([b for _, b in related], pa.string()),
        }
    )


def _thresholds(db: Session, pairs: pa.Table) -> tuple[bands.Thresholds, str]:
    chosen = db.scalars(select(LinkThresholds).order_by(LinkThresholds.id.desc()).limit(1)).first()
    if chosen is not None and chosen.upper is not None and chosen.lower is not None:
        return bands.Thresholds(upper=chosen.upper, lower=chosen.lower), "place"
    return bands.chosen_thresholds(pairs.column("match_probability").to_numpy()), "model"


def _decisions(db: Session) -> Decisions:
    """The latest decision on each pair: same person and different people constrain clustering; not sure
    leaves the pair to the model."""
    latest: dict[tuple[str, str], str] = {}
    for row in db.execute(
        select(LinkDecision.record_l, LinkDecision.record_r, LinkDecision.decision).order_by(
            LinkDecision.decided_at, LinkDecision.id
        )
    ):
        latest[_ordered(row.record_l, row.record_r)] = row.decision
    return Decisions(
        same=[pair for pair, decision in latest.items() if decision == SAME],
        different=[pair for pair, decision in latest.items() if decision == DIFFERENT],
    )


def _previous(db: Session, lake: Lake) -> Previous:
    run = latest_run(db)
    if run is None:
        return Previous(people=pd.Series(dtype="str"), households=pd.Series(dtype="str"))
    people = store.read_table(lake, run.folder, store.PEOPLE)
    homes = store.read_table(lake, run.folder, store.HOUSEHOLDS)
    return Previous(
        people=_lookup(people, "unique_id", "person_id"),
        households=_lookup(homes, "person_id", "household_id"),
    )


def _lookup(table: pa.Table, key: str, value: str) -> pd.Series:
    return pd.Series(table.column(value).to_pandas().array, index=table.column(key).to_pandas())


def _sync_review_queue(db: Session, outcome: Outcome, model: dict[str, Any], *, at: datetime) -> int:
    """Open a review for each pair in the band nobody has decided; pairs that left the band are withdrawn.
    Written in bulk, and only what changed: a million residents' run queues tens of thousands of pairs, most of
    them the same as last time."""
    decided = set(_decided_pairs(db))
    existing = {
        (row.record_l, row.record_r): row
        for row in db.execute(
            select(
                ReviewPair.id,
                ReviewPair.record_l,
                ReviewPair.record_r,
                *(getattr(ReviewPair, name) for name in _REVIEW_VALUES),
            )
        )
    }
    review = outcome.review
    rows = zip(
        review["unique_id_l"].tolist(),
        review["unique_id_r"].tolist(),
        review["match_weight"].tolist(),
        review["match_probability"].tolist(),
        review["reason"].astype(str).tolist(),
        review["impact"].tolist(),
        _waterfalls(review, model["splink"]),
        strict=True,
    )
    fresh, renewed, queued = [], [], 0
    for left, right, weight, probability, reason, impact, levels in rows:
        key = _ordered(left, right)
        if key in decided:
            continue
        queued += 1
        values = {
            "match_weight": float(weight),
            "match_probability": float(probability),
            "reason": reason,
            "impact": int(impact),
            "status": "open",
            "levels": levels,
        }
        known = existing.pop(key, None)
        if known is None:
            fresh.append(
                {"id": uuid.uuid4(), "record_l": key[0], "record_r": key[1], "queued_at": at, **values}
            )
        elif not _same_review(known, values):
            renewed.append({"id": known.id, **values})
    if fresh:
        db.execute(insert(ReviewPair), fresh)
    if renewed:
        db.execute(update(ReviewPair), renewed)
    stale = [row.id for row in existing.values() if row.status == "open"]
    for start in range(0, len(stale), 1000):
        db.execute(
            update(ReviewPair).where(ReviewPair.id.in_(stale[start : start + 1000])).values(status="vanished")
        )
    return queued


_REVIEW_VALUES = ("match_weight", "match_probability", "reason", "impact", "status", "levels")
_SCORES = ("match_weight", "match_probability")


def _same_review(known: Row[Any], values: dict[str, Any]) -> bool:
    """Whether a queued pair needs no update: a retrained model scores a pair the same only to within rounding."""
    return all(
        math.isclose(getattr(known, name), value, rel_tol=1e-9, abs_tol=1e-12)
        if name in _SCORES
        else getattr(known, name) == value
        for name, value in values.items()
    )


def _decided_pairs(db: Session) -> list[tuple[str, str]]:
    rows = db.execute(
        select(LinkDecision.record_l, LinkDecision.record_r).where(LinkDecision.decision != NOT_SURE)
    )
    return [_ordered(left, right) for left, right in rows]


def _level_labels(splink_model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """For each comparison, the chart label of each level by its Splink level number (gamma)."""
    labels: dict[str, dict[int, str]] = {}
    for comparison in splink_model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        by_gamma = {
            len(levels) - 1 - index: level.get("label_for_charts", "") for index, level in enumerate(levels)
        }
        by_gamma[-1] = "missing on one side"
        labels[comparison["output_column_name"]] = by_gamma
    return labels


def _waterfalls(review: pd.DataFrame, splink_model: dict[str, Any]) -> list[str]:
    """Each pair's match weight step by step, as JSON: the prior, then each comparison's level and weight.
    Built a column at a time: a million residents' first run queues tens of thousands of pairs."""
    prior = float(splink_model["probability_two_random_records_match"])
    steps = []
    for name, by_gamma in _level_labels(splink_model).items():
        if f"gamma_{name}" not in review:
            continue
        gamma = review[f"gamma_{name}"].astype(int)
        level = gamma.map({value: json.dumps(label) for value, label in by_gamma.items()})
        level = level.where(level.notna(), gamma.astype(str).map(json.dumps))
        weight = sum(
            (
                review[column].fillna(0.0)
                for column in (f"mw_{name}", f"mw_tf_adj_{name}")
                if column in review
            ),
            start=pd.Series(0.0, index=review.index),
        )
        steps.append(
            f'{{"comparison": {json.dumps(name)}, "level": '
            + level
            + ', "weight": '
            + pd.Series(list(map(repr, weight.round(6).tolist())), index=review.index, dtype=object)
            + "}"
        )
    joined = pd.Series("", index=review.index, dtype=object)
    for number, step in enumerate(steps):
        joined = joined + (", " if number else "") + step
    totals = map(repr, review["match_weight"].astype(float).round(6).tolist())
    head = f'{{"prior": {json.dumps(round(math.log2(prior / (1 - prior)), 6))}, "steps": ['
    return [f'{head}{body}], "total": {total}}}' for body, total in zip(joined.tolist(), totals, strict=True)]


def _record_changes(db: Session, run_id: uuid.UUID, outcome: Outcome) -> None:
    for entity, changes in (("person", outcome.person_changes), ("household", outcome.household_changes)):
        db.add_all(_change_rows(run_id, entity, changes))


def _change_rows(run_id: uuid.UUID, entity: str, changes: list[Change]) -> list[IdentityChange]:
    return [
        IdentityChange(
            run_id=run_id,
            entity=entity,
            kind=change.kind,
            kept=change.kept,
            other=change.other,
            members=change.members,
        )
        for change in changes
    ]


def _add_decision(
    db: Session,
    left: str,
    right: str,
    decision: str,
    reason: str,
    *,
    origin: str,
    actor: Actor,
    person_id: str | None = None,
) -> None:
    if not reason.strip():
        raise InvalidInputError("Say why: the reason is kept with the decision.", field="reason")
    record_l, record_r = _ordered(left, right)
    db.add(
        LinkDecision(
            record_l=record_l,
            record_r=record_r,
            decision=decision,
            reason=reason.strip(),
            origin=origin,
            person_id=person_id,
            decided_by=actor.name,
            decided_at=actor.at,
        )
    )
    db.flush()


def _ordered(left: str, right: str) -> tuple[str, str]:
    return (left, right) if left <= right else (right, left)


def _latest_run(db: Session) -> LinkRun:
    run = latest_run(db)
    if run is None:
        raise NotFoundError("The place's records have not been linked yet.", fix="Run: wholeplace link")
    return run


def _truth(path: Path) -> pd.DataFrame:
    try:
        truth = pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as error:
        raise WholeplaceError(f"The truth file cannot be read: {error}.", fix="Give a CSV file.") from None
    missing = [name for name in TRUTH_COLUMNS if name not in truth.columns]
    if missing:
        raise WholeplaceError(
            f"The truth file {path.name} has no column {missing[0]!r}.",
            fix="It needs the columns source, record_id and person_id (and household_id to score households).",
        )
    return truth[[*TRUTH_COLUMNS, *(["household_id"] if "household_id" in truth.columns else [])]]
