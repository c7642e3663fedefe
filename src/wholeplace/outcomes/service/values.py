"""A measure's values by period, neighbourhood and group: imported from a file, or computed under the measure's
current definition. A value given again for the same period, neighbourhood and group replaces the one there, which
is kept in its history with who recorded it, when and from where; the same value again changes nothing. After
each import or computation the early warning looks at the newest whole-place value."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.core.errors import ConflictError, IngestError, InvalidInputError
from wholeplace.outcomes import periods, values_file
from wholeplace.outcomes.models import Measure, MeasureValue, ReplacedValue
from wholeplace.outcomes.periods import Period, PeriodKind
from wholeplace.outcomes.schemas import (
    ChangePoint,
    ComputedValue,
    ImportSummary,
    Series,
    SeriesPoint,
    ValueVersion,
)
from wholeplace.outcomes.service import definitions, framework, warnings
from wholeplace.outcomes.service.warnings import EVERYONE, WHOLE_PLACE

ADDED, REPLACED, UNCHANGED = "added", "replaced", "unchanged"
Key = tuple[str, str, str]  # period, neighbourhood, group as kept


def import_values(db: Session, *, measure_id: uuid.UUID, path: Path, by: str, at: datetime) -> ImportSummary:
    """Import a file of values for a measure: all of it, or nothing and an IngestError saying where and why."""
    measure = framework.measure(db, measure_id)
    rows = values_file.read_values(path)
    expected = _kind_of_period(db, measure)
    if expected is not None and rows[0].period.kind is not expected:
        raise IngestError(
            f"The file's periods are {_plural(rows[0].period.kind)} but this measure's are {_plural(expected)}.",
            file=path.name,
            row=rows[0].row,
            column="period",
            fix="Give the values for the same kind of period as the measure's other values and its baseline.",
        )
    counts = _put_all(
        db,
        measure,
        [(row.period, row.value, row.neighbourhood, row.group) for row in rows],
        definition_version=None,
        source=path.name,
        by=by,
        at=at,
    )
    warnings.warn_if_concern(db, measure_id=measure.id, at=at)
    return ImportSummary(
        file=path.name, added=counts[ADDED], replaced=counts[REPLACED], unchanged=counts[UNCHANGED]
    )


def record_computed(
    db: Session, *, measure_id: uuid.UUID, values: Sequence[ComputedValue], by: str, at: datetime
) -> ImportSummary:
    """Record values computed under the measure's current definition; each carries its version."""
    measure = framework.measure(db, measure_id)
    current = definitions.current_definition(db, measure.id)
    if current is None:
        raise ConflictError("The measure has no definition to compute it by.", fix="Define it first.")
    given = [(_period(value.period), value.value, value.neighbourhood, value.group) for value in values]
    kinds = {period.kind for period, *_ in given} | set(filter(None, [_kind_of_period(db, measure)]))
    if len(kinds) > 1:
        raise InvalidInputError("The values are for different kinds of period.", field="period")
    source = f"definition {current.key} v{current.version}"
    counts = _put_all(db, measure, given, definition_version=current.version, source=source, by=by, at=at)
    warnings.warn_if_concern(db, measure_id=measure.id, at=at)
    return ImportSummary(
        file=source, added=counts[ADDED], replaced=counts[REPLACED], unchanged=counts[UNCHANGED]
    )


def _put_all(
    db: Session,
    measure: Measure,
    given: Sequence[tuple[Period, Decimal, str | None, str | None]],
    *,
    definition_version: int | None,
    source: str,
    by: str,
    at: datetime,
) -> Counter[str]:
    existing = {
        (value.period, value.neighbourhood, value.population_group): value
        for value in db.scalars(select(MeasureValue).where(MeasureValue.measure_id == measure.id))
    }
    counts: Counter[str] = Counter()
    for period, number, neighbourhood, group in given:
        key = (period.text, neighbourhood or WHOLE_PLACE, group or EVERYONE)
        found = existing.get(key)
        if found is None:
            existing[key] = _add(db, measure, key, period, number, definition_version, source, by, at)
            counts[ADDED] += 1
        elif found.value == number and found.definition_version == definition_version:
            counts[UNCHANGED] += 1
        else:
            _replace(db, found, number, definition_version, source, by, at)
            counts[REPLACED] += 1
    db.flush()
    return counts


