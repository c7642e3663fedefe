"""How an appraisal's figures are written for people and for machines, the same on the command line, the pages
and the board report: pounds, returns and payback in words, the wrong pocket in a sentence, and the JSON that
`wholeplace cba run --json` prints."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import altair as alt

from wholeplace.money import monte_carlo, sensitivity
from wholeplace.money.cba import Appraisal, Appraised, BenefitType, FlatRate, Input, appraise
from wholeplace.money.cracks import Cracks
from wholeplace.money.deflators import financial_year_label
from wholeplace.money.duplication import Duplication
from wholeplace.money.pooled import Position
from wholeplace.money.scenario import Scenario
from wholeplace.money.unit_costs import UnitCost

# ---------------------------------------------------------------- JSON


def result_as_json(result: Appraised) -> dict[str, Any]:
    """The figures `cba run --json` prints: money in pounds (to the penny), years as keys from "0"."""
    return {
        "pv_costs": money(result.pv_costs),
        "pv_benefits": {kind.value: money(value) for kind, value in result.pv_benefits.items()},
        "net_present_budget_impact": money(result.net_present_budget_impact),
        "financial_roi": ratio(result.financial_roi),
        "public_value_npv": money(result.public_value_npv),
        "public_value_roi": ratio(result.public_value_roi),
        "payback_year": result.payback_year,
        "benefits_by_agency_year": {
            agency: {str(year): money(value) for year, value in enumerate(values)}
            for agency, values in result.benefits_by_agency_year.items()
        },
    }


def sensitivity_as_json(
    npv: float, bars: list[sensitivity.Bar], switches: list[sensitivity.SwitchingValue]
) -> dict[str, Any]:
    return {
        "public_value_npv": money(npv),
        "tornado": [
            {
                "input": str(bar.input),
                "value": bar.value,
                "low": bar.low,
                "high": bar.high,
                "npv_low": money(bar.npv_low),
                "npv_high": money(bar.npv_high),
            }
            for bar in bars
        ],
        "switching_values": [
            {
                "input": str(switch.input),
                "value": switch.value,
                "switching_value": switch.switching_value,
                "searched": list(switch.searched),
            }
            for switch in switches
        ],
    }


def simulation_as_json(simulation: monte_carlo.Simulation) -> dict[str, Any]:
    return {
        "draws": simulation.draws,
        "seed": simulation.seed,
        "varied": [str(input) for input in simulation.varied],
        "probability_public_value_npv_positive": simulation.probability_positive_npv,
        "figures": {
            name: {key: finite(value) for key, value in vars(summary).items()}
            for name, summary in simulation.summaries().items()
        },
    }


def unit_cost_as_json(cost: UnitCost) -> dict[str, Any]:
    return {
        "code": cost.reference,
        "theme": cost.theme,
        "sub_theme": cost.sub_theme,
        "description": cost.description,
        "agency": cost.agency,
        "unit": cost.unit,
        "original_value": float(cost.original_value),
        "price_year": cost.price_year_label,
        "uprated_value_2013_14": None if cost.uprated_value is None else float(cost.uprated_value),
        "flag": cost.flag.value,
        "source": cost.source,
        "url": cost.url,
    }


def money(value: float) -> float:
    return round(value, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------- words


def pounds(value: float | Decimal | None, *, pennies: bool = False) -> str:
    if value is None:
        return "n/a"
    written = f"£{abs(value):,.2f}" if pennies else f"£{abs(value):,.0f}"
    return f"-{written}" if round(float(value), 2 if pennies else 0) < 0 else written


def pooled_balance(where: Position) -> str:
    """What a pooled budget's balance means for the partners; a forecast one is said to be forecast."""
    forecast = "forecast " if where.forecast else ""
    if where.balance > 0:
        return f"The {forecast}underspend of {pounds(where.balance, pennies=True)} returns to the partners by their shares."
    if where.balance < 0:
        return f"The {forecast}overspend of {pounds(-where.balance, pennies=True)} falls to the partners by their shares."
    return f"The pot is {'forecast to be ' if forecast else ''}spent exactly: no partner gains or loses."


def times(value: float | None) -> str:
    return "n/a (no costs)" if value is None else f"{value:.2f}"


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def payback(result: Appraised) -> str:
    if result.payback_year is None:
        return f"Not paid back within the {result.appraisal.years} years"
    return f"Year {result.payback_year}"


