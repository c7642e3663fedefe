import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support.factories import MOMENT
from wholeplace.core.errors import ConflictError, IngestError
from wholeplace.outcomes.models import MeasureValue
from wholeplace.outcomes.schemas import Baseline, ComputedValue
from wholeplace.outcomes.service import definitions, values

LATER = MOMENT + timedelta(days=30)


def _define(
    db: Session, measure_id: uuid.UUID, description: str, reason: str = "", at: datetime = MOMENT
) -> None:
    definitions.define(
        db,
        measure_id=measure_id,
        key="persistent_absence",
        parameters={"threshold": 0.1 if not reason else 0.15},
        description=description,
        reason=reason,
        by="analyst",
        at=at,
    )


def test_an_import_adds_values_by_period_neighbourhood_and_group(db: Session, tmp_path: Path) -> None:
    measure = make.indicator(db)
    path = make.values_csv(
        tmp_path,
        "period,value,neighbourhood,group\n2024-02,5,,\n2024-01,4,,\n2024-01,7,Northgate,\n2024-01,9,,Girls\n",
    )
    summary = values.import_values(db, measure_id=measure.id, path=path, by="analyst", at=MOMENT)
    assert (summary.added, summary.replaced, summary.unchanged) == (4, 0, 0)
    whole = values.series(db, measure_id=measure.id)
    assert [(p.period, p.value) for p in whole.points] == [("2024-01", Decimal(4)), ("2024-02", Decimal(5))]
    assert [p.value for p in values.series(db, measure_id=measure.id, neighbourhood="Northgate").points] == [
        7
    ]
    assert [p.value for p in values.series(db, measure_id=measure.id, group="Girls").points] == [9]


def test_reimporting_a_period_replaces_its_value_and_keeps_the_old_one(db: Session, tmp_path: Path) -> None:
    measure = make.indicator(db)
    first = make.values_csv(tmp_path, [("2024-01", "4"), ("2024-02", "5")], name="january.csv")
    values.import_values(db, measure_id=measure.id, path=first, by="ana", at=MOMENT)
    corrected = make.values_csv(tmp_path, [("2024-02", "6")], name="corrected.csv")
    summary = values.import_values(db, measure_id=measure.id, path=corrected, by="bo", at=LATER)
    assert (summary.added, summary.replaced) == (0, 1)
    kept = values.history(db, measure_id=measure.id, period="2024-02")
    assert [(v.value, v.source, v.recorded_by, v.recorded_at, v.replaced_at) for v in kept] == [
        (Decimal(6), "corrected.csv", "bo", LATER, None),
        (Decimal(5), "january.csv", "ana", MOMENT, LATER),
    ]


def test_the_same_file_twice_changes_nothing(db: Session, tmp_path: Path) -> None:
    measure = make.indicator(db)
    path = make.values_csv(tmp_path, [("2024-01", "4"), ("2024-02", "5")])
    values.import_values(db, measure_id=measure.id, path=path, by="ana", at=MOMENT)
    again = values.import_values(db, measure_id=measure.id, path=path, by="ana", at=LATER)
    assert (again.added, again.replaced, again.unchanged) == (0, 0, 2)
    assert len(values.history(db, measure_id=measure.id, period="2024-01")) == 1


def test_a_bad_row_imports_nothing(db: Session, tmp_path: Path) -> None:
    measure = make.indicator(db)
    path = make.values_csv(tmp_path, "period,value\n2024-01,4\n2024-02,n/a\n")
    with pytest.raises(IngestError) as raised:
        values.import_values(db, measure_id=measure.id, path=path, by="ana", at=MOMENT)
    assert (raised.value.row, raised.value.column) == (3, "value")
    assert db.scalar(select(func.count()).select_from(MeasureValue)) == 0


def test_a_file_of_another_kind_of_period_than_the_measure_s_is_refused(db: Session, tmp_path: Path) -> None:
    measure = make.indicator(db, baseline=Baseline(Decimal(4), "2023-Q4"))
    path = make.values_csv(tmp_path, [("2024-01", "4")])
    with pytest.raises(IngestError) as raised:
        values.import_values(db, measure_id=measure.id, path=path, by="ana", at=MOMENT)
    assert (raised.value.row, raised.value.column) == (2, "period")
    assert "months but this measure's are quarters" in raised.value.problem


