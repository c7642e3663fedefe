"""Pooled budgets: partners put money into one pot for a year (a section 75 agreement, a Better Care Fund), the
pot is allocated to outcomes or initiatives, spend is recorded against each allocation, and the agreement says how
an underspend or an overspend splits between the partners — by their shares of the pot unless it states shares.

Before the year ends, an allocation may state its forecast outturn: the split is then of the forecast balance (the
pot less every allocation's forecast, or its spend so far where it states none).

A pooled budget is written as YAML (see docs/money.md) and checked whole, every problem named by its field and line.
Money is kept in pence-exact decimals, and every split adds up to the whole to the penny.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, field_validator

from wholeplace.money.deflators import financial_year_label, parse_financial_year
from wholeplace.money.yaml_fields import (
    FieldProblem,
    problem_from_pydantic,
    problems_error,
    read_document,
    read_text,
)

PENNY = Decimal("0.01")
SHARE_TOLERANCE = Decimal("0.000001")
PRO_RATA = "pro_rata"
WHAT = (
    "A pooled budget is a set of fields (name, financial_year, host, contributions, allocations, spend, ...)"
)

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Contribution(_Entry):
    partner: Text
    amount: Money


class Allocation(_Entry):
    name: Text
    budget: Money
    outcome: Text | None = None  # the result or priority it serves, as the outcomes framework names it
    lead: Text | None = None  # the partner that manages it
    forecast: Money | None = None  # what it is expected to have spent when the year ends


class SpendEntry(_Entry):
    allocation: Text
    period: Text  # as the partners report it: "Q1", "2024-06"
    amount: Annotated[Decimal, Field(max_digits=14, decimal_places=2)]  # a refund is negative


def _risk_share(value: object) -> str | dict[str, Decimal]:
    """pro_rata, or each partner's share: more than 0 and at most 1."""
    if value == PRO_RATA:
        return PRO_RATA
    if not isinstance(value, dict) or not value:
        raise ValueError(f"must be {PRO_RATA} or each partner's share, as {{Council: 0.6, NHS: 0.4}}")
    return {str(partner): _share(str(partner), share) for partner, share in value.items()}


def _share(partner: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"the share of {partner!r} must be a number, such as 0.25")
    share = Decimal(str(value))
    if not 0 < share <= 1:
        raise ValueError(f"the share of {partner!r} must be more than 0 and at most 1 (it is {value})")
    return share


class PooledBudgetFile(_Entry):
    name: Text
    financial_year: Text
    host: Text  # the partner that holds the pot
    risk_share: Annotated[str | dict[str, Decimal], PlainValidator(_risk_share)] = PRO_RATA
    contributions: Annotated[list[Contribution], Field(min_length=1)]
    allocations: list[Allocation] = []
    spend: list[SpendEntry] = []

    @field_validator("financial_year")
    @classmethod
    def _year(cls, value: str) -> str:
        return financial_year_label(parse_financial_year(value))


@dataclass(frozen=True)
class PooledBudget:
    """A checked pooled budget: the file's fields, and each partner's share of any under- or overspend."""

    name: str
    financial_year: str
    host: str
    contributions: tuple[Contribution, ...]
    allocations: tuple[Allocation, ...]
    spend: tuple[SpendEntry, ...]
    shares: Mapping[str, Decimal]  # partner -> share of the gains and losses, adding up to 1
    shares_stated: bool  # False: pro rata to contributions


class InvalidPooledBudgetError(ValueError):
    """Every problem of a pooled budget's fields, found at once."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__(f"The pooled budget has {len(problems)} problem{'s' if len(problems) != 1 else ''}.")
        self.problems = tuple(problems)


def load_pooled_budget(path: Path) -> PooledBudget:
    return pooled_budget_from_text(read_text(path), path=path)


def pooled_budget_from_text(text: str, *, path: Path) -> PooledBudget:
    """The pooled budget a file's text describes, or an error listing every problem by field and line."""
    try:
        return pooled_budget_from_document(read_document(path, text, what=WHAT))
    except InvalidPooledBudgetError as error:
        raise problems_error(path, text, error.problems, what="pooled budget") from error