def horizon(appraisal: Appraisal) -> str:
    first = financial_year_label(appraisal.base_year)
    return f"{appraisal.years} years from {first} (years 0 to {appraisal.years - 1}), in {first} prices"


def discounting(appraisal: Appraisal) -> str:
    if isinstance(appraisal.discounting, FlatRate):
        return f"discounted at a flat {appraisal.discounting.rate:.2%} a year"
    return "discounted at the Green Book rate (3.5% a year to year 30, then lower)"


def wrong_pocket(result: Appraised) -> list[str]:
    """Plain sentences naming the agencies that pay for savings that land elsewhere."""
    payers = result.paying_without_gaining
    gainers = result.gaining_without_paying
    if not payers or not gainers:
        return []
    paying = "; ".join(
        f"{balance.agency} pays {pounds(balance.pv_costs)} and gets {pounds(balance.pv_fiscal_benefits)} back"
        for balance in payers
    )
    gaining = "; ".join(f"{balance.agency} saves {pounds(balance.pv_fiscal_benefits)}" for balance in gainers)
    return [f"Wrong pocket: {paying}, while {gaining} without paying."]


def input_names(appraisal: Appraisal) -> dict[Input, str]:
    """Each input as the command line names it: "outcomes[0].success (Fewer incidents)"."""
    return {input: f"{input} ({_item(appraisal, input)})" for input in appraisal.inputs()}


def input_labels(appraisal: Appraisal) -> dict[Input, str]:
    """Each input as a page names it: "Outcome 1 (Fewer incidents): success"."""
    labels = {}
    for input in appraisal.inputs():
        part = "Outcome" if input.part == "outcomes" else "Cost"
        labels[input] = (
            f"{part} {input.index + 1} ({_item(appraisal, input)}): {input.field.replace('_', ' ')}"
        )
    return labels


def _item(appraisal: Appraisal, input: Input) -> str:
    if input.part == "outcomes":
        return appraisal.outcomes[input.index].name
    return appraisal.costs[input.index].agency


# ---------------------------------------------------------------- a case as the pages and the report read it


@dataclass(frozen=True)
class Reading:
    """Everything shown about one scenario: its results, sensitivity and, where it states ranges, Monte Carlo."""

    scenario: Scenario
    result: Appraised
    bars: list[sensitivity.Bar]
    switches: list[sensitivity.SwitchingValue]
    simulation: monte_carlo.Simulation | None  # None when no input has a stated range
    labels: dict[Input, str]

    @property
    def appraisal(self) -> Appraisal:
        return self.scenario.appraisal

    @property
    def npv(self) -> float:
        return self.result.public_value_npv


def read(scenario: Scenario) -> Reading:
    """The scenario appraised, its sensitivity (the stated ranges, or 20% either side) and its Monte Carlo
    ranges, drawn with a fixed seed so that the same scenario always shows the same figures."""
    appraisal = scenario.appraisal
    ranges = {input: (stated.low, stated.high) for input, stated in scenario.distributions.items()}
    simulation = (
        monte_carlo.simulate(appraisal, scenario.distributions, draws=monte_carlo.DEFAULT_DRAWS, seed=SEED)
        if scenario.distributions
        else None
    )
    return Reading(
        scenario=scenario,
        result=appraise(appraisal),
        bars=sensitivity.tornado(appraisal, ranges),
        switches=sensitivity.switching_values(appraisal),
        simulation=simulation,
        labels=input_labels(appraisal),
    )


def headline_rows(result: Appraised) -> list[tuple[str, str]]:
    """The headline figures in words, as the results table shows them."""
    rows = [("Present value of costs", pounds(result.pv_costs))]
    rows += [
        (f"Present value of {kind.label} benefits", pounds(result.pv_benefits[kind])) for kind in BenefitType
    ]
    rows += [
        ("Net present budget impact (fiscal benefits less costs)", pounds(result.net_present_budget_impact)),
        ("Financial return on investment (fiscal benefits ÷ costs)", times(result.financial_roi)),
        ("Public value net present value (all benefits less costs)", pounds(result.public_value_npv)),
        ("Public value return on investment (all benefits ÷ costs)", times(result.public_value_roi)),
        ("Payback year", payback(result)),
    ]
    return rows


