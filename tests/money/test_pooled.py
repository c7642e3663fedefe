"""Pooled budgets: a Better Care Fund worked by hand to the penny (an underspend, an overspend, stated risk shares
and a forecast outturn), the penny-exact split and its properties over any budget, and every kind of mistake in a
file refused with the field, its line and the reason."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.core.errors import IngestError
from wholeplace.money.pooled import (
    InvalidPooledBudgetError,
    PooledBudget,
    Position,
    load_pooled_budget,
    pooled_budget_from_document,
    pooled_budget_from_text,
    position,
    split,
)
from wholeplace.money.yaml_fields import FieldProblem

COUNCIL, NHS, TRUST = "Riverford Council", "NHS Riverford", "Riverford Community Trust"
PENNY = Decimal("0.01")

EXAMPLE = """\
name: Riverford Better Care Fund
financial_year: 2024/25
host: Riverford Council
risk_share: pro_rata
contributions:
  - {partner: Riverford Council, amount: 600000}
  - {partner: NHS Riverford, amount: 300000}
  - {partner: Riverford Community Trust, amount: 100000}
allocations:
  - name: Hospital discharge
    budget: 450000
    outcome: Fewer delayed discharges
    lead: NHS Riverford
  - {name: Reablement, budget: 300000}
  - {name: Carers' breaks, budget: 150000}
spend:
  - {allocation: Hospital discharge, period: June, amount: 110000.00}
  - {allocation: Reablement, period: June, amount: 72500.50}
  - {allocation: Hospital discharge, period: September, amount: 118250.25}
  - {allocation: Carers' breaks, period: September, amount: 30000.00}
  - {allocation: Reablement, period: June, amount: -1500.50}
  - {allocation: Hospital discharge, period: December, amount: 120000.10}
  - {allocation: Reablement, period: December, amount: 80000.99}
  - {allocation: Carers' breaks, period: December, amount: 41999.99}
"""


def edited(old: str, new: str, text: str = EXAMPLE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def read(text: str) -> PooledBudget:
    return pooled_budget_from_text(text, path=Path("bcf.yaml"))


def refusal(text: str) -> IngestError:
    with pytest.raises(IngestError) as raised:
        read(text)
    return raised.value


def line_with(text: str, marker: str | None) -> int:
    """The number of the one line holding `marker`; the first line for None."""
    if marker is None:
        return 1
    numbers = [number for number, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(numbers) == 1, (marker, numbers)
    return numbers[0]


def figures(where: Position) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """Each partner's share, gain and net cost."""
    return {one.partner: (one.share, one.gain, one.net_cost) for one in where.partners}


# ---------------------------------------------------------------- the worked example


def test_the_example_is_read_with_its_year_written_the_house_way() -> None:
    budget = read(EXAMPLE)

    assert (budget.name, budget.financial_year, budget.host) == (
        "Riverford Better Care Fund",
        "2024-25",
        COUNCIL,
    )
    assert [(one.partner, one.amount) for one in budget.contributions] == [
        (COUNCIL, Decimal(600000)),
        (NHS, Decimal(300000)),
        (TRUST, Decimal(100000)),
    ]
    first = budget.allocations[0]
    assert (first.name, first.budget, first.outcome, first.lead) == (
        "Hospital discharge",
        Decimal(450000),
        "Fewer delayed discharges",
        NHS,
    )
    assert (budget.allocations[1].outcome, budget.allocations[1].lead) == (None, None)
    assert len(budget.spend) == 8
    assert budget.spend[4].amount == Decimal("-1500.50")
    # pro rata: 600000 / 1000000, 300000 / 1000000, 100000 / 1000000
    assert budget.shares == {COUNCIL: Decimal("0.6"), NHS: Decimal("0.3"), TRUST: Decimal("0.1")}
    assert budget.shares_stated is False


def test_the_example_stands_as_worked_by_hand_to_the_penny() -> None:
    where = position(read(EXAMPLE))

    assert where.pot == Decimal("1000000.00")  # 600000 + 300000 + 100000
    assert where.allocated == Decimal("900000.00")  # 450000 + 300000 + 150000
    assert where.unallocated == Decimal("100000.00")
    # Hospital discharge: 110000.00 + 118250.25 + 120000.10 = 348250.35
    # Reablement: 72500.50 - 1500.50 (a refund) + 80000.99 = 151000.99
    # Carers' breaks: 30000.00 + 41999.99 = 71999.99
    assert [(one.name, one.budget, one.spent, one.remaining) for one in where.allocations] == [
        ("Hospital discharge", Decimal(450000), Decimal("348250.35"), Decimal("101749.65")),
        ("Reablement", Decimal(300000), Decimal("151000.99"), Decimal("148999.01")),
        ("Carers' breaks", Decimal(150000), Decimal("71999.99"), Decimal("78000.01")),
    ]
    assert [(one.outcome, one.lead) for one in where.allocations] == [
        ("Fewer delayed discharges", NHS),
        (None, None),
        (None, None),
    ]
    assert where.spent == Decimal("571251.33")  # 348250.35 + 151000.99 + 71999.99
    assert where.balance == Decimal("428748.67")  # 1000000 - 571251.33: an underspend
    # June: 110000.00 + 72500.50 - 1500.50; September: 118250.25 + 30000.00;
    # December: 120000.10 + 80000.99 + 41999.99 -- in the order the file first names them, not sorted
    assert list(where.spent_by_period.items()) == [
        ("June", Decimal("181000.00")),
        ("September", Decimal("148250.25")),
        ("December", Decimal("242001.08")),
    ]
    # 42874867 pennies: Council round(0.6 x) = round(25724920.2) = 25724920;
    # up to NHS round(0.9 x) = round(38587380.3) = 38587380, so NHS 38587380 - 25724920 = 12862460;
    # the Trust the rest, 42874867 - 38587380 = 4287487.
    assert figures(where) == {
        COUNCIL: (Decimal("0.6"), Decimal("257249.20"), Decimal("342750.80")),
        NHS: (Decimal("0.3"), Decimal("128624.60"), Decimal("171375.40")),
        TRUST: (Decimal("0.1"), Decimal("42874.87"), Decimal("57125.13")),
    }
    assert [one.contributed for one in where.partners] == [Decimal(600000), Decimal(300000), Decimal(100000)]


def test_without_forecasts_the_outturn_is_the_spend_so_far() -> None:
    where = position(read(EXAMPLE))

    assert (where.outturn, where.forecast) == (Decimal("571251.33"), False)
    assert all(one.forecast is None and one.variance == one.remaining for one in where.allocations)


def test_a_forecast_outturn_is_split_instead_of_the_spend_so_far() -> None:
    text = edited("    budget: 450000\n", "    budget: 450000\n    forecast: 440000\n")

    where = position(read(text))

    assert where.forecast is True
    assert [(one.forecast, one.variance) for one in where.allocations] == [
        (Decimal(440000), Decimal("10000")),  # 450000 - 440000
        (None, Decimal("148999.01")),  # 300000 - 151000.99 spent so far
        (None, Decimal("78000.01")),  # 150000 - 71999.99
    ]
    assert where.spent == Decimal("571251.33")
    assert where.outturn == Decimal("663000.98")  # 440000 + 151000.99 + 71999.99
    assert where.balance == Decimal("336999.02")  # 1000000 - 663000.98
    # 33699902 pennies: round(0.6 x) = round(20219941.2) = 20219941; round(0.9 x) = round(30329911.8) = 30329912
    assert figures(where) == {
        COUNCIL: (Decimal("0.6"), Decimal("202199.41"), Decimal("397800.59")),
        NHS: (Decimal("0.3"), Decimal("101099.71"), Decimal("198900.29")),  # 30329912 - 20219941
        TRUST: (Decimal("0.1"), Decimal("33699.90"), Decimal("66300.10")),  # 33699902 - 30329912
    }


def test_an_overspend_is_paid_by_the_partners_in_their_shares() -> None:
    text = """\
name: Home care pool
financial_year: 2023-24
host: NHS Vale
contributions:
  - {partner: Vale Council, amount: 60000}
  - {partner: NHS Vale, amount: 40000}
allocations:
  - {name: Home care, budget: 100000, lead: Vale Council}
spend:
  - {allocation: Home care, period: Q1, amount: 70000}
  - {allocation: Home care, period: Q2, amount: 45000.01}
"""
    where = position(read(text))

    assert (where.pot, where.allocated, where.unallocated) == (Decimal(100000), Decimal(100000), Decimal(0))
    assert where.spent == Decimal("115000.01")  # 70000 + 45000.01
    assert where.balance == Decimal("-15000.01")  # 100000 - 115000.01
    assert where.allocations[0].remaining == Decimal("-15000.01")
    # -1500001 pennies: round(0.6 x) = round(-900000.6) = -900001; NHS -1500001 - -900001 = -600000
    assert figures(where) == {
        "Vale Council": (Decimal("0.6"), Decimal("-9000.01"), Decimal("69000.01")),  # 60000 + 9000.01
        "NHS Vale": (Decimal("0.4"), Decimal("-6000.00"), Decimal("46000.00")),  # 40000 + 6000
    }


def test_stated_risk_shares_replace_the_contributions_shares() -> None:
    text = edited(
        "risk_share: pro_rata",
        "risk_share: {NHS Riverford: 0.55, Riverford Council: 0.35, Riverford Community Trust: 0.1}",
    )

    budget = read(text)
    where = position(budget)

    assert budget.shares_stated is True
    assert budget.shares == {NHS: Decimal("0.55"), COUNCIL: Decimal("0.35"), TRUST: Decimal("0.1")}
    assert where.balance == Decimal("428748.67")
    # 42874867 pennies, in the stated order: NHS round(0.55 x) = round(23581176.85) = 23581177;
    # up to the Council round(0.9 x) = 38587380, so 38587380 - 23581177 = 15006203; the Trust 4287487.
    # The partners are still listed in the order of their contributions.
    assert figures(where) == {
        COUNCIL: (Decimal("0.35"), Decimal("150062.03"), Decimal("449937.97")),  # 600000 - 150062.03
        NHS: (Decimal("0.55"), Decimal("235811.77"), Decimal("64188.23")),  # 300000 - 235811.77
        TRUST: (Decimal("0.1"), Decimal("42874.87"), Decimal("57125.13")),  # 100000 - 42874.87
    }


def test_a_budget_with_no_allocations_or_spend_returns_the_whole_pot() -> None:
    text = """\
name: Empty pool
financial_year: 2025/2026
host: A
contributions:
  - {partner: A, amount: 0.10}
  - {partner: B, amount: 0}
"""
    where = position(read(text))

    assert (where.pot, where.allocated, where.unallocated, where.spent, where.balance) == (
        Decimal("0.10"),
        0,
        Decimal("0.10"),
        0,
        Decimal("0.10"),
    )
    assert (where.allocations, dict(where.spent_by_period)) == ((), {})
    # B put nothing in: its share, and its gain, are nothing
    assert figures(where) == {
        "A": (Decimal(1), Decimal("0.10"), Decimal("0.00")),
        "B": (Decimal(0), Decimal("0.00"), Decimal("0.00")),
    }


@pytest.mark.parametrize("year", ["2024-25", "2024/25", "2024-2025", " 2024 / 25 ", "2024/2025"])
def test_a_financial_year_is_written_the_house_way_whatever_its_form(year: str) -> None:
    assert read(edited("financial_year: 2024/25", f"financial_year: '{year}'")).financial_year == "2024-25"


# ---------------------------------------------------------------- the split, by hand


@pytest.mark.parametrize(
    ("amount", "shares", "parts"),
    [
        # 10000 pennies: round(10000/3) = 3333, round(20000/3) = 6667, then 10000
        ("100.00", {"a": "1", "b": "1", "c": "1"}, {"a": "33.33", "b": "33.34", "c": "33.33"}),
        ("-100.00", {"a": "1", "b": "1", "c": "1"}, {"a": "-33.33", "b": "-33.34", "c": "-33.33"}),
        # 2 pennies: round(0.67) = 1, round(1.33) = 1, then 2
        ("0.02", {"a": "1", "b": "1", "c": "1"}, {"a": "0.01", "b": "0.00", "c": "0.01"}),
        # 1 penny: round(0.33) = 0, round(0.67) = 1, then 1
        ("0.01", {"a": "1", "b": "1", "c": "1"}, {"a": "0.00", "b": "0.01", "c": "0.00"}),
        # -7 pennies in 2:1: round(-14/3) = round(-4.67) = -5, then -7
        ("-0.07", {"a": "2", "b": "1"}, {"a": "-0.05", "b": "-0.02"}),
        # shares already normalised: 100 pennies, round(60) = 60
        ("1.00", {"a": "0.6", "b": "0.4"}, {"a": "0.60", "b": "0.40"}),
        # 10^8 pennies in sevenths: running totals 14285714, 28571429, 42857143, 57142857, 71428571, 85714286
        (
            "1000000.00",
            dict.fromkeys("abcdefg", "1"),
            {
                "a": "142857.14",
                "b": "142857.15",
                "c": "142857.14",
                "d": "142857.14",
                "e": "142857.14",
                "f": "142857.15",
                "g": "142857.14",
            },
        ),
        ("0.00", {"a": "3", "b": "1"}, {"a": "0.00", "b": "0.00"}),
        ("12.34", {"only": "0.2"}, {"only": "12.34"}),
    ],
)
def test_a_split_is_worked_to_the_penny(amount: str, shares: dict[str, str], parts: dict[str, str]) -> None:
    result = split(Decimal(amount), {name: Decimal(share) for name, share in shares.items()})

    assert result == {name: Decimal(part) for name, part in parts.items()}
    assert sum(result.values()) == Decimal(amount)


def test_a_penny_in_halves_goes_whole_to_one_of_them() -> None:
    result = split(Decimal("0.01"), {"a": Decimal("0.5"), "b": Decimal("0.5")})

    assert sorted(result.values()) == [Decimal("0.00"), Decimal("0.01")]
    assert list(result) == ["a", "b"]


# ---------------------------------------------------------------- the split, over any amount and shares

amounts = st.integers(min_value=-(10**13), max_value=10**13).map(lambda pennies: Decimal(pennies).scaleb(-2))
weights = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4)


@st.composite
def share_sets(draw: st.DrawFn) -> dict[str, Decimal]:
    """Positive shares under distinct names, as given or normalised to add up to 1 (or nearly: 1/3 is not a
    decimal)."""
    shares = draw(st.dictionaries(st.text(min_size=1, max_size=8), weights, min_size=1, max_size=8))
    if draw(st.booleans()):
        total = sum(shares.values(), Decimal(0))
        shares = {name: share / total for name, share in shares.items()}
    return shares


@given(amounts, share_sets())
def test_a_splits_parts_add_up_to_the_amount_exactly(amount: Decimal, shares: dict[str, Decimal]) -> None:
    assert sum(split(amount, shares).values(), Decimal(0)) == amount


@given(amounts, share_sets())
def test_each_part_is_within_a_penny_of_its_exact_share(amount: Decimal, shares: dict[str, Decimal]) -> None:
    total = sum((Fraction(share) for share in shares.values()), Fraction(0))

    parts = split(amount, shares)

    for name, share in shares.items():
        exact = Fraction(amount) * Fraction(share) / total
        assert abs(Fraction(parts[name]) - exact) <= Fraction(1, 100), (name, parts[name], exact)


@given(amounts, share_sets())
def test_every_part_is_in_pennies(amount: Decimal, shares: dict[str, Decimal]) -> None:
    assert all(part == part.quantize(PENNY) for part in split(amount, shares).values())


@given(amounts.map(abs), share_sets())
def test_splitting_what_is_not_negative_gives_no_negative_part(
    amount: Decimal, shares: dict[str, Decimal]
) -> None:
    assert all(part >= 0 for part in split(amount, shares).values())


@given(amounts, share_sets())
def test_a_split_names_the_shares_in_their_order(amount: Decimal, shares: dict[str, Decimal]) -> None:
    assert list(split(amount, shares)) == list(shares)


# ---------------------------------------------------------------- where any budget stands

PARTNERS = ("Riverford Council", "NHS Riverford", "Riverford Community Trust", "Riverford Police")
ALLOCATIONS = ("Hospital discharge", "Reablement", "Carers' breaks")
pounds = st.integers(min_value=0, max_value=10**11).map(lambda pennies: Decimal(pennies).scaleb(-2))


@st.composite
def documents(draw: st.DrawFn, *, forecasts: bool = False, allocations: int = 0) -> dict[str, Any]:
    """A valid pooled budget's fields: partners' contributions (one at least putting something in), allocations
    within the pot, spend (refunds too, overspends too) against them, pro rata or stated shares."""
    partners = draw(st.lists(st.sampled_from(PARTNERS), min_size=1, max_size=4, unique=True))
    amounts = draw(
        st.lists(pounds, min_size=len(partners), max_size=len(partners)).filter(lambda given: any(given))
    )
    left = sum(amounts, Decimal(0))
    entries = []
    for name in draw(st.lists(st.sampled_from(ALLOCATIONS), min_size=allocations, max_size=3, unique=True)):
        budget = Decimal(draw(st.integers(min_value=0, max_value=int(left * 100)))).scaleb(-2)
        left -= budget
        entry: dict[str, Any] = {"name": name, "budget": budget, "lead": draw(st.sampled_from(partners))}
        if forecasts:
            entry["forecast"] = draw(st.none() | pounds)
        entries.append(entry)
    spend = (
        draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "allocation": st.sampled_from([entry["name"] for entry in entries]),
                        "period": st.sampled_from(["Q1", "Q2", "Q3", "Q4"]),
                        "amount": st.integers(min_value=-(10**8), max_value=10**11).map(
                            lambda pennies: Decimal(pennies).scaleb(-2)
                        ),
                    }
                ),
                max_size=8,
            )
        )
        if entries
        else []
    )
    document: dict[str, Any] = {
        "name": "Any pool",
        "financial_year": "2024-25",
        "host": draw(st.sampled_from(partners)),
        "contributions": [
            {"partner": partner, "amount": amount} for partner, amount in zip(partners, amounts, strict=True)
        ],
        "allocations": entries,
        "spend": spend,
    }
    if draw(st.booleans()):
        stated = draw(
            st.lists(st.integers(min_value=1, max_value=1000), min_size=len(partners), max_size=len(partners))
        )
        document["risk_share"] = {
            partner: Decimal(weight) / Decimal(sum(stated))
            for partner, weight in zip(partners, stated, strict=True)
        }
    return document


