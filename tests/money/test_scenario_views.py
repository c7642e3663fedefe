"""Investment cases in the browser, on SQLite and PostgreSQL: a case built on the form gives the figures `wholeplace
cba run` gives for the same file, and its YAML goes out and comes back; bad rows are refused naming the row and
the field, what was typed kept; the results, who pays and who benefits, sensitivity and Monte Carlo ranges;
versions, comparison, cohorts from the linked data; finance leads change, analysts read, others are refused."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.identity.test_views import chart_spec, error_summary
from tests.money.test_scenario import EXAMPLE
from tests.money.test_scenario_store import RICHER, link
from tests.support import factories
from tests.support.web import csrf_from, post_form, sign_in
from wholeplace.core.models import User
from wholeplace.core.roles import Role
from wholeplace.demo.generate.place import generate_place
from wholeplace.money.cli import cba_app
from wholeplace.money.models import ScenarioVersion
from wholeplace.money.scenario_views import COHORT_NOTE, format_quantity, parse_quantity
from wholeplace.sources.lake import Lake

PAGE = "/money/scenarios"
Boxes = dict[str, str | list[str]]

# The example as a person types it into the form.
EXAMPLE_BOXES: Boxes = {
    "name": "Family intervention",
    "base_year": "2024",
    "years": "10",
    "discounting": "green_book",
    "rate": "",
    "cost-1-agency": "Riverford Council",
    "cost-1-type": "revenue",
    "cost-1-year": "0",
    "cost-1-amount": "£250,000",
    "cost-1-confidence": "1",
    "outcome-1-name": "Fewer domestic-abuse incidents",
    "outcome-1-cohort": "120",
    "outcome-1-engagement": "0.8",
    "outcome-1-success": "0.3",
    "outcome-1-deadweight": "0.2",
    "outcome-1-unit_value": "2500",
    "outcome-1-unit_cost_code": "",
    "outcome-1-benefit_type": "fiscal_cashable",
    "outcome-1-beneficiary": "Riverford Police",
    "outcome-1-start_year": "1",
    "outcome-1-duration": "3",
    "outcome-1-drop_off": "0.1",
    "outcome-1-confidence": "1",
}
# tests.money.test_scenario_store.RICHER as a person types it, with a blank row as the form sends it.
RICHER_BOXES: Boxes = {
    "name": "Troubled families, Riverford",
    "base_year": "2013",
    "years": "5",
    "discounting": "flat",
    "rate": "0.035",
    "cost-1-agency": "Riverford Council",
    "cost-1-type": "revenue",
    "cost-1-year": "0",
    "cost-1-amount": "180000",
    "cost-1-confidence": "2",
    "cost-2-agency": "",
    "cost-2-type": "",
    "cost-2-year": "",
    "cost-2-amount": "",
    "cost-2-confidence": "",
    "cost-3-agency": "Riverford Police",
    "cost-3-type": "in_kind",
    "cost-3-year": "1",
    "cost-3-amount": "20,000 to 40,000, most likely 25,000",
    "cost-3-confidence": "3",
    "outcome-1-name": "Fewer domestic-abuse incidents",
    "outcome-1-cohort": "120",
    "outcome-1-engagement": "0.8",
    "outcome-1-success": "0.2 to 0.4, most likely 0.3",
    "outcome-1-deadweight": "0.2",
    "outcome-1-unit_value": "",
    "outcome-1-unit_cost_code": "CR2.0.3",
    "outcome-1-benefit_type": "fiscal_cashable",
    "outcome-1-beneficiary": "",
    "outcome-1-start_year": "1",
    "outcome-1-duration": "3",
    "outcome-1-drop_off": "0.1",
    "outcome-1-confidence": "2",
    "outcome-2-name": "Children back in school",
    "outcome-2-cohort": "40",
    "outcome-2-engagement": "0.9",
    "outcome-2-success": "0.5",
    "outcome-2-deadweight": "0.1",
    "outcome-2-unit_value": "£1,800",
    "outcome-2-unit_cost_code": "",
    "outcome-2-benefit_type": "social",
    "outcome-2-beneficiary": "Riverford Council",
    "outcome-2-start_year": "2",
    "outcome-2-duration": "3",
    "outcome-2-drop_off": "",
    "outcome-2-confidence": "4",
}


@pytest.fixture
def fiona(db: Session) -> User:
    council = factories.agency(db, "Riverford Council")
    factories.agency(db, "Riverford Police")
    user = factories.user(db, Role.FINANCE_LEAD, username="fiona", at=council)
    db.commit()
    return user


@pytest.fixture
def finance(client: TestClient, fiona: User) -> TestClient:
    assert sign_in(client, "fiona", factories.PASSWORD).status_code == 303
    return client


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def box_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    if found is None:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def rows_in(spec: object, key: str) -> list[dict[str, object]]:
    """Every data row of a Vega-Lite spec that has this field, wherever the spec holds it."""
    if isinstance(spec, dict):
        own = [spec] if key in spec else []
        return own + [row for value in spec.values() for row in rows_in(value, key)]
    if isinstance(spec, list):
        return [row for value in spec for row in rows_in(value, key)]
    return []


def build(client: TestClient, boxes: Boxes, *, path: str = f"{PAGE}/new") -> str:
    """Send the form; the new version's page."""
    response = post_form(client, path, boxes | {"action": "save"})
    assert response.status_code == 303, error_summary(response.text)
    return str(response.headers["location"]).split("?")[0]


