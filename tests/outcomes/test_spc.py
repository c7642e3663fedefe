"""The XmR chart and the Making Data Count rules: hand-checked series for each rule and polarity, and properties
checked against a plain reading of each rule on any series."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.outcomes.spc import Polarity, Rule, Rules, TooFewPointsError, Variation, analyse, limits_of

HIGHER = Polarity.HIGHER_IS_BETTER
LOWER = Polarity.LOWER_IS_BETTER


def flagged(values: list[float], rule: Rule, polarity: Polarity = HIGHER) -> list[int]:
    return [point.index for point in analyse(values, polarity=polarity) if rule in point.rules]


def variations(values: list[float], polarity: Polarity) -> list[str]:
    return [point.variation.value for point in analyse(values, polarity=polarity)]


def test_limits_are_the_mean_plus_and_minus_2_66_mean_moving_ranges() -> None:
    limits = limits_of([Fraction(v) for v in (10, 12, 11, 15, 12)])
    # moving ranges 2, 1, 4, 3: mean 2.5; mean 12; 2.66 * 2.5 = 6.65
    assert (limits.mean, limits.lower, limits.upper) == (12, Fraction("5.35"), Fraction("18.65"))


def test_a_baseline_fixes_the_limits_on_the_first_points() -> None:
    points = analyse([10, 12, 11, 15, 12, 40, 41], polarity=HIGHER, baseline=5)

    assert points[-1].limits.upper == Fraction("18.65")
    assert [point.index for point in points if Rule.OUTSIDE_LIMITS in point.rules] == [5, 6]


def test_rule_a_flags_points_outside_the_limits_but_not_on_them() -> None:
    values = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 30]
    assert flagged(values, Rule.OUTSIDE_LIMITS) == [19]
    # With a steady baseline both limits equal the mean: points on them are inside, a point past them is not.
    steady = analyse([10, 10, 10, 10, 10, 11], polarity=HIGHER, baseline=5)
    assert steady[0].limits.upper == steady[0].limits.lower == 10
    assert [p.index for p in steady if Rule.OUTSIDE_LIMITS in p.rules] == [5]


def test_rule_b_flags_every_point_of_a_run_of_seven_on_one_side() -> None:
    values = [5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 1, 1, 1, 9, 9]  # mean 4.2; seven 5s above, six 1s below
    assert flagged(values, Rule.SHIFT) == [0, 1, 2, 3, 4, 5, 6]


def test_rule_b_is_broken_by_a_point_exactly_on_the_mean() -> None:
    above_then_on = [3, 3, 3, 2, 3, 3, 3, 3, 1, 1, 1, 1]  # mean 2: the 2 breaks the run of 3s into 3 and 4
    assert flagged(above_then_on, Rule.SHIFT) == []
    unbroken = [3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]  # mean 2, seven above and seven below
    assert flagged(unbroken, Rule.SHIFT) == list(range(14))


def test_rule_c_flags_every_point_of_seven_rising_including_the_first() -> None:
    values = [5, 1, 2, 3, 4, 5, 6, 7, 3, 4]
    assert flagged(values, Rule.TREND) == [1, 2, 3, 4, 5, 6, 7]


def test_rule_c_needs_seven_points_and_is_broken_by_equal_neighbours() -> None:
    six_rising = [5, 1, 2, 3, 4, 5, 6, 2]
    assert flagged(six_rising, Rule.TREND) == []
    with_a_tie = [9, 1, 2, 3, 3, 4, 5, 6, 7, 1]
    assert flagged(with_a_tie, Rule.TREND) == []
    falling = [1, 9, 8, 7, 6, 5, 4, 3, 8]
    assert flagged(falling, Rule.TREND) == [1, 2, 3, 4, 5, 6, 7]


def test_rule_d_flags_two_of_three_points_near_the_same_limit() -> None:
    # Mean 10, moving ranges all 1 or 0 apart from the near points; upper limit well above 12.
    values = [10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 14, 10, 14, 10, 9, 10]
    points = analyse(values, polarity=HIGHER)
    limits = points[0].limits
    near = limits.mean + Fraction(2, 3) * (limits.upper - limits.mean)
    assert near < 14 < limits.upper
    assert [p.index for p in points if Rule.TWO_OF_THREE in p.rules] == [12, 14]


def test_rule_d_does_not_pair_points_near_opposite_limits() -> None:
    values = [10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 14, 6, 10, 9, 10, 11]
    assert flagged(values, Rule.TWO_OF_THREE) == []


def test_rule_d_needs_the_two_points_within_three() -> None:
    values = [10, 9, 10, 11, 10, 9, 10, 11, 10, 9, 10, 11, 14, 10, 10, 14, 9, 10]
    assert flagged(values, Rule.TWO_OF_THREE) == []


@pytest.mark.parametrize(
    ("polarity", "high", "low"),
    [(HIGHER, "improvement", "concern"), (LOWER, "concern", "improvement")],
)
def test_polarity_decides_whether_special_cause_is_improvement_or_concern(
    polarity: Polarity, high: str, low: str
) -> None:
    values = [10] * 15 + [30] + [10] * 3 + [-10]
    marked = variations(values, polarity)
    assert marked[15] == high
    assert marked[19] == low
    assert set(marked[:15]) == {"common_cause"}


def test_a_point_whose_rules_point_both_ways_is_a_concern() -> None:
    # Seven points above the mean that are falling: a shift up and a trend down at once.
    values = [20, 19, 18, 17, 16, 15, 14, 1, 1, 1, 1, 1, 1, 1, 2]
    points = analyse(values, polarity=HIGHER)
    assert {Rule.SHIFT, Rule.TREND} <= set(points[3].rules)
    assert points[3].variation is Variation.CONCERN


def test_run_lengths_can_be_changed() -> None:
    values = [5, 5, 5, 5, 5, 1, 1, 1, 1, 1, 1, 1, 1, 5]
    assert flagged(values, Rule.SHIFT) == [5, 6, 7, 8, 9, 10, 11, 12]
    shorter = analyse(values, polarity=HIGHER, rules=Rules(shift_length=5))
    assert [p.index for p in shorter if Rule.SHIFT in p.rules] == list(range(13))


def test_limits_need_two_points() -> None:
    with pytest.raises(TooFewPointsError):
        analyse([3], polarity=HIGHER)


def test_floats_are_read_as_the_decimals_they_print_as() -> None:
    # 0.1 + 0.2 + 0.3 in floating point is not 0.6, so 0.2 would miss the mean; read exactly it is on it.
    values = [0.1, 0.2, 0.3]
    assert analyse(values, polarity=HIGHER)[1].limits.mean == Fraction("0.2")


# Properties: the module agrees with a plain reading of each rule, window by window.

series = st.lists(st.integers(min_value=-20, max_value=20), min_size=2, max_size=40)


def _plain_reading(values: list[int]) -> list[set[str]]:
    n = len(values)
    mean = Fraction(sum(values), n)
    mr = Fraction(sum(abs(b - a) for a, b in itertools.pairwise(values)), n - 1)
    upper, lower = mean + Fraction(266, 100) * mr, mean - Fraction(266, 100) * mr
    near_up, near_down = mean + Fraction(2, 3) * (upper - mean), mean - Fraction(2, 3) * (upper - mean)
    rules: list[set[str]] = [set() for _ in values]
    for i, v in enumerate(values):
        if v > upper or v < lower:
            rules[i].add("a")
    for start in range(n - 6):
        window = values[start : start + 7]
        if all(v > mean for v in window) or all(v < mean for v in window):
            for i in range(start, start + 7):
                rules[i].add("b")
        pairs = list(itertools.pairwise(window))
        if all(b > a for a, b in pairs) or all(b < a for a, b in pairs):
            for i in range(start, start + 7):
                rules[i].add("c")
    for start in range(max(n - 2, 1)):
        indices = range(start, min(start + 3, n))
        for beyond in (lambda v: v > near_up, lambda v: v < near_down):
            near = [i for i in indices if beyond(values[i])]
            if len(near) >= 2:
                for i in near:
                    rules[i].add("d")
    return rules


@given(series)
def test_every_rule_agrees_with_its_plain_reading(values: list[int]) -> None:
    points = analyse(values, polarity=HIGHER)
    assert [{rule.value for rule in point.rules} for point in points] == _plain_reading(values)


@given(series, st.integers(min_value=1, max_value=50), st.integers(min_value=-1000, max_value=1000))
def test_rescaling_and_shifting_a_series_changes_no_flag(values: list[int], scale: int, shift: int) -> None:
    original = analyse(values, polarity=HIGHER)
    moved = analyse([scale * v + shift for v in values], polarity=HIGHER)
    assert [p.rules for p in moved] == [p.rules for p in original]
    assert moved[0].limits.upper == scale * original[0].limits.upper + shift


@given(series)
def test_turning_a_series_upside_down_with_its_polarity_keeps_every_variation(values: list[int]) -> None:
    upright = analyse(values, polarity=HIGHER)
    upside_down = analyse([-v for v in values], polarity=LOWER)
    assert [p.variation for p in upside_down] == [p.variation for p in upright]


@given(series)
def test_common_cause_exactly_when_no_rule_flags_and_limits_straddle_the_mean(values: list[int]) -> None:
    for point in analyse(values, polarity=LOWER):
        assert (point.variation is Variation.COMMON_CAUSE) == (not point.special_cause)
        assert point.limits.lower <= point.limits.mean <= point.limits.upper
