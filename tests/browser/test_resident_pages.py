"""The information governance officer answers a demo resident's subject access request in Chromium: the case
reference asked for first, the printable report of who looked at the resident's data, the document of everything
held about them with its JSON download, and an access left out of the report for a while; axe-core runs on every
page."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import check_page
from tests.browser.test_sources import sign_in
from wholeplace.core.db import make_engine, session_factory
from wholeplace.governance.models import AccessLogEntry
from wholeplace.identity import service as identity
from wholeplace.sources.lake import Lake

pytestmark = pytest.mark.browser

CASE = "SAR-2026-014"
REPORT_CAPTION = "Each time someone was allowed to see your information, newest first"


@pytest.fixture(scope="module")
def demo_person(server: str, demo_data_dir: Path) -> str:
    """A demo person someone else has looked at, with records from the most agencies among them, read from the
    demo's own database and lake."""
    data_dir = demo_data_dir
    engine = make_engine(f"sqlite:///{data_dir / 'wholeplace.db'}")
    with session_factory(engine)() as db:
        looked_at = set(
            db.scalars(
                select(AccessLogEntry.subject_id).where(
                    AccessLogEntry.subject_kind == "person", AccessLogEntry.outcome == "permit"
                )
            )
        )
        linked = identity.linked_people(db, Lake.in_data_dir(data_dir)).to_pydict()
    engine.dispose()
    agencies = Counter(
        person
        for person, _ in set(zip(linked["person_id"], linked["source"], strict=True))
        if person in looked_at
    )
    return str(min(agencies, key=lambda person: (-agencies[person], person)))


def test_an_officer_answers_a_subject_access_request(page: Page, demo_person: str, tmp_path: Path) -> None:
    sign_in(page, "governance")
    page.goto(f"/governance/people/{demo_person}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer a subject access request")
    check_page(page, "subject-access-start")

    page.get_by_role("button", name="Who has looked at their data").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the case reference")
    check_page(page, "subject-access-start-error")

    page.get_by_label("Case reference of the subject access request").fill(CASE)
    page.get_by_role("button", name="Who has looked at their data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who has looked at your information")
    looks = page.get_by_role("table", name=REPORT_CAPTION).locator("tbody tr")
    expect(looks.first).to_contain_text("Subject access and oversight")
    expect(looks.filter(has_not_text="Subject access and oversight")).not_to_have_count(0)
    check_page(page, "subject-access-report")
    page.emulate_media(media="print")
    expect(page.locator(".govuk-breadcrumbs")).to_be_hidden()
    expect(page.get_by_role("columnheader", name="Log entry")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_role("link", name=f"Subject access request for person {demo_person}").click()
    page.get_by_role("button", name="Everything held about them").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Information held about you")
    expect(page.locator(".govuk-summary-card").first).to_contain_text("Record")
    expect(page.get_by_role("table", name=REPORT_CAPTION)).to_be_visible()
    check_page(page, "subject-access-document")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download it as a JSON file").click()
    saved = tmp_path / "export.json"
    waiting.value.save_as(saved)
    export = json.loads(saved.read_text(encoding="utf-8"))
    assert export["person_id"] == demo_person and export["records"]["person"]

    someone_else = page.get_by_role("table", name=REPORT_CAPTION).locator("tbody tr")
    someone_else = someone_else.filter(has_not_text="Subject access and oversight").first
    when = someone_else.locator("td").first.inner_text()
    someone_else.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("from the person's report")
    check_page(page, "subject-access-exemption")

    page.get_by_role("button", name="Leave it out of the report").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the ground")
    check_page(page, "subject-access-exemption-error")

    until = date.today() + timedelta(days=30)
    page.get_by_label("DPA 2018 Sch. 2 para. 2", exact=False).check()
    page.get_by_label("Day").fill(str(until.day))
    page.get_by_label("Month").fill(str(until.month))
    page.get_by_label("Year").fill(str(until.year))
    page.get_by_role("button", name="Leave it out of the report").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"until {until:%-d %B %Y}")
    check_page(page, "subject-access-exemption-recorded")

    page.goto(f"/governance/people/{demo_person}/access-report?case={CASE}")
    expect(page.get_by_role("table", name=REPORT_CAPTION)).not_to_contain_text(when)