def test_computed_values_need_a_definition(db: Session) -> None:
    measure = make.indicator(db)
    with pytest.raises(ConflictError):
        values.record_computed(
            db, measure_id=measure.id, values=[ComputedValue("2024", Decimal(1))], by="analyst", at=MOMENT
        )


def test_a_changed_definition_keeps_old_values_and_marks_where_the_series_changed(db: Session) -> None:
    measure = make.indicator(db)
    _define(db, measure.id, "Pupils missing 10% of sessions.")
    old = [ComputedValue(f"202{year}", Decimal(year)) for year in range(4)]
    values.record_computed(db, measure_id=measure.id, values=old, by="analyst", at=MOMENT)
    _define(db, measure.id, "Pupils missing 15% of sessions.", reason="The DfE threshold changed.", at=LATER)
    recomputed = [ComputedValue("2023", Decimal(30)), ComputedValue("2024", Decimal(40))]
    values.record_computed(db, measure_id=measure.id, values=recomputed, by="analyst", at=LATER)
    series = values.series(db, measure_id=measure.id)
    assert [(p.period, p.definition_version) for p in series.points] == [
        ("2020", 1),
        ("2021", 1),
        ("2022", 1),
        ("2023", 2),
        ("2024", 2),
    ]
    assert [(c.period, c.version, c.reason, c.changed_at) for c in series.change_points] == [
        ("2023", 2, "The DfE threshold changed.", LATER)
    ]
    assert [
        (v.value, v.definition_version) for v in values.history(db, measure_id=measure.id, period="2023")
    ] == [
        (Decimal(30), 2),
        (Decimal(3), 1),
    ]


def test_whole_place_series_reads_each_measures_whole_place_values_in_period_order(
    db: Session, tmp_path: Path
) -> None:
    first, second, empty = make.indicator(db), make.indicator(db), make.indicator(db)
    path = make.values_csv(
        tmp_path, "period,value,neighbourhood\n2024-02,5,\n2024-01,4,\n2024-01,9,Northgate\n"
    )
    values.import_values(db, measure_id=first.id, path=path, by="analyst", at=MOMENT)
    other = make.values_csv(tmp_path, [("2024-01", "7")], name="other.csv")
    values.import_values(db, measure_id=second.id, path=other, by="analyst", at=MOMENT)
    found = values.whole_place_series(db, [first.id, second.id, empty.id])
    assert {measure_id: [(p.period, p.value) for p in points] for measure_id, points in found.items()} == {
        first.id: [("2024-01", Decimal(4)), ("2024-02", Decimal(5))],
        second.id: [("2024-01", Decimal(7))],
        empty.id: [],
    }


def test_breakdowns_and_replaced_values_are_read_for_one_series(db: Session, tmp_path: Path) -> None:
    measure = make.indicator(db)
    text = "period,value,neighbourhood,group\n2024-01,4,,\n2024-01,7,Northgate,\n2024-01,9,,Girls\n"
    values.import_values(db, measure_id=measure.id, path=make.values_csv(tmp_path, text), by="ana", at=MOMENT)
    fix = make.values_csv(tmp_path, "period,value,neighbourhood\n2024-01,8,Northgate\n", name="fix.csv")
    values.import_values(db, measure_id=measure.id, path=fix, by="bo", at=LATER)
    assert values.breakdowns(db, measure.id) == [(None, None), (None, "Girls"), ("Northgate", None)]
    assert values.replaced_in_series(db, measure_id=measure.id) == []
    replaced = values.replaced_in_series(db, measure_id=measure.id, neighbourhood="Northgate")
    assert [(period, old.value, old.replaced_by, old.replaced_from) for period, old in replaced] == [
        ("2024-01", Decimal(7), "bo", "fix.csv")
    ]
    assert [(v.neighbourhood, v.population_group, v.value) for v in values.every_value(db, measure.id)] == [
        ("", "", Decimal(4)),
        ("", "Girls", Decimal(9)),
        ("Northgate", "", Decimal(8)),
    ]
