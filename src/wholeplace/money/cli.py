"""Commands of the money domain: appraise a scenario, test its sensitivity, simulate its ranges, compare scenarios
side by side, and search the Unit Cost Database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wholeplace.money import monte_carlo, presenting, sensitivity
from wholeplace.money.cba import Appraised, BenefitType, appraise, compare
from wholeplace.money.deflators import financial_year_label
from wholeplace.money.scenario import Scenario, load_scenario
from wholeplace.money.unit_costs import ATTRIBUTION, EDITION, shipped_database

cba_app = typer.Typer(
    help="Money: cost-benefit analysis of prevention and integration, after HM Treasury's 2014 guidance for "
    "local partnerships.",
    no_args_is_help=True,
)

ScenarioFile = Annotated[
    Path, typer.Argument(help="A scenario file (YAML); see docs/money.md.", dir_okay=False)
]
Deflators = Annotated[
    Path | None,
    typer.Option(
        "--deflators",
        help="A GDP deflator series (CSV: financial_year,index) to uprate unit costs with, instead of the "
        "scenario's or the shipped one.",
        dir_okay=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@cba_app.command("run")
def run(scenario: ScenarioFile, deflators: Deflators = None, as_json: AsJson = False) -> None:
    """Appraise a scenario: present values of costs and benefits, returns, payback year, and who pays and who
    benefits, year by year."""
    loaded = load_scenario(scenario, deflators=deflators)
    result = appraise(loaded.appraisal)
    if as_json:
        typer.echo(json.dumps(presenting.result_as_json(result), indent=2))
        return
    _print_appraisal(Console(highlight=False), loaded, result)


@cba_app.command("sensitivity")
def sensitivity_command(
    scenario: ScenarioFile,
    swing: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="How far to vary an input without a stated range (0.2 is 20%)."),
    ] = sensitivity.DEFAULT_SWING,
    deflators: Deflators = None,
    as_json: AsJson = False,
) -> None:
    """One-way sensitivity of the public value net present value: a tornado of every input at its stated range
    (or the swing either side) and each input's switching value, where the net present value is zero."""
    loaded = load_scenario(scenario, deflators=deflators)
    appraisal = loaded.appraisal
    ranges = {input: (stated.low, stated.high) for input, stated in loaded.distributions.items()}
    bars = sensitivity.tornado(appraisal, ranges, swing=swing)
    switches = sensitivity.switching_values(appraisal)
    npv = appraise(appraisal).public_value_npv
    if as_json:
        typer.echo(json.dumps(presenting.sensitivity_as_json(npv, bars, switches), indent=2))
        return
    _print_sensitivity(Console(highlight=False), loaded, npv, bars, switches)


@cba_app.command("monte-carlo")
def monte_carlo_command(
    scenario: ScenarioFile,
    draws: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="How many draws.")
    ] = monte_carlo.DEFAULT_DRAWS,
    seed: Annotated[int | None, typer.Option(min=0, help="Fix the random draws, to repeat a run.")] = None,
    deflators: Deflators = None,
    as_json: AsJson = False,
) -> None:
    """Monte Carlo ranges of the headline figures from the ranges stated in the scenario."""
    loaded = load_scenario(scenario, deflators=deflators)
    simulation = monte_carlo.simulate(loaded.appraisal, loaded.distributions, draws=draws, seed=seed)
    if as_json:
        typer.echo(json.dumps(presenting.simulation_as_json(simulation), indent=2))
        return
    _print_simulation(Console(highlight=False), loaded, simulation)


@cba_app.command("compare")
def compare_command(
    scenarios: Annotated[
        list[Path], typer.Argument(help="The scenario files, shown side by side.", dir_okay=False)
    ],
    deflators: Deflators = None,
    as_json: AsJson = False,
) -> None:
    """Several scenarios' headline figures side by side."""
    loaded = [load_scenario(path, deflators=deflators) for path in scenarios]
    results = [appraise(scenario.appraisal) for scenario in loaded]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": scenario.appraisal.name,
                        "file": str(scenario.path),
                        **presenting.result_as_json(result),
                    }
                    for scenario, result in zip(loaded, results, strict=True)
                ],
                indent=2,
            )
        )
        return
    _print_comparison(Console(highlight=False), loaded, results)


