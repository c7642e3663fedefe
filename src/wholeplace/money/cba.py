"""The cost-benefit engine for prevention and integration, after HM Treasury's 2014 guidance for local
partnerships: costs by year, agency and type; each outcome's benefits by year, credited to the agency that gains;
optimism bias by confidence grade; discounting to year 0; and results that show who pays and who benefits.

The appraisal runs over years 0 to `years` - 1, year 0 being the base year, every sum in base-year prices. An
outcome's benefit in year t is

    cohort * engagement * success * (1 - deadweight) * unit value * (1 - drop-off)^(t - start year)

for start year ≤ t < start year + duration (and t within the appraisal), and nothing otherwise; then lowered by
its grade's optimism-bias correction. A cost is raised by its grade's correction.

Pure: data in, data out. `appraise` gives one appraisal's results; `evaluate` gives the headline figures for many
draws of the inputs at once (arrays with one value per draw), which sensitivity and Monte Carlo build on:

    from wholeplace.money.cba import Appraisal, Cost, Outcome, appraise
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from wholeplace.money.optimism_bias import DEFAULT as DEFAULT_OPTIMISM_BIAS
from wholeplace.money.optimism_bias import OptimismBias

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# The Green Book's social time preference rate: each band's last year and its rate; beyond the last band, 1.0%.
STPR_BANDS: tuple[tuple[int, float], ...] = (
    (30, 0.035),
    (75, 0.030),
    (125, 0.025),
    (200, 0.020),
    (300, 0.015),
)
STPR_BEYOND = 0.010
NO_PAYBACK = -1


class BenefitType(StrEnum):
    FISCAL_CASHABLE = "fiscal_cashable"
    FISCAL_NON_CASHABLE = "fiscal_non_cashable"
    ECONOMIC = "economic"
    SOCIAL = "social"

    @property
    def label(self) -> str:
        return self.value.replace("_non_", " non-").replace("_", " ")


FISCAL = (BenefitType.FISCAL_CASHABLE, BenefitType.FISCAL_NON_CASHABLE)


class CostType(StrEnum):
    CAPITAL = "capital"
    REVENUE = "revenue"
    IN_KIND = "in_kind"


@dataclass(frozen=True)
class Cost:
    agency: str
    type: CostType
    year: int
    amount: float  # in base-year prices, before optimism bias
    confidence: int


@dataclass(frozen=True)
class Outcome:
    name: str
    cohort: float
    engagement: float  # the share of the cohort who take part
    success: float  # the share of those taking part for whom the outcome is achieved
    deadweight: float  # the share that would have been achieved anyway
    unit_value: float  # a year's value of one outcome achieved, in base-year prices
    benefit_type: BenefitType
    beneficiary: str
    start_year: int
    duration: int
    drop_off: float  # the share of the effect lost each year after the first
    confidence: int


@dataclass(frozen=True)
class GreenBook:
    """Discounting at the Green Book's social time preference rate: 3.5% a year for years up to 30, 3.0% to 75,
    2.5% to 125, 2.0% to 200, 1.5% to 300 and 1.0% beyond, each year at the rate of its own band."""


@dataclass(frozen=True)
class FlatRate:
    rate: float


Discounting = GreenBook | FlatRate

OUTCOME_INPUTS = ("cohort", "engagement", "success", "deadweight", "unit_value", "drop_off")
COST_INPUTS = ("amount",)
SHARES = frozenset({"engagement", "success", "deadweight", "drop_off"})


@dataclass(frozen=True, order=True)
class Input:
    """One number of an appraisal that may vary: an outcome's cohort, shares, unit value or drop-off, or a cost's
    amount. Written as a scenario's field: outcomes[0].success."""

    part: Literal["costs", "outcomes"]
    index: int
    field: str

    def __str__(self) -> str:
        return f"{self.part}[{self.index}].{self.field}"

    @property
    def is_share(self) -> bool:
        return self.field in SHARES


