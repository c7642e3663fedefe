import uuid
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support.factories import MOMENT
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.outcomes.models import CurveReview
from wholeplace.outcomes.schemas import Action, ActionStatus, Baseline, Cost, Idea, Partner
from wholeplace.outcomes.service import curves, values

TODAY = MOMENT.date()


def _review(db: Session, measure_id: uuid.UUID, **changes: Any) -> CurveReview:
    fields: dict[str, Any] = {
        "reviewed_on": TODAY,
        "story": "Absence rose after the bus route was cut.",
        "partners": [Partner("Riverford Schools", "attendance officers")],
        "what_works": [Idea("Walking buses run by parents", Cost.NO_COST)],
        "actions": [Action("Ask the council to restore the route", "Jo", date(2027, 1, 31))],
        "by": "jo",
        "at": MOMENT,
    }
    fields.update(changes)
    return curves.review_curve(db, measure_id=measure_id, **fields)


def test_each_review_is_a_new_version_and_the_earlier_stay(db: Session) -> None:
    indicator = make.indicator(db)
    _review(db, indicator.id, reviewed_on=TODAY - timedelta(days=90))
    _review(db, indicator.id, story="The route is back; absence is falling.", by="sam")
    reviews = curves.reviews_of(db, indicator.id)
    assert [(r.version, r.reviewed_by, r.story) for r in reviews] == [
        (2, "sam", "The route is back; absence is falling."),
        (1, "jo", "Absence rose after the bus route was cut."),
    ]
    latest = reviews[0]
    assert curves.partners_of(latest) == [Partner("Riverford Schools", "attendance officers")]
    assert curves.ideas_of(latest) == [Idea("Walking buses run by parents", Cost.NO_COST)]
    assert curves.actions_of(latest) == [
        Action("Ask the council to restore the route", "Jo", date(2027, 1, 31))
    ]


def test_an_action_keeps_where_it_stands_and_one_recorded_without_reads_as_not_started(db: Session) -> None:
    indicator = make.indicator(db)
    review = _review(db, indicator.id, actions=[Action("Ask", "Jo", None, ActionStatus.DROPPED)])
    assert review.actions[0]["status"] == "dropped"
    assert curves.actions_of(review) == [Action("Ask", "Jo", None, ActionStatus.DROPPED)]
    review.actions = [{"action": "Ask", "who": "Jo", "due_on": None}]
    assert curves.actions_of(review)[0].status is ActionStatus.NOT_STARTED


def test_a_review_cannot_go_back_before_the_last(db: Session) -> None:
    indicator = make.indicator(db)
    _review(db, indicator.id)
    with pytest.raises(InvalidInputError) as raised:
        _review(db, indicator.id, reviewed_on=TODAY - timedelta(days=1))
    assert raised.value.field == "reviewed_on"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"story": " "}, "story"),
        ({"reviewed_on": TODAY + timedelta(days=1)}, "reviewed_on"),
        ({"partners": [Partner("Police", "")]}, "partners.0"),
        ({"actions": [Action("Do it", "Jo"), Action("", "Sam")]}, "actions.1"),
    ],
)
def test_an_incomplete_review_names_its_field(db: Session, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        _review(db, make.indicator(db).id, **changes)
    assert raised.value.field == field


def test_performance_measures_have_no_curve_to_turn(db: Session) -> None:
    with pytest.raises(ConflictError):
        _review(db, make.measure(db).id)


def test_the_forecast_carries_the_baseline_s_trend_on(db: Session, tmp_path: Path) -> None:
    indicator = make.indicator(db, baseline=Baseline(Decimal(7), "2024-Q4"))
    rows = [("2024-Q1", "2"), ("2024-Q2", "4"), ("2024-Q3", "5"), ("2024-Q4", "7"), ("2025-Q1", "20")]
    values.import_values(db, measure_id=indicator.id, path=make.values_csv(tmp_path, rows), by="a", at=MOMENT)
    found = curves.baseline_forecast(db, measure_id=indicator.id, ahead=2)
    assert [p.period for p in found.baseline] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert found.forecast == [("2025-Q1", Fraction(85, 10)), ("2025-Q2", Fraction(101, 10))]


def test_a_forecast_needs_two_baseline_values(db: Session, tmp_path: Path) -> None:
    indicator = make.indicator(db)
    values.import_values(
        db, measure_id=indicator.id, path=make.values_csv(tmp_path, [("2024", "3")]), by="a", at=MOMENT
    )
    with pytest.raises(ConflictError):
        curves.baseline_forecast(db, measure_id=indicator.id, ahead=3)
