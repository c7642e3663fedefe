"""The information governance officer's journey in Chromium: the overview, a search of the access log (first
mistaken), the review of an emergency access, and an objection recorded for a person (first refused for what is
missing); axe-core runs on every page.

The emergency is made the way a practitioner's page makes one, through the access decision, in the database of
the server the browser talks to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page
from tests.browser.test_sources import sign_in
from wholeplace.core import service as core
from wholeplace.core.db import transaction
from wholeplace.core.roles import Role
from wholeplace.core.runtime import Runtime
from wholeplace.core.settings import Settings
from wholeplace.governance.decision import Subject
from wholeplace.governance.service.decisions import Asker, disclose
from wholeplace.identity import service as identity
from wholeplace.sources.lake import Lake

pytestmark = pytest.mark.browser

PRACTITIONER = "practitioner"  # the demo's housing officer
REASON = "Tenant collapsed on the stairs; the ambulance crew asked for her health history"


@dataclass(frozen=True)
class Emergency:
    position: int
    person_id: str


@pytest.fixture(scope="module")
def emergency(server: str, demo_data_dir: Path) -> Emergency:
    """An emergency access by the demo's practitioner to a person of the demo place."""
    data_dir = demo_data_dir
    runtime = Runtime.from_settings(Settings(data_dir=data_dir, database_url=None))
    lake = Lake.in_data_dir(data_dir)
    try:
        with transaction(runtime.sessions) as db:
            person_id = str(identity.linked_people(db, lake).column("person_id")[0].as_py())
            agency = core.find_agency(db, "Riverford Homes")
            assert agency is not None
            disclosure = disclose(
                db,
                lake,
                asker=Asker(
                    username=PRACTITIONER, agency_id=agency.id, agency=agency.name, role=Role.PRACTITIONER
                ),
                purpose="vital_interests",
                subject=Subject("person", person_id),
                categories=("health",),
                case_reference="",
                at=datetime.now(UTC),
                break_glass_reason=REASON,
            )
    finally:
        runtime.engine.dispose()
    assert disclosure.permitted
    return Emergency(disclosure.position, person_id)


def test_an_officer_oversees_the_log_reviews_an_emergency_and_records_an_objection(
    page: Page, emergency: Emergency
) -> None:
    sign_in(page, "governance")
    page.goto("/governance")
    expect(page.get_by_role("heading", level=1)).to_have_text("Information governance")
    waiting = page.get_by_role("table", name="Break-glass accesses awaiting review")
    expect(waiting).to_contain_text(PRACTITIONER)
    check_page(page, "governance-overview")

    page.get_by_role("link", name="Search the access log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access log")
    check_page(page, "governance-access-log")

    page.get_by_label("Username").fill(PRACTITIONER)
    page.locator("#from-day").fill("31")
    page.locator("#from-month").fill("2")
    page.locator("#from-year").fill("2026")
    page.get_by_role("button", name="Search the log").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The first day must be a real date")
    check_page(page, "governance-access-log-error")

    page.locator("#from-day").fill("")
    page.locator("#from-month").fill("")
    page.locator("#from-year").fill("")
    page.get_by_role("button", name="Search the log").click()
    entries = page.get_by_role("table", name="Access log entries")
    expect(entries).to_contain_text("Break-glass")
    expect(entries.locator("tbody tr").first).to_contain_text(str(emergency.position))
    expect(page.get_by_role("button", name="Download these entries as CSV")).to_have_attribute(
        "href", f"/governance/access-log.csv?user={PRACTITIONER}"
    )
    check_page(page, "governance-access-log-search")

    page.goto("/governance")
    page.locator(f'a[href="/governance/break-glass/{emergency.position}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Break-glass access")
    expect(page.locator(".govuk-summary-list")).to_contain_text(REASON)
    check_page(page, "governance-break-glass")

    page.get_by_label("Yes, it was justified").check()
    page.get_by_label("What you found").fill(
        "Ambulance service confirmed the call-out and the crew's request."
    )
    page.get_by_role("button", name="Save review").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text(f"Review saved: break-glass access {emergency.position} was justified.")
    check_page(page, "governance-overview-reviewed")

    page.goto(f"/governance/people/{emergency.person_id}/choices")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consents and objections")
    check_page(page, "governance-choices")

    page.get_by_label("They object to the sharing").check()
    page.get_by_role("button", name="Record the choice").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select who made the choice")
    check_page(page, "governance-choices-error")

    page.get_by_label("They object to the sharing").check()
    page.get_by_label("Early-help coordination").check()
    page.get_by_label("The person", exact=True).check()
    page.get_by_label("What the choice rests on").fill(
        "Said so to her housing officer at the home visit, 3 June"
    )
    page.get_by_role("button", name="Record the choice").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Choice recorded")
    card = page.locator(".govuk-summary-card").filter(has_text="at the home visit, 3 June")
    expect(card).to_contain_text("Objection")
    expect(card).to_contain_text("Early-help coordination")
    check_page(page, "governance-choices-recorded")
