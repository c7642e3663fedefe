import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support.factories import MOMENT
from wholeplace.core.errors import NotFoundError
from wholeplace.outcomes.schemas import ComputedValue
from wholeplace.outcomes.service import definitions, values, warnings
from wholeplace.outcomes.spc import Polarity

STEADY = [10, 11, 10, 11, 10, 11, 10, 11]
LATER = MOMENT + timedelta(days=31)


def _import(db: Session, measure_id: uuid.UUID, folder: Path, rows: list[tuple[str, str]], name: str) -> None:
    path = make.values_csv(folder, rows, name=name)
    values.import_values(db, measure_id=measure_id, path=path, by="analyst", at=MOMENT)


def test_a_new_value_of_special_cause_concern_warns_the_owner_once(db: Session, tmp_path: Path) -> None:
    owner = make.owner(db)
    measure = make.indicator(db, who=owner)
    _import(db, measure.id, tmp_path, make.months([*STEADY, 2]), "a.csv")
    _import(db, measure.id, tmp_path, make.months([*STEADY, 2]), "b.csv")
    assert warnings.warn_if_concern(db, measure_id=measure.id, at=LATER) is None
    told = warnings.warnings_for(db, owner.username)
    assert [(w.measure_id, w.period, w.rules, w.read_at) for w in told] == [
        (measure.id, "2024-09", "a", None)
    ]


def test_a_concern_arriving_in_a_later_import_warns_for_its_period(db: Session, tmp_path: Path) -> None:
    owner = make.owner(db)
    measure = make.indicator(db, who=owner)
    _import(db, measure.id, tmp_path, make.months(STEADY), "a.csv")
    assert warnings.warnings_for(db, owner.username) == []
    _import(db, measure.id, tmp_path, make.months([*STEADY, 2]), "b.csv")
    assert [w.period for w in warnings.warnings_for(db, owner.username)] == ["2024-09"]


def test_an_improvement_does_not_warn(db: Session, tmp_path: Path) -> None:
    owner = make.owner(db)
    measure = make.indicator(db, who=owner, polarity=Polarity.LOWER_IS_BETTER)
    _import(db, measure.id, tmp_path, make.months([*STEADY, 2]), "a.csv")
    assert warnings.warnings_for(db, owner.username) == []


def test_only_the_whole_place_series_is_watched(db: Session, tmp_path: Path) -> None:
    owner = make.owner(db)
    measure = make.indicator(db, who=owner)
    rows = "".join(f"{p},{v},Northgate\n" for p, v in make.months([*STEADY, 2]))
    values.import_values(
        db,
        measure_id=measure.id,
        path=make.values_csv(tmp_path, "period,value,neighbourhood\n" + rows),
        by="analyst",
        at=MOMENT,
    )
    assert warnings.warnings_for(db, owner.username) == []


def test_computed_values_warn_too(db: Session) -> None:
    owner = make.owner(db)
    measure = make.indicator(db, who=owner)
    definitions.define(
        db,
        measure_id=measure.id,
        key="k",
        parameters={},
        description="A count.",
        reason="",
        by="a",
        at=MOMENT,
    )
    computed = [ComputedValue(period, Decimal(value)) for period, value in make.months([*STEADY, 2])]
    values.record_computed(db, measure_id=measure.id, values=computed, by="analyst", at=MOMENT)
    assert [w.rules for w in warnings.warnings_for(db, owner.username)] == ["a"]


def test_a_warning_is_marked_read_by_its_owner_only(db: Session, tmp_path: Path) -> None:
    owner = make.owner(db)
    measure = make.indicator(db, who=owner)
    _import(db, measure.id, tmp_path, make.months([*STEADY, 2]), "a.csv")
    (warning,) = warnings.warnings_for(db, owner.username)
    with pytest.raises(NotFoundError):
        warnings.mark_read(db, warning_id=warning.id, username="someone.else", at=LATER)
    warnings.mark_read(db, warning_id=warning.id, username=owner.username, at=LATER)
    assert warnings.warnings_for(db, owner.username, unread_only=True) == []
    assert warning.read_at == LATER