def cba_run_json(tmp_path: Path, text: str) -> dict[str, object]:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cba_app, ["run", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    ran: dict[str, object] = json.loads(result.output)
    return ran


# ---------------------------------------------------------------- the form and the file give the same figures


@pytest.mark.parametrize(("boxes", "file"), [(EXAMPLE_BOXES, EXAMPLE), (RICHER_BOXES, RICHER)])
def test_a_case_built_on_the_form_gives_the_figures_cba_run_gives_for_the_same_file(
    finance: TestClient, tmp_path: Path, boxes: Boxes, file: str
) -> None:
    page = build(finance, boxes)

    on_the_page = finance.get(f"{page}/results.json").json()

    assert on_the_page == cba_run_json(tmp_path, file)


def test_the_downloaded_yaml_runs_to_the_figures_the_page_shows(finance: TestClient, tmp_path: Path) -> None:
    page = build(finance, RICHER_BOXES)

    downloaded = finance.get(f"{page}/scenario.yaml")

    assert (
        downloaded.headers["content-disposition"] == 'attachment; filename="troubled-families-riverford.yaml"'
    )
    assert cba_run_json(tmp_path, downloaded.text) == finance.get(f"{page}/results.json").json()
    assert yaml.safe_load(downloaded.text)["costs"][1]["amount"] == {
        "low": 20000,
        "mode": 25000,
        "high": 40000,
    }


def test_a_case_opened_for_change_shows_what_was_typed_the_way_it_reads(finance: TestClient) -> None:
    page = build(finance, RICHER_BOXES)

    form = finance.get(f"{page}/edit").text

    assert box_value(form, "cost-2-amount") == "20000 to 40000, most likely 25000"
    assert box_value(form, "outcome-2-unit_value") == "1800"
    assert box_value(form, "rate") == "0.035"
    assert [box_value(form, f"cost-{row}-year") for row in (3, 4, 5)] == [
        "",
        "",
        "",
    ]  # blank rows to add more


# ---------------------------------------------------------------- mistakes


def test_bad_rows_are_refused_naming_the_row_and_field_keeping_what_was_typed(
    finance: TestClient, db: Session
) -> None:
    boxes = EXAMPLE_BOXES | {"outcome-1-success": "1.3", "cost-1-amount": "lots", "outcome-1-duration": ""}

    response = post_form(finance, f"{PAGE}/new", boxes | {"action": "save"})

    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Cost 1, amount: enter a number, or a range such as 0.2 to 0.4, most likely 0.3",
        "Outcome 1 (Fewer domestic-abuse incidents), success: must be between 0 and 1 (a share: 0.3 is 30%); it is 1.3",
        "Outcome 1 (Fewer domestic-abuse incidents), duration: enter the duration",
    ]
    assert 'href="#outcome-1-success"' in response.text
    assert (box_value(response.text, "cost-1-amount"), box_value(response.text, "outcome-1-success")) == (
        "lots",
        "1.3",
    )
    assert db.scalar(select(func.count()).select_from(ScenarioVersion)) == 0


