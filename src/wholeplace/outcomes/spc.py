"""Early warning by statistical process control: an XmR chart with the NHS "Making Data Count" rules.

The mean and the process limits (mean ± 2.66 times the mean moving range) come from the baseline points, the whole
series unless fewer are asked for. A point shows special cause when

    a. it lies outside the process limits;
    b. it is one of a run of `shift_length` (7) or more consecutive points on the same side of the mean
       (a point exactly on the mean breaks the run);
    c. it is one of a run of `trend_length` (7) or more consecutive points each higher than the one before, or
       each lower (equal neighbours break the run; the run's first point is part of it);
    d. it lies beyond two-thirds of the way from the mean to a limit, and so does another of 3 consecutive points
       that include it, on the same side.

Each special-cause point is an improvement or a concern by the measure's polarity and the direction its rules
point; where its rules point both ways (a falling trend that is still above the mean) it is a concern, since an
early warning should not stay silent. All arithmetic is exact (fractions of the decimal values given), so a
point on the mean is on it, whatever the floating point would have said.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

LIMIT_FACTOR = Fraction(266, 100)  # 3 / d2 for moving ranges of two points, as Making Data Count uses
NEAR_LIMIT = Fraction(2, 3)
Number = int | float | Decimal | Fraction


class Polarity(StrEnum):
    HIGHER_IS_BETTER = "higher-is-better"
    LOWER_IS_BETTER = "lower-is-better"


class Variation(StrEnum):
    IMPROVEMENT = "improvement"
    CONCERN = "concern"
    COMMON_CAUSE = "common_cause"


class Rule(StrEnum):
    OUTSIDE_LIMITS = "a"
    SHIFT = "b"
    TREND = "c"
    TWO_OF_THREE = "d"


@dataclass(frozen=True)
class Rules:
    """Run lengths a place may change; the defaults are Making Data Count's."""

    shift_length: int = 7
    trend_length: int = 7
    near_limit_points: int = 2  # this many points beyond two-thirds of the way to a limit ...
    near_limit_window: int = 3  # ... among this many consecutive points

    def __post_init__(self) -> None:
        if min(self.shift_length, self.trend_length) < 2:
            raise ValueError("A shift or a trend needs a run of at least 2 points.")
        if not 1 <= self.near_limit_points <= self.near_limit_window:
            raise ValueError("The near-limit rule needs at least 1 point, and no more than its window.")


@dataclass(frozen=True)
class Limits:
    mean: Fraction
    lower: Fraction
    upper: Fraction


@dataclass(frozen=True)
class Point:
    index: int
    value: Fraction
    limits: Limits
    rules: tuple[Rule, ...]  # in rule order; empty for common cause
    variation: Variation

    @property
    def special_cause(self) -> bool:
        return bool(self.rules)


class TooFewPointsError(ValueError):
    """Limits need at least two points, for one moving range."""


def exact(value: Number) -> Fraction:
    """A value as an exact fraction; a float as the decimal it prints as, which is what a person meant."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def limits_of(values: Sequence[Fraction]) -> Limits:
    if len(values) < 2:
        raise TooFewPointsError("An XmR chart needs at least two values for its limits.")
    mean = sum(values, Fraction(0)) / len(values)
    moving_ranges = [abs(later - earlier) for earlier, later in itertools.pairwise(values)]
    spread = LIMIT_FACTOR * sum(moving_ranges, Fraction(0)) / len(moving_ranges)
    return Limits(mean=mean, lower=mean - spread, upper=mean + spread)


def analyse(
    values: Sequence[Number],
    *,
    polarity: Polarity,
    rules: Rules | None = None,
    baseline: int | None = None,
) -> list[Point]:
    """Each value with the limits, the rules that flag it and its variation. `baseline` counts the first points
    the limits are computed from (all of them by default)."""
    rules = rules or Rules()
    series = [exact(value) for value in values]
    limits = limits_of(series[:baseline] if baseline else series)
    directions = _flag_directions(series, limits, rules)
    return [
        Point(
            index=index,
            value=value,
            limits=limits,
            rules=tuple(sorted(directions[index])),
            variation=_variation(set(directions[index].values()), polarity),
        )
        for index, value in enumerate(series)
    ]


def _flag_directions(series: Sequence[Fraction], limits: Limits, rules: Rules) -> list[dict[Rule, int]]:
    """For each point, the rules that flag it and which way each points (+1 up, -1 down)."""
    flags: list[dict[Rule, int]] = [{} for _ in series]
    found_by_rule = (
        (Rule.OUTSIDE_LIMITS, _outside_limits(series, limits)),
        (Rule.SHIFT, _shifts(series, limits.mean, rules.shift_length)),
        (Rule.TREND, _trends(series, rules.trend_length)),
        (Rule.TWO_OF_THREE, _near_limits(series, limits, rules)),
    )
    for rule, found in found_by_rule:
        for index, direction in found:
            flags[index][rule] = direction
    return flags


def _outside_limits(series: Sequence[Fraction], limits: Limits) -> Iterator[tuple[int, int]]:
    for index, value in enumerate(series):
        if value > limits.upper:
            yield index, 1
        elif value < limits.lower:
            yield index, -1


def _shifts(series: Sequence[Fraction], mean: Fraction, length: int) -> Iterator[tuple[int, int]]:
    sides = [_sign(value - mean) for value in series]
    for start, end, side in _runs_of_one_sign(sides):
        if end - start >= length:
            yield from ((index, side) for index in range(start, end))


def _trends(series: Sequence[Fraction], length: int) -> Iterator[tuple[int, int]]:
    # Step i joins points i and i + 1, so a run of steps from i to j - 1 covers points i to j.
    steps = [_sign(later - earlier) for earlier, later in itertools.pairwise(series)]
    for start, end, direction in _runs_of_one_sign(steps):
        if end - start + 1 >= length:
            yield from ((index, direction) for index in range(start, end + 1))


def _near_limits(series: Sequence[Fraction], limits: Limits, rules: Rules) -> Iterator[tuple[int, int]]:
    reach = NEAR_LIMIT * (limits.upper - limits.mean)
    for side in (1, -1):
        beyond = [side * (value - limits.mean) > reach for value in series]
        for first in range(max(len(series) - rules.near_limit_window + 1, 1)):
            window = range(first, min(first + rules.near_limit_window, len(series)))
            near = [index for index in window if beyond[index]]
            if len(near) >= rules.near_limit_points:
                yield from ((index, side) for index in near)


def _runs_of_one_sign(signs: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """Each maximal run of equal non-zero signs as (start, end exclusive, sign); a zero breaks a run."""
    start = 0
    for end in range(1, len(signs) + 1):
        if end == len(signs) or signs[end] != signs[start]:
            if signs[start] != 0:
                yield start, end, signs[start]
            start = end


def _sign(difference: Fraction) -> int:
    return (difference > 0) - (difference < 0)


def _variation(directions: set[int], polarity: Polarity) -> Variation:
    if not directions:
        return Variation.COMMON_CAUSE
    better = 1 if polarity is Polarity.HIGHER_IS_BETTER else -1
    return Variation.IMPROVEMENT if directions == {better} else Variation.CONCERN
