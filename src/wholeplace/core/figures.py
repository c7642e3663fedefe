"""Figures as people read them: a value computed to many decimal places shown to the precision a reader needs."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

SIGNIFICANT = 3


def readable(value: Decimal) -> Decimal:
    """The value to three significant figures, never rounding its whole part and never adding digits it does not
    have: 208.1688 is 208, 13.6691 is 13.7, 0.25341 is 0.253, 12345 and 71.5 stay as they are."""
    if not value.is_finite() or value == 0:
        return value
    places = max(0, SIGNIFICANT - 1 - value.adjusted())
    exponent = value.as_tuple().exponent
    held = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if held <= places:
        return value
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.adjusted() > value.adjusted() and places > 0:  # 9.995 rounds up to 10.00: one place fewer
        return rounded.quantize(Decimal(1).scaleb(1 - places))
    return rounded