def test_an_unknown_unit_cost_code_is_refused_on_its_box(finance: TestClient) -> None:
    boxes = EXAMPLE_BOXES | {
        "outcome-1-unit_value": "",
        "outcome-1-unit_cost_code": "XX9",
        "base_year": "2013",
    }

    response = post_form(finance, f"{PAGE}/new", boxes | {"action": "save"})

    assert response.status_code == 400
    [message] = error_summary(response.text)
    assert message.startswith(
        "Outcome 1 (Fewer domestic-abuse incidents), unit cost code: No unit cost has the code"
    )
    assert 'href="#outcome-1-unit_cost_code"' in response.text


def test_a_year_outside_the_appraisal_is_refused_on_its_box(finance: TestClient) -> None:
    response = post_form(finance, f"{PAGE}/new", EXAMPLE_BOXES | {"cost-1-year": "12", "action": "save"})

    assert error_summary(response.text) == [
        "Cost 1, year: 12 is outside the appraisal: the appraisal's years run from 0 (the base year) to 9"
    ]


# ---------------------------------------------------------------- results


def test_the_results_page_shows_the_figures_and_the_wrong_pocket_in_words(finance: TestClient) -> None:
    page = text_of(finance.get(build(finance, EXAMPLE_BOXES)).text)

    for shown in (
        "Present value of costs £250,000",
        "Present value of fiscal cashable benefits £146,126",
        "Net present budget impact (fiscal benefits less costs) -£103,874",
        "Financial return on investment (fiscal benefits ÷ costs) 0.58",
        "Payback year Not paid back within the 10 years",
        "Wrong pocket: Riverford Council pays £250,000 and gets £0 back, while Riverford Police saves £146,126 "
        "without paying.",
    ):
        assert shown in page


def test_who_benefits_is_drawn_by_agency_and_year_with_the_same_figures_in_tables(
    finance: TestClient,
) -> None:
    page = finance.get(build(finance, EXAMPLE_BOXES)).text

    bars = rows_in(chart_spec(page, "who-benefits"), "flow")
    assert {(bar["agency"], bar["year"], bar["pounds"]) for bar in bars} == {
        ("Riverford Police", 1, 57600.0),
        ("Riverford Police", 2, 51840.0),
        ("Riverford Police", 3, 46656.0),
        ("Riverford Council", 0, -250000.0),
    }
    tables = text_of(page)
    benefits = tables[tables.index("Benefits by year and agency") : tables.index("Costs by year and agency")]
    costs = tables[tables.index("Costs by year and agency") : tables.index("Sensitivity")]
    assert "Year Riverford Council Riverford Police All agencies" in benefits
    assert "Year 1 £0 £57,600 £57,600 Year 2 £0 £51,840 £51,840 Year 3 £0 £46,656 £46,656" in benefits
    assert "Total £0 £156,096 £156,096" in benefits
    assert "Year 0 £250,000 £0 £250,000" in costs
    assert "Total £250,000 £0 £250,000" in costs


def test_sensitivity_shows_the_tornado_and_switching_values(finance: TestClient) -> None:
    page = finance.get(build(finance, EXAMPLE_BOXES)).text

    assert chart_spec(page, "tornado")
    words = text_of(page)
    # The switching value of the cost: the NPV is zero where the cost equals the benefits, £146,126.41.
    assert "Cost 1 (Riverford Council): amount 250,000 146,126 -41.5%" in words
    assert "Outcome 1 (Fewer domestic-abuse incidents): cohort 96 144" in words