@given(documents(forecasts=True))
def test_the_partners_gains_add_up_to_the_balance(document: dict[str, Any]) -> None:
    where = position(pooled_budget_from_document(document))

    assert sum((one.gain for one in where.partners), Decimal(0)) == where.balance


@given(documents())
def test_the_partners_net_costs_add_up_to_what_was_spent(document: dict[str, Any]) -> None:
    where = position(pooled_budget_from_document(document))

    assert sum((one.net_cost for one in where.partners), Decimal(0)) == where.spent
    assert where.balance == where.pot - where.spent


@given(documents(forecasts=True))
def test_with_forecasts_the_net_costs_add_up_to_the_outturn(document: dict[str, Any]) -> None:
    where = position(pooled_budget_from_document(document))

    assert sum((one.net_cost for one in where.partners), Decimal(0)) == where.outturn
    assert where.balance == where.pot - where.outturn


@given(documents(forecasts=True))
def test_the_pot_is_what_is_allocated_and_what_is_not(document: dict[str, Any]) -> None:
    where = position(pooled_budget_from_document(document))

    assert where.pot == where.allocated + where.unallocated
    assert where.unallocated >= 0
    assert where.pot == sum((one["amount"] for one in document["contributions"]), Decimal(0))


@given(documents(allocations=1), st.integers(min_value=1, max_value=10**10), st.data())
def test_spending_more_lowers_the_balance_by_as_much_and_raises_no_gain_by_more_than_a_penny(
    document: dict[str, Any], pennies: int, data: st.DataObject
) -> None:
    more = Decimal(pennies).scaleb(-2)
    allocation = data.draw(st.sampled_from([entry["name"] for entry in document["allocations"]]))
    spent_more = {
        **document,
        "spend": [*document["spend"], {"allocation": allocation, "period": "Q4", "amount": more}],
    }

    before = position(pooled_budget_from_document(document))
    after = position(pooled_budget_from_document(spent_more))

    assert after.balance == before.balance - more
    for was, now in zip(before.partners, after.partners, strict=True):
        assert now.gain <= was.gain + PENNY, (was, now)