def _add(
    db: Session,
    measure: Measure,
    key: Key,
    period: Period,
    number: Decimal,
    definition_version: int | None,
    source: str,
    by: str,
    at: datetime,
) -> MeasureValue:
    value = MeasureValue(
        measure_id=measure.id,
        period=period.text,
        period_start=period.start,
        neighbourhood=key[1],
        population_group=key[2],
        value=number,
        definition_version=definition_version,
        source=source,
        recorded_by=by,
        recorded_at=at,
    )
    db.add(value)
    return value


def _replace(
    db: Session,
    value: MeasureValue,
    number: Decimal,
    definition_version: int | None,
    source: str,
    by: str,
    at: datetime,
) -> None:
    db.add(
        ReplacedValue(
            value_id=value.id,
            value=value.value,
            definition_version=value.definition_version,
            source=value.source,
            recorded_by=value.recorded_by,
            recorded_at=value.recorded_at,
            replaced_by=by,
            replaced_at=at,
            replaced_from=source,
        )
    )
    value.value = number
    value.definition_version = definition_version
    value.source = source
    value.recorded_by = by
    value.recorded_at = at


def _kind_of_period(db: Session, measure: Measure) -> PeriodKind | None:
    """The kind of period the measure's values are for: that of its values, or else of its baseline or targets."""
    any_value = db.scalars(
        select(MeasureValue.period).where(MeasureValue.measure_id == measure.id).limit(1)
    ).first()
    named = any_value or measure.baseline_period or next(iter(measure.targets), None)
    return periods.parse(named).kind if named else None


def _period(text: str) -> Period:
    try:
        return periods.parse(text)
    except periods.PeriodError as error:
        raise InvalidInputError(str(error), field="period", fix=f"Write it as {periods.EXAMPLES}.") from error


def _plural(kind: PeriodKind) -> str:
    return {PeriodKind.DAY: "days (or weeks)"}.get(kind, f"{kind.value}s")


def series(
    db: Session, *, measure_id: uuid.UUID, neighbourhood: str | None = None, group: str | None = None
) -> Series:
    """The measure's values for a neighbourhood (None: the whole place) and a group (None: everyone) in period
    order, with the points where its definition changed, for a chart to mark."""
    measure = framework.measure(db, measure_id)
    rows = db.scalars(
        select(MeasureValue)
        .where(
            MeasureValue.measure_id == measure.id,
            MeasureValue.neighbourhood == (neighbourhood or WHOLE_PLACE),
            MeasureValue.population_group == (group or EVERYONE),
        )
        .order_by(MeasureValue.period_start)
    )
    points = [SeriesPoint(row.period, row.value, row.definition_version) for row in rows]
    return Series(
        measure_id=measure.id,
        neighbourhood=neighbourhood or None,
        group=group or None,
        points=points,
        change_points=_change_points(db, measure.id, points),
    )


def _change_points(db: Session, measure_id: uuid.UUID, points: Sequence[SeriesPoint]) -> list[ChangePoint]:
    """The first point computed under each new definition version, after a point of another version or imported."""
    found: list[ChangePoint] = []
    for earlier, later in itertools.pairwise(points):
        if later.definition_version is None or later.definition_version == earlier.definition_version:
            continue
        version = definitions.definition(db, measure_id=measure_id, version=later.definition_version)
        found.append(
            ChangePoint(
                period=later.period,
                version=version.version,
                changed_by=version.changed_by,
                changed_at=version.changed_at,
                reason=version.reason,
            )
        )
    return found