def test_monte_carlo_ranges_are_shown_when_the_case_states_ranges(finance: TestClient) -> None:
    ranged = text_of(finance.get(build(finance, RICHER_BOXES)).text)
    plain = text_of(finance.get(build(finance, EXAMPLE_BOXES)).text)

    assert "5th percentile (P5) Median (P50) 95th percentile (P95)" in ranged
    assert "10,000 draws of the inputs with a stated range" in ranged
    assert "No input of this case states a range" in plain


def test_the_unit_costs_used_are_shown_with_their_attribution(finance: TestClient) -> None:
    page = text_of(finance.get(build(finance, RICHER_BOXES)).text)

    assert "CR2.0.3 Fewer domestic-abuse incidents" in page
    assert "Unit Cost Database, New Economy / GMCA (2014 edition)" in page


# ---------------------------------------------------------------- versions, list and comparison


def test_changing_a_case_saves_a_new_version_and_the_old_one_stays(finance: TestClient) -> None:
    page = build(finance, EXAMPLE_BOXES)

    changed = build(finance, EXAMPLE_BOXES | {"cost-1-amount": "100000"}, path=f"{page}/edit")

    assert changed == page
    latest = finance.get(f"{page}/results.json").json()
    first = finance.get(f"{page}/results.json?version=1").json()
    assert (latest["pv_costs"], first["pv_costs"]) == (100000.0, 250000.0)
    versions = text_of(finance.get(page).text)
    assert "Version 2 of Family intervention Family intervention changed on the form fiona" in versions
    assert "Version 1 of Family intervention Family intervention built on the form fiona" in versions
    assert "This is an earlier version" in text_of(finance.get(f"{page}?version=1").text)


def test_the_list_shows_each_cases_headline_figures(finance: TestClient) -> None:
    build(finance, EXAMPLE_BOXES)

    listed = text_of(finance.get(PAGE).text)

    assert "Family intervention version 1" in listed
    assert "£250,000 £146,126 -£103,874 0.58 0.58 none" in listed


def test_two_cases_are_compared_side_by_side(finance: TestClient) -> None:
    first = build(finance, EXAMPLE_BOXES).rsplit("/", 1)[1]
    second = build(finance, EXAMPLE_BOXES | {"name": "Cheaper", "cost-1-amount": "100000"}).rsplit("/", 1)[1]

    compared = finance.get(f"{PAGE}/compare", params={"scenario": [first, second]})

    assert compared.status_code == 200
    words = text_of(compared.text)
    assert "Figure Family intervention Cheaper" in words
    assert "Public value net present value -£103,874 £46,126" in words
    assert "Public value return on investment 0.58 1.46" in words
    assert "Payback year none 2" in words


def test_comparing_fewer_than_two_cases_is_refused(finance: TestClient) -> None:
    only = build(finance, EXAMPLE_BOXES).rsplit("/", 1)[1]

    refused = finance.get(f"{PAGE}/compare", params={"scenario": [only]})

    assert refused.status_code == 400
    assert error_summary(refused.text) == ["Choose two or more scenarios to compare"]


# ---------------------------------------------------------------- upload


def upload(
    client: TestClient, text: str, *, path: str = f"{PAGE}/upload", name: str = "case.yaml"
) -> Response:
    token = csrf_from(client.get(path))
    response: Response = client.post(
        path,
        data={"csrf_token": token},
        files={"file": (name, text.encode("utf-8"), "application/yaml")},
        follow_redirects=False,
    )
    return response


def test_an_uploaded_file_becomes_a_case_with_the_figures_cba_run_gives(
    finance: TestClient, tmp_path: Path
) -> None:
    response = upload(finance, RICHER)

    assert response.status_code == 303
    page = response.headers["location"].split("?")[0]
    assert finance.get(f"{page}/results.json").json() == cba_run_json(tmp_path, RICHER)
    assert "uploaded from case.yaml" in text_of(finance.get(page).text)


