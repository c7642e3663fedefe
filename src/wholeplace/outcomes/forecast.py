"""The forecast "if nothing changes" that turning the curve starts from: the straight line that fits the baseline
series best (ordinary least squares over the points' positions 0, 1, 2, ..., so equally spaced periods), carried
on for the periods ahead. It is the simplest honest forecast: it says where the trend of the baseline leads, and
nothing about why. Arithmetic is exact, as in spc."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from wholeplace.outcomes.spc import Number, exact


@dataclass(frozen=True)
class Trend:
    """value = intercept + slope * position, where the baseline's first point is at position 0."""

    intercept: Fraction
    slope: Fraction

    def at(self, position: int) -> Fraction:
        return self.intercept + self.slope * position


class TooShortBaselineError(ValueError):
    """A trend needs at least two points."""


def linear_trend(values: Sequence[Number]) -> Trend:
    """The least-squares line through the values at positions 0, 1, 2, ..."""
    if len(values) < 2:
        raise TooShortBaselineError("A forecast needs a baseline of at least two values.")
    series = [exact(value) for value in values]
    count = len(series)
    mean_position = Fraction(count - 1, 2)
    mean_value = sum(series, Fraction(0)) / count
    spread = sum(((position - mean_position) ** 2 for position in range(count)), Fraction(0))
    covariance = sum(
        ((position - mean_position) * (value - mean_value) for position, value in enumerate(series)),
        Fraction(0),
    )
    slope = covariance / spread
    return Trend(intercept=mean_value - slope * mean_position, slope=slope)


def forecast(values: Sequence[Number], *, ahead: int) -> list[Fraction]:
    """The trend of the values carried on for `ahead` more periods."""
    if ahead < 0:
        raise ValueError("A forecast looks ahead zero or more periods.")
    trend = linear_trend(values)
    return [trend.at(position) for position in range(len(values), len(values) + ahead)]
