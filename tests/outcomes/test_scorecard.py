"""The scorecard's pure core: a tile's latest value, its signal (with "not enough data" where SPC has too few points),
its target status by polarity, and the sentence and export row that stand for it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.outcomes import spc
from wholeplace.outcomes.schemas import MeasureKind, SeriesPoint
from wholeplace.outcomes.scorecard import (
    EXPORT_HEADINGS,
    Measured,
    Signal,
    TargetStatus,
    chart,
    describe,
    export_row,
    figure,
    target_status,
    tile,
)
from wholeplace.outcomes.spc import Polarity

STEADY = [10, 11, 10, 11, 10, 11, 10, 11]
decimals = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)


def _measure(**changes: object) -> Measured:
    plain = Measured(
        id=uuid.uuid4(),
        title="Pupils persistently absent",
        kind=MeasureKind.INDICATOR,
        belongs_to="Children learn well",
        owner="Jo Bloggs",
        unit="%",
        polarity=Polarity.HIGHER_IS_BETTER,
    )
    return replace(plain, **changes)  # type: ignore[arg-type]


def _points(values: list[int | str]) -> list[SeriesPoint]:
    return [SeriesPoint(f"2024-{month:02d}", Decimal(value), None) for month, value in enumerate(values, 1)]


@pytest.mark.parametrize(
    ("polarity", "value", "expected"),
    [
        (Polarity.HIGHER_IS_BETTER, "12", TargetStatus.MET),
        (Polarity.HIGHER_IS_BETTER, "10", TargetStatus.MET),
        (Polarity.HIGHER_IS_BETTER, "9.99", TargetStatus.NOT_MET),
        (Polarity.LOWER_IS_BETTER, "8", TargetStatus.MET),
        (Polarity.LOWER_IS_BETTER, "10", TargetStatus.MET),
        (Polarity.LOWER_IS_BETTER, "10.01", TargetStatus.NOT_MET),
    ],
)
def test_a_target_is_met_on_the_better_side_or_exactly(
    polarity: Polarity, value: str, expected: TargetStatus
) -> None:
    assert target_status(Decimal(value), Decimal(10), polarity) is expected


@given(value=decimals, target=decimals)
def test_the_two_polarities_disagree_about_every_target_but_one_met_exactly(
    value: Decimal, target: Decimal
) -> None:
    higher = target_status(value, target, Polarity.HIGHER_IS_BETTER)
    lower = target_status(value, target, Polarity.LOWER_IS_BETTER)
    if value == target:
        assert higher is lower is TargetStatus.MET
    else:
        assert {higher, lower} == {TargetStatus.MET, TargetStatus.NOT_MET}


def test_no_target_for_the_latest_period_and_no_value_are_told_apart() -> None:
    assert target_status(Decimal(1), None, Polarity.HIGHER_IS_BETTER) is TargetStatus.NO_TARGET
    assert target_status(None, Decimal(1), Polarity.HIGHER_IS_BETTER) is TargetStatus.NO_VALUE


def test_a_tile_holds_its_latest_value_to_the_target_for_that_period_only() -> None:
    targets = {"2024-03": Decimal(12), "2024-04": Decimal(20)}
    shown = tile(_measure(targets=targets), _points([10, 11, 12]))
    assert (shown.latest and shown.latest.period, shown.target, shown.target_status) == (
        "2024-03",
        Decimal(12),
        TargetStatus.MET,
    )
    assert tile(_measure(targets={"2024-04": Decimal(20)}), _points([10, 11, 12])).target_status is (
        TargetStatus.NO_TARGET
    )


def test_a_fall_after_a_steady_run_is_a_concern_where_higher_is_better_and_an_improvement_where_lower_is() -> (
    None
):
    points = _points([*STEADY, 2])
    assert tile(_measure(), points).signal is Signal.CONCERN
    assert tile(_measure(polarity=Polarity.LOWER_IS_BETTER), points).signal is Signal.IMPROVEMENT


@pytest.mark.parametrize("values", [[], [7]])
def test_too_few_values_for_limits_are_not_enough_data(values: list[int | str]) -> None:
    shown = tile(_measure(), _points(values))
    assert shown.signal is Signal.NOT_ENOUGH_DATA
    assert all(point.limits is None and point.signal is Signal.NOT_ENOUGH_DATA for point in shown.points)


def test_a_measure_on_the_data_development_agenda_shows_no_values() -> None:
    shown = tile(_measure(on_data_agenda=True, data_agenda_note="No feed yet."), _points([*STEADY, 2]))
    assert (shown.points, shown.latest, shown.target_status) == ([], None, TargetStatus.NO_VALUE)
    assert export_row(shown)[8] == "On the data development agenda"


@given(values=st.lists(decimals, min_size=2, max_size=30), polarity=st.sampled_from(Polarity))
def test_each_charted_point_says_what_spc_says_of_it(values: list[Decimal], polarity: Polarity) -> None:
    points = [SeriesPoint(f"{2000 + year}", value, None) for year, value in enumerate(values)]
    analysed = spc.analyse(values, polarity=polarity)
    assert [(p.limits, p.rules, p.signal.value) for p in chart(points, polarity)] == [
        (one.limits, one.rules, one.variation.value) for one in analysed
    ]


def test_the_sentence_for_a_sparkline_names_the_range_the_extremes_and_the_latest() -> None:
    points = chart(_points([10, 4, 15, 12]), Polarity.HIGHER_IS_BETTER)
    assert describe(points, "%") == (
        "4 values from 2024-01 to 2024-04: lowest 4 % in 2024-02, highest 15 % in 2024-03, latest 12 %."
    )
    assert describe([], "%") == "No values yet."


def test_an_export_row_follows_its_headings() -> None:
    shown = tile(_measure(targets={"2024-09": Decimal(9)}), _points([*STEADY, 2]))
    assert dict(zip(EXPORT_HEADINGS, export_row(shown), strict=True)) == {
        "Result or programme": "Children learn well",
        "Measure": "Pupils persistently absent",
        "Kind": "Indicator",
        "Owner": "Jo Bloggs",
        "Unit": "%",
        "Polarity": "Higher is better",
        "Latest period": "2024-09",
        "Latest value": Decimal(2),
        "Variation": "Special cause: concern",
        "Target": Decimal(9),
        "Target status": "Target not met",
    }


def test_figures_are_rounded_exactly_to_two_places() -> None:
    assert [figure(Fraction(1, 3)), figure(Fraction(2, 3)), figure(Fraction(-1, 8)), figure(Fraction(7))] == [
        "0.33",
        "0.67",
        "-0.12",
        "7.00",
    ]
