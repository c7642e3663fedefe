"""Scenario files: the issue's example read into an appraisal, ranges and unit costs resolved, and every kind of
mistake refused with the field, its line and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wholeplace.core.errors import IngestError
from wholeplace.money.cba import (
    Appraisal,
    BenefitType,
    Cost,
    CostType,
    FlatRate,
    GreenBook,
    Input,
    Outcome,
)
from wholeplace.money.monte_carlo import Distribution, Shape
from wholeplace.money.scenario import load_scenario
from wholeplace.money.unit_costs import Flag
from wholeplace.money.yaml_fields import field_path

EXAMPLE = """\
name: Family intervention
base_year: 2024
years: 10
discounting: green_book          # or {rate: 0.035}
costs:
  - {agency: Riverford Council, type: revenue, year: 0, amount: 250000, confidence: 1}
outcomes:
  - name: Fewer domestic-abuse incidents
    cohort: 120
    engagement: 0.8
    success: 0.3
    deadweight: 0.2
    unit_value: 2500              # or unit_cost_code: a Unit Cost Database code
    benefit_type: fiscal_cashable  # fiscal_non_cashable | economic | social
    beneficiary: Riverford Police  # defaults to the unit cost's agency
    start_year: 1
    duration: 3
    drop_off: 0.1
    confidence: 1
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def changed(**fields: object) -> str:
    """The example with top-level fields replaced, or outcome fields (prefixed outcome_) replaced or removed."""
    document = yaml.safe_load(EXAMPLE)
    for name, value in fields.items():
        target, key = (
            (document["outcomes"][0], name.removeprefix("outcome_"))
            if name.startswith("outcome_")
            else (
                document,
                name,
            )
        )
        if value is None:
            target.pop(key)
        else:
            target[key] = value
    return yaml.safe_dump(document, sort_keys=False)


def refusal(tmp_path: Path, text: str, **options: Path) -> IngestError:
    with pytest.raises(IngestError) as raised:
        load_scenario(write(tmp_path, text), **options)
    return raised.value


def test_the_issues_example_is_read_into_an_appraisal(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, EXAMPLE))

    assert scenario.appraisal == Appraisal(
        name="Family intervention",
        base_year=2024,
        years=10,
        costs=(Cost("Riverford Council", CostType.REVENUE, 0, 250_000, 1),),
        outcomes=(
            Outcome(
                "Fewer domestic-abuse incidents",
                120,
                0.8,
                0.3,
                0.2,
                2500,
                BenefitType.FISCAL_CASHABLE,
                "Riverford Police",
                1,
                3,
                0.1,
                1,
            ),
        ),
        discounting=GreenBook(),
    )
    assert (scenario.distributions, scenario.unit_costs, scenario.deflators) == ({}, (), None)


def test_ranges_are_kept_for_monte_carlo_and_the_appraisal_uses_their_middle(tmp_path: Path) -> None:
    text = changed(
        outcome_success={"low": 0.2, "mode": 0.25, "high": 0.4},
        outcome_cohort={"low": 100, "high": 140, "distribution": "uniform"},
        costs=[
            {
                "agency": "Council",
                "type": "capital",
                "year": 0,
                "amount": {"low": 1, "mode": 2, "high": 4},
                "confidence": 2,
            }
        ],
    )

    scenario = load_scenario(write(tmp_path, text))

    assert scenario.distributions == {
        Input("outcomes", 0, "cohort"): Distribution(100, 140, None, Shape.UNIFORM),
        Input("outcomes", 0, "success"): Distribution(0.2, 0.4, 0.25, Shape.TRIANGULAR),
        Input("costs", 0, "amount"): Distribution(1, 4, 2, Shape.TRIANGULAR),
    }
    (outcome,) = scenario.appraisal.outcomes
    assert (outcome.success, outcome.cohort, scenario.appraisal.costs[0].amount) == (0.25, 120, 2)


