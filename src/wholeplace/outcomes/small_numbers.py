"""Withholding computed values that rest on too few people, households or events to publish.

A value is withheld when what it counts (a share's numerator, or a count itself) is 1 to SMALLEST_SHOWN - 1, or when
a share is of 1 to SMALLEST_SHOWN - 1. A value that counts none is shown: it reveals nobody. So that no withheld
value can be worked out by subtraction, whenever a whole (the place, or a neighbourhood across its groups) is shown
with some of its parts withheld, what the shown parts leave of the whole must be none or at least SMALLEST_SHOWN;
until it is, the shown part counting the fewest is withheld too. Values with no count (imported ones) are kept."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from wholeplace.outcomes.schemas import ComputedValue

SMALLEST_SHOWN = 5

Key = tuple[str, str | None, str | None]  # period, neighbourhood, group


def withhold_small(values: Sequence[ComputedValue], smallest: int = SMALLEST_SHOWN) -> list[ComputedValue]:
    """The values that may be shown, in their order."""
    by_key = {_key(value): value for value in values}
    withheld = {key for key, value in by_key.items() if _too_few(value, smallest)}
    families = _families(by_key)
    while True:
        more = {
            part
            for whole, parts in families.items()
            if whole not in withheld
            for part in _revealing(by_key, whole, parts, withheld, smallest)
        }
        if not more:
            return [value for value in values if _key(value) not in withheld]
        withheld |= more


def _key(value: ComputedValue) -> Key:
    return value.period, value.neighbourhood, value.group


def _too_few(value: ComputedValue, smallest: int) -> bool:
    return any(number is not None and 0 < number < smallest for number in (value.count, value.base))


def _families(by_key: dict[Key, ComputedValue]) -> dict[Key, list[Key]]:
    """Each whole with its parts: the place's neighbourhoods (in one period and group) and a neighbourhood's
    groups (in one period)."""
    families: dict[Key, list[Key]] = defaultdict(list)
    for key in by_key:
        period, neighbourhood, group = key
        if neighbourhood is not None:
            families[(period, None, group)].append(key)
        if group is not None:
            families[(period, neighbourhood, None)].append(key)
    return {whole: parts for whole, parts in families.items() if whole in by_key}


def _revealing(
    by_key: dict[Key, ComputedValue], whole: Key, parts: list[Key], withheld: set[Key], smallest: int
) -> set[Key]:
    """The shown part to withhold as well, when the whole less its shown parts gives a withheld part away."""
    total = by_key[whole].count
    shown = [part for part in parts if part not in withheld and by_key[part].count is not None]
    if total is None or not shown or all(part not in withheld for part in parts):
        return set()
    left = total - sum(by_key[part].count or 0 for part in shown)
    if 0 < left < smallest:
        return {min(shown, key=lambda part: (by_key[part].count or 0, part[1] or "", part[2] or ""))}
    return set()