@dataclass(frozen=True)
class Appraisal:
    name: str
    base_year: int
    years: int
    costs: tuple[Cost, ...]
    outcomes: tuple[Outcome, ...]
    discounting: Discounting = GreenBook()
    optimism_bias: OptimismBias = DEFAULT_OPTIMISM_BIAS

    def __post_init__(self) -> None:
        if self.years < 1:
            raise ValueError("An appraisal runs over at least one year.")
        if isinstance(self.discounting, FlatRate) and not 0 <= self.discounting.rate < 1:
            raise ValueError("A flat discount rate must be at least 0 and below 1 (0.035 is 3.5%).")
        for index, cost in enumerate(self.costs):
            self._check_cost(index, cost)
        for index, outcome in enumerate(self.outcomes):
            self._check_outcome(index, outcome)

    def _check_cost(self, index: int, cost: Cost) -> None:
        if not 0 <= cost.year < self.years:
            raise ValueError(
                f"costs[{index}].year must be within the appraisal's years 0 to {self.years - 1}."
            )
        self._check_number(f"costs[{index}].amount", cost.amount, share=False)
        self.optimism_bias.correction(cost.confidence)

    def _check_outcome(self, index: int, outcome: Outcome) -> None:
        if not 0 <= outcome.start_year < self.years:
            raise ValueError(
                f"outcomes[{index}].start_year must be within the appraisal's years 0 to {self.years - 1}."
            )
        if outcome.duration < 1:
            raise ValueError(f"outcomes[{index}].duration must be at least 1 year.")
        for name in OUTCOME_INPUTS:
            self._check_number(f"outcomes[{index}].{name}", getattr(outcome, name), share=name in SHARES)
        self.optimism_bias.correction(outcome.confidence)

    @staticmethod
    def _check_number(where: str, value: float, *, share: bool) -> None:
        if not math.isfinite(value) or value < 0 or (share and value > 1):
            raise ValueError(f"{where} must be {'between 0 and 1' if share else 'a number of at least 0'}.")

    def inputs(self) -> tuple[Input, ...]:
        """Every number that sensitivity and Monte Carlo may vary, outcomes first."""
        return tuple(
            Input("outcomes", index, name) for index in range(len(self.outcomes)) for name in OUTCOME_INPUTS
        ) + tuple(Input("costs", index, name) for index in range(len(self.costs)) for name in COST_INPUTS)

    def value_of(self, input: Input) -> float:
        items: Sequence[Cost | Outcome] = self.costs if input.part == "costs" else self.outcomes
        return float(getattr(items[input.index], input.field))


# ---------------------------------------------------------------- discounting


def discount_factors(years: int, discounting: Discounting = GreenBook()) -> FloatArray:
    """The factor that brings a sum in each of years 0 to `years` - 1 to its value in year 0."""
    year = np.arange(years, dtype=np.float64)
    if isinstance(discounting, FlatRate):
        return np.asarray((1 + discounting.rate) ** -year, dtype=np.float64)
    rates = np.select([year <= last for last, _ in STPR_BANDS], [rate for _, rate in STPR_BANDS], STPR_BEYOND)
    rates[0] = 0.0  # year 0 is not discounted
    return np.asarray(np.cumprod(1 / (1 + rates)), dtype=np.float64)


# ---------------------------------------------------------------- many draws at once

Samples = Mapping[Input, FloatArray]


