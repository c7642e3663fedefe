"""Closed plans rolled up into "is anyone better off" for the programmes that worked with the families."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from wholeplace.coordination.service.closure import ClosedNeed
from wholeplace.outcomes.household_outcomes import (
    RESULTS,
    BetterOff,
    better_off_shares,
    financial_year_of,
    plans_closed,
)

COUNCIL, POLICE = "Riverford Borough Council", "Vale Police"


def need(
    result: str,
    *,
    closed_on: date = date(2024, 6, 1),
    area: str = "education",
    sustainment: str = "none",
    agencies: frozenset[str] = frozenset({COUNCIL}),
) -> ClosedNeed:
    return ClosedNeed(uuid.uuid4(), closed_on, area, result, sustainment, agencies)


def test_the_share_is_per_financial_year_of_closing_among_the_agencys_plans() -> None:
    needs = [
        need("achieved"),
        need("not_achieved"),
        need("partly_achieved"),
        need("achieved", closed_on=date(2025, 3, 31)),  # still 2024/25
        need("achieved", closed_on=date(2025, 4, 1)),
        need("not_achieved", agencies=frozenset({POLICE})),  # the council did not work with this family
    ]

    shares = better_off_shares(needs, agency=COUNCIL, rule=BetterOff())

    assert shares == {"2024/25": Decimal("50.0"), "2025/26": Decimal("100.0")}


def test_areas_partly_achieved_and_sustainment_narrow_what_counts() -> None:
    needs = [
        need("achieved", sustainment="sustained"),
        need("achieved", sustainment="relapsed"),
        need("partly_achieved", sustainment="sustained"),
        need("achieved", area="housing"),
    ]
    rule = BetterOff(
        areas=frozenset({"education"}),
        counted=frozenset({"achieved", "partly_achieved"}),
        sustained_only=True,
    )

    assert better_off_shares(needs, agency=COUNCIL, rule=rule) == {"2024/25": Decimal("66.7")}


def test_an_agency_that_worked_with_no_family_has_no_value_not_a_zero() -> None:
    assert better_off_shares([need("achieved")], agency=POLICE, rule=BetterOff()) == {}


closed_needs = st.lists(
    st.builds(
        need,
        st.sampled_from(RESULTS),
        closed_on=st.dates(date(2023, 1, 1), date(2026, 12, 31)),
        sustainment=st.sampled_from(["none", "due", "sustained", "relapsed"]),
        agencies=st.frozensets(st.sampled_from([COUNCIL, POLICE])),
    ),
    max_size=30,
)


@given(closed_needs)
def test_shares_are_percentages_and_a_stricter_rule_never_counts_more_better_off(
    needs: list[ClosedNeed],
) -> None:
    loose = better_off_shares(needs, agency=COUNCIL, rule=BetterOff(counted=frozenset(RESULTS[:2])))
    strict = better_off_shares(needs, agency=COUNCIL, rule=BetterOff(sustained_only=True))

    assert loose.keys() == strict.keys()
    assert all(Decimal(0) <= share <= Decimal(100) for share in loose.values())
    assert all(strict[year] <= loose[year] for year in loose)


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_a_day_falls_in_the_financial_year_starting_the_april_before(day: date) -> None:
    year = financial_year_of(day)
    starts = int(year[:4])

    assert date(starts, 4, 1) <= day < date(starts + 1, 4, 1)
    assert year == f"{starts}/{(starts + 1) % 100:02d}"


def test_plans_closed_counts_each_family_once_a_year_where_the_agency_worked() -> None:
    shared = need("achieved")
    same_plan = ClosedNeed(
        shared.plan_id, shared.closed_on, "housing", "not_achieved", "none", shared.agencies
    )
    needs = [
        shared,
        same_plan,
        need("achieved", closed_on=date(2025, 5, 1)),
        need("achieved", agencies=frozenset()),
    ]

    assert plans_closed(needs, agency=COUNCIL) == {"2024/25": Decimal(1), "2025/26": Decimal(1)}
