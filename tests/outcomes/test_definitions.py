import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support.factories import MOMENT
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.outcomes.models import Definition
from wholeplace.outcomes.service import definitions


def _define(db: Session, measure_id: uuid.UUID, **changes: Any) -> Definition:
    fields: dict[str, Any] = {
        "key": "emergency_attendances",
        "parameters": {"per": 1000},
        "description": "Emergency attendances per 1,000 residents.",
        "reason": "",
        "by": "analyst",
        "at": MOMENT,
    }
    fields.update(changes)
    return definitions.define(db, measure_id=measure_id, **fields)


def test_changing_a_definition_makes_a_new_version_and_keeps_the_old(db: Session) -> None:
    measure = make.indicator(db)
    _define(db, measure.id)
    _define(
        db,
        measure.id,
        parameters={"per": 1000, "ages": [0, 17]},
        reason="Children only.",
        by="bo",
        at=MOMENT + timedelta(days=1),
    )
    kept = definitions.definitions_of(db, measure.id)
    assert [(d.version, d.parameters, d.reason, d.changed_by) for d in kept] == [
        (1, {"per": 1000}, "", "analyst"),
        (2, {"ages": [0, 17], "per": 1000}, "Children only.", "bo"),
    ]
    current = definitions.current_definition(db, measure.id)
    assert current is not None and current.version == 2


def test_a_change_needs_a_reason(db: Session) -> None:
    measure = make.indicator(db)
    _define(db, measure.id)
    with pytest.raises(InvalidInputError) as raised:
        _define(db, measure.id, description="Attendances per 1,000.")
    assert raised.value.field == "reason"


def test_the_same_definition_again_is_no_change(db: Session) -> None:
    measure = make.indicator(db)
    _define(db, measure.id)
    with pytest.raises(ConflictError):
        _define(db, measure.id, reason="No reason.")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"key": "Emergency attendances"}, "key"),
        ({"description": "  "}, "description"),
        ({"parameters": {"per": float("nan")}}, "parameters"),
        ({"parameters": {"since": MOMENT}}, "parameters"),
    ],
)
def test_a_definition_that_cannot_be_kept_names_its_field(
    db: Session, changes: dict[str, Any], field: str
) -> None:
    measure = make.indicator(db)
    with pytest.raises(InvalidInputError) as raised:
        _define(db, measure.id, **changes)
    assert raised.value.field == field


def test_a_registered_computation_is_defined_with_every_parameter_kept(db: Session) -> None:
    measure = make.indicator(db)
    defined = definitions.define_computation(
        db,
        measure_id=measure.id,
        key="events_per_thousand",
        parameters={"period": "quarter", "per": "1,000"},
        description="Emergency attendances per 1,000 residents.",
        reason="",
        by="analyst",
        at=MOMENT,
    )
    assert defined.parameters == {"event_type": "emergency_attendance", "per": 1000, "period": "quarter"}
    assert definitions.defined_measures(db)[-1] == measure.id


@pytest.mark.parametrize(
    ("key", "parameters", "field"),
    [("attendances", {}, "key"), ("events_per_thousand", {"per": "many"}, "parameters")],
)
def test_a_computation_the_registry_refuses_names_its_field(
    db: Session, key: str, parameters: dict[str, Any], field: str
) -> None:
    measure = make.indicator(db)
    with pytest.raises(InvalidInputError) as raised:
        definitions.define_computation(
            db,
            measure_id=measure.id,
            key=key,
            parameters=parameters,
            description="Emergency attendances.",
            reason="",
            by="analyst",
            at=MOMENT,
        )
    assert raised.value.field == field
    assert definitions.current_definition(db, measure.id) is None
