"""Withholding small numbers from computed values: each rule by hand, and properties that hold for any place."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from wholeplace.outcomes.schemas import ComputedValue
from wholeplace.outcomes.small_numbers import SMALLEST_SHOWN, withhold_small

YEAR = "2025/26"


def count(neighbourhood: str | None, number: int, group: str | None = None) -> ComputedValue:
    return ComputedValue(YEAR, Decimal(number), neighbourhood, group, count=number)


def share(neighbourhood: str | None, part: int, whole: int) -> ComputedValue:
    return ComputedValue(YEAR, Decimal(100 * part) / whole, neighbourhood, count=part, base=whole)


def shown(values: list[ComputedValue]) -> list[tuple[str | None, str | None]]:
    return [(value.neighbourhood, value.group) for value in withhold_small(values)]


def test_a_value_counting_one_to_four_or_a_share_of_one_to_four_is_withheld() -> None:
    values = [
        count(None, 40),
        count("N1", 3),  # too few
        count("N2", 0),  # none: reveals nobody
        count("N3", 37),
    ]
    # The place less N2 and N3 gives N1's 3 away: N2, the shown part counting the fewest, goes too. That leaves
    # 3 still (N2 counts none), so N3 goes as well.
    assert shown(values) == [(None, None)]
    shares = [share(None, 9, 40), share("N1", 5, 20), share("N2", 4, 20), share("N3", 0, 3)]
    # N2 counts 4 and N3 is a share of 3; then the place's 9 less N1's 5 would give N2's 4 away.
    assert shown(shares) == [(None, None)]
    assert shown([share(None, 10, 40), share("N1", 5, 20), share("N2", 5, 20)]) == [
        (None, None),
        ("N1", None),
        ("N2", None),
    ]


def test_the_shown_part_counting_fewest_goes_until_the_rest_is_enough() -> None:
    values = [count(None, 30), count("N1", 3), count("N2", 20), count("N3", 7)]
    # 30 - 20 - 7 = 3 gives N1 away: N3 (7) goes; 30 - 20 = 10 is enough.
    assert shown(values) == [(None, None), ("N2", None)]


def test_a_neighbourhood_s_groups_are_a_family_of_their_own() -> None:
    values = [
        count(None, 60),
        count("N1", 30),
        count("N2", 30),
        count("N1", 2, "0-4"),
        count("N1", 28, "5-10"),
        count("N2", 30, "5-10"),
    ]
    # N1 less its shown group gives 0-4 away, so 5-10 goes too; N2's only group is all of it.
    assert shown(values) == [(None, None), ("N1", None), ("N2", None), ("N2", "5-10")]


def test_imported_values_and_the_place_alone_are_kept() -> None:
    imported = ComputedValue(YEAR, Decimal(2), "N1")
    assert withhold_small([imported]) == [imported]
    assert shown([count(None, 2)]) == []
    assert shown([count(None, 5)]) == [(None, None)]


def test_nothing_is_withheld_when_the_smallest_shown_is_one() -> None:
    values = [count(None, 4), count("N1", 1), count("N2", 3)]
    assert withhold_small(values, 1) == values


@st.composite
def places(draw: st.DrawFn) -> list[ComputedValue]:
    neighbourhoods = draw(st.lists(st.integers(0, 30), min_size=1, max_size=6))
    groups = draw(st.booleans())
    values = [count(None, sum(neighbourhoods) + draw(st.integers(0, 3)))]  # some live nowhere known
    for number, people in enumerate(neighbourhoods):
        values.append(count(f"N{number}", people))
        if groups and people:
            young = draw(st.integers(0, people))
            values += [count(f"N{number}", young, "young"), count(f"N{number}", people - young, "old")]
    return values


@given(places())
def test_no_shown_value_rests_on_too_few(values: list[ComputedValue]) -> None:
    assert all(not 0 < (value.count or 0) < SMALLEST_SHOWN for value in withhold_small(values))


@given(places())
def test_no_withheld_value_can_be_worked_out_by_subtraction(values: list[ComputedValue]) -> None:
    kept = withhold_small(values)
    kept_keys = {(value.neighbourhood, value.group) for value in kept}
    for whole in kept:
        parts = [
            value
            for value in values
            if (
                whole.neighbourhood is None and value.neighbourhood is not None and value.group == whole.group
            )
            or (
                whole.neighbourhood is not None
                and value.neighbourhood == whole.neighbourhood
                and whole.group is None
                and value.group is not None
            )
        ]
        hidden = [part for part in parts if (part.neighbourhood, part.group) not in kept_keys]
        if hidden:
            left = (whole.count or 0) - sum(
                part.count or 0 for part in parts if (part.neighbourhood, part.group) in kept_keys
            )
            assert not 0 < left < SMALLEST_SHOWN


@given(places())
def test_what_is_kept_is_the_values_given_in_their_order(values: list[ComputedValue]) -> None:
    kept = withhold_small(values)
    assert kept == [value for value in values if value in kept]
