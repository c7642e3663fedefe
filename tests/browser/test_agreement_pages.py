"""The information governance officer's journey through the sharing agreement pages of the demo place in
Chromium: a draft refused for its mistakes then saved, activated with a reason, a second version filled in from
the first and activated in its place, the two compared, and the export downloaded; axe-core runs on every page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page
from tests.browser.test_sources import sign_in

pytestmark = pytest.mark.browser

REFERENCE = "BROWSER-ISA-1"
COUNCIL, SCHOOLS = "Riverford Borough Council", "Riverford Schools"


def fill_date(page: Page, name: str, day: str, month: str, year: str) -> None:
    page.locator(f"#{name}-day").fill(day)
    page.locator(f"#{name}-month").fill(month)
    page.locator(f"#{name}-year").fill(year)


def fill_party(page: Page, number: int, agency: str) -> None:
    page.locator(f"#party-{number}-agency").select_option(agency)
    page.locator(f"#party-{number}-roles").check()
    page.locator(f"#party-{number}-roles-2").check()
    page.locator(f"#party-{number}-lawful_basis").select_option("6(1)(e)")


def fill_signatory(page: Page, number: int, name: str, agency: str) -> None:
    page.locator(f"#signatory-{number}-name").fill(name)
    page.locator(f"#signatory-{number}-role").fill("Director")
    page.locator(f"#signatory-{number}-agency").select_option(agency)
    fill_date(page, f"signatory-{number}-signed_on", "2", "3", "2026")


def activate(page: Page, reason: str) -> None:
    page.locator("#activate-reason").fill(reason)
    page.get_by_role("button", name="Activate agreement").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Agreement activated")


def test_an_officer_drafts_activates_revises_and_compares_an_agreement(page: Page, tmp_path: Path) -> None:
    sign_in(page, "governance")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Information governance").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Information governance")
    page.get_by_role("link", name="Sharing agreements").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sharing agreements")
    check_page(page, "agreements")

    page.get_by_role("button", name="Draft a new agreement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Draft a new sharing agreement")
    check_page(page, "agreement-new")

    page.get_by_label("Reference", exact=True).fill(REFERENCE)
    page.get_by_label("Title", exact=True).fill("Early help information sharing")
    fill_party(page, 1, COUNCIL)
    page.get_by_role("button", name="Save draft").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the date the agreement takes effect")
    expect(summary).to_contain_text("Add at least two parties")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Early help information sharing")
    check_page(page, "agreement-new-errors")

    summary.get_by_role("link", name="Enter the date the agreement takes effect").click()
    expect(page.locator("#effective_from-day")).to_be_focused()
    fill_date(page, "effective_from", "1", "4", "2026")
    fill_date(page, "review_by", "31", "3", "2027")
    fill_party(page, 2, SCHOOLS)
    page.get_by_label("Early-help coordination").check()
    identity = page.get_by_role("group", name="Name, date of birth and sex")
    for field in ("Given name", "Family name", "Date of birth"):
        identity.get_by_label(field, exact=True).check()
    page.get_by_label("How long recipients keep the data").fill("Until the plan closes, then six years.")
    fill_signatory(page, 1, "Helen Ward", COUNCIL)
    fill_signatory(page, 2, "Marcus Bell", SCHOOLS)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Draft saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("Early help information sharing")
    expect(page.get_by_text("Every check passes")).to_be_visible()
    check_page(page, "agreement-draft")

    page.get_by_role("link", name="Edit this draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit the draft")
    check_page(page, "agreement-edit")
    page.go_back()

    page.get_by_role("button", name="Activate agreement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the change")
    check_page(page, "agreement-activate-error")
    activate(page, "Signed by both parties at the partnership board")
    expect(page.get_by_role("table", name="Status history")).to_contain_text("Signed by both parties")
    check_page(page, "agreement-active")

    page.get_by_role("button", name="Make a new version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"New version of {REFERENCE}")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Early help information sharing")
    check_page(page, "agreement-new-version")
    page.get_by_label("Safeguarding children").check()
    page.get_by_label("How long recipients keep the data").fill("Six years after the case closes.")
    for number in (1, 2):
        fill_date(page, f"signatory-{number}-signed_on", "20", "10", "2026")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".govuk-caption-l")).to_contain_text("version 2 of 2")
    activate(page, "Safeguarding added at the board of 20 October")
    check_page(page, "agreement-version-2")

    page.get_by_role("link", name="Compare version 1 with this version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare versions")
    changes = page.get_by_role("table", name="What changed from version 1 to version 2")
    expect(changes).to_contain_text("Safeguarding children")
    expect(changes).to_contain_text("Added")
    expect(changes).to_contain_text("Changed")
    check_page(page, "agreement-compare")

    page.get_by_role("link", name="Version 2").first.click()
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download this version as JSON-LD").click()
    saved = tmp_path / "agreement.jsonld"
    downloading.value.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["dct:identifier"] == REFERENCE and document["schema:version"] == "2"

    page.get_by_role("link", name="Sharing agreements").first.click()
    listed = page.get_by_role("table", name="Sharing agreements, those needing attention first")
    expect(listed.get_by_role("row", name=REFERENCE)).to_contain_text("Active version 2")
    check_page(page, "agreements-after")