@dataclass(frozen=True)
class Totals:
    """The headline figures for each draw of the inputs: arrays with one value per draw."""

    pv_costs: FloatArray
    pv_benefits: Mapping[BenefitType, FloatArray]
    payback_year: IntArray  # NO_PAYBACK where the costs are not paid back within the appraisal

    @property
    def pv_fiscal_benefits(self) -> FloatArray:
        return (
            self.pv_benefits[BenefitType.FISCAL_CASHABLE] + self.pv_benefits[BenefitType.FISCAL_NON_CASHABLE]
        )

    @property
    def pv_all_benefits(self) -> FloatArray:
        return np.asarray(np.sum([self.pv_benefits[kind] for kind in BenefitType], axis=0), dtype=np.float64)

    @property
    def net_present_budget_impact(self) -> FloatArray:
        return self.pv_fiscal_benefits - self.pv_costs

    @property
    def public_value_npv(self) -> FloatArray:
        return self.pv_all_benefits - self.pv_costs

    @property
    def financial_roi(self) -> FloatArray:
        """Fiscal benefits for each pound of cost; NaN where nothing is spent."""
        return _ratio(self.pv_fiscal_benefits, self.pv_costs)

    @property
    def public_value_roi(self) -> FloatArray:
        """All benefits for each pound of cost; NaN where nothing is spent."""
        return _ratio(self.pv_all_benefits, self.pv_costs)


@dataclass(frozen=True)
class _Flows:
    benefits: FloatArray  # (draws, outcomes, years), undiscounted, after optimism bias
    costs: FloatArray  # (draws, costs, years), undiscounted, after optimism bias


def evaluate(appraisal: Appraisal, samples: Samples | None = None) -> Totals:
    """The headline figures with some inputs replaced by arrays of draws (one value per draw, all the same
    length); inputs not given keep the appraisal's values. Without samples, one draw of the appraisal itself."""
    flows = _flows(appraisal, samples or {})
    return _totals(appraisal, flows, discount_factors(appraisal.years, appraisal.discounting))


def _flows(appraisal: Appraisal, samples: Samples) -> _Flows:
    draws = _draw_count(appraisal, samples)
    year = np.arange(appraisal.years)
    values = {name: _column(appraisal, "outcomes", name, samples, draws) for name in OUTCOME_INPUTS}
    start = np.array([outcome.start_year for outcome in appraisal.outcomes], dtype=np.int64)
    duration = np.array([outcome.duration for outcome in appraisal.outcomes], dtype=np.int64)
    since_start = year[None, :] - start[:, None]
    active = (since_start >= 0) & (since_start < duration[:, None])
    retained = (1 - values["drop_off"])[:, :, None] ** np.where(active, since_start, 0)[None, :, :]
    kept = 1 - _corrections(appraisal, [outcome.confidence for outcome in appraisal.outcomes])
    annual = (
        values["cohort"]
        * values["engagement"]
        * values["success"]
        * (1 - values["deadweight"])
        * values["unit_value"]
        * kept
    )
    uplift = 1 + _corrections(appraisal, [cost.confidence for cost in appraisal.costs])
    amounts = _column(appraisal, "costs", "amount", samples, draws) * uplift
    paid_in = year[None, :] == np.array([cost.year for cost in appraisal.costs], dtype=np.int64)[:, None]
    return _Flows(
        benefits=annual[:, :, None] * retained * active[None, :, :],
        costs=amounts[:, :, None] * paid_in[None, :, :],
    )


def _draw_count(appraisal: Appraisal, samples: Samples) -> int:
    known = set(appraisal.inputs())
    unknown = [str(input) for input in samples if input not in known]
    if unknown:
        raise ValueError(f"The appraisal has no input {', '.join(unknown)}.")
    lengths = {np.shape(drawn) for drawn in samples.values()}
    if len(lengths) > 1 or any(len(shape) != 1 for shape in lengths):
        raise ValueError("Every input's draws must be a one-dimensional array of the same length.")
    return lengths.pop()[0] if lengths else 1


def _column(appraisal: Appraisal, part: str, name: str, samples: Samples, draws: int) -> FloatArray:
    """One field of every cost or outcome, one row per draw: the appraisal's value unless drawn."""
    items: Sequence[Cost | Outcome] = appraisal.costs if part == "costs" else appraisal.outcomes
    column = np.tile(np.array([getattr(item, name) for item in items], dtype=np.float64), (draws, 1))
    for input, drawn in samples.items():
        if input.part == part and input.field == name:
            column[:, input.index] = drawn
    return column