@cba_app.command("unit-costs")
def unit_costs_command(
    words: Annotated[
        list[str] | None, typer.Argument(help="Words the code, description or agency contain.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Search the Unit Cost Database (2014 edition): codes to use as unit_cost_code in a scenario."""
    database = shipped_database()
    found = database.search(" ".join(words or []))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "attribution": f"{ATTRIBUTION} ({EDITION})",
                    "unit_costs": [presenting.unit_cost_as_json(c) for c in found],
                },
                indent=2,
            )
        )
        return
    console = Console(highlight=False)
    table = Table("Code", "Description", "Agency", "Unit", "Value", "Price year", "Flag")
    for cost in found:
        table.add_row(
            cost.reference,
            cost.description,
            cost.agency,
            cost.unit,
            presenting.pounds(float(cost.original_value), pennies=True),
            cost.price_year_label,
            cost.flag.value,
        )
    console.print(table)
    console.print(
        f"{len(found)} of {len(database.costs)} unit costs. Source: {ATTRIBUTION} ({EDITION}); each row cites "
        "its own source (see --json)."
    )


# ---------------------------------------------------------------- tables


def _print_appraisal(console: Console, scenario: Scenario, result: Appraised) -> None:
    appraisal = scenario.appraisal
    console.print(
        f"[bold]{appraisal.name}[/]: {presenting.horizon(appraisal)}; {presenting.discounting(appraisal)}."
    )
    console.print(_present_values(result))
    console.print(_who_pays_table(result))
    for sentence in presenting.wrong_pocket(result):
        console.print(sentence)
    console.print(_by_year_table(result))
    _print_sources(console, scenario)
    console.print(_summary(result))


def _present_values(result: Appraised) -> Table:
    table = Table(
        "Present value", "Value", title="Discounted to year 0, after optimism bias", title_justify="left"
    )
    table.add_row("Costs", presenting.pounds(result.pv_costs))
    for kind in BenefitType:
        table.add_row(f"Benefits: {kind.label}", presenting.pounds(result.pv_benefits[kind]))
    table.add_row(
        "Net present budget impact (fiscal benefits - costs)",
        presenting.pounds(result.net_present_budget_impact),
    )
    table.add_row("Financial return (fiscal benefits ÷ costs)", presenting.times(result.financial_roi))
    table.add_row(
        "Public value net present value (all benefits - costs)", presenting.pounds(result.public_value_npv)
    )
    table.add_row("Public value return (all benefits ÷ costs)", presenting.times(result.public_value_roi))
    table.add_row("Payback year", presenting.payback(result))
    return table


def _who_pays_table(result: Appraised) -> Table:
    table = Table(
        "Agency",
        "Pays",
        "Fiscal benefits",
        "Economic and social benefits",
        "Net (fiscal - pays)",
        title="Who pays and who benefits (present values)",
        title_justify="left",
    )
    for balance in result.balances:
        table.add_row(
            balance.agency,
            presenting.pounds(balance.pv_costs),
            presenting.pounds(balance.pv_fiscal_benefits),
            presenting.pounds(balance.pv_other_benefits),
            presenting.pounds(balance.net_fiscal),
        )
    return table


def _by_year_table(result: Appraised) -> Table:
    years = result.appraisal.years
    table = Table(
        "Agency",
        *(str(year) for year in range(years)),
        title="Benefits by agency and year (undiscounted, base-year prices, after optimism bias)",
        title_justify="left",
    )
    for agency, values in result.benefits_by_agency_year.items():
        table.add_row(agency, *(presenting.pounds(value) for value in values))
    return table


