"""Monte Carlo ranges for an appraisal: draw the inputs that have a stated distribution (triangular or uniform),
evaluate every draw at once with numpy, and summarise each headline figure by its mean and percentiles.

Draws of different inputs are independent. Each draw's figures are exactly what `cba.appraise` would give for an
appraisal with those values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from wholeplace.money.cba import Appraisal, FloatArray, Input, Totals, evaluate

DEFAULT_DRAWS = 10_000
PERCENTILES = (5, 50, 95)


class Shape(StrEnum):
    TRIANGULAR = "triangular"
    UNIFORM = "uniform"


@dataclass(frozen=True)
class Distribution:
    """An input's stated range: triangular from `low` to `high` peaking at `mode`, or uniform from `low` to `high`."""

    low: float
    high: float
    mode: float | None = None
    shape: Shape = Shape.TRIANGULAR

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low <= self.high):
            raise ValueError("A distribution's low must be a number no greater than its high.")
        if self.shape is Shape.TRIANGULAR and (self.mode is None or not self.low <= self.mode <= self.high):
            raise ValueError("A triangular distribution needs a mode between its low and its high.")
        if self.shape is Shape.UNIFORM and self.mode is not None:
            raise ValueError("A uniform distribution has no mode: every value from low to high is as likely.")

    @property
    def central(self) -> float:
        """The value the appraisal itself uses: the mode, or the middle of a uniform range."""
        return self.mode if self.mode is not None else (self.low + self.high) / 2

    def draw(self, rng: np.random.Generator, count: int) -> FloatArray:
        if self.low == self.high:
            return np.full(count, self.low, dtype=np.float64)
        if self.shape is Shape.UNIFORM:
            return rng.uniform(self.low, self.high, count)
        return rng.triangular(self.low, self.central, self.high, count)


@dataclass(frozen=True)
class Summary:
    mean: float
    p5: float
    p50: float
    p95: float


@dataclass(frozen=True)
class Simulation:
    draws: int
    seed: int | None
    varied: tuple[Input, ...]
    totals: Totals

    @property
    def probability_positive_npv(self) -> float:
        return float(np.mean(self.totals.public_value_npv > 0))

    def summaries(self) -> dict[str, Summary]:
        """Mean and 5th, 50th and 95th percentiles of each headline figure (returns over draws that spend)."""
        figures = {
            "pv_costs": self.totals.pv_costs,
            "pv_benefits": self.totals.pv_all_benefits,
            "net_present_budget_impact": self.totals.net_present_budget_impact,
            "financial_roi": self.totals.financial_roi,
            "public_value_npv": self.totals.public_value_npv,
            "public_value_roi": self.totals.public_value_roi,
        }
        return {name: _summary(values) for name, values in figures.items()}


def sample(
    distributions: Mapping[Input, Distribution], draws: int, rng: np.random.Generator
) -> dict[Input, FloatArray]:
    """`draws` independent values of each input, in the order the inputs are given."""
    if draws < 1:
        raise ValueError("A simulation needs at least one draw.")
    return {input: distribution.draw(rng, draws) for input, distribution in distributions.items()}


def simulate(
    appraisal: Appraisal,
    distributions: Mapping[Input, Distribution],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = None,
) -> Simulation:
    """The appraisal's headline figures over `draws` draws of the inputs with a stated distribution."""
    samples = sample(distributions, draws, np.random.default_rng(seed))
    totals = evaluate(appraisal, samples) if samples else _repeated(evaluate(appraisal), draws)
    return Simulation(draws=draws, seed=seed, varied=tuple(distributions), totals=totals)


def _repeated(totals: Totals, draws: int) -> Totals:
    """One evaluation standing for every draw, when nothing varies."""
    return Totals(
        pv_costs=np.repeat(totals.pv_costs, draws),
        pv_benefits={kind: np.repeat(values, draws) for kind, values in totals.pv_benefits.items()},
        payback_year=np.repeat(totals.payback_year, draws),
    )


def _summary(values: FloatArray) -> Summary:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Summary(math.nan, math.nan, math.nan, math.nan)
    p5, p50, p95 = (float(value) for value in np.percentile(finite, PERCENTILES))
    return Summary(float(finite.mean()), p5, p50, p95)
