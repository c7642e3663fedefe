"""Monte Carlo ranges: draws stay within their stated ranges, a seed repeats a run, each draw's figures are the
appraisal's for those values, and nothing varies when no range is stated."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.money.examples import family_intervention, outcome
from wholeplace.money.cba import Input, appraise
from wholeplace.money.monte_carlo import Distribution, Shape, sample, simulate

SUCCESS = Input("outcomes", 0, "success")
AMOUNT = Input("costs", 0, "amount")
RANGES = {
    SUCCESS: Distribution(0.1, 0.6, 0.3),
    AMOUNT: Distribution(150_000, 350_000, shape=Shape.UNIFORM),
}


def test_draws_stay_within_their_ranges_and_peak_where_stated() -> None:
    drawn = sample(RANGES, 20_000, np.random.default_rng(1))

    success, amount = drawn[SUCCESS], drawn[AMOUNT]
    assert success.min() >= 0.1 and success.max() <= 0.6
    assert success.mean() == pytest.approx((0.1 + 0.3 + 0.6) / 3, abs=0.005)  # a triangle's mean
    assert amount.min() >= 150_000 and amount.max() <= 350_000
    assert amount.mean() == pytest.approx(250_000, rel=0.01)


def test_a_seed_repeats_a_run_and_another_seed_does_not() -> None:
    appraisal = family_intervention()

    first, again = (simulate(appraisal, RANGES, draws=500, seed=7) for _ in range(2))
    other = simulate(appraisal, RANGES, draws=500, seed=8)

    assert np.array_equal(first.totals.public_value_npv, again.totals.public_value_npv)
    assert not np.array_equal(first.totals.public_value_npv, other.totals.public_value_npv)


def test_each_draw_is_the_appraisal_with_the_drawn_values() -> None:
    appraisal = family_intervention()
    drawn = sample(RANGES, 5, np.random.default_rng(3))

    simulation = simulate(appraisal, RANGES, draws=5, seed=3)

    for draw in range(5):
        one = replace(
            appraisal,
            outcomes=(outcome(success=float(drawn[SUCCESS][draw])),),
            costs=(replace(appraisal.costs[0], amount=float(drawn[AMOUNT][draw])),),
        )
        assert simulation.totals.public_value_npv[draw] == pytest.approx(appraise(one).public_value_npv)


def test_the_summary_gives_mean_and_percentiles_of_each_figure() -> None:
    simulation = simulate(family_intervention(), RANGES, draws=10_000, seed=11)

    summaries = simulation.summaries()
    npv = simulation.totals.public_value_npv
    assert set(summaries) == {
        "pv_costs",
        "pv_benefits",
        "net_present_budget_impact",
        "financial_roi",
        "public_value_npv",
        "public_value_roi",
    }
    assert summaries["public_value_npv"].mean == pytest.approx(npv.mean())
    assert (
        summaries["public_value_npv"].p5
        < summaries["public_value_npv"].p50
        < summaries["public_value_npv"].p95
    )
    assert summaries["public_value_npv"].p50 == pytest.approx(np.median(npv))
    assert simulation.probability_positive_npv == pytest.approx(np.mean(npv > 0))
    assert 0 < simulation.probability_positive_npv < 1
    assert simulation.varied == (SUCCESS, AMOUNT)


def test_without_stated_ranges_every_draw_is_the_appraisal() -> None:
    appraisal = family_intervention()

    simulation = simulate(appraisal, {}, draws=50)

    assert simulation.draws == 50
    assert np.all(simulation.totals.public_value_npv == appraise(appraisal).public_value_npv)
    assert simulation.summaries()["public_value_npv"].p95 == pytest.approx(
        appraise(appraisal).public_value_npv
    )


def test_returns_are_summarised_over_the_draws_that_spend() -> None:
    spend_or_not = {AMOUNT: Distribution(0, 1, shape=Shape.UNIFORM)}

    simulation = simulate(family_intervention(), spend_or_not, draws=10, seed=1)

    assert np.isfinite(simulation.summaries()["financial_roi"].mean)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"low": 2.0, "high": 1.0, "mode": 1.5}, "low must be a number no greater than its high"),
        ({"low": 0.0, "high": 1.0}, "triangular distribution needs a mode"),
        ({"low": 0.0, "high": 1.0, "mode": 2.0}, "triangular distribution needs a mode"),
        ({"low": 0.0, "high": 1.0, "mode": 0.5, "shape": Shape.UNIFORM}, "uniform distribution has no mode"),
    ],
)
def test_an_impossible_distribution_is_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Distribution(**arguments)  # type: ignore[arg-type]


def test_a_range_of_one_value_always_draws_it() -> None:
    assert np.all(Distribution(3.0, 3.0, 3.0).draw(np.random.default_rng(), 10) == 3.0)
    assert Distribution(1.0, 3.0, shape=Shape.UNIFORM).central == 2.0


def test_a_simulation_needs_a_draw() -> None:
    with pytest.raises(ValueError, match="at least one draw"):
        simulate(family_intervention(), RANGES, draws=0)