# ---------------------------------------------------------------- mistakes, by field and line


@pytest.mark.parametrize(
    ("text", "field", "marker", "reason"),
    [
        (
            "\n".join(
                line
                for line in EXAMPLE.splitlines()
                if "partner:" not in line and "contributions" not in line
            ),
            "contributions",
            None,
            "is missing",
        ),
        (
            edited("amount: 100000}", "amount: -100000}"),
            "contributions[2].amount",
            "amount: -100000",
            "input should be greater than or equal to 0 (it is -100000)",
        ),
        (
            edited("budget: 450000\n", "budget: 450000.001\n"),
            "allocations[0].budget",
            "450000.001",
            "decimal input should have no more than 2 decimal places (it is 450000.001)",
        ),
        (
            edited(
                "{allocation: Reablement, period: June, amount: 72500.50}", "{period: June, amount: 72500.50}"
            ),
            "spend[1].allocation",
            "{period: June, amount: 72500.50}",
            "is missing",
        ),
        (
            edited(
                "{allocation: Reablement, period: June, amount: 72500.50}",
                "{allocation: Reablment, period: June, amount: 72500.50}",
            ),
            "spend[1].allocation",
            "Reablment",
            "no allocation is called 'Reablment'",
        ),
        (
            edited("lead: NHS Riverford", "lead: NHS England"),
            "allocations[0].lead",
            "NHS England",
            "'NHS England' is not a partner",
        ),
        (
            edited("host: Riverford Council", "host: Riverford County Council"),
            "host",
            "host:",
            "'Riverford County Council' puts nothing into the pot",
        ),
        (
            edited("{partner: Riverford Community Trust", "{partner: NHS Riverford"),
            "contributions[2].partner",
            "amount: 100000}",
            "'NHS Riverford' is named twice",
        ),
        (
            # 450000 + 300000 + 250000.01 = 1000000.01
            edited("{name: Carers' breaks, budget: 150000}", "{name: Carers' breaks, budget: 250000.01}"),
            "allocations",
            "allocations:",
            "allocate £1,000,000.01, more than the £1,000,000.00 the partners put in",
        ),
        (
            edited(
                "risk_share: pro_rata",
                "risk_share: {Riverford Council: 0.5, NHS Riverford: 0.3, Riverford Community Trust: 0.1}",
            ),
            "risk_share",
            "risk_share:",
            "the shares add up to 0.9, not 1",
        ),
        (
            edited("risk_share: pro_rata", "risk_share: {Riverford Council: 0.7, NHS Riverford: 0.3}"),
            "risk_share",
            "risk_share:",
            "gives 'Riverford Community Trust' no share",
        ),
        (
            edited("risk_share: pro_rata", "risk_share: equal"),
            "risk_share",
            "risk_share:",
            "must be pro_rata or each partner's share, as {Council: 0.6, NHS: 0.4}",
        ),
        (
            edited("financial_year: 2024/25", "financial_year: '2024'"),
            "financial_year",
            "financial_year:",
            "'2024' is not a financial year such as 2013-14",
        ),
        (
            edited("financial_year: 2024/25", "financial_year: 2024-26"),
            "financial_year",
            "financial_year:",
            "'2024-26' is not a financial year: its second year should follow its first",
        ),
        (
            edited("financial_year: 2024/25", "financial_year: 2024"),
            "financial_year",
            "financial_year:",
            "must be some text",
        ),
        (edited("name: Riverford Better Care Fund", "name: '  '"), "name", "name: '  '", "must be some text"),
    ],
)
def test_a_bad_pooled_budget_is_refused_with_the_field_its_line_and_the_reason(
    text: str, field: str, marker: str | None, reason: str
) -> None:
    error = refusal(text)

    assert error.where == "bcf.yaml"
    assert error.problem.startswith("The pooled budget has 1 problem:\n"), error.problem
    assert f"  {field} (line {line_with(text, marker)}): {reason}" in error.problem, error.problem