def pocket_sentences(result: Appraised) -> list[str]:
    """Who pays and who gains, in words, whether or not the savings land in another pocket."""
    told = wrong_pocket(result)
    if told:
        return told
    short = result.paying_without_gaining
    if short:
        return [
            "No agency gains fiscal benefits without paying, but "
            + "; ".join(
                f"{balance.agency} pays {pounds(balance.pv_costs)} and gets {pounds(balance.pv_fiscal_benefits)} "
                "back"
                for balance in short
            )
            + "."
        ]
    return [
        "Every agency that pays gets at least as much back in fiscal benefits: no pocket is out of pocket."
    ]


def monte_carlo_rows(simulation: monte_carlo.Simulation) -> list[tuple[str, str, str, str, str]]:
    """Each headline figure's mean, 5th, 50th and 95th percentiles, in words."""
    rows = []
    for name, summary in simulation.summaries().items():
        show = times if name.endswith("roi") else pounds
        mean, p5, p50, p95 = (
            show(finite(value)) for value in (summary.mean, summary.p5, summary.p50, summary.p95)
        )
        rows.append((FIGURE_NAMES[name], mean, p5, p50, p95))
    return rows


FIGURE_NAMES = {
    "pv_costs": "Present value of costs",
    "pv_benefits": "Present value of all benefits",
    "net_present_budget_impact": "Net present budget impact",
    "financial_roi": "Financial return on investment",
    "public_value_npv": "Public value net present value",
    "public_value_roi": "Public value return on investment",
}


# ---------------------------------------------------------------- charts (Vega-Lite specs)

Width = int | Literal["container"]


def who_benefits_chart(result: Appraised, *, width: Width = "container") -> dict[str, Any]:
    """Stacked bars by year: each agency's benefits above the line and its costs below, undiscounted."""
    rows = [
        {"agency": agency, "year": year, "pounds": value, "flow": "benefit"}
        for agency, values in result.benefits_by_agency_year.items()
        for year, value in enumerate(values)
        if value
    ] + [
        {"agency": agency, "year": year, "pounds": -value, "flow": "cost"}
        for agency, values in result.costs_by_agency_year.items()
        for year, value in enumerate(values)
        if value
    ]
    agencies = list(result.benefits_by_agency_year)
    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X(
                "year:O",
                title="Year",
                scale=alt.Scale(domain=list(range(result.appraisal.years))),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("pounds:Q", title="£ (costs below the line, benefits above)", stack="zero"),
            color=alt.Color(
                "agency:N",
                title="Agency",
                scale=alt.Scale(domain=agencies, range=_colours(len(agencies))),
                legend=alt.Legend(orient="top", columns=2, labelLimit=320),
            ),
        )
    )
    zero = alt.Chart(alt.InlineData(values=[{"at": 0}])).mark_rule(color="#0b0c0c").encode(y="at:Q")
    return _spec(
        bars + zero,
        description="Bar chart by year of each agency's benefits (above the line) and costs (below), "
        "undiscounted, in base-year prices, after optimism bias.",
        width=width,
        height=320,
    )


def pooled_budget_chart(where: Position, *, width: Width = "container") -> dict[str, Any]:
    """Each allocation's budget as a pale bar, its spend so far as a dark bar inside it, and its forecast for the
    year as a tick."""
    rows = [
        {
            "allocation": one.name,
            "budget": float(one.budget),
            "spent": float(one.spent),
            "forecast": None if one.forecast is None else float(one.forecast),
        }
        for one in where.allocations
    ]
    names = [one.name for one in where.allocations]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y("allocation:N", title=None, sort=names, axis=alt.Axis(labelLimit=320))
    )
    budget = base.mark_bar(color="#b1b4b6").encode(x=alt.X("budget:Q", title="£"))
    spent = base.mark_bar(color="#1d70b8", size=12).encode(x="spent:Q")
    forecast = base.mark_tick(color="#d4351c", thickness=3, size=26).encode(x="forecast:Q")
    return _spec(
        budget + spent + forecast,
        description="Bar chart of each allocation's budget (grey), spend so far (blue) and forecast for the "
        "year (red tick).",
        width=width,
        height=max(120, 48 * len(rows)),
    )


