from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support import factories
from tests.support.factories import MOMENT
from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.outcomes.schemas import Baseline, MeasureKind
from wholeplace.outcomes.service import framework
from wholeplace.outcomes.spc import Polarity


def test_a_result_keeps_its_owner_polarity_baseline_and_targets(db: Session) -> None:
    owner = make.owner(db)
    result = framework.add_result(
        db,
        title="  Children live in safe, stable homes ",
        population_group="Children under 5",
        is_priority=True,
        accountability=make.accountable(
            owner,
            polarity=Polarity.LOWER_IS_BETTER,
            baseline=Baseline(value=Decimal("12.40"), period="2023/24"),
            targets={"2025/26": Decimal("10"), "2024/25": Decimal("11.5")},
        ),
        by="lead",
        at=MOMENT,
    )
    db.expire_all()
    kept = framework.result(db, result.id)
    assert (kept.title, kept.population_group, kept.owner, kept.polarity) == (
        "Children live in safe, stable homes",
        "Children under 5",
        owner.username,
        "lower-is-better",
    )
    assert (kept.baseline_value, kept.baseline_period) == (Decimal("12.40"), "2023/24")
    assert list(kept.targets.items()) == [("2024/25", "11.5"), ("2025/26", "10")]


def test_an_owner_must_be_a_user_of_the_place(db: Session) -> None:
    with pytest.raises(InvalidInputError) as raised:
        framework.add_result(
            db,
            title="Adults are healthy",
            population_group=None,
            is_priority=False,
            accountability=make.accountable(make.owner(db), owner="nobody"),
            by="lead",
            at=MOMENT,
        )
    assert raised.value.field == "owner"


def test_targets_and_baseline_must_be_for_one_kind_of_period(db: Session) -> None:
    with pytest.raises(InvalidInputError) as raised:
        make.indicator(db, baseline=Baseline(Decimal(3), "2024"), targets={"2025-Q1": Decimal(2)})
    assert raised.value.field == "targets"


def test_a_target_period_that_names_no_period_is_refused(db: Session) -> None:
    with pytest.raises(InvalidInputError) as raised:
        make.indicator(db, targets={"next year": Decimal(2)})
    assert raised.value.field == "targets"


def test_the_data_development_agenda_needs_a_note_and_lists_what_is_on_it(db: Session) -> None:
    with pytest.raises(InvalidInputError) as raised:
        make.indicator(db, on_data_agenda=True)
    assert raised.value.field == "data_agenda_note"
    waiting = make.indicator(
        db, on_data_agenda=True, data_agenda_note="Health visitors do not record this yet."
    )
    make.indicator(db)
    assert framework.data_agenda(db) == [waiting]


def test_a_programme_has_measures_of_the_three_kinds_in_order(db: Session) -> None:
    programme = make.programme(db)
    better_off = make.measure(db, kind=MeasureKind.BETTER_OFF, of=programme)
    how_much = make.measure(db, kind=MeasureKind.HOW_MUCH, of=programme)
    how_well = make.measure(db, kind=MeasureKind.HOW_WELL, of=programme)
    assert framework.measures_of(db, programme.id) == [how_much, how_well, better_off]


def test_an_indicator_is_not_a_programme_s_measure(db: Session) -> None:
    with pytest.raises(InvalidInputError) as raised:
        make.measure(db, kind=MeasureKind.INDICATOR)
    assert raised.value.field == "kind"


def test_an_indicator_belongs_to_its_result(db: Session) -> None:
    indicator = make.indicator(db)
    assert indicator.result_id is not None
    assert framework.indicators_of(db, indicator.result_id) == [indicator]


def test_a_result_s_title_is_unique(db: Session) -> None:
    first = make.result(db)
    with pytest.raises(ConflictError):
        framework.add_result(
            db,
            title=first.title,
            population_group=None,
            is_priority=False,
            accountability=make.accountable(make.owner(db)),
            by="lead",
            at=MOMENT,
        )


def test_accountability_changes_and_the_new_owner_sees_the_measure(db: Session) -> None:
    indicator = make.indicator(db)
    successor = factories.user(db, username="Jo.Successor")
    framework.change_accountability(
        db, measure_id=indicator.id, accountability=make.accountable(successor, unit="per 1,000 residents")
    )
    assert framework.owned_by(db, "jo.successor") == [indicator]
    assert indicator.unit == "per 1,000 residents"


def test_a_result_s_title_group_priority_and_accountability_change(db: Session) -> None:
    result = make.result(db, priority=True)
    successor = make.owner(db)
    framework.change_result(
        db,
        result_id=result.id,
        title=" Older people live independently ",
        population_group="People over 75",
        is_priority=False,
        accountability=make.accountable(successor, polarity=Polarity.LOWER_IS_BETTER),
    )
    db.expire_all()
    kept = framework.result(db, result.id)
    assert (kept.title, kept.population_group, kept.is_priority, kept.owner, kept.polarity) == (
        "Older people live independently",
        "People over 75",
        False,
        successor.username,
        "lower-is-better",
    )


def test_a_result_keeps_its_own_title_but_may_not_take_another_s(db: Session) -> None:
    first, second = make.result(db), make.result(db)
    accountability = make.accountable(make.owner(db))
    framework.change_result(
        db,
        result_id=first.id,
        title=first.title,
        population_group=None,
        is_priority=True,
        accountability=accountability,
    )
    with pytest.raises(ConflictError):
        framework.change_result(
            db,
            result_id=second.id,
            title=first.title,
            population_group=None,
            is_priority=True,
            accountability=accountability,
        )


def test_a_refused_change_of_accountability_leaves_the_measure_as_it_was(db: Session) -> None:
    measure = make.indicator(db)
    before = (measure.owner, measure.unit, measure.targets)
    change = make.accountable(make.owner(db), unit="per 1,000", targets={"2024": Decimal("NaN")})

    with pytest.raises(InvalidInputError):
        framework.change_accountability(db, measure_id=measure.id, accountability=change)

    assert (measure.owner, measure.unit, measure.targets) == before