def _print_sources(console: Console, scenario: Scenario) -> None:
    base_year = financial_year_label(scenario.appraisal.base_year)
    for used in scenario.unit_costs:
        console.print(
            f"Unit cost for {used.outcome!r}: {used.reference} {used.description} ({used.agency}, {used.unit}), "
            f"{presenting.pounds(used.original_value, pennies=True)} in {used.price_year} prices, "
            f"{presenting.pounds(used.value, pennies=True)} in {base_year} prices; "
            f"flag {used.flag.value}; source: {used.source}. {used.attribution}."
        )
    if scenario.unit_costs and scenario.deflators is not None:
        console.print(f"Uprated with the GDP deflator series: {scenario.deflators.source}.")
    table = scenario.appraisal.optimism_bias
    grades = ", ".join(f"{grade}: {correction:.0%}" for grade, correction in table.corrections.items())
    console.print(f"Optimism bias by confidence grade ({grades}): {table.source}.")


def _summary(result: Appraised) -> str:
    npv, roi = presenting.pounds(result.public_value_npv), presenting.times(result.public_value_roi)
    impact = presenting.pounds(result.net_present_budget_impact)
    return (
        f"Public value NPV {npv} (return {roi}); net present budget impact {impact}; "
        f"{presenting.payback(result).lower()}."
    )


def _print_sensitivity(
    console: Console,
    scenario: Scenario,
    npv: float,
    bars: list[sensitivity.Bar],
    switches: list[sensitivity.SwitchingValue],
) -> None:
    names = presenting.input_names(scenario.appraisal)
    tornado = Table(
        "Input", "Low", "High", "NPV at low", "NPV at high", "Swing", title="Tornado", title_justify="left"
    )
    for bar in bars:
        tornado.add_row(
            names[bar.input],
            presenting.number(bar.low),
            presenting.number(bar.high),
            presenting.pounds(bar.npv_low),
            presenting.pounds(bar.npv_high),
            presenting.pounds(bar.swing),
        )
    console.print(tornado)
    switching = Table(
        "Input",
        "Value",
        "Switching value",
        "Change",
        title="Switching values (NPV = 0)",
        title_justify="left",
    )
    for switch in switches:
        found = switch.switching_value
        switching.add_row(
            names[switch.input],
            presenting.number(switch.value),
            "none in range" if found is None else presenting.number(found),
            "" if switch.change is None else f"{switch.change:+.1%}",
        )
    console.print(switching)
    console.print(
        f"Public value NPV {presenting.pounds(npv)}; {len(bars)} inputs varied, "
        f"{sum(switch.switching_value is not None for switch in switches)} with a switching value."
    )


def _print_simulation(console: Console, scenario: Scenario, simulation: monte_carlo.Simulation) -> None:
    if not simulation.varied:
        console.print(
            "No input has a stated range, so every draw is the same: give ranges such as "
            "{low: 0.2, mode: 0.3, high: 0.4} in the scenario."
        )
    names = presenting.input_names(scenario.appraisal)
    console.print("Varied: " + (", ".join(names[input] for input in simulation.varied) or "nothing") + ".")
    table = Table("Figure", "Mean", "5th percentile", "Median", "95th percentile")
    for name, summary in simulation.summaries().items():
        show = presenting.times if name.endswith("roi") else presenting.pounds
        table.add_row(
            name.replace("_", " "), *(show(presenting.finite(value)) for value in vars(summary).values())
        )
    console.print(table)
    console.print(
        f"{simulation.draws:,} draws; public value NPV above zero in {simulation.probability_positive_npv:.1%} of them."
    )


def _print_comparison(console: Console, scenarios: Sequence[Scenario], results: Sequence[Appraised]) -> None:
    table = Table("Figure", *(scenario.appraisal.name for scenario in scenarios))
    for figure in compare(results):
        table.add_row(figure.label, *(_figure(figure.unit, value) for value in figure.values))
    console.print(table)
    best = max(zip(scenarios, results, strict=True), key=lambda pair: pair[1].public_value_npv)
    console.print(f"{len(scenarios)} scenarios; the highest public value NPV is {best[0].appraisal.name}'s.")


def _figure(unit: str, value: float | int | None) -> str:
    if unit == "year":
        return "none" if value is None else str(value)
    if unit == "ratio":
        return presenting.times(None if value is None else float(value))
    return presenting.pounds(None if value is None else float(value))
