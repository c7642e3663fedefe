"""The cost-benefit engine against appraisals worked by hand: every figure computed step by step here, in exact
decimal arithmetic, and matched to the penny."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from tests.money.examples import cost, family_intervention, outcome
from wholeplace.money.cba import (
    STPR_BANDS,
    BenefitType,
    CostType,
    FlatRate,
    GreenBook,
    Input,
    appraise,
    compare,
    discount_factors,
    evaluate,
)

PENNY = 0.005
GREEN_BOOK = Decimal("1.035")  # years 1 to 30


def test_the_issues_example_worked_by_hand() -> None:
    # 120 people x 0.8 engaged x 0.3 succeed x (1 - 0.2) not deadweight x £2,500 = £57,600 in year 1,
    # then 10% less each year for the 3 years: £51,840 in year 2 and £46,656 in year 3. Grade 1: no correction.
    year_1 = Decimal(120) * Decimal("0.8") * Decimal("0.3") * Decimal("0.8") * 2500
    flows = [year_1, year_1 * Decimal("0.9"), year_1 * Decimal("0.81")]
    assert flows == [57_600, 51_840, 46_656]
    pv_benefits = sum(flow / GREEN_BOOK**year for year, flow in enumerate(flows, start=1))
    pv_costs = Decimal(250_000)  # paid in year 0, which is not discounted

    result = appraise(family_intervention())

    assert round(pv_benefits, 2) == Decimal("146126.41")
    assert result.pv_costs == pytest.approx(float(pv_costs), abs=PENNY)
    assert result.pv_benefits[BenefitType.FISCAL_CASHABLE] == pytest.approx(float(pv_benefits), abs=PENNY)
    assert [result.pv_benefits[kind] for kind in BenefitType][1:] == [0, 0, 0]
    assert result.net_present_budget_impact == pytest.approx(float(pv_benefits - pv_costs), abs=PENNY)
    assert result.public_value_npv == pytest.approx(-103_873.59, abs=PENNY)
    assert result.financial_roi == pytest.approx(float(pv_benefits / pv_costs))
    assert result.public_value_roi == result.financial_roi
    assert result.payback_year is None  # £146,126 of savings never reach £250,000
    assert result.benefits_by_agency_year == {
        "Riverford Council": (0.0,) * 10,
        "Riverford Police": (0.0, 57_600.0, 51_840.0, 46_656.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    }


def test_a_scenario_with_every_benefit_type_grades_and_the_horizon_worked_by_hand() -> None:
    appraisal = family_intervention(
        years=5,
        costs=(
            cost(amount=100_000),
            cost(year=1, amount=50_000, confidence=3, type=CostType.IN_KIND),  # +10%: £55,000
            cost(
                agency="Riverford Police", year=2, amount=8_000, confidence=2, type=CostType.CAPITAL
            ),  # +5%: £8,400
        ),
        outcomes=(
            # 100 x 0.5 x 0.4 x 0.75 x £1,000 = £15,000, less 5% for grade 2 = £14,250; then 20% less each year
            outcome(
                cohort=100,
                engagement=0.5,
                success=0.4,
                deadweight=0.25,
                unit_value=1_000,
                drop_off=0.2,
                confidence=2,
            ),
            # 50 x 1 x 0.2 x 1 x £3,000 = £30,000 a year from year 0 for 10 years, cut at the horizon (5 years)
            outcome(
                name="Better wellbeing",
                cohort=50,
                engagement=1,
                success=0.2,
                deadweight=0,
                unit_value=3_000,
                benefit_type=BenefitType.SOCIAL,
                beneficiary="Residents",
                start_year=0,
                duration=10,
                drop_off=0,
            ),
            # 20 x 1 x 0.5 x 0.5 x £4,000 = £20,000 in years 2 and 3, less 40% for grade 6 = £12,000
            outcome(
                name="Fewer evictions",
                cohort=20,
                engagement=1,
                success=0.5,
                deadweight=0.5,
                unit_value=4_000,
                benefit_type=BenefitType.FISCAL_NON_CASHABLE,
                beneficiary="Riverford Council",
                start_year=2,
                duration=2,
                drop_off=0,
                confidence=6,
            ),
            # 10 x 0.5 x 0.5 x 0.9 x £2,000 = £4,500 in year 4 only, less 15% for grade 4 = £3,825
            outcome(
                name="More people in work",
                cohort=10,
                engagement=0.5,
                success=0.5,
                deadweight=0.1,
                unit_value=2_000,
                benefit_type=BenefitType.ECONOMIC,
                beneficiary="Residents",
                start_year=4,
                duration=1,
                confidence=4,
            ),
        ),
    )
    factor = [1 / GREEN_BOOK**year for year in range(5)]
    police = [Decimal(0), Decimal(14_250), Decimal(11_400), Decimal(9_120), Decimal(0)]
    residents_social = [Decimal(30_000)] * 5
    council = [Decimal(0), Decimal(0), Decimal(12_000), Decimal(12_000), Decimal(0)]
    residents_economic = [Decimal(0)] * 4 + [Decimal(3_825)]
    costs = [Decimal(100_000), Decimal(55_000), Decimal(8_400), Decimal(0), Decimal(0)]

    def pv(flows: list[Decimal]) -> Decimal:
        return sum((flow * f for flow, f in zip(flows, factor, strict=True)), Decimal(0))

    result = appraise(appraisal)

    assert result.pv_costs == pytest.approx(float(pv(costs)), abs=PENNY)
    assert result.pv_benefits[BenefitType.FISCAL_CASHABLE] == pytest.approx(float(pv(police)), abs=PENNY)
    assert result.pv_benefits[BenefitType.FISCAL_NON_CASHABLE] == pytest.approx(float(pv(council)), abs=PENNY)
    assert result.pv_benefits[BenefitType.SOCIAL] == pytest.approx(float(pv(residents_social)), abs=PENNY)
    assert result.pv_benefits[BenefitType.ECONOMIC] == pytest.approx(float(pv(residents_economic)), abs=PENNY)
    fiscal = pv(police) + pv(council)
    every = fiscal + pv(residents_social) + pv(residents_economic)
    assert result.net_present_budget_impact == pytest.approx(float(fiscal - pv(costs)), abs=PENNY)
    assert result.public_value_npv == pytest.approx(float(every - pv(costs)), abs=PENNY)
    assert result.financial_roi == pytest.approx(float(fiscal / pv(costs)))
    assert result.public_value_roi == pytest.approx(float(every / pv(costs)))
    assert result.benefits_by_agency_year["Riverford Police"] == pytest.approx([float(v) for v in police])
    assert result.benefits_by_agency_year["Residents"] == pytest.approx(
        [float(s + e) for s, e in zip(residents_social, residents_economic, strict=True)]
    )
    assert result.benefits_by_agency_year["Riverford Council"] == pytest.approx([float(v) for v in council])
    assert result.costs_by_agency_year["Riverford Council"] == pytest.approx([100_000, 55_000, 0, 0, 0])
    assert result.costs_by_agency_year["Riverford Police"] == pytest.approx([0, 0, 8_400, 0, 0])
    assert list(result.benefits_by_agency_year) == ["Riverford Council", "Riverford Police", "Residents"]


def test_the_wrong_pocket_shows_who_pays_and_who_gains() -> None:
    result = appraise(family_intervention())

    council, police = result.balances
    assert (council.agency, council.pv_costs, council.pv_fiscal_benefits) == ("Riverford Council", 250_000, 0)
    assert council.net_fiscal == -250_000
    assert (police.agency, police.pv_costs) == ("Riverford Police", 0)
    assert police.pv_fiscal_benefits == pytest.approx(146_126.41, abs=PENNY)
    assert result.paying_without_gaining == (council,)
    assert result.gaining_without_paying == (police,)


def test_economic_and_social_benefits_count_in_public_value_but_not_in_the_budget() -> None:
    result = appraise(
        family_intervention(outcomes=(outcome(benefit_type=BenefitType.SOCIAL, beneficiary="Residents"),))
    )

    assert result.net_present_budget_impact == -250_000
    assert result.financial_roi == 0
    assert result.public_value_npv == pytest.approx(146_126.41 - 250_000, abs=PENNY)
    (residents,) = [balance for balance in result.balances if balance.agency == "Residents"]
    assert residents.pv_other_benefits == pytest.approx(146_126.41, abs=PENNY)
    assert residents.pv_fiscal_benefits == 0


def test_payback_is_the_first_year_cumulative_fiscal_benefits_reach_cumulative_costs() -> None:
    undiscounted = FlatRate(0.0)
    pays_back = family_intervention(
        years=5,
        discounting=undiscounted,
        costs=(cost(amount=100),),
        outcomes=(
            outcome(
                cohort=1,
                engagement=1,
                success=1,
                deadweight=0,
                unit_value=40,
                start_year=0,
                duration=5,
                drop_off=0,
            ),
        ),
    )
    # cumulative savings 40, 80, 120: they reach the £100 spent in year 2
    assert appraise(pays_back).payback_year == 2

    exactly = family_intervention(
        years=5,
        discounting=undiscounted,
        costs=(cost(amount=80),),
        outcomes=pays_back.outcomes,
    )
    assert appraise(exactly).payback_year == 1  # 80 reaches 80


def test_payback_counts_from_the_first_year_anything_is_spent() -> None:
    later = family_intervention(
        years=5,
        discounting=FlatRate(0.0),
        costs=(cost(year=3, amount=3),),
        outcomes=(
            outcome(
                cohort=1,
                engagement=1,
                success=1,
                deadweight=0,
                unit_value=1,
                start_year=0,
                duration=5,
                drop_off=0,
            ),
        ),
    )
    # £4 saved by year 3 covers the £3 spent then; in years 0 to 2 nothing was spent, so nothing was paid back
    assert appraise(later).payback_year == 3


def test_with_no_costs_the_returns_and_payback_are_undefined() -> None:
    result = appraise(family_intervention(costs=()))

    assert (result.pv_costs, result.financial_roi, result.public_value_roi, result.payback_year) == (
        0,
        None,
        None,
        None,
    )
    assert result.public_value_npv == pytest.approx(146_126.41, abs=PENNY)


def test_green_book_factors_change_rate_after_each_band() -> None:
    factors = discount_factors(302)

    assert factors[0] == 1
    assert factors[30] == pytest.approx(1.035**-30)
    assert factors[31] == pytest.approx(1.035**-30 / 1.03)
    assert factors[75] == pytest.approx(1.035**-30 * 1.03**-45)
    assert factors[76] == pytest.approx(1.035**-30 * 1.03**-45 / 1.025)
    assert factors[301] / factors[300] == pytest.approx(1 / 1.01)
    rates = factors[:-1] / factors[1:] - 1
    for last, rate in STPR_BANDS:
        assert rates[last - 1] == pytest.approx(rate)  # the band's last year is still at its rate
    # 30 years at 3.5%, 45 at 3.0%, 50 at 2.5%, 75 at 2.0%, 100 at 1.5%, then year 301 at 1.0%
    assert factors[301] == pytest.approx(
        1.035**-30 * 1.03**-45 * 1.025**-50 * 1.02**-75 * 1.015**-100 * 1.01**-1
    )


def test_a_flat_rate_discounts_every_year_alike() -> None:
    assert discount_factors(4, FlatRate(0.05)) == pytest.approx([1, 1 / 1.05, 1 / 1.05**2, 1 / 1.05**3])
    assert discount_factors(3, FlatRate(0.0)) == pytest.approx([1, 1, 1])
    assert discount_factors(3, GreenBook()) == pytest.approx([1, 1 / 1.035, 1 / 1.035**2])


def test_a_flat_rate_changes_the_present_values() -> None:
    result = appraise(family_intervention(discounting=FlatRate(0.10)))

    assert result.pv_benefits[BenefitType.FISCAL_CASHABLE] == pytest.approx(
        57_600 / 1.1 + 51_840 / 1.1**2 + 46_656 / 1.1**3, abs=PENNY
    )


def test_optimism_bias_raises_costs_and_lowers_benefits_by_grade() -> None:
    result = appraise(family_intervention(costs=(cost(confidence=5),), outcomes=(outcome(confidence=3),)))

    assert result.pv_costs == pytest.approx(250_000 * 1.25)
    assert result.benefits_by_agency_year["Riverford Police"][1:4] == pytest.approx(
        [51_840, 46_656, 41_990.4]
    )


def test_evaluate_gives_each_draw_what_appraise_gives_for_those_values() -> None:
    appraisal = family_intervention()
    success = np.array([0.1, 0.3, 0.5])
    amount = np.array([100_000.0, 250_000.0, 400_000.0])

    totals = evaluate(
        appraisal, {Input("outcomes", 0, "success"): success, Input("costs", 0, "amount"): amount}
    )

    for draw in range(3):
        one = appraise(
            family_intervention(
                outcomes=(outcome(success=success[draw]),), costs=(cost(amount=amount[draw]),)
            )
        )
        assert totals.public_value_npv[draw] == pytest.approx(one.public_value_npv)
        assert totals.net_present_budget_impact[draw] == pytest.approx(one.net_present_budget_impact)


def test_evaluate_refuses_an_input_the_appraisal_does_not_have() -> None:
    with pytest.raises(ValueError, match=r"no input outcomes\[3\]\.success"):
        evaluate(family_intervention(), {Input("outcomes", 3, "success"): np.array([0.5])})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"years": 0}, "at least one year"),
        ({"costs": (cost(year=10),)}, r"costs\[0\]\.year must be within"),
        ({"costs": (cost(amount=-1),)}, r"costs\[0\]\.amount must be a number of at least 0"),
        ({"costs": (cost(confidence=7),)}, "7 is not a confidence grade"),
        ({"outcomes": (outcome(success=1.5),)}, r"outcomes\[0\]\.success must be between 0 and 1"),
        ({"outcomes": (outcome(start_year=10),)}, r"outcomes\[0\]\.start_year must be within"),
        ({"outcomes": (outcome(duration=0),)}, "at least 1 year"),
        ({"discounting": FlatRate(1.0)}, "flat discount rate"),
    ],
)
def test_an_impossible_appraisal_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        family_intervention(**changes)


def test_compare_puts_headline_figures_side_by_side() -> None:
    cheaper = appraise(family_intervention(costs=(cost(amount=100_000),)))
    dearer = appraise(family_intervention())

    figures = {figure.label: figure.values for figure in compare([cheaper, dearer])}

    assert figures["Present value of costs"] == (100_000, 250_000)
    assert figures["Payback year"] == (2, None)  # £55,652 + £48,393 reach £100,000 in year 2
    assert figures["Public value net present value"] == pytest.approx((46_126.41, -103_873.59), abs=PENNY)
    assert figures["Present value of fiscal non-cashable benefits"] == (0, 0)
