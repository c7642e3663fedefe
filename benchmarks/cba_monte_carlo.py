"""Time a Monte Carlo of 10,000 draws over a 10-outcome, 10-year scenario (the target: at most 1 s), vectorised
with numpy as `money.monte_carlo.simulate` does it, beside a plain-Python loop over the same draws, and the ratio.

Every input of every outcome (cohort, engagement, success, deadweight, unit value, drop-off) and every cost has a
stated range, so every draw differs in 63 numbers. The loop is written from the formula, not from our code, and
its net present values are checked against ours before anything is printed. Run with the project's Python:
    .venv/bin/python benchmarks/cba_monte_carlo.py [--draws 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wholeplace.money.cba import Appraisal, BenefitType, Cost, CostType, Input, Outcome
from wholeplace.money.monte_carlo import Distribution, sample, simulate

TARGET_SECONDS = 1.0
OUTCOMES = 10
YEARS = 10
SEED = 2024
AGENCIES = ("Riverford Council", "Vale Police", "Riverford NHS", "DWP", "Residents")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    appraisal, ranges = _scenario()
    samples = sample(ranges, arguments.draws, np.random.default_rng(SEED))
    _check_agreement(appraisal, ranges, samples, arguments.draws)
    ours = _measure(lambda: simulate(appraisal, ranges, draws=arguments.draws, seed=SEED), arguments.runs)
    plain = {str(input): values.tolist() for input, values in samples.items()}
    loop = _measure(lambda: _loop(appraisal, plain, arguments.draws), max(1, arguments.runs // 2))
    _report(arguments, ours, loop)


def _scenario() -> tuple[Appraisal, dict[Input, Distribution]]:
    rng = np.random.default_rng(7)
    kinds = list(BenefitType)
    outcomes = tuple(
        Outcome(
            name=f"Outcome {index}",
            cohort=float(rng.integers(50, 500)),
            engagement=0.7,
            success=0.3,
            deadweight=0.2,
            unit_value=float(rng.integers(500, 5_000)),
            benefit_type=kinds[index % len(kinds)],
            beneficiary=AGENCIES[index % len(AGENCIES)],
            start_year=index % 3,
            duration=int(rng.integers(2, 8)),
            drop_off=0.1,
            confidence=1 + index % 6,
        )
        for index in range(OUTCOMES)
    )
    costs = (
        Cost("Riverford Council", CostType.REVENUE, 0, 400_000, 2),
        Cost("Riverford Council", CostType.REVENUE, 1, 300_000, 3),
        Cost("Vale Police", CostType.IN_KIND, 1, 50_000, 4),
    )
    appraisal = Appraisal("Benchmark", 2024, YEARS, costs, outcomes)
    ranges: dict[Input, Distribution] = {}
    for input in appraisal.inputs():
        value = appraisal.value_of(input)
        high = min(1.0, value * 1.5) if input.is_share else value * 1.5
        ranges[input] = Distribution(value * 0.5, high, value)
    return appraisal, ranges


def _loop(appraisal: Appraisal, samples: dict[str, list[float]], draws: int) -> list[float]:
    """Each draw's public value NPV in plain Python: for each outcome and each year of its effect, cohort x
    engagement x success x (1 - deadweight) x unit value x (1 - drop-off)^(years since start), less optimism
    bias, discounted; less each cost with its optimism bias, discounted."""
    factors = [
        1.035**-year for year in range(appraisal.years)
    ]  # the Green Book rate, within its first 30 years
    correction = appraisal.optimism_bias.correction
    npvs = []
    for draw in range(draws):
        npv = 0.0
        for index, outcome in enumerate(appraisal.outcomes):
            value = {
                name: samples[f"outcomes[{index}].{name}"][draw]
                for name in ("cohort", "engagement", "success", "deadweight", "unit_value", "drop_off")
            }
            annual = value["cohort"] * value["engagement"] * value["success"] * (1 - value["deadweight"])
            annual *= value["unit_value"] * (1 - correction(outcome.confidence))
            for year in range(
                outcome.start_year, min(outcome.start_year + outcome.duration, appraisal.years)
            ):
                npv += annual * (1 - value["drop_off"]) ** (year - outcome.start_year) * factors[year]
        for index, cost in enumerate(appraisal.costs):
            npv -= (
                samples[f"costs[{index}].amount"][draw]
                * (1 + correction(cost.confidence))
                * factors[cost.year]
            )
        npvs.append(npv)
    return npvs


def _check_agreement(
    appraisal: Appraisal, ranges: dict[Input, Distribution], samples: dict[Input, np.ndarray], draws: int
) -> None:
    ours = simulate(appraisal, ranges, draws=draws, seed=SEED).totals.public_value_npv
    theirs = np.array(
        _loop(appraisal, {str(input): values.tolist() for input, values in samples.items()}, draws)
    )
    worst = float(np.max(np.abs(ours - theirs)))
    if worst > 1e-6 * float(np.max(np.abs(theirs))):
        raise SystemExit(f"The loop and the vectorised simulation disagree by up to £{worst:,.2f}.")


def _measure(how: Callable[[], object], runs: int) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        how()
        seconds.append(time.perf_counter() - started)
    tracemalloc.start()
    how()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"median": statistics.median(seconds), "peak_mb": peak / 2**20, "runs": runs}


def _report(arguments: argparse.Namespace, ours: dict[str, float], loop: dict[str, float]) -> None:
    print(
        f"\nMonte Carlo, {arguments.draws:,} draws over {OUTCOMES} outcomes and {YEARS} years "
        f"({OUTCOMES * 6 + 3} inputs drawn); median of the runs, peak memory traced by Python."
    )
    print(f"{'method':<26}{'runs':>6}{'median s':>11}{'peak MB':>10}{'ratio':>9}")
    print(
        f"{'numpy (simulate)':<26}{ours['runs']:>6.0f}{ours['median']:>11.3f}{ours['peak_mb']:>10.1f}{'1.0x':>9}"
    )
    print(
        f"{'plain-Python loop':<26}{loop['runs']:>6.0f}{loop['median']:>11.3f}{loop['peak_mb']:>10.1f}"
        f"{loop['median'] / ours['median']:>8.1f}x"
    )
    verdict = "met" if ours["median"] <= TARGET_SECONDS else "MISSED"
    print(f"Target: at most {TARGET_SECONDS:.0f} s for the vectorised simulation ({verdict}).")


if __name__ == "__main__":
    main()
