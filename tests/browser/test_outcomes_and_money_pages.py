"""The outcomes framework and the money pages of the demo place in Chromium: a programme manager reads the place's
scorecard, a measure's XmR chart and the scorecard's downloads, reads the children and families partnership's
scorecard and its download and opens its form, turns the absence curve with a new review and adds a result and an
indicator; an analyst changes a definition and computes it; a finance lead follows Total Place down
to the spend lines, builds an investment case with its board report, and reads the pooled budget and loads a new
forecast for it, and reads what the households many agencies work with cost them. axe-core runs on every page
reached.

The curve review and the investment case are written on SQLite and on PostgreSQL (`team_page`); the rest read or
write the SQLite demo once. No journey relies on what another writes, so their order does not matter."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Download, Locator, Page, expect

from tests.browser.conftest import check_page
from tests.browser.test_team_around_the_household import sign_in
from wholeplace.demo.outcomes import PARTNERSHIPS, PROGRAMMES, RESULTS

pytestmark = pytest.mark.browser

PROGRAMME_MANAGER = "programme"  # Owen Davies
ANALYST = "analyst"  # Priya Nair
FINANCE_LEAD = "finance"  # Siobhan Murphy
INDICATORS = [indicator.title for result in RESULTS for indicator in result.indicators]
ON_DATA_AGENDA = [
    indicator.title for result in RESULTS for indicator in result.indicators if indicator.data_agenda_note
]
ABSENCE = "Pupils persistently absent"
ATTENDANCES = "Emergency department attendances per 1,000 residents"
NEEDS = "Households with three or more needs"
COMPUTING = 60_000  # milliseconds: "Compute now" gathers the place's linked data first


def tile(page: Page, title: str) -> Locator:
    """The scorecard's tile of a measure: a summary card headed by its title."""
    return page.locator(".govuk-summary-card").filter(
        has=page.locator(".govuk-summary-card__title", has_text=title)
    )


def downloaded(page: Page, link: Locator) -> Download:
    with page.expect_download() as downloading:
        link.click()
    return downloading.value


def pounds(text: str) -> Decimal:
    """A sum of money as the pages write it, "£1,234" or "£1,234.56", as a number."""
    found = re.search(r"-?£[\d,]+(?:\.\d+)?", text)
    assert found, f"no sum of money in {text!r}"
    return Decimal(found.group(0).replace("£", "").replace(",", ""))


def open_scorecard(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Scorecards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scorecard of the place")


def test_a_programme_manager_reads_the_scorecard_a_measure_and_the_downloads(page: Page) -> None:
    sign_in(page, PROGRAMME_MANAGER)
    open_scorecard(page)
    for title in INDICATORS:
        expect(tile(page, title)).to_be_visible()
    for title in ON_DATA_AGENDA:
        expect(tile(page, title)).to_contain_text("Its data do not yet exist")
    for title in (ATTENDANCES, NEEDS):
        shown = tile(page, title)
        expect(shown.locator(".govuk-summary-list__row", has_text="Latest value")).to_contain_text(
            re.compile(r"\d .* in \d{4}/\d{2}")
        )
        expect(shown.locator("[data-wp-chart] svg")).to_be_visible()
    check_page(page, "outcomes-scorecard")
    titles = [one.strip() for one in page.locator(".govuk-summary-card__title").all_inner_texts()]

    as_csv = downloaded(page, page.get_by_role("link", name="CSV", exact=True))
    assert as_csv.suggested_filename.startswith("scorecard-")
    rows = list(csv.DictReader(io.StringIO(Path(as_csv.path()).read_text(encoding="utf-8-sig"))))
    assert [row["Measure"] for row in rows] == titles
    assert set(INDICATORS) <= {row["Measure"] for row in rows}
    as_excel = downloaded(page, page.get_by_role("link", name="Excel", exact=True))
    assert as_excel.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(as_excel.path()).read_bytes()), read_only=True).active
    assert sheet is not None
    header, *lines = list(sheet.iter_rows(values_only=True))
    measure_column = header.index("Measure")
    assert [line[measure_column] for line in lines] == titles

    tile(page, ATTENDANCES).get_by_role("link", name=re.compile(r"^Chart and values")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ATTENDANCES)
    expect(page.locator("#xmr-chart svg")).to_be_visible()
    points = page.get_by_role("table", name=f"Values of {ATTENDANCES}: the whole place")
    expect(points.locator("tbody tr").first).to_be_visible()
    counted = re.match(r"(\d+) values from", page.get_by_text(re.compile(r"^\d+ values from")).inner_text())
    assert counted, "the chart's sentence says how many values it draws"
    expect(points.locator("tbody tr")).to_have_count(int(counted.group(1)))
    check_page(page, "outcomes-measure")


