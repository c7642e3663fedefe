"""One-way sensitivity: the tornado's bars and the switching values, checked against the appraisal itself."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.money.examples import cost, family_intervention, outcome
from wholeplace.money.cba import Appraisal, Input, appraise
from wholeplace.money.sensitivity import (
    UNBOUNDED_REACH,
    search_range,
    swing_range,
    switching_values,
    tornado,
)

SUCCESS = Input("outcomes", 0, "success")
AMOUNT = Input("costs", 0, "amount")
DROP_OFF = Input("outcomes", 0, "drop_off")


def npv_with(appraisal: Appraisal, input: Input, value: float) -> float:
    listed = list(getattr(appraisal, input.part))
    listed[input.index] = replace(listed[input.index], **{input.field: value})
    return appraise(replace(appraisal, **{input.part: tuple(listed)})).public_value_npv


def test_each_bar_is_the_npv_with_one_input_at_its_low_and_high() -> None:
    appraisal = family_intervention()

    bars = tornado(appraisal, {SUCCESS: (0.1, 0.6)})

    by_input = {bar.input: bar for bar in bars}
    assert set(by_input) == set(appraisal.inputs())
    success = by_input[SUCCESS]
    assert (success.low, success.high) == (0.1, 0.6)
    assert success.npv_low == pytest.approx(npv_with(appraisal, SUCCESS, 0.1))
    assert success.npv_high == pytest.approx(npv_with(appraisal, SUCCESS, 0.6))
    amount = by_input[AMOUNT]
    assert (amount.low, amount.high) == (200_000, 300_000)  # 20% either way
    assert amount.npv_low == pytest.approx(npv_with(appraisal, AMOUNT, 200_000))
    assert [bar.swing for bar in bars] == sorted((bar.swing for bar in bars), reverse=True)


def test_a_swing_stays_within_what_the_input_can_be() -> None:
    appraisal = family_intervention(outcomes=(outcome(success=0.9, deadweight=0),))

    assert swing_range(appraisal, SUCCESS) == pytest.approx((0.72, 1.0))
    assert swing_range(appraisal, Input("outcomes", 0, "deadweight")) == (0, 0)
    assert swing_range(appraisal, AMOUNT, 0.5) == (125_000, 375_000)


def test_an_input_that_changes_nothing_has_no_swing() -> None:
    (bar,) = [bar for bar in tornado(family_intervention()) if bar.input == Input("outcomes", 0, "drop_off")]
    assert bar.swing > 0
    no_benefit = family_intervention(outcomes=(outcome(success=0),))
    (flat,) = [bar for bar in tornado(no_benefit) if bar.input == Input("outcomes", 0, "drop_off")]
    assert flat.swing == 0


def test_the_switching_value_of_a_cost_is_where_it_equals_the_benefits() -> None:
    appraisal = family_intervention()
    benefits = appraise(appraisal).pv_all_benefits

    (switch,) = switching_values(appraisal, [AMOUNT])

    assert switch.switching_value == pytest.approx(benefits, rel=1e-9)
    assert switch.change == pytest.approx(benefits / 250_000 - 1)
    assert switch.searched == (0, 250_000 * UNBOUNDED_REACH)


def test_the_switching_value_of_a_share_makes_the_npv_zero() -> None:
    appraisal = family_intervention(costs=(cost(amount=100_000),))

    (switch,) = switching_values(appraisal, [SUCCESS])

    assert switch.switching_value is not None
    # benefits are proportional to success: NPV 0 where success x PV per unit of success = costs
    per_unit = appraise(appraisal).pv_all_benefits / 0.3
    assert switch.switching_value == pytest.approx(100_000 / per_unit, rel=1e-9)
    assert npv_with(appraisal, SUCCESS, switch.switching_value) == pytest.approx(0, abs=1e-3)


def test_a_switching_value_is_found_where_the_npv_is_not_a_straight_line() -> None:
    appraisal = family_intervention(costs=(cost(amount=150_000),))

    (switch,) = switching_values(appraisal, [DROP_OFF])

    assert switch.switching_value is not None and 0 < switch.switching_value < 1
    assert npv_with(appraisal, DROP_OFF, switch.switching_value) == pytest.approx(0, abs=1e-3)


def test_there_is_no_switching_value_when_the_npv_never_changes_sign() -> None:
    appraisal = family_intervention()

    (deadweight,) = switching_values(appraisal, [Input("outcomes", 0, "deadweight")])

    # with no deadweight at all the benefits are £182,658, still short of the £250,000 spent
    assert appraise(replace(appraisal, outcomes=(outcome(deadweight=0),))).public_value_npv < 0
    assert deadweight.switching_value is None
    assert deadweight.change is None
    assert deadweight.searched == (0, 1)


def test_every_input_has_a_switching_value_entry_in_the_appraisals_order() -> None:
    appraisal = family_intervention()

    assert [switch.input for switch in switching_values(appraisal)] == list(appraisal.inputs())


def test_search_ranges() -> None:
    appraisal = family_intervention(costs=(cost(amount=0.5),))

    assert search_range(appraisal, SUCCESS) == (0, 1)
    assert search_range(appraisal, AMOUNT) == (0, UNBOUNDED_REACH)  # below 1: that many pounds