def test_a_flat_rate_and_a_places_own_optimism_bias_table(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(tmp_path, changed(discounting={"rate": 0.05}, optimism_bias={2: 0.1, 3: 0.15}))
    )

    assert scenario.appraisal.discounting == FlatRate(0.05)
    table = scenario.appraisal.optimism_bias
    assert [table.correction(grade) for grade in range(1, 7)] == [0, 0.1, 0.15, 0.15, 0.25, 0.4]
    assert table.source == "scenario.yaml (optimism_bias)"


def test_a_unit_cost_code_gives_the_value_uprated_to_the_base_year_and_the_beneficiary(
    tmp_path: Path,
) -> None:
    text = changed(
        base_year=2013, outcome_unit_value=None, outcome_beneficiary=None, outcome_unit_cost_code="HE1.0"
    )

    scenario = load_scenario(write(tmp_path, text))

    (outcome,) = scenario.appraisal.outcomes
    assert outcome.unit_value == pytest.approx(1962, abs=0.5)  # the database's own figure in 2013-14 prices
    assert outcome.beneficiary == "NHS"
    (used,) = scenario.unit_costs
    assert (used.reference, used.original_value, used.price_year, used.flag) == (
        "HE1.0",
        1800,
        "2009-10",
        Flag.AMBER,
    )
    assert used.attribution == "Unit Cost Database, New Economy / GMCA (2014 edition)"
    assert scenario.deflators is not None and "Unit Cost Database" in scenario.deflators.source


def test_a_named_beneficiary_overrides_the_unit_costs_agency(tmp_path: Path) -> None:
    text = changed(base_year=2013, outcome_unit_value=None, outcome_unit_cost_code="HE1.0")

    (outcome,) = load_scenario(write(tmp_path, text)).appraisal.outcomes

    assert outcome.beneficiary == "Riverford Police"


def test_a_users_deflator_series_uprates_to_later_years(tmp_path: Path) -> None:
    (tmp_path / "hmt.csv").write_text(
        "financial_year,index,source\n2009-10,80,Test\n2024-25,100,Test\n", encoding="utf-8"
    )
    text = changed(outcome_unit_value=None, outcome_unit_cost_code="HE1.0", deflators="hmt.csv")

    scenario = load_scenario(write(tmp_path, text))

    assert scenario.appraisal.outcomes[0].unit_value == pytest.approx(1800 * 100 / 80)
    assert scenario.deflators is not None and scenario.deflators.source == "Test"