def test_an_uploaded_file_with_mistakes_is_refused_line_by_line_and_nothing_kept(
    finance: TestClient, db: Session
) -> None:
    bad = RICHER.replace("success: 0.5", "success: 5").replace("confidence: 4", "confidence: 9")

    response = upload(finance, bad)

    assert response.status_code == 400
    told = text_of(response.text)
    assert "outcomes[1].success (line 23): must be between 0 and 1" in told
    assert "outcomes[1].confidence (line 30): must be a confidence grade" in told
    assert db.scalar(select(func.count()).select_from(ScenarioVersion)) == 0


# ---------------------------------------------------------------- who may


def test_analysts_read_cases_but_cannot_change_them(
    finance: TestClient, client: TestClient, db: Session
) -> None:
    page = build(finance, EXAMPLE_BOXES)
    finance.cookies.clear()
    factories.user(db, Role.ANALYST, username="ana")
    db.commit()
    assert sign_in(client, "ana", factories.PASSWORD).status_code == 303

    assert client.get(page).status_code == 200
    assert client.get(f"{PAGE}/new").status_code == 403
    refused = post_form(client, f"{PAGE}/new", EXAMPLE_BOXES | {"action": "save"}, from_page=PAGE)
    assert refused.status_code == 403
    assert "Build a new case" not in client.get(PAGE).text


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}/new", "/money/unit-costs"])
def test_practitioners_are_refused(client: TestClient, db: Session, path: str) -> None:
    factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="pat")
    db.commit()
    assert sign_in(client, "pat", factories.PASSWORD).status_code == 303

    assert client.get(path).status_code == 403


# ---------------------------------------------------------------- a cohort from the linked data


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("place")
    generate_place(residents=300, seed=11, out=out)
    return out


def test_a_cohort_drawn_on_the_form_fills_the_outcome_and_is_kept_with_how_it_was_drawn(
    client: TestClient, db: Session, generated: Path, tmp_path: Path
) -> None:
    link(db, generated, Lake.in_data_dir(tmp_path))  # the app's data directory is the test's tmp_path
    factories.user(db, Role.FINANCE_LEAD, username="fiona")
    db.commit()
    assert sign_in(client, "fiona", factories.PASSWORD).status_code == 303
    cohort = {
        "cohort-query": "households_with_agencies",
        "cohort-agencies": "3",
        "cohort-neighbourhood": "",
        "cohort-row": "1",
    }

    drawn = post_form(client, f"{PAGE}/new", EXAMPLE_BOXES | cohort | {"action": "cohort"})

    assert drawn.status_code == 200
    count = box_value(drawn.text, "outcome-1-cohort")
    assert count is not None and count.isdigit() and count != "120"
    assert (
        f"{int(count):,} households with involvements recorded by at least 3 different agencies"
        in text_of(drawn.text)
    )
    notes: Boxes = {
        f"outcome-1-{name}": box_value(drawn.text, f"outcome-1-{name}") or "" for name in COHORT_NOTE
    }
    page = build(client, EXAMPLE_BOXES | {"outcome-1-cohort": count} | notes)
    words = text_of(client.get(page).text)
    assert f"the cohort of {count} was drawn from the linked data: households with involvements" in words
    assert f"# outcomes[0].cohort {count}: households with" in client.get(f"{page}/scenario.yaml").text


# ---------------------------------------------------------------- the boxes' numbers and ranges


amounts = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(amounts)
def test_a_number_reads_back_as_the_box_shows_it(value: float) -> None:
    assert parse_quantity(format_quantity(value)) == value


@given(amounts, amounts, amounts)
def test_a_range_reads_back_as_the_box_shows_it(first: float, second: float, third: float) -> None:
    low, mode, high = sorted((first, second, third))
    triangular = {"low": low, "mode": mode, "high": high}
    uniform = {"low": low, "high": high, "distribution": "uniform"}

    assert parse_quantity(format_quantity(triangular)) == triangular
    assert parse_quantity(format_quantity(uniform)) == uniform


@pytest.mark.parametrize("typed", ["lots", "0,3", "1 to", "to 2", "0.2 to 0.4 most", "nan", "inf"])
def test_text_that_is_neither_a_number_nor_a_range_is_not_read_as_one(typed: str) -> None:
    assert parse_quantity(typed) is None
