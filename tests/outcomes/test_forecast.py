from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.outcomes.forecast import TooShortBaselineError, forecast, linear_trend

numbers = st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=1000)
series = st.lists(numbers, min_size=2, max_size=40)


def test_a_hand_checked_trend_is_carried_on() -> None:
    # 2, 4, 5, 7: slope 1.6 (covariance 8 over spread 5), intercept 4.5 - 1.6 * 1.5 = 2.1
    assert linear_trend([2, 4, 5, 7]).slope == Fraction(8, 5)
    assert forecast([2, 4, 5, 7], ahead=2) == [Fraction(21, 10) + Fraction(8, 5) * 4, Fraction(21, 10) + 8]


@given(numbers, numbers, st.integers(min_value=2, max_value=40), st.integers(min_value=0, max_value=10))
def test_values_on_a_straight_line_forecast_the_line(
    intercept: Fraction, slope: Fraction, count: int, ahead: int
) -> None:
    line = [intercept + slope * position for position in range(count)]
    assert forecast(line, ahead=ahead) == [
        intercept + slope * position for position in range(count, count + ahead)
    ]


@given(series, numbers)
def test_shifting_the_baseline_shifts_the_forecast(values: list[Fraction], shift: Fraction) -> None:
    moved = forecast([value + shift for value in values], ahead=3)
    assert moved == [value + shift for value in forecast(values, ahead=3)]


@given(series)
def test_the_trend_passes_through_the_mean_and_its_residuals_sum_to_nothing(values: list[Fraction]) -> None:
    trend = linear_trend(values)
    residuals = [value - trend.at(position) for position, value in enumerate(values)]
    assert sum(residuals) == 0
    assert sum(position * residual for position, residual in enumerate(residuals)) == 0


@given(series)
def test_reversing_the_baseline_reverses_the_slope(values: list[Fraction]) -> None:
    assert linear_trend(values[::-1]).slope == -linear_trend(values).slope


def test_one_value_is_too_short_a_baseline() -> None:
    with pytest.raises(TooShortBaselineError):
        forecast([3], ahead=1)