def pooled_budget_from_document(document: Mapping[str, Any]) -> PooledBudget:
    try:
        entry = PooledBudgetFile.model_validate(document)
    except ValidationError as error:
        raise InvalidPooledBudgetError(
            [problem_from_pydantic(detail) for detail in error.errors()]
        ) from error
    problems = [*_naming_problems(entry), *_money_problems(entry)]
    if problems:
        raise InvalidPooledBudgetError(problems)
    stated = isinstance(entry.risk_share, dict)
    return PooledBudget(
        name=entry.name,
        financial_year=entry.financial_year,
        host=entry.host,
        contributions=tuple(entry.contributions),
        allocations=tuple(entry.allocations),
        spend=tuple(entry.spend),
        shares=dict(entry.risk_share)
        if isinstance(entry.risk_share, dict)
        else _pro_rata(entry.contributions),
        shares_stated=stated,
    )


def _naming_problems(entry: PooledBudgetFile) -> list[FieldProblem]:
    partners = [contribution.partner for contribution in entry.contributions]
    allocations = {allocation.name for allocation in entry.allocations}
    problems = [
        *_repeated("contributions", "partner", partners, "Give each partner one contribution."),
        *_repeated(
            "allocations",
            "name",
            [one.name for one in entry.allocations],
            "Give each allocation its own name.",
        ),
    ]
    if entry.host not in partners:
        problems.append(FieldProblem(("host",), f"{entry.host!r} puts nothing into the pot", _NAMED_PARTNER))
    for index, allocation in enumerate(entry.allocations):
        if allocation.lead is not None and allocation.lead not in partners:
            problems.append(
                FieldProblem(
                    ("allocations", index, "lead"), f"{allocation.lead!r} is not a partner", _NAMED_PARTNER
                )
            )
    for index, spent in enumerate(entry.spend):
        if spent.allocation not in allocations:
            problems.append(
                FieldProblem(
                    ("spend", index, "allocation"),
                    f"no allocation is called {spent.allocation!r}",
                    "Record spend against one of the allocations by its name.",
                )
            )
    if isinstance(entry.risk_share, dict):
        problems.extend(_share_problems(entry.risk_share, partners))
    return problems


_NAMED_PARTNER = "Name one of the partners as their contribution names them."


def _repeated(field: str, key: str, names: list[str], fix: str) -> list[FieldProblem]:
    seen: set[str] = set()
    problems = []
    for index, name in enumerate(names):
        if name in seen:
            problems.append(FieldProblem((field, index, key), f"{name!r} is named twice", fix))
        seen.add(name)
    return problems


def _share_problems(shares: Mapping[str, Decimal], partners: list[str]) -> list[FieldProblem]:
    problems = [
        FieldProblem(("risk_share", partner), "is not a partner", _NAMED_PARTNER)
        for partner in shares
        if partner not in partners
    ]
    problems.extend(
        FieldProblem(
            ("risk_share",), f"gives {partner!r} no share", "Give every partner a share, or use pro_rata."
        )
        for partner in partners
        if partner not in shares
    )
    total = sum(shares.values(), Decimal(0))
    if abs(total - 1) > SHARE_TOLERANCE:
        problems.append(
            FieldProblem(("risk_share",), f"the shares add up to {total}, not 1", "Make them add to 1.")
        )
    return problems


def _money_problems(entry: PooledBudgetFile) -> list[FieldProblem]:
    pot = sum((contribution.amount for contribution in entry.contributions), Decimal(0))
    if pot == 0:
        return [
            FieldProblem(("contributions",), "put nothing into the pot", "State what each partner puts in.")
        ]
    allocated = sum((allocation.budget for allocation in entry.allocations), Decimal(0))
    if allocated > pot:
        return [
            FieldProblem(
                ("allocations",),
                f"allocate £{allocated:,.2f}, more than the £{pot:,.2f} the partners put in",
                "Reduce the allocations, or record the extra contributions that pay for them.",
            )
        ]
    return []


def _pro_rata(contributions: Sequence[Contribution]) -> dict[str, Decimal]:
    pot = sum((contribution.amount for contribution in contributions), Decimal(0))
    return {contribution.partner: contribution.amount / pot for contribution in contributions}