def test_the_command_lines_series_replaces_the_scenarios(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text("financial_year,index\n2009-10,90\n2024-25,100\n", encoding="utf-8")
    text = changed(outcome_unit_value=None, outcome_unit_cost_code="HE1.0", deflators="missing.csv")

    scenario = load_scenario(write(tmp_path, text), deflators=tmp_path / "other.csv")

    assert scenario.appraisal.outcomes[0].unit_value == pytest.approx(2000)


def test_a_places_own_unit_cost_is_used_and_uprated(tmp_path: Path) -> None:
    local = {
        "code": "RIV1",
        "description": "Riverford missing-from-home episode",
        "agency": "Riverford Police",
        "unit": "Per episode",
        "value": 1000,
        "price_year": "2010-11",
        "source": "Riverford Police finance, 2011",
        "flag": "A",
    }
    text = changed(
        base_year=2013,
        outcome_unit_value=None,
        outcome_beneficiary=None,
        outcome_unit_cost_code="riv1",
        unit_costs=[local],
    )

    scenario = load_scenario(write(tmp_path, text))

    assert scenario.appraisal.outcomes[0].unit_value == pytest.approx(1000 * 100 / 94.15105)
    assert scenario.appraisal.outcomes[0].beneficiary == "Riverford Police"
    assert scenario.unit_costs[0].attribution == "place-specific unit cost: Riverford Police finance, 2011"


def line_of(text: str, key: str | None) -> int:
    """The last line a key is written on (a list item's key may follow its "- "); the first line for None."""
    if key is None:
        return 1
    lines = [line.strip().removeprefix("- ") for line in text.splitlines()]
    return max(number for number, line in enumerate(lines, start=1) if line.startswith(f"{key}:"))


COST = {"agency": "Council", "type": "revenue", "year": 0, "amount": 1, "confidence": 1}
HE1 = {"outcome_unit_value": None, "outcome_unit_cost_code": "HE1.0"}


@pytest.mark.parametrize(
    ("text", "field", "key", "reason"),
    [
        (changed(outcome_deadweight=None), "outcomes[0].deadweight", "name", "is missing"),
        (changed(years=None), "years", None, "is missing"),
        (changed(outcome_success=1.3), "outcomes[0].success", "success", "must be between 0 and 1 (a share"),
        (changed(outcome_engagement=-0.1), "outcomes[0].engagement", "engagement", "must be between 0 and 1"),
        (
            changed(outcome_drop_off={"low": 0.1, "mode": 0.2, "high": 1.5}),
            "outcomes[0].drop_off",
            "drop_off",
            "must be between 0 and 1",
        ),
        (changed(outcome_cohort=-5), "outcomes[0].cohort", "cohort", "must be at least 0; it is -5"),
        (changed(outcome_cohort="many"), "outcomes[0].cohort", "cohort", "must be a number, or a range"),
        (changed(outcome_cohort=True), "outcomes[0].cohort", "cohort", "must be a number"),
        (
            changed(outcome_success={"low": 0.2, "high": 0.4}),
            "outcomes[0].success",
            "success",
            "a triangular distribution needs a mode between its low and its high",
        ),
        (
            changed(outcome_success={"low": 0.4, "high": 0.2, "distribution": "uniform"}),
            "outcomes[0].success",
            "success",
            "a distribution's low must be a number no greater than its high",
        ),
        (
            changed(outcome_success={"low": 0.2, "high": 0.4, "distribution": "normal"}),
            "outcomes[0].success",
            "success",
            "the distribution must be triangular or uniform, not 'normal'",
        ),
        (
            changed(outcome_success={"low": 0.2, "top": 0.4}),
            "outcomes[0].success",
            "success",
            "a range has low, mode, high and distribution, not top",
        ),
        (
            changed(outcome_benefit_type="fiscal"),
            "outcomes[0].benefit_type",
            "benefit_type",
            "input should be 'fiscal_cashable', 'fiscal_non_cashable', 'economic' or 'social' (it is 'fiscal')",
        ),
        (changed(outcome_confidence=7), "outcomes[0].confidence", "confidence", "must be a confidence grade"),
        (
            changed(outcome_duration=0),
            "outcomes[0].duration",
            "duration",
            "input should be greater than or equal to 1",
        ),
        (changed(outcome_colour="blue"), "outcomes[0].colour", "colour", "is not a field here"),
        (changed(discounting="treasury"), "discounting", "discounting", "must be green_book, or a flat rate"),
        (
            changed(discounting={"rate": 1.5}),
            "discounting",
            "discounting",
            "the rate must be at least 0 and below 1",
        ),
        (changed(years=0), "years", "years", "input should be greater than or equal to 1 (it is 0)"),
        (changed(name=""), "name", None, "must be some text"),
        (
            changed(costs=[{**COST, "year": 10}]),
            "costs[0].year",
            "year",
            "10 is outside the appraisal: the appraisal's years run from 0 (the base year) to 9",
        ),
        (
            changed(costs=[{**COST, "year": -1}]),
            "costs[0].year",
            "year",
            "input should be greater than or equal to 0",
        ),
        (
            changed(costs=[{**COST, "type": "wages"}]),
            "costs[0].type",
            "type",
            "input should be 'capital', 'revenue' or 'in_kind' (it is 'wages')",
        ),
        (changed(costs=[{**COST, "amount": -1}]), "costs[0].amount", "amount", "must be at least 0"),
        (
            changed(outcome_start_year=12),
            "outcomes[0].start_year",
            "start_year",
            "12 is outside the appraisal",
        ),
        (changed(outcome_unit_value=None), "outcomes[0].unit_value", "name", "is missing"),
        (
            changed(outcome_unit_cost_code="HE1.0"),
            "outcomes[0].unit_value",
            "unit_value",
            "give either unit_value or unit_cost_code, not both",
        ),
        (
            changed(outcome_beneficiary=None),
            "outcomes[0].beneficiary",
            "name",
            "is missing: with a unit_value, say which agency gains",
        ),
        (
            changed(outcome_unit_value=None, outcome_unit_cost_code="ZZ9.9"),
            "outcomes[0].unit_cost_code",
            "unit_cost_code",
            "No unit cost has the code 'ZZ9.9'",
        ),
        (
            changed(outcome_unit_value=None, outcome_unit_cost_code="CR7.0.3"),
            "outcomes[0].unit_cost_code",
            "unit_cost_code",
            "CR7.0.3 names 3 rows",
        ),
        (changed(**HE1), "outcomes[0].unit_cost_code", "unit_cost_code", "The GDP deflator series"),
        (
            changed(optimism_bias={3: 0.01}),
            "optimism_bias",
            "optimism_bias",
            "A lower confidence (a higher grade) cannot have a smaller optimism-bias correction",
        ),
        (changed(optimism_bias={9: 0.01}), "optimism_bias[9]", "9", "must be a confidence grade"),
        (changed(optimism_bias={2: 1.0}), "optimism_bias[2]", "2", "input should be less than 1"),
    ],
)
def test_a_bad_scenario_is_refused_with_the_field_its_line_and_the_reason(
    tmp_path: Path, text: str, field: str, key: str | None, reason: str
) -> None:
    error = refusal(tmp_path, text)

    assert error.where == "scenario.yaml"
    assert error.problem.startswith("The scenario has 1 problem:\n")
    assert f"  {field} (line {line_of(text, key)}): {reason}" in error.problem, error.problem


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    error = refusal(tmp_path, changed(outcome_success=2, outcome_deadweight=None, years=-1))

    assert error.problem.startswith("The scenario has 3 problems:")
    assert all(
        field in error.problem for field in ("  years", "  outcomes[0].success", "  outcomes[0].deadweight")
    )


def test_an_outcome_priced_outside_the_deflator_series_says_what_to_supply(tmp_path: Path) -> None:
    error = refusal(tmp_path, changed(**HE1))

    assert "covers 2000-01 to 2013-14, with no value for 2024-25" in error.problem
    assert "financial_year,index" in error.fix and "--deflators FILE.csv" in error.fix


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    error = refusal(tmp_path, EXAMPLE.replace("  - name: Fewer", "  - name: [Fewer"))

    assert (error.where, error.line) == ("scenario.yaml, line 9", 9)
    assert "not valid YAML" in error.problem


@pytest.mark.parametrize("text", ["- a list\n", "just words\n", ""])
def test_a_file_that_is_not_a_set_of_fields_is_refused(tmp_path: Path, text: str) -> None:
    assert "A scenario is a set of fields" in refusal(tmp_path, text).problem


def test_a_file_that_is_not_utf8_or_not_there_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "latin.yaml").write_bytes("name: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(IngestError, match="not UTF-8"):
        load_scenario(tmp_path / "latin.yaml")
    with pytest.raises(IngestError, match="cannot be opened"):
        load_scenario(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("path", "written"),
    [(("outcomes", 0, "success"), "outcomes[0].success"), (("years",), "years"), ((), "the file")],
)
def test_field_paths_are_written_as_in_the_file(path: tuple[str | int, ...], written: str) -> None:
    assert field_path(path) == written