def history(
    db: Session,
    *,
    measure_id: uuid.UUID,
    period: str,
    neighbourhood: str | None = None,
    group: str | None = None,
) -> list[ValueVersion]:
    """A value as it stands and every value it replaced, the newest first; empty if there is no value."""
    current = db.scalars(
        select(MeasureValue).where(
            MeasureValue.measure_id == measure_id,
            MeasureValue.period == period.strip(),
            MeasureValue.neighbourhood == (neighbourhood or WHOLE_PLACE),
            MeasureValue.population_group == (group or EVERYONE),
        )
    ).first()
    if current is None:
        return []
    replaced = db.scalars(
        select(ReplacedValue)
        .where(ReplacedValue.value_id == current.id)
        .order_by(ReplacedValue.replaced_at.desc(), ReplacedValue.recorded_at.desc())
    )
    return [
        ValueVersion(
            current.value,
            current.definition_version,
            current.source,
            current.recorded_by,
            current.recorded_at,
            None,
        ),
        *(
            ValueVersion(
                old.value,
                old.definition_version,
                old.source,
                old.recorded_by,
                old.recorded_at,
                old.replaced_at,
            )
            for old in replaced
        ),
    ]


def whole_place_series(db: Session, measure_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[SeriesPoint]]:
    """Each measure's values for the whole place and everyone in period order, read together for a scorecard;
    a measure with no values has an empty list."""
    found: dict[uuid.UUID, list[SeriesPoint]] = {measure_id: [] for measure_id in measure_ids}
    rows = db.scalars(
        select(MeasureValue)
        .where(
            MeasureValue.measure_id.in_(list(found)),
            MeasureValue.neighbourhood == WHOLE_PLACE,
            MeasureValue.population_group == EVERYONE,
        )
        .order_by(MeasureValue.measure_id, MeasureValue.period_start)
    )
    for row in rows:
        found[row.measure_id].append(SeriesPoint(row.period, row.value, row.definition_version))
    return found


def breakdowns(db: Session, measure_id: uuid.UUID) -> list[tuple[str | None, str | None]]:
    """The neighbourhoods and groups the measure has values for, as (neighbourhood, group) with None for the
    whole place and for everyone; the whole place first, then by neighbourhood and group."""
    pairs = db.execute(
        select(MeasureValue.neighbourhood, MeasureValue.population_group)
        .where(MeasureValue.measure_id == measure_id)
        .distinct()
        .order_by(MeasureValue.neighbourhood, MeasureValue.population_group)
    )
    return [(neighbourhood or None, group or None) for neighbourhood, group in pairs]


def replaced_in_series(
    db: Session, *, measure_id: uuid.UUID, neighbourhood: str | None = None, group: str | None = None
) -> list[tuple[str, ReplacedValue]]:
    """Every value replaced in a series, with the period it was for; the latest replacement first."""
    rows = db.execute(
        select(MeasureValue.period, ReplacedValue)
        .join(ReplacedValue, ReplacedValue.value_id == MeasureValue.id)
        .where(
            MeasureValue.measure_id == measure_id,
            MeasureValue.neighbourhood == (neighbourhood or WHOLE_PLACE),
            MeasureValue.population_group == (group or EVERYONE),
        )
        .order_by(ReplacedValue.replaced_at.desc(), MeasureValue.period_start.desc())
    )
    return [(period, replaced) for period, replaced in rows]


def every_value(db: Session, measure_id: uuid.UUID) -> list[MeasureValue]:
    """Every value of the measure: the whole place first, then by neighbourhood and group, each in period order."""
    return list(
        db.scalars(
            select(MeasureValue)
            .where(MeasureValue.measure_id == measure_id)
            .order_by(MeasureValue.neighbourhood, MeasureValue.population_group, MeasureValue.period_start)
        )
    )