# ---------------------------------------------------------------- where the pot stands


@dataclass(frozen=True)
class AllocationPosition:
    name: str
    outcome: str | None
    lead: str | None
    budget: Decimal
    spent: Decimal
    remaining: Decimal  # budget less spent so far
    forecast: Decimal | None  # the outturn expected when the year ends, if stated
    variance: Decimal  # budget less the forecast (or the spend so far): negative is an overspend


@dataclass(frozen=True)
class PartnerPosition:
    partner: str
    contributed: Decimal
    share: Decimal  # of the gains and losses
    gain: Decimal  # their part of the underspend (returned) or, negative, of the overspend (to pay)
    net_cost: Decimal  # contributed less gain: what the year costs them


@dataclass(frozen=True)
class Position:
    """Where a pooled budget stands: the pot, what is allocated, spent and forecast, and who gains or loses what."""

    pot: Decimal
    allocated: Decimal
    unallocated: Decimal
    spent: Decimal
    outturn: Decimal  # the forecasts, or the spend so far where there is none
    balance: Decimal  # pot less outturn: an underspend if positive, an overspend if negative
    forecast: bool  # whether any allocation states a forecast
    allocations: tuple[AllocationPosition, ...]
    spent_by_period: Mapping[str, Decimal]  # in the order the file first names each period
    partners: tuple[PartnerPosition, ...]


def position(budget: PooledBudget) -> Position:
    pot = sum((contribution.amount for contribution in budget.contributions), Decimal(0))
    spent_on = _spent_by(budget.spend, lambda entry: entry.allocation)
    allocations = tuple(_allocation_position(allocation, spent_on) for allocation in budget.allocations)
    allocated = sum((allocation.budget for allocation in allocations), Decimal(0))
    outturn = sum((allocation.budget - allocation.variance for allocation in allocations), Decimal(0))
    balance = pot - outturn
    gains = split(balance, budget.shares)
    return Position(
        pot=pot,
        allocated=allocated,
        unallocated=pot - allocated,
        spent=sum(spent_on.values(), Decimal(0)),
        outturn=outturn,
        balance=balance,
        forecast=any(allocation.forecast is not None for allocation in allocations),
        allocations=allocations,
        spent_by_period=_spent_by(budget.spend, lambda entry: entry.period),
        partners=tuple(
            PartnerPosition(
                partner=contribution.partner,
                contributed=contribution.amount,
                share=budget.shares[contribution.partner],
                gain=gains[contribution.partner],
                net_cost=contribution.amount - gains[contribution.partner],
            )
            for contribution in budget.contributions
        ),
    )


def _allocation_position(allocation: Allocation, spent_on: Mapping[str, Decimal]) -> AllocationPosition:
    spent = spent_on.get(allocation.name, Decimal(0))
    expected = allocation.forecast if allocation.forecast is not None else spent
    return AllocationPosition(
        name=allocation.name,
        outcome=allocation.outcome,
        lead=allocation.lead,
        budget=allocation.budget,
        spent=spent,
        remaining=allocation.budget - spent,
        forecast=allocation.forecast,
        variance=allocation.budget - expected,
    )


def _spent_by(spend: Sequence[SpendEntry], key: Callable[[SpendEntry], str]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for entry in spend:
        totals[key(entry)] = totals.get(key(entry), Decimal(0)) + entry.amount
    return totals


def split(amount: Decimal, shares: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """`amount` split by `shares` to the penny, the parts adding up to it exactly: each partner's part is the
    rounded running total up to them less the rounded running total before them, the last running total being
    the whole. Each part is within a penny of its exact share; so a penny more spent can, rarely, move a penny of
    the balance from one partner to another."""
    pennies = (amount / PENNY).to_integral_value()
    total = sum(shares.values(), Decimal(0))
    parts: dict[str, Decimal] = {}
    running, before = Decimal(0), Decimal(0)
    for index, (partner, share) in enumerate(shares.items()):
        running += share
        upto = pennies if index == len(shares) - 1 else (pennies * running / total).to_integral_value()
        parts[partner] = (upto - before) * PENNY
        before = upto
    return parts
