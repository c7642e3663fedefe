"""The analyst's journey through the Linkage pages of the demo place in Chromium: the quality of the linkage and
its chart, the review queue, a pair with its waterfall, a decision (first refused for want of a reason), and an
undone link on a person's page; axe-core runs on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page
from tests.browser.test_sources import sign_in

pytestmark = pytest.mark.browser


def test_an_analyst_reviews_a_pair_and_undoes_a_link(page: Page) -> None:
    sign_in(page, "analyst")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Linkage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linkage")
    expect(page.locator("#weight-chart svg")).to_be_visible()
    page.get_by_text("The chart's figures as a table").click()
    expect(page.get_by_role("table", name="Pairs by match weight and band")).to_be_visible()
    check_page(page, "linkage-quality")

    page.get_by_role("link", name="review queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pairs to review")
    expect(page.get_by_role("table", name="Pairs to review").locator("tbody tr")).to_have_count(25)
    check_page(page, "linkage-queue")

    page.get_by_role("table", name="Pairs to review").get_by_role("link", name="Review").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Are these records the same person?")
    expect(page.locator("#waterfall-chart svg")).to_be_visible()
    expect(page.get_by_role("table", name="The pair's match weight, step by step")).to_be_visible()
    expect(page.get_by_role("table", name="The two records side by side")).to_contain_text("Differs")
    check_page(page, "linkage-pair")

    page.get_by_label("Same person").check()
    page.get_by_role("button", name="Save decision and link again").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for your decision")
    check_page(page, "linkage-pair-error")

    page.get_by_label("Why?").fill("Same NHS number in the GP record, checked with the practice")
    page.get_by_role("button", name="Save decision and link again").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Decision saved: same person")
    expect(page.get_by_role("heading", level=1)).to_have_text("Are these records the same person?")
    check_page(page, "linkage-next-pair")

    banner.get_by_role("link").first.click()
    expect(page.locator(".govuk-caption-l")).to_have_text("Person, as linkage made them")
    check_page(page, "linkage-person")

    page.locator(".govuk-details__summary").first.click()
    page.locator("textarea[name=reason]").first.fill(
        "Different dates of birth: not the same person after all"
    )
    page.get_by_role("button", name="Undo this link").first.click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("Link undone")
    expect(page.get_by_role("table", name="Decisions on these records, newest first")).to_contain_text(
        "Undone link: different people"
    )
    check_page(page, "linkage-person-undone")

    banner.get_by_role("link").first.click()
    expect(page.get_by_role("table", name="How this person changed, newest first")).to_contain_text(
        "This person was made from"
    )
    check_page(page, "linkage-moved-record")
