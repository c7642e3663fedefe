"""The board report of an investment case: what it assumes, its results, who pays and who benefits, sensitivity,
Monte Carlo ranges and the unit costs behind it, as one self-contained HTML file (style inline, charts inline
SVG drawn by vl-convert from the same Vega-Lite specs the pages draw, nothing fetched) and as PDF made from that
HTML by WeasyPrint. `figures` gives the same figures to the scenario's page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import vl_convert
import weasyprint  # type: ignore[import-untyped]
from jinja2 import Environment
from markupsafe import Markup

from wholeplace import __version__
from wholeplace.money import presenting
from wholeplace.money.cba import Cost, Outcome
from wholeplace.money.deflators import financial_year_label
from wholeplace.money.models import ScenarioVersion
from wholeplace.money.presenting import Reading, number, pounds
from wholeplace.money.service.scenarios import DrawnCohortNote

TEMPLATE = "money/report.html"
CHART_WIDTH = 600  # pixels: an A4 page's width within its margins


class FetchRefusedError(ValueError):
    """The report asked for something outside itself, which it must never do."""


def figures(reading: Reading, notes: Mapping[int, DrawnCohortNote]) -> dict[str, Any]:
    """The case's figures in words, as the scenario page and the report show them."""
    result = reading.result
    appraisal = reading.appraisal
    return {
        "reading": reading,
        "horizon": presenting.horizon(appraisal),
        "discounting": presenting.discounting(appraisal),
        "headline": presenting.headline_rows(result),
        "summary": (
            f"Public value net present value {pounds(result.public_value_npv)}, a public value return of "
            f"{presenting.times(result.public_value_roi)}; net present budget impact "
            f"{pounds(result.net_present_budget_impact)}; {presenting.payback(result).lower()}."
        ),
        "balances": [
            (
                balance.agency,
                pounds(balance.pv_costs),
                pounds(balance.pv_fiscal_benefits),
                pounds(balance.pv_other_benefits),
                pounds(balance.net_fiscal),
            )
            for balance in result.balances
        ],
        "pocket": presenting.pocket_sentences(result),
        "benefits_by_year": _by_year(result.benefits_by_agency_year),
        "costs_by_year": _by_year(result.costs_by_agency_year),
        "costs": [_cost_row(cost) for cost in appraisal.costs],
        "outcomes": [_outcome_row(index, outcome, notes) for index, outcome in enumerate(appraisal.outcomes)],
        "tornado": [
            (
                reading.labels[bar.input],
                number(bar.low),
                number(bar.high),
                pounds(bar.npv_low),
                pounds(bar.npv_high),
                pounds(bar.swing),
            )
            for bar in reading.bars
        ],
        "switches": [
            (
                reading.labels[switch.input],
                number(switch.value),
                "none in range" if switch.switching_value is None else number(switch.switching_value),
                "" if switch.change is None else f"{switch.change:+.1%}",
            )
            for switch in reading.switches
        ],
        "simulation": _simulation(reading),
        "unit_costs": [
            {
                "outcome": used.outcome,
                "code": used.reference,
                "description": used.description,
                "agency": used.agency,
                "unit": used.unit,
                "original": f"{pounds(used.original_value, pennies=True)} ({used.price_year} prices)",
                "value": pounds(used.value, pennies=True),
                "flag": used.flag.value,
                "source": used.source,
                "attribution": used.attribution,
            }
            for used in reading.scenario.unit_costs
        ],
        "base_prices": financial_year_label(appraisal.base_year),
        "deflators": reading.scenario.deflators.source if reading.scenario.deflators else "",
        "optimism_bias": ", ".join(
            f"grade {grade}: {correction:.0%}"
            for grade, correction in appraisal.optimism_bias.corrections.items()
        ),
        "optimism_bias_source": appraisal.optimism_bias.source,
    }


def _by_year(table: Mapping[str, tuple[float, ...]]) -> dict[str, list[Any]]:
    """A year a row and an agency a column, with the totals: agencies are few, years may be many."""
    agencies = list(table)
    years = len(next(iter(table.values()), ()))
    rows = [
        [
            f"Year {year}",
            *(pounds(table[agency][year]) for agency in agencies),
            pounds(sum(values[year] for values in table.values())),
        ]
        for year in range(years)
    ]
    totals = [sum(table[agency]) for agency in agencies]
    return {
        "head": ["Year", *agencies, "All agencies"],
        "rows": [*rows, ["Total", *(pounds(total) for total in totals), pounds(sum(totals))]],
    }


def _cost_row(cost: Cost) -> tuple[str, str, str, str, str]:
    return (
        cost.agency,
        cost.type.value.replace("_", " "),
        str(cost.year),
        pounds(cost.amount),
        str(cost.confidence),
    )


def _outcome_row(index: int, outcome: Outcome, notes: Mapping[int, DrawnCohortNote]) -> dict[str, str]:
    note = notes.get(index)
    return {
        "name": outcome.name,
        "cohort": f"{outcome.cohort:,.0f}" if outcome.cohort.is_integer() else f"{outcome.cohort:,.2f}",
        "cohort_drawn": f"drawn from the linked data: {note.description} ({note.drawn_at})" if note else "",
        "engagement": f"{outcome.engagement:.0%}",
        "success": f"{outcome.success:.0%}",
        "deadweight": f"{outcome.deadweight:.0%}",
        "unit_value": pounds(outcome.unit_value, pennies=not outcome.unit_value.is_integer()),
        "benefit_type": outcome.benefit_type.label,
        "beneficiary": outcome.beneficiary,
        "years": f"{outcome.start_year} to {outcome.start_year + outcome.duration - 1}",
        "drop_off": f"{outcome.drop_off:.0%}",
        "confidence": str(outcome.confidence),
    }


def _simulation(reading: Reading) -> dict[str, Any] | None:
    simulation = reading.simulation
    if simulation is None:
        return None
    return {
        "rows": presenting.monte_carlo_rows(simulation),
        "draws": f"{simulation.draws:,}",
        "varied": [reading.labels[input] for input in simulation.varied],
        "positive": f"{simulation.probability_positive_npv:.1%}",
    }


# ---------------------------------------------------------------- the report


def html(
    env: Environment,
    reading: Reading,
    *,
    version: ScenarioVersion,
    notes: Mapping[int, DrawnCohortNote],
    place: str,
    at: datetime,
) -> str:
    """The board report as one HTML document that needs nothing beside it."""
    charts = {
        "who_benefits": _svg(
            presenting.who_benefits_chart(reading.result, width=CHART_WIDTH),
            "Each agency's benefits (above the line) and costs (below) by year",
        ),
        "tornado": _svg(
            presenting.tornado_chart(reading, width=CHART_WIDTH - 240),
            "The public value net present value with each input at its low and high value",
        ),
    }
    context = figures(reading, notes) | {
        "title": f"{reading.appraisal.name}: investment case",
        "version": version,
        "place": place,
        "made_at": f"{at:%-d %B %Y}",
        "charts": charts,
        "version_of_wholeplace": __version__,
    }
    return env.get_template(TEMPLATE).render(context)


def _svg(spec: dict[str, Any], label: str) -> Markup:
    drawn = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    return Markup(drawn.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1))  # noqa: S704 - vl-convert's own SVG


def pdf(document: str) -> bytes:
    """The report as PDF, from its HTML; nothing outside the document is fetched."""
    made: bytes = weasyprint.HTML(string=document, url_fetcher=_refuse).write_pdf()
    return made


def _refuse(url: str, *_args: object, **_kwargs: object) -> dict[str, Any]:
    raise FetchRefusedError(f"The report may not fetch {url}.")