def test_a_misspelt_field_is_not_a_field_here_and_the_right_one_is_missing() -> None:
    text = edited("contributions:", "contribution:")

    error = refusal(text)

    assert error.problem.startswith("The pooled budget has 2 problems:\n"), error.problem
    assert "  contribution (line 5): is not a field here" in error.problem
    assert "  contributions (line 1): is missing" in error.problem
    assert "Check its spelling and indentation, or remove it." in error.fix


def test_risk_shares_for_someone_not_in_the_pot_are_refused_by_name() -> None:
    text = edited(
        "risk_share: pro_rata\n",
        "risk_share:\n  Riverford Council: 0.6\n  NHS Riverford: 0.3\n  Riverford Trust: 0.1\n",
    )

    error = refusal(text)

    assert error.problem.startswith("The pooled budget has 2 problems:\n"), error.problem
    assert "  risk_share.Riverford Trust (line 7): is not a partner" in error.problem
    assert "  risk_share (line 4): gives 'Riverford Community Trust' no share" in error.problem
    assert "Name one of the partners as their contribution names them." in error.fix


def test_every_problem_is_listed_at_once_with_each_fix_said_once() -> None:
    text = edited("host: Riverford Council", "host: Vale Council")
    text = edited("lead: NHS Riverford", "lead: Vale Council", text)
    text = edited(
        "{allocation: Carers' breaks, period: December", "{allocation: Carers, period: December", text
    )

    error = refusal(text)

    assert error.problem == (
        "The pooled budget has 3 problems:\n"
        "  host (line 3): 'Vale Council' puts nothing into the pot\n"
        "  allocations[0].lead (line 13): 'Vale Council' is not a partner\n"
        "  spend[7].allocation (line 24): no allocation is called 'Carers'"
    )
    assert error.fix == (
        "Name one of the partners as their contribution names them.\n"
        "Record spend against one of the allocations by its name."
    )