def _corrections(appraisal: Appraisal, grades: list[int]) -> FloatArray:
    return np.array([appraisal.optimism_bias.correction(grade) for grade in grades], dtype=np.float64)


def _totals(appraisal: Appraisal, flows: _Flows, factors: FloatArray) -> Totals:
    kinds = [outcome.benefit_type for outcome in appraisal.outcomes]
    present = flows.benefits @ factors  # (draws, outcomes)
    pv_benefits = {
        kind: present[:, [index for index, its in enumerate(kinds) if its == kind]].sum(axis=1)
        for kind in BenefitType
    }
    return Totals(
        pv_costs=(flows.costs @ factors).sum(axis=1),
        pv_benefits=pv_benefits,
        payback_year=_payback_years(kinds, flows, factors),
    )


def _payback_years(kinds: list[BenefitType], flows: _Flows, factors: FloatArray) -> IntArray:
    """The first year in which cumulative discounted fiscal benefits reach cumulative discounted costs, counting
    from the first year anything is spent; NO_PAYBACK where that never happens within the appraisal."""
    fiscal = [index for index, kind in enumerate(kinds) if kind in FISCAL]
    gained = np.cumsum(flows.benefits[:, fiscal, :].sum(axis=1) * factors, axis=1)
    spent = np.cumsum(flows.costs.sum(axis=1) * factors, axis=1)
    reached = (spent > 0) & (gained >= spent * (1 - 1e-12))  # within floating-point noise of equal counts
    return np.where(reached.any(axis=1), reached.argmax(axis=1), NO_PAYBACK).astype(np.int64)


def _ratio(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, numerator / safe, np.nan)


# ---------------------------------------------------------------- one appraisal


@dataclass(frozen=True)
class AgencyBalance:
    """What one agency pays and gains over the appraisal, in present values: the wrong pocket made visible."""

    agency: str
    pv_costs: float
    pv_fiscal_benefits: float
    pv_other_benefits: float  # economic and social benefits credited to the agency

    @property
    def net_fiscal(self) -> float:
        return self.pv_fiscal_benefits - self.pv_costs


@dataclass(frozen=True)
class Appraised:
    """One appraisal's results. Tables by agency and year are undiscounted, in base-year prices, after optimism
    bias; every agency that pays or gains appears in both."""

    appraisal: Appraisal
    discount_factors: tuple[float, ...]
    pv_costs: float
    pv_benefits: Mapping[BenefitType, float]
    payback_year: int | None
    benefits_by_agency_year: Mapping[str, tuple[float, ...]]
    costs_by_agency_year: Mapping[str, tuple[float, ...]]
    balances: tuple[AgencyBalance, ...]

    @property
    def pv_fiscal_benefits(self) -> float:
        return sum(self.pv_benefits[kind] for kind in FISCAL)

    @property
    def pv_all_benefits(self) -> float:
        return sum(self.pv_benefits.values())

    @property
    def net_present_budget_impact(self) -> float:
        return self.pv_fiscal_benefits - self.pv_costs

    @property
    def financial_roi(self) -> float | None:
        return self.pv_fiscal_benefits / self.pv_costs if self.pv_costs > 0 else None

    @property
    def public_value_npv(self) -> float:
        return self.pv_all_benefits - self.pv_costs

    @property
    def public_value_roi(self) -> float | None:
        return self.pv_all_benefits / self.pv_costs if self.pv_costs > 0 else None

    @property
    def paying_without_gaining(self) -> tuple[AgencyBalance, ...]:
        """Agencies whose fiscal benefits fall short of what they pay: the pockets the savings do not reach."""
        return tuple(balance for balance in self.balances if balance.net_fiscal < 0)

    @property
    def gaining_without_paying(self) -> tuple[AgencyBalance, ...]:
        """Agencies that gain fiscal benefits and pay nothing towards them."""
        return tuple(b for b in self.balances if b.pv_costs == 0 and b.pv_fiscal_benefits > 0)