def test_a_programme_manager_reads_a_partnership_s_scorecard_and_opens_its_form(page: Page) -> None:
    children = PARTNERSHIPS[0]
    owned = [
        indicator.title
        for result in RESULTS
        if result.title in children.results
        for indicator in result.indicators
    ]
    overseen = [
        measure.title
        for programme in PROGRAMMES
        if programme.name in children.programmes
        for measure in programme.measures
    ]
    sign_in(page, PROGRAMME_MANAGER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes framework").click()
    page.get_by_role("link", name="Partnerships", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnerships")
    listed = page.get_by_role("table", name="The place's partnerships")
    expect(listed.locator("tbody tr")).to_have_count(len(PARTNERSHIPS))
    expect(listed.get_by_role("row", name=re.compile(f"^{children.name}"))).to_contain_text("Owen Davies")
    check_page(page, "outcomes-partnerships")

    listed.get_by_role("link", name=re.compile(f"^{children.name}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(children.name)
    for title in (*owned, *overseen):
        expect(tile(page, title)).to_be_visible()
    expect(page.locator(".govuk-summary-card")).to_have_count(len(owned) + len(overseen))
    for title in children.results:
        expect(page.get_by_role("heading", name=title, level=3)).to_be_visible()
    check_page(page, "outcomes-partnership-scorecard")
    titles = [one.strip() for one in page.locator(".govuk-summary-card__title").all_inner_texts()]
    as_csv = downloaded(page, page.get_by_role("link", name="CSV", exact=True))
    assert as_csv.suggested_filename.startswith("scorecard-riverford-children-and-families-partnership-")
    rows = list(csv.DictReader(io.StringIO(Path(as_csv.path()).read_text(encoding="utf-8-sig"))))
    assert [row["Measure"] for row in rows] == titles

    tile(page, owned[0]).get_by_role("link", name=re.compile(r"^Chart and values")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(owned[0])
    page.go_back()
    page.get_by_role("link", name=re.compile(r"^Change the partnership")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the partnership")
    expect(page.get_by_label("Name", exact=True)).to_have_value(children.name)
    check_page(page, "outcomes-partnership-form")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_role("button", name="Save the partnership").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the partnership's name")
    check_page(page, "outcomes-partnership-form-refused")


def test_the_absence_curve_is_reviewed_again(team_page: Page) -> None:
    page = team_page
    sign_in(page, PROGRAMME_MANAGER)
    open_scorecard(page)
    tile(page, ABSENCE).get_by_role("link", name=re.compile(r"^Turn the curve")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ABSENCE)
    expect(page.locator("#curve-chart svg")).to_be_visible()
    expect(page.get_by_role("heading", name="The story behind the curve")).to_be_visible()
    expect(page.get_by_role("table", name="Partners with a role")).to_contain_text("Riverford Schools")
    reviewed = page.locator("p", has_text=re.compile(r"^Reviewed on .+ \(version \d+\)\.$")).first
    earlier = re.match(r"Reviewed on (.+) by (.+) \(version (\d+)\)\.", reviewed.inner_text())
    assert earlier, "the latest review says when, by whom and which version it is"
    earlier_on, earlier_by, earlier_version = earlier.group(1), earlier.group(2), int(earlier.group(3))
    check_page(page, "outcomes-curve")

    page.get_by_role("button", name="Record a review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the curve")
    check_page(page, "outcomes-curve-review")
    story = (
        "Absence has stopped rising since the morning check-ins began; the pupils still most often absent "
        "are those whose families moved home in the year."
    )
    page.get_by_label("The story behind the curve").fill(story)
    names = page.locator("input[id^='partner-'][id$='-name']")
    blank = next(index for index in range(names.count()) if names.nth(index).input_value() == "")
    assert blank > 0, "the form starts from the latest review's partners"
    names.nth(blank).fill("Riverford Homes housing options team")
    page.locator(f"#partner-{blank + 1}-role").fill("Tells schools of a move before the family goes.")
    page.get_by_role("button", name="Record the review").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("The review is recorded.")
    expect(page.get_by_text(f"(version {earlier_version + 1}).")).to_be_visible()
    expect(page.get_by_text(story)).to_be_visible()
    latest_partners = page.get_by_role("table", name="Partners with a role").first
    expect(latest_partners).to_contain_text("Riverford Homes housing options team")
    expect(page.get_by_role("heading", name="Earlier reviews")).to_be_visible()
    before = page.locator("details", has_text=f"Review of {earlier_on} by {earlier_by}")
    expect(before).to_have_count(1)
    before.locator("summary").click()
    expect(before).to_contain_text(f"(version {earlier_version})")
    expect(before).not_to_contain_text(story)
    check_page(page, "outcomes-curve-reviewed")


def test_a_programme_manager_adds_a_result_and_its_indicator(page: Page) -> None:
    result = "Older people live independently at home"
    indicator = "People over 75 still at home 91 days after leaving hospital"
    sign_in(page, PROGRAMME_MANAGER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes framework").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcomes framework")
    check_page(page, "outcomes-framework")

    page.get_by_role("button", name="Add a result").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a result")
    check_page(page, "outcomes-result-new")
    page.get_by_label("Result", exact=True).fill(result)
    page.get_by_label("A group of people in the place").check()
    page.get_by_label("Which group?").fill("People over 75")
    page.locator("input[name='priority'][value='no']").check()
    page.get_by_label("Who is accountable for it?").select_option(PROGRAMME_MANAGER)
    page.get_by_label("Higher is better").check()
    page.get_by_label("Unit").fill("the partners' judgement")
    page.get_by_role("button", name="Add the result").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Result added")
    expect(page.get_by_role("heading", level=1)).to_have_text(result)
    expect(page.locator(".govuk-summary-list").first).to_contain_text("People over 75")
    check_page(page, "outcomes-result")

    page.get_by_role("button", name="Add an indicator").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an indicator")
    check_page(page, "outcomes-indicator-new")
    page.get_by_label("Indicator", exact=True).fill(indicator)
    page.get_by_label("Who is accountable for it?").select_option(ANALYST)
    page.get_by_label("Higher is better").check()
    page.get_by_label("Unit").fill("% of people over 75")
    page.get_by_label("Baseline value").fill("82.5")
    page.get_by_label("Baseline period").fill("2024/25")
    page.get_by_label("Target 1 period").fill("2026/27")
    page.get_by_label("Target 1 value").fill("85")
    page.get_by_role("button", name="Add the indicator").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Indicator added")
    indicators = page.get_by_role("table", name=f"Indicators of {result}")
    expect(indicators).to_contain_text(indicator)
    expect(indicators).to_contain_text("85 % of people over 75 by 2026/27")
    check_page(page, "outcomes-result-with-indicator")

    page.get_by_role("link", name="Back to the outcomes framework").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcomes framework")
    expect(page.get_by_role("link", name=result, exact=True)).to_be_visible()
    listed = page.get_by_role("table", name=f"Indicators of {result}").get_by_role("row", name=indicator)
    expect(listed).to_contain_text("No values yet")
    expect(listed).to_contain_text("Priya Nair (analyst)")
    check_page(page, "outcomes-framework-built")


def test_an_analyst_changes_a_definition_and_computes_it(page: Page) -> None:
    reason = "Claiming Universal Credit or JSA is no longer counted as a sign of financial need on its own."
    needs = (
        "education: school_exclusion, persistent_absence; "
        "health: emergency_attendance, Home care, Reablement, Day care, Direct payment, Residential care, ESA; "
        "substance_use: antisocial_behaviour; "
        "childrens_safety: concern_for_child, child_in_need, child_protection, looked_after; "
        "crime: Community Order, Licence; domestic_abuse: domestic_abuse_incident; "
        "housing: homelessness_application, eviction; financial_stability: food_bank_visit"
    )
    sign_in(page, ANALYST)
    open_scorecard(page)
    tile(page, NEEDS).get_by_role("link", name=re.compile(r"^Chart and values")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NEEDS)
    page.get_by_role("link", name="The definition and its versions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How the values are computed")
    current = page.locator("#current")
    version = current.locator(".govuk-summary-list__row").filter(has=page.locator("dt", has_text="Version"))
    version = version.locator("dd").first
    expect(version).to_have_text("1")
    check_page(page, "outcomes-definition")

    page.get_by_label("Parameters").fill(f"needs = {needs}\nat_least = 3\nperiod = financial_year")
    page.get_by_label("What it counts, in plain words").fill(
        "Households whose members' records signal three or more areas of need in the year; a benefit claim "
        "alone is not a need."
    )
    page.get_by_label("Why it changes").fill(reason)
    page.get_by_role("button", name="Save the definition").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The definition is saved")
    expect(version).to_have_text("2")
    expect(current).to_contain_text(reason)
    expect(page.locator("#versions tbody tr")).to_have_count(1)
    check_page(page, "outcomes-definition-changed")

    page.get_by_role("button", name="Compute now").click()
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("Computed", timeout=COMPUTING)
    expect(outcome).not_to_contain_text("Not computed")
    check_page(page, "outcomes-definition-computed")

    page.get_by_role("link", name="Back to the measure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NEEDS)
    expect(page.locator("#xmr-chart svg")).to_be_visible()
    versions = page.get_by_role("table", name="Versions of the definition")
    second = versions.locator("tr", has=page.locator("td", has_text=re.compile(r"^v2$")))
    expect(second).to_contain_text(reason)
    points = page.get_by_role("table", name=f"Values of {NEEDS}: the whole place")
    definition_column = points.locator("tbody tr td:last-child")
    expect(definition_column.first).to_be_visible()
    assert set(definition_column.all_inner_texts()) == {"v2"}
    replaced = page.get_by_role("table", name="Values replaced in this series, the latest first")
    expect(replaced).to_contain_text("(v1)")
    check_page(page, "outcomes-measure-redefined")


def test_a_finance_lead_follows_total_place_down_to_the_lines(page: Page) -> None:
    sign_in(page, FINANCE_LEAD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Total Place").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Total Place")
    expect(page.locator("#flow-chart svg")).to_be_visible()
    for caption in (
        "Spend by agency",
        "Spend by agency and theme",
        "Spend per head by neighbourhood",
        "Prevention share by theme",
        "Spend by year",
    ):
        expect(page.get_by_role("table", name=caption, exact=True).locator("tbody tr").first).to_be_visible()
    check_page(page, "money-total-place")

    first = page.get_by_role("table", name="Spend by agency", exact=True).locator("tbody tr").first
    agency = first.locator("th").inner_text().strip()
    spend = pounds(first.get_by_role("link").inner_text())
    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spend lines")
    filters = page.locator(".govuk-summary-list")
    expect(filters.locator(".govuk-summary-list__row", has_text="Agency")).to_contain_text(agency)
    lines = page.get_by_role("table", name=re.compile(r"^Spend lines"))
    agencies = lines.locator("tbody tr td:first-child")
    expect(agencies.first).to_be_visible()
    assert set(agencies.all_inner_texts()) == {agency}
    # The agency's figure on Total Place is in whole pounds; the lines behind it add up to it to the penny.
    assert pounds(page.locator("#showing").inner_text()).quantize(Decimal(1)) == spend
    check_page(page, "money-spend-lines")


def test_a_finance_lead_builds_an_investment_case_and_downloads_its_report(team_page: Page) -> None:
    page = team_page
    name = "Attendance mentoring for pupils persistently absent"
    sign_in(page, FINANCE_LEAD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Investment cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Investment cases")
    check_page(page, "money-scenarios")

    page.get_by_role("button", name="Build a new case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New investment case")
    check_page(page, "money-scenario-new")
    page.locator("#name").fill(name)
    page.locator("#cost-1-agency").select_option("Riverford Schools")
    page.locator("#cost-1-type").select_option("revenue")
    page.locator("#cost-1-year").fill("0")
    page.locator("#cost-1-amount").fill("120,000")
    page.locator("#cost-1-confidence").select_option("1")  # most confident: no optimism-bias uplift
    page.locator("#outcome-1-name").fill("Fewer pupils excluded")
    page.locator("#outcome-1-benefit_type").select_option("fiscal_cashable")
    page.locator("#outcome-1-cohort").fill("150")
    page.locator("#outcome-1-engagement").fill("0.7")
    page.locator("#outcome-1-success").fill("0.4")
    page.locator("#outcome-1-deadweight").fill("0.2")
    page.locator("#outcome-1-unit_value").fill("9,000")
    page.locator("#outcome-1-beneficiary").select_option("Riverford Borough Council")
    page.locator("#outcome-1-start_year").fill("1")
    page.locator("#outcome-1-duration").fill("3")
    page.locator("#outcome-1-drop_off").fill("0.1")
    page.locator("#outcome-1-confidence").select_option("2")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Saved as version 1")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    results = page.locator("#results-table")
    # Paid in year 0 at the highest confidence, the cost is neither discounted nor uplifted.
    assert pounds(results.locator("tr", has_text="Present value of costs").inner_text()) == 120_000
    cashable = results.locator("tr", has_text="Present value of fiscal cashable benefits")
    assert pounds(cashable.inner_text()) > 0
    who_pays = page.locator("#who-pays-table")
    expect(who_pays.locator("tr", has_text="Riverford Schools")).to_contain_text("£120,000")
    council = who_pays.locator("tr", has_text="Riverford Borough Council").locator("td")
    assert pounds(council.nth(1).inner_text()) == pounds(cashable.inner_text())
    expect(page.locator("#who-benefits svg")).to_be_visible()
    expect(page.locator("#tornado svg")).to_be_visible()
    check_page(page, "money-scenario")

    as_html = downloaded(page, page.get_by_role("link", name="Board report (HTML)"))
    assert as_html.suggested_filename.endswith("-v1.html")
    report = Path(as_html.path()).read_text(encoding="utf-8")
    assert name in report
    assert "<svg" in report
    as_pdf = downloaded(page, page.get_by_role("link", name="Board report (PDF)"))
    assert as_pdf.suggested_filename.endswith("-v1.pdf")
    assert Path(as_pdf.path()).read_bytes().startswith(b"%PDF")


def test_a_finance_lead_reads_the_pooled_budget_and_loads_a_new_forecast(page: Page, tmp_path: Path) -> None:
    sign_in(page, FINANCE_LEAD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pooled budgets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pooled budgets")
    check_page(page, "money-pooled-budgets")

    page.get_by_role("link", name="Riverford Early Help Pooled Fund").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverford Early Help Pooled Fund")
    expect(page.locator("#pooled-budget-chart svg")).to_be_visible()
    balance = pounds(page.locator(".govuk-inset-text").inner_text())
    partners = page.get_by_role("table", name=re.compile(r"^Each partner's contribution"))
    parts = [pounds(cell) for cell in partners.locator("tbody tr td:nth-child(4)").all_inner_texts()]
    assert len(parts) == 5 and sum(parts) == balance  # to the penny
    check_page(page, "money-pooled-budget")

    original = downloaded(page, page.get_by_role("link", name="Download the file (YAML)"))
    text = Path(original.path()).read_text(encoding="utf-8")
    hotter = tmp_path / "early-help-october.yaml"
    hotter.write_text(text.replace("forecast: 455000", "forecast: 500000"), encoding="utf-8")
    page.get_by_role("link", name="Pooled budgets", exact=True).first.click()
    page.get_by_role("button", name="Load a pooled budget's file (YAML)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Load a pooled budget")
    check_page(page, "money-pooled-budget-upload")
    page.get_by_label("Pooled budget's file (YAML)").set_input_files(str(hotter))
    page.get_by_role("button", name="Upload and check").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Loaded as version")
    # Domestic abuse early intervention forecast £45,000 more: the forecast underspend is £45,000 less.
    assert pounds(page.locator(".govuk-inset-text").inner_text()) == balance - 45_000

    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace("allocation: Tenancy sustainment, period: Q1", "allocation: Tenancy, period: Q1")
    )
    page.goto("/money/pooled-budgets/upload")
    page.get_by_label("Pooled budget's file (YAML)").set_input_files(str(broken))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("no allocation is called 'Tenancy'")
    check_page(page, "money-pooled-budget-refused")


def test_a_finance_lead_reads_what_the_households_many_agencies_work_with_cost(page: Page) -> None:
    sign_in(page, FINANCE_LEAD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Duplication").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Duplication")
    page.get_by_label("Financial year").select_option("2025-26")
    page.get_by_role("button", name="Show this year").click()
    expect(page.locator("#bands-chart svg")).to_be_visible()
    bands = page.get_by_role("table", name=re.compile(r"^Households by how many agencies"))
    expect(bands.locator("tbody tr")).to_have_count(5)
    # A household several agencies work with costs them more together than one only one agency works with.
    cost_of = [pounds(cell) for cell in bands.locator("tbody tr td:nth-child(5)").all_inner_texts()]
    assert cost_of[0] < cost_of[-1]
    expect(
        page.get_by_role("table", name=re.compile(r"^Pairs of services")).locator("tbody tr").first
    ).to_be_visible()
    check_page(page, "money-duplication")

    page.get_by_role("link", name="See the cost book's prices and where each comes from").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The cost book")
    expect(page.get_by_role("table", name="Each price, with where it comes from")).to_contain_text("CR2.0.3")
    check_page(page, "money-cost-book")


def test_a_finance_lead_sees_what_follows_a_domestic_abuse_incident_in_every_agency(page: Page) -> None:
    sign_in(page, FINANCE_LEAD)
    page.goto("/money/duplication")
    page.get_by_role("link", name="cracks in the jigsaw").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cracks in the jigsaw")
    check_page(page, "money-cracks-unasked")

    page.get_by_label("The event that opens the window").select_option(
        label="Vale Police: domestic abuse incident"
    )
    page.get_by_label("How long after it").select_option("12")
    page.get_by_label("Events in").select_option("2024-25")
    page.get_by_role("button", name="Show what followed").click()

    expect(page.get_by_role("heading", level=2)).to_contain_text(["Vale Police: domestic abuse incident"])
    expect(page.locator("#cracks-chart svg")).to_be_visible()
    agencies = page.get_by_role("table", name=re.compile(r"^What each agency bore"))
    police = agencies.locator("tbody tr", has_text="Vale Police").locator("td")
    # Incidents follow incidents: the people who had one cost the police more after it than people like them.
    assert pounds(police.nth(0).inner_text()) > pounds(police.nth(1).inner_text())
    expect(page.get_by_text("This describes what followed the event, not what it caused.")).to_be_visible()
    check_page(page, "money-cracks")