def test_problems_from_a_document_carry_their_path_reason_and_fix() -> None:
    document = {
        "name": "Pool",
        "financial_year": "2024-25",
        "host": "A",
        "contributions": [{"partner": "A", "amount": 0}, {"partner": "B", "amount": 0}],
    }
    with pytest.raises(InvalidPooledBudgetError) as raised:
        pooled_budget_from_document(document)

    assert str(raised.value) == "The pooled budget has 1 problem."
    assert raised.value.problems == (
        FieldProblem(("contributions",), "put nothing into the pot", "State what each partner puts in."),
    )


def test_a_document_with_spend_against_no_allocation_names_the_entry() -> None:
    document = {
        "name": "Pool",
        "financial_year": "2024-25",
        "host": "A",
        "contributions": [{"partner": "A", "amount": 10}],
        "allocations": [{"name": "Care", "budget": 10}],
        "spend": [
            {"allocation": "Care", "period": "Q1", "amount": 1},
            {"allocation": "Cure", "period": "Q1", "amount": 1},
        ],
    }
    with pytest.raises(InvalidPooledBudgetError) as raised:
        pooled_budget_from_document(document)

    assert raised.value.problems == (
        FieldProblem(
            ("spend", 1, "allocation"),
            "no allocation is called 'Cure'",
            "Record spend against one of the allocations by its name.",
        ),
    )


