"""Households roll up: what the closed plans of the team around the household reached becomes an "is anyone
better off" measure for the programmes that worked with the families. A programme worked with a family when its
agency held an action in the family's plan. The value for a financial year is the percentage of the closed
needs counted (the plans closed that year, in the chosen outcome areas) that count as better off; alongside it,
how many of those families' plans closed ("how much did we do")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from wholeplace.coordination.service.closure import ClosedNeed
from wholeplace.outcomes import periods

RESULTS = ("achieved", "partly_achieved", "not_achieved")
SUSTAINED = "sustained"
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class BetterOff:
    """Which closed needs count, and as what: needs in these outcome areas (every area when none are named),
    better off when their result is one of `counted`, and with `sustained_only` only once the sustainment check
    found that it held."""

    areas: frozenset[str] = frozenset()
    counted: frozenset[str] = frozenset({"achieved"})
    sustained_only: bool = False

    def covers(self, need: ClosedNeed) -> bool:
        return not self.areas or need.outcome_area in self.areas

    def better_off(self, need: ClosedNeed) -> bool:
        return need.result in self.counted and (not self.sustained_only or need.sustainment == SUSTAINED)


@dataclass
class _Tally:
    counted: Counter[str] = field(default_factory=Counter)
    better_off: Counter[str] = field(default_factory=Counter)


def better_off_shares(needs: Iterable[ClosedNeed], *, agency: str, rule: BetterOff) -> dict[str, Decimal]:
    """Per financial year of closure ("2024/25"), the percentage of the needs counted that were better off, to
    one decimal place; years with nothing counted have no value rather than a zero."""
    return {
        year: percentage(better_off, counted)
        for year, (better_off, counted) in better_off_tally(needs, agency=agency, rule=rule).items()
    }


def percentage(part: int, whole: int) -> Decimal:
    """The part as a percentage of the whole, to one decimal place."""
    return (Decimal(100 * part) / whole).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def better_off_tally(
    needs: Iterable[ClosedNeed], *, agency: str, rule: BetterOff
) -> dict[str, tuple[int, int]]:
    """Per financial year of closure, the needs better off and the needs counted; only years with needs counted."""
    tally = _Tally()
    for need in needs:
        if agency in need.agencies and rule.covers(need):
            year = financial_year_of(need.closed_on)
            tally.counted[year] += 1
            tally.better_off[year] += rule.better_off(need)
    return {year: (tally.better_off[year], total) for year, total in sorted(tally.counted.items())}


def plans_closed(needs: Iterable[ClosedNeed], *, agency: str) -> dict[str, Decimal]:
    """Per financial year, how many families' plans the agency worked in were closed: "how much did we do"."""
    plans = {(financial_year_of(need.closed_on), need.plan_id) for need in needs if agency in need.agencies}
    counted = Counter(year for year, _ in plans)
    return {year: Decimal(count) for year, count in sorted(counted.items())}


def financial_year_of(day: date) -> str:
    starts = day.year if day.month >= periods.FINANCIAL_YEAR_STARTS else day.year - 1
    return periods.text_of(periods.PeriodKind.FINANCIAL_YEAR, date(starts, periods.FINANCIAL_YEAR_STARTS, 1))