def appraise(appraisal: Appraisal) -> Appraised:
    """The appraisal's present values, returns, payback year, and who pays and who benefits."""
    factors = discount_factors(appraisal.years, appraisal.discounting)
    flows = _flows(appraisal, {})
    totals = _totals(appraisal, flows, factors)
    agencies = _agencies(appraisal)
    benefits = {
        agency: _by_year(flows.benefits[0], [o.beneficiary == agency for o in appraisal.outcomes])
        for agency in agencies
    }
    costs = {
        agency: _by_year(flows.costs[0], [c.agency == agency for c in appraisal.costs]) for agency in agencies
    }
    payback = int(totals.payback_year[0])
    return Appraised(
        appraisal=appraisal,
        discount_factors=tuple(float(factor) for factor in factors),
        pv_costs=float(totals.pv_costs[0]),
        pv_benefits={kind: float(values[0]) for kind, values in totals.pv_benefits.items()},
        payback_year=None if payback == NO_PAYBACK else payback,
        benefits_by_agency_year=benefits,
        costs_by_agency_year=costs,
        balances=tuple(_balance(appraisal, agency, flows, factors) for agency in agencies),
    )


def _agencies(appraisal: Appraisal) -> list[str]:
    """Every agency that pays or gains, in the order the appraisal first names them."""
    named = [cost.agency for cost in appraisal.costs] + [
        outcome.beneficiary for outcome in appraisal.outcomes
    ]
    return list(dict.fromkeys(named))


def _by_year(flows: FloatArray, chosen: list[bool]) -> tuple[float, ...]:
    return tuple(float(value) for value in flows[np.array(chosen, dtype=bool)].sum(axis=0))


def _balance(appraisal: Appraisal, agency: str, flows: _Flows, factors: FloatArray) -> AgencyBalance:
    present = flows.benefits[0] @ factors
    fiscal = [o.beneficiary == agency and o.benefit_type in FISCAL for o in appraisal.outcomes]
    other = [o.beneficiary == agency and o.benefit_type not in FISCAL for o in appraisal.outcomes]
    paid = [cost.agency == agency for cost in appraisal.costs]
    return AgencyBalance(
        agency=agency,
        pv_costs=float((flows.costs[0] @ factors)[np.array(paid, dtype=bool)].sum()),
        pv_fiscal_benefits=float(present[np.array(fiscal, dtype=bool)].sum()),
        pv_other_benefits=float(present[np.array(other, dtype=bool)].sum()),
    )


# ---------------------------------------------------------------- side by side


@dataclass(frozen=True)
class ComparedFigure:
    label: str
    unit: Literal["pounds", "ratio", "year"]
    values: tuple[float | int | None, ...]  # one for each appraisal, in the order given


Figure = Callable[[Appraised], float | int | None]


def _benefit(kind: BenefitType) -> Figure:
    return lambda result: result.pv_benefits[kind]


HEADLINES: tuple[tuple[str, Literal["pounds", "ratio", "year"], Figure], ...] = (
    ("Present value of costs", "pounds", lambda result: result.pv_costs),
    *((f"Present value of {kind.label} benefits", "pounds", _benefit(kind)) for kind in BenefitType),
    ("Net present budget impact", "pounds", lambda result: result.net_present_budget_impact),
    ("Financial return on investment", "ratio", lambda result: result.financial_roi),
    ("Public value net present value", "pounds", lambda result: result.public_value_npv),
    ("Public value return on investment", "ratio", lambda result: result.public_value_roi),
    ("Payback year", "year", lambda result: result.payback_year),
)


def compare(results: Sequence[Appraised]) -> list[ComparedFigure]:
    """The headline figures of several appraisals side by side, in the order given."""
    return [
        ComparedFigure(label, unit, tuple(figure(result) for result in results))
        for label, unit, figure in HEADLINES
    ]
