"""Figures to three significant figures: hand-checked values and properties that hold for any decimal."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.core.figures import readable


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("208.1688", "208"),
        ("13.6691", "13.7"),
        ("44.6764", "44.7"),
        ("0.25341", "0.253"),
        ("0.012345", "0.0123"),
        ("12345", "12345"),
        ("71.5", "71.5"),
        ("212", "212"),
        ("0", "0"),
        ("-13.6691", "-13.7"),
        ("9.995", "10.0"),
        ("99.96", "100"),
    ],
)
def test_a_value_is_shown_to_three_significant_figures(value: str, shown: str) -> None:
    assert str(readable(Decimal(value))) == shown


decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9, places=6)


@given(decimals)
def test_the_figure_is_within_half_a_unit_of_its_last_place_and_keeps_the_whole_part(value: Decimal) -> None:
    shown = readable(value)
    exponent = shown.as_tuple().exponent
    assert isinstance(exponent, int)
    assert abs(shown - value) <= Decimal(1).scaleb(exponent) / 2
    assert int(abs(shown)) in (int(abs(value)), int(abs(value)) + 1)


@given(decimals)
def test_a_value_already_readable_is_left_as_it_is(value: Decimal) -> None:
    assert readable(readable(value)) == readable(value)
