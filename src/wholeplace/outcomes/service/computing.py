"""Measures' values computed from the linked data. The lake's current person records, events and involvements,
the latest linkage run's people and households, the place's neighbourhoods and the closed shared plans' needs
are gathered once; each measure's current definition is run by the computation its key names
(outcomes/indicators.py) and the values are recorded under the definition's version, which warns the owner when
the newest whole-place value is special cause concern. A measure that cannot be computed is reported with the reason, and the others are computed still."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy.orm import Session

from wholeplace.coordination.service import closure
from wholeplace.core import geography
from wholeplace.core.errors import WholeplaceError
from wholeplace.identity import service as identity
from wholeplace.outcomes import indicators
from wholeplace.outcomes.indicators import LinkedData
from wholeplace.outcomes.models import Measure
from wholeplace.outcomes.schemas import ImportSummary
from wholeplace.outcomes.service import definitions, framework, values, warnings
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake, LakeBatch

Progress = Callable[[str], None]


@dataclass(frozen=True)
class MeasureComputed:
    """What computing one measure did: the values recorded and any warning its owner was given, or why it could
    not be computed (`problem`)."""

    measure_id: uuid.UUID
    title: str
    key: str | None
    version: int | None
    summary: ImportSummary | None = None
    warned_for: str | None = None  # the period whose value brought special cause concern
    problem: str | None = None

    @property
    def computed(self) -> bool:
        return self.problem is None

    @property
    def values(self) -> int:
        summary = self.summary
        return 0 if summary is None else summary.added + summary.replaced + summary.unchanged

    def as_json(self) -> dict[str, Any]:
        summary = self.summary
        return {
            "measure_id": str(self.measure_id),
            "title": self.title,
            "key": self.key,
            "version": self.version,
            "computed": self.computed,
            "values": self.values,
            "added": summary.added if summary else 0,
            "replaced": summary.replaced if summary else 0,
            "unchanged": summary.unchanged if summary else 0,
            "warned_for": self.warned_for,
            "problem": self.problem,
        }

    def line(self) -> str:
        """One line saying what happened, for the command line and the page."""
        named = f"{self.title} ({self.key} v{self.version})" if self.key else self.title
        if self.problem is not None:
            return f"{named}: not computed. {self.problem}"
        summary = self.summary
        assert summary is not None
        said = (
            f"{named}: {self.values:,} value{'s' if self.values != 1 else ''} ({summary.added:,} added, "
            f"{summary.replaced:,} replaced, {summary.unchanged:,} unchanged)"
        )
        if self.warned_for:
            said += f"; its owner is warned of special cause concern in {self.warned_for}"
        return said + "."


def compute_measure(
    db: Session,
    lake: Lake,
    measure_id: uuid.UUID,
    *,
    by: str,
    at: datetime,
    data: LinkedData | None = None,
) -> MeasureComputed:
    """Compute a measure's values by its current definition and record them, or say why it cannot be computed.
    The linked data are gathered unless given."""
    measure = framework.measure(db, measure_id)
    with indicators.workspace(data or gather(db, lake)) as connection:
        return _compute(db, connection, measure, by=by, at=at)


def compute_all(
    db: Session, lake: Lake, *, by: str, at: datetime, progress: Progress | None = None
) -> list[MeasureComputed]:
    """Compute every measure that has a definition, from the linked data gathered once."""
    say = progress or (lambda _step: None)
    measures = [framework.measure(db, measure_id) for measure_id in definitions.defined_measures(db)]
    if not measures:
        return []
    say("gathering the linked data")
    data = gather(db, lake)
    done = []
    with indicators.workspace(data) as connection:
        for measure in measures:
            say(measure.title)
            done.append(_compute(db, connection, measure, by=by, at=at))
    return done


def _compute(
    db: Session, connection: duckdb.DuckDBPyConnection, measure: Measure, *, by: str, at: datetime
) -> MeasureComputed:
    current = definitions.current_definition(db, measure.id)
    if current is None:
        return MeasureComputed(
            measure.id, measure.title, None, None, problem="It has no definition: define it first."
        )
    named: dict[str, Any] = {
        "measure_id": measure.id,
        "title": measure.title,
        "key": current.key,
        "version": current.version,
    }
    try:
        computed = indicators.compute(connection, current.key, current.parameters)
    except indicators.ParameterError as error:
        return MeasureComputed(**named, problem=f"{error} Change the definition.")
    if not computed:
        return MeasureComputed(**named, problem="The linked data hold nothing it counts yet.")
    try:
        with db.begin_nested():
            summary = values.record_computed(db, measure_id=measure.id, values=computed, by=by, at=at)
    except WholeplaceError as error:
        return MeasureComputed(**named, problem=str(error))
    return MeasureComputed(**named, summary=summary, warned_for=_warned_for(db, measure, at))


def _warned_for(db: Session, measure: Measure, at: datetime) -> str | None:
    given = [
        warning.period
        for warning in warnings.warnings_for(db, measure.owner)
        if warning.measure_id == measure.id and warning.created_at == at
    ]
    return given[0] if given else None


# ---------------------------------------------------------------- gathering the linked data


def gather(db: Session, lake: Lake, *, people: pa.Table | None = None) -> LinkedData:
    """The linked data the computations read: every person record the latest linkage run saw, with its person,
    household, postcode's neighbourhood and dates; their events and involvements; and the neighbourhoods.
    `people` (source, record_id, person_id, household_id) stands in for the latest run's where given: the
    benchmark gives a generated place's truth, so as not to link a million residents first."""
    linked = identity.linked_people(db, lake) if people is None else people
    batches = sources.lake_batches(db)
    areas = geography.postcode_areas(db)
    neighbourhoods = geography.neighbourhoods(db)
    with lake.connect(batches) as connection:
        held = {
            row[0]
            for row in connection.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
        connection.register("linked", linked)
        connection.register("loaded", _loaded_on(batches))
        records = _records(connection, held, areas)
        events = _rows(connection, held, "event", ("source", "record_id", "type", "date", "role"))
        involvements = _rows(connection, held, "involvement", ("source", "record_id", "type", "start", "end"))
    return LinkedData.conformed(
        records=records,
        events=events,
        involvements=involvements,
        neighbourhoods=pa.table(
            {
                "code": pa.array([one.code for one in neighbourhoods], pa.string()),
                "residents": pa.array([one.residents for one in neighbourhoods], pa.int64()),
            }
        ),
        closed_needs=_closed_needs(db),
    )


def _closed_needs(db: Session) -> pa.Table:
    needs = closure.closed_needs(db)
    return pa.table(
        {
            "plan_id": pa.array([str(need.plan_id) for need in needs], pa.string()),
            "closed_on": pa.array([need.closed_on for need in needs], pa.date32()),
            "outcome_area": pa.array([need.outcome_area for need in needs], pa.string()),
            "result": pa.array([need.result for need in needs], pa.string()),
            "sustainment": pa.array([need.sustainment for need in needs], pa.string()),
            "agencies": pa.array([sorted(need.agencies) for need in needs], pa.list_(pa.string())),
        }
    )


def _loaded_on(batches: list[LakeBatch]) -> pa.Table:
    return pa.table(
        {
            "batch": pa.array([str(batch.batch_id) for batch in batches], pa.string()),
            "loaded_on": pa.array([batch.loaded_on for batch in batches], pa.date32()),
        }
    )


def _records(connection: duckdb.DuckDBPyConnection, held: set[str], areas: dict[str, str]) -> pa.Table:
    if "person" not in held:
        return pa.table({"source": pa.array([], pa.string())})
    # The person view is materialised before it is joined: joining it directly can drop rows (DuckDB 2.0.1).
    wanted = ("source", "record_id", "postcode", "date_of_birth", "sex", "updated_at", "batch")
    selected = ", ".join(_columns(connection, "person", wanted))
    connection.execute(f"CREATE TEMP TABLE person_records AS SELECT {selected} FROM person")  # noqa: S608
    postcodes = [
        row[0]
        for row in connection.execute(
            "SELECT DISTINCT postcode FROM person_records WHERE postcode IS NOT NULL"
        ).fetchall()
    ]
    connection.register(
        "postcode_places",
        pa.table(
            {
                "postcode": pa.array(postcodes, pa.string()),
                "neighbourhood": pa.array(
                    [geography.neighbourhood_of(postcode, areas) for postcode in postcodes], pa.string()
                ),
            }
        ),
    )
    return connection.sql(
        """
        SELECT r.source, r.record_id, l.person_id, l.household_id, r.postcode, n.neighbourhood,
            r.date_of_birth::DATE AS date_of_birth, r.sex, r.updated_at::DATE AS updated_at, b.loaded_on
        FROM person_records r
        JOIN linked l ON l.source = r.source AND l.record_id = r.record_id
        LEFT JOIN postcode_places n ON n.postcode = r.postcode
        LEFT JOIN loaded b ON b.batch = r.batch
        """
    ).to_arrow_table()


def _rows(
    connection: duckdb.DuckDBPyConnection, held: set[str], entity: str, wanted: tuple[str, ...]
) -> pa.Table:
    if entity not in held:
        return pa.table({"source": pa.array([], pa.string())})
    selected = ", ".join(_columns(connection, entity, wanted))
    return connection.sql(f"SELECT {selected} FROM {entity}").to_arrow_table()  # noqa: S608 - names are ours


def _columns(connection: duckdb.DuckDBPyConnection, entity: str, wanted: tuple[str, ...]) -> list[str]:
    """The wanted columns of the entity's view, each one no source holds as NULL."""
    present = {row[0] for row in connection.execute(f"DESCRIBE {entity}").fetchall()}
    return [f'"{name}"' if name in present else f'NULL AS "{name}"' for name in wanted]