def test_a_share_out_of_range_is_named_by_its_partner() -> None:
    document = {
        "name": "Pool",
        "financial_year": "2024-25",
        "host": "A",
        "contributions": [{"partner": "A", "amount": 1}, {"partner": "B", "amount": 1}],
        "risk_share": {"A": 0, "B": 1},
    }
    with pytest.raises(InvalidPooledBudgetError) as raised:
        pooled_budget_from_document(document)

    assert [(problem.path, problem.reason) for problem in raised.value.problems] == [
        (("risk_share",), "the share of 'A' must be more than 0 and at most 1 (it is 0)")
    ]


def test_a_file_that_is_not_yaml_names_the_line() -> None:
    error = refusal(edited("host: Riverford Council", "host: Riverford: Council"))

    assert (error.where, error.line) == ("bcf.yaml, line 3", 3)
    assert "not valid YAML" in error.problem


@pytest.mark.parametrize("text", ["- name: Pool\n- host: A\n", "just words\n", ""])
def test_a_file_that_is_not_a_set_of_fields_is_refused(text: str) -> None:
    assert "A pooled budget is a set of fields" in refusal(text).problem


def test_a_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    (tmp_path / "bcf.yaml").write_text(EXAMPLE, encoding="utf-8")

    assert load_pooled_budget(tmp_path / "bcf.yaml") == read(EXAMPLE)


def test_a_file_that_is_not_utf8_or_not_there_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "latin.yaml").write_bytes(EXAMPLE.replace("Carers'", "Carers\xe9").encode("latin-1"))

    with pytest.raises(IngestError, match="not UTF-8") as raised:
        load_pooled_budget(tmp_path / "latin.yaml")
    assert raised.value.where == "latin.yaml"
    with pytest.raises(IngestError, match="cannot be opened") as raised:
        load_pooled_budget(tmp_path / "absent.yaml")
    assert raised.value.where == "absent.yaml"
