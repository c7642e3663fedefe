"""`wholeplace cba ...` as a person runs it: `cba run` as a real process (JSON for machines, a message for
mistakes); the other commands through the same Typer app in this process, which starts much faster."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.money.test_scenario import EXAMPLE, changed
from wholeplace.core.errors import IngestError
from wholeplace.money.cli import cba_app

KEYS = {
    "pv_costs",
    "pv_benefits",
    "net_present_budget_impact",
    "financial_roi",
    "public_value_npv",
    "public_value_roi",
    "payback_year",
    "benefits_by_agency_year",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from wholeplace.cli import main; main()", "cba", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def invoke(*args: str) -> str:
    """A command's output, run in this process; it must succeed."""
    result = CliRunner().invoke(cba_app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "family.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    return path


def test_json_has_the_issues_keys_and_the_worked_example(example: Path) -> None:
    ran = run("run", str(example), "--json")

    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert set(result) == KEYS
    assert result["pv_costs"] == 250000.0
    assert result["pv_benefits"] == {
        "fiscal_cashable": 146126.41,
        "fiscal_non_cashable": 0.0,
        "economic": 0.0,
        "social": 0.0,
    }
    assert result["net_present_budget_impact"] == -103873.59
    assert result["public_value_npv"] == -103873.59
    assert result["financial_roi"] == result["public_value_roi"] == 0.5845
    assert result["payback_year"] is None
    assert result["benefits_by_agency_year"]["Riverford Police"] == {
        "0": 0.0,
        "1": 57600.0,
        "2": 51840.0,
        "3": 46656.0,
        **{str(year): 0.0 for year in range(4, 10)},
    }
    assert list(result["benefits_by_agency_year"]["Riverford Council"]) == [str(year) for year in range(10)]


def test_the_summary_shows_who_pays_and_who_benefits(example: Path) -> None:
    ran = run("run", str(example))

    assert ran.returncode == 0, ran.stderr
    words = " ".join(ran.stdout.split())
    assert (
        "Wrong pocket: Riverford Council pays £250,000 and gets £0 back, while Riverford Police saves £146,126"
        in words
    )
    assert "Optimism bias by confidence grade" in words
    assert words.endswith(
        "Public value NPV -£103,874 (return 0.58); net present budget impact -£103,874; "
        "not paid back within the 10 years."
    )


def test_a_unit_cost_is_shown_with_its_attribution(tmp_path: Path) -> None:
    path = tmp_path / "alcohol.yaml"
    path.write_text(
        changed(base_year=2013, outcome_unit_value=None, outcome_unit_cost_code="HE1.0"), encoding="utf-8"
    )

    ran = run("run", str(path))

    assert ran.returncode == 0, ran.stderr
    words = " ".join(ran.stdout.split())
    assert "HE1.0 Alcohol misuse" in words
    assert "£1,800.00 in 2009-10 prices, £1,961.69 in 2013-14 prices; flag A" in words
    assert "Unit Cost Database, New Economy / GMCA (2014 edition)" in words


def test_a_bad_scenario_is_a_message_naming_the_field_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(EXAMPLE.replace("success: 0.3", "success: 1.3"), encoding="utf-8")

    ran = run("run", str(path), "--json")

    assert ran.returncode == 1
    assert "bad.yaml: The scenario has 1 problem:" in ran.stderr
    assert "outcomes[0].success (line 11): must be between 0 and 1" in " ".join(ran.stderr.split())
    assert "Traceback" not in ran.stderr
    assert ran.stdout == ""


def test_an_unknown_unit_cost_code_is_refused_with_where_to_look(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(changed(outcome_unit_value=None, outcome_unit_cost_code="ZZ9.9"), encoding="utf-8")

    with pytest.raises(IngestError) as raised:
        CliRunner().invoke(cba_app, ["run", str(path)], catch_exceptions=False)

    assert "outcomes[0].unit_cost_code (line 23): No unit cost has the code 'ZZ9.9'" in raised.value.problem
    assert "wholeplace cba unit-costs" in raised.value.fix


def test_sensitivity_gives_a_tornado_and_switching_values(example: Path) -> None:
    result = json.loads(invoke("sensitivity", str(example), "--json"))

    assert result["public_value_npv"] == -103873.59
    assert len(result["tornado"]) == len(result["switching_values"]) == 7
    (amount,) = [entry for entry in result["switching_values"] if entry["input"] == "costs[0].amount"]
    assert amount["switching_value"] == pytest.approx(146126.41, abs=0.01)
    assert "7 inputs varied" in " ".join(invoke("sensitivity", str(example)).split())


def test_monte_carlo_summarises_the_stated_ranges(tmp_path: Path) -> None:
    path = tmp_path / "ranges.yaml"
    path.write_text(
        EXAMPLE.replace("success: 0.3", "success: {low: 0.2, mode: 0.3, high: 0.6}"), encoding="utf-8"
    )

    printed = invoke("monte-carlo", str(path), "--draws", "2000", "--seed", "5", "--json")

    result = json.loads(printed)
    assert (result["draws"], result["seed"], result["varied"]) == (2000, 5, ["outcomes[0].success"])
    npv = result["figures"]["public_value_npv"]
    assert npv["p5"] < npv["p50"] < npv["p95"]
    assert 0 <= result["probability_public_value_npv_positive"] <= 1
    assert invoke("monte-carlo", str(path), "--draws", "2000", "--seed", "5", "--json") == printed
    assert "100 draws; public value NPV above zero in" in " ".join(
        invoke("monte-carlo", str(path), "--draws", "100").split()
    )


def test_compare_shows_scenarios_side_by_side(example: Path, tmp_path: Path) -> None:
    cheaper = tmp_path / "cheaper.yaml"
    cheaper.write_text(
        EXAMPLE.replace("name: Family intervention", "name: Lighter touch").replace("250000", "100000")
    )

    first, second = json.loads(invoke("compare", str(example), str(cheaper), "--json"))

    assert (first["name"], second["name"]) == ("Family intervention", "Lighter touch")
    assert set(first) == KEYS | {"name", "file"}
    assert (first["payback_year"], second["payback_year"]) == (None, 2)
    table = invoke("compare", str(example), str(cheaper))
    assert "the highest public value NPV is Lighter touch's" in " ".join(table.split())


def test_unit_costs_are_searched_with_their_attribution() -> None:
    result = json.loads(invoke("unit-costs", "alcohol", "NHS", "--json"))

    assert result["attribution"] == "Unit Cost Database, New Economy / GMCA (2014 edition)"
    assert "HE1.0" in [cost["code"] for cost in result["unit_costs"]]
    table = invoke("unit-costs", "homicide", "prisons")
    assert "CR7.0.3#2" in table
    assert "Source: Unit Cost Database, New Economy / GMCA" in " ".join(table.split())
