"""Properties of the cost-benefit engine over any appraisal: no effect gives no benefit, more deadweight never
raises a benefit, discount factors strictly fall, lower confidence never raises the net present value, and the
vectorised evaluation agrees with appraising each draw on its own."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.money.cba import (
    Appraisal,
    BenefitType,
    Cost,
    CostType,
    Discounting,
    FlatRate,
    GreenBook,
    Outcome,
    appraise,
    discount_factors,
    evaluate,
)

AGENCIES = ("Riverford Council", "Riverford Police", "NHS Riverford", "Residents")
shares = st.floats(min_value=0, max_value=1, allow_nan=False)
money = st.floats(min_value=0, max_value=1e7, allow_nan=False)
grades = st.integers(min_value=1, max_value=6)
discounting: st.SearchStrategy[Discounting] = st.one_of(
    st.just(GreenBook()), st.builds(FlatRate, st.floats(min_value=0, max_value=0.2, allow_nan=False))
)


@st.composite
def appraisals(draw: st.DrawFn) -> Appraisal:
    years = draw(st.integers(min_value=1, max_value=15))
    year = st.integers(min_value=0, max_value=years - 1)
    costs = draw(
        st.lists(
            st.builds(Cost, st.sampled_from(AGENCIES), st.sampled_from(CostType), year, money, grades),
            max_size=4,
        )
    )
    outcomes = draw(
        st.lists(
            st.builds(
                Outcome,
                name=st.just("An outcome"),
                cohort=st.floats(min_value=0, max_value=10_000, allow_nan=False),
                engagement=shares,
                success=shares,
                deadweight=shares,
                unit_value=money,
                benefit_type=st.sampled_from(BenefitType),
                beneficiary=st.sampled_from(AGENCIES),
                start_year=year,
                duration=st.integers(min_value=1, max_value=20),
                drop_off=shares,
                confidence=grades,
            ),
            min_size=1,
            max_size=4,
        )
    )
    return Appraisal("Any", 2024, years, tuple(costs), tuple(outcomes), draw(discounting))


def tolerance(*values: float) -> float:
    return 1e-9 * max(1.0, *(abs(value) for value in values))


@given(appraisals(), st.sampled_from(["engagement", "success"]))
def test_no_effect_gives_no_benefit(appraisal: Appraisal, field: str) -> None:
    no_effect = replace(appraisal, outcomes=tuple(replace(o, **{field: 0.0}) for o in appraisal.outcomes))

    result = appraise(no_effect)

    assert all(value == 0 for value in result.pv_benefits.values())
    assert all(value == 0 for values in result.benefits_by_agency_year.values() for value in values)
    assert result.public_value_npv == -result.pv_costs


@given(appraisals(), st.data())
def test_more_deadweight_never_raises_a_benefit(appraisal: Appraisal, data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(appraisal.outcomes) - 1))
    chosen = appraisal.outcomes[index]
    more = data.draw(st.floats(min_value=chosen.deadweight, max_value=1, allow_nan=False))
    outcomes = list(appraisal.outcomes)
    outcomes[index] = replace(chosen, deadweight=more)

    before, after = appraise(appraisal), appraise(replace(appraisal, outcomes=tuple(outcomes)))

    for kind in BenefitType:
        assert after.pv_benefits[kind] <= before.pv_benefits[kind] + tolerance(before.pv_benefits[kind])
    for agency, values in after.benefits_by_agency_year.items():
        for year, value in enumerate(values):
            earlier = before.benefits_by_agency_year[agency][year]
            assert value <= earlier + tolerance(earlier)


@given(
    st.integers(min_value=2, max_value=400),
    st.one_of(st.just(GreenBook()), st.builds(FlatRate, st.floats(min_value=0.001, max_value=0.2))),
)
def test_discount_factors_strictly_decrease(years: int, how: Discounting) -> None:
    factors = discount_factors(years, how)

    assert factors[0] == 1
    assert np.all(np.diff(factors) < 0)
    assert np.all(factors > 0)


@given(appraisals(), st.data())
def test_lower_confidence_never_raises_the_net_present_value(
    appraisal: Appraisal, data: st.DataObject
) -> None:
    items = [("costs", index) for index in range(len(appraisal.costs))]
    items += [("outcomes", index) for index in range(len(appraisal.outcomes))]
    part, index = data.draw(st.sampled_from(items))
    listed: list[Cost | Outcome] = list(getattr(appraisal, part))
    lower = data.draw(st.integers(min_value=listed[index].confidence, max_value=6))
    listed[index] = replace(listed[index], confidence=lower)

    before, after = appraise(appraisal), appraise(replace(appraisal, **{part: tuple(listed)}))

    assert after.public_value_npv <= before.public_value_npv + tolerance(before.public_value_npv)
    assert after.net_present_budget_impact <= before.net_present_budget_impact + tolerance(
        before.net_present_budget_impact
    )


@given(appraisals(), st.data())
def test_each_draw_evaluated_together_matches_its_own_appraisal(
    appraisal: Appraisal, data: st.DataObject
) -> None:
    inputs = appraisal.inputs()
    draws = 3
    samples = {
        input: np.array(
            data.draw(st.lists(shares if input.is_share else money, min_size=draws, max_size=draws))
        )
        for input in data.draw(st.lists(st.sampled_from(inputs), unique=True, min_size=1, max_size=4))
    }

    totals = evaluate(appraisal, samples)

    for draw in range(draws):
        changed = appraisal
        for input, values in samples.items():
            listed: list[Cost | Outcome] = list(getattr(changed, input.part))
            listed[input.index] = replace(listed[input.index], **{input.field: float(values[draw])})
            changed = replace(changed, **{input.part: tuple(listed)})
        one = appraise(changed)
        assert totals.public_value_npv[draw] == pytest.approx(one.public_value_npv, rel=1e-9, abs=1e-6)
        assert totals.pv_costs[draw] == pytest.approx(one.pv_costs, rel=1e-9, abs=1e-6)
        expected_payback = -1 if one.payback_year is None else one.payback_year
        assert totals.payback_year[draw] == expected_payback