def duplication_chart(found: Duplication, *, width: Width = "container") -> dict[str, Any]:
    """The cost per household by how many agencies work with it, for the bands shown."""
    rows = [
        {"agencies": band.agencies, "pounds": band.mean_cost}
        for band in found.bands
        if band.mean_cost is not None
    ]
    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(color="#1d70b8")
        .encode(
            x=alt.X("agencies:O", title="Agencies working with the household", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("pounds:Q", title="£ a household in the year"),
        )
    )
    return _spec(
        bars,
        description="Bar chart of the cost a household by how many agencies work with it.",
        width=width,
        height=260,
    )


def cracks_chart(found: Cracks, *, width: Width = "container") -> dict[str, Any]:
    """For each agency shown, its cost a person a year after the event beside the comparison group's."""
    rows = [
        {"agency": row.label, "group": group, "pounds": rate, "order": order}
        for order, row in enumerate(found.by_agency)
        if row.cohort_rate is not None
        for group, rate in (("Had the event", row.cohort_rate), ("Comparison group", row.comparison_rate))
    ]
    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y(
                "agency:N",
                title=None,
                sort=alt.EncodingSortField(field="order"),
                axis=alt.Axis(labelLimit=320),
            ),
            yOffset=alt.YOffset("group:N", sort=["Had the event", "Comparison group"]),
            x=alt.X("pounds:Q", title="£ a person a year of follow-up"),
            color=alt.Color(
                "group:N",
                title=None,
                scale=alt.Scale(domain=["Had the event", "Comparison group"], range=["#1d70b8", "#b1b4b6"]),
                legend=alt.Legend(orient="top"),
            ),
        )
    )
    return _spec(
        bars,
        description="Bar chart of what each agency bore a person a year after the event, for the people who had it "
        "and for the comparison group.",
        width=width,
        height=max(120, 44 * len(rows) // 2),
    )


def tornado_chart(reading: Reading, *, width: Width = "container") -> dict[str, Any]:
    """The widest bars of the tornado: the net present value with each input at its low and its high."""
    shown = reading.bars[:TORNADO_BARS]
    rows = [
        {
            "input": reading.labels[bar.input],
            "order": order,
            "from": min(bar.npv_low, bar.npv_high),
            "to": max(bar.npv_low, bar.npv_high),
        }
        for order, bar in enumerate(shown)
    ]
    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(color="#1d70b8")
        .encode(
            y=alt.Y(
                "input:N",
                title=None,
                sort=alt.EncodingSortField(field="order"),
                axis=alt.Axis(labelLimit=320),
            ),
            x=alt.X("from:Q", title="Public value net present value (£)"),
            x2="to:Q",
        )
    )
    central = (
        alt.Chart(alt.InlineData(values=[{"at": reading.npv}]))
        .mark_rule(color="#0b0c0c", strokeDash=[6, 4])
        .encode(x="at:Q")
    )
    zero = alt.Chart(alt.InlineData(values=[{"at": 0}])).mark_rule(color="#d4351c").encode(x="at:Q")
    return _spec(
        bars + central + zero,
        description="Tornado chart: for each input, the public value net present value at its low and high "
        "values; the dashed line is the stated value, the red line zero.",
        width=width,
        height=max(120, 30 * len(rows)),
    )


def _colours(count: int) -> list[str]:
    return [COLOURS[index % len(COLOURS)] for index in range(count)]


def _spec(chart: alt.LayerChart, *, description: str, width: Width, height: int) -> dict[str, Any]:
    configured = (
        chart.properties(width=width, height=height, description=description)
        .configure(font=CHART_FONT)
        .configure_axis(labelFontSize=13, titleFontSize=13)
        .configure_legend(labelFontSize=13, titleFontSize=13)
        .configure_view(stroke=None)
    )
    spec: dict[str, Any] = configured.to_dict()
    return spec


SEED = 1
TORNADO_BARS = 12
CHART_FONT = "arial, sans-serif"
# GOV.UK's colours, for the agencies of a chart (more agencies than colours share them in turn).
COLOURS = (
    "#1d70b8",
    "#00703c",
    "#d4351c",
    "#f47738",
    "#4c2c92",
    "#28a197",
    "#912b88",
    "#b58840",
    "#d53880",
    "#505a5f",
)
