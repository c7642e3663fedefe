"""The analyst's journey through the Sources pages of the demo place in Chromium: the list, a source, an upload
that is refused and one whose rows are all set aside, then the quarantine, its filters and its download; axe-core
runs on every page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_page
from wholeplace.demo.service import DEMO_PASSWORD
from wholeplace.sources.mapping import Mapping, parse_mapping
from wholeplace.sources.standard import IDENTIFYING_FIELDS

pytestmark = pytest.mark.browser

SOURCE = "schools"


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def rows_to_set_aside(mapping: Mapping, folder: Path) -> Path:
    """A file in the source's own shape whose two rows cannot be records: one has no record id, the other
    nothing that identifies anyone. Loading it adds nobody to the demo place."""
    assert mapping.record_id is not None and mapping.file_format.type == "csv"
    columns = list(dict.fromkeys(column for column, _ in mapping.columns_used()))
    name_column = next(
        spec.column for spec in mapping.fields if spec.field in IDENTIFYING_FIELDS and spec.column
    )
    blank = dict.fromkeys(columns, "")
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, columns, delimiter=mapping.file_format.delimiter or ",", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerow({**blank, name_column: "Nobody"})
    writer.writerow({**blank, mapping.record_id: "BROWSER-TEST-1"})
    path = folder / "schools-corrections.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_an_analyst_checks_a_source_uploads_a_file_and_browses_its_quarantine(
    page: Page, tmp_path: Path
) -> None:
    sign_in(page, "analyst")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sources")
    expect(page.get_by_role("link", name=SOURCE, exact=True)).to_be_visible()
    check_page(page, "sources")

    page.get_by_role("link", name=SOURCE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SOURCE)
    expect(page.get_by_role("table", name="Sex")).to_be_visible()
    page.get_by_text("The mapping (version").click()
    mapping = parse_mapping(page.locator(".govuk-details pre").inner_text(), file=f"{SOURCE}.yaml")
    check_page(page, "sources-source")

    page.get_by_role("button", name="Upload a file for this source").click()
    expect(page.get_by_label("Source")).to_have_value(SOURCE)
    check_page(page, "sources-upload")
    not_the_extract = tmp_path / "notes.csv"
    not_the_extract.write_text("note,author\nCall back Tuesday,PN\n", encoding="utf-8")
    page.get_by_label("File", exact=True).set_input_files(not_the_extract)
    page.get_by_role("button", name="Upload and load").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("which notes.csv does not have")
    check_page(page, "sources-upload-error")

    page.get_by_label("File", exact=True).set_input_files(rows_to_set_aside(mapping, tmp_path))
    page.get_by_role("button", name="Upload and load").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "None of the 2 rows of schools-corrections.csv could be loaded"
    )
    check_page(page, "sources-source-loaded")

    page.get_by_role("link", name="See why rows were set aside").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rows set aside")
    expect(page.get_by_role("table", name="Rows set aside").locator("tbody tr")).to_have_count(2)
    check_page(page, "sources-quarantine")

    page.get_by_label("Reason").select_option("nothing_identifies")
    page.get_by_role("button", name="Filter rows").click()
    rows = page.get_by_role("table", name="Rows set aside").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("BROWSER-TEST-1")
    check_page(page, "sources-quarantine-filtered")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download these rows as CSV").click()
    assert download.value.suggested_filename.startswith(f"quarantine-{SOURCE}-")
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert lines[0][:3] == ["batch", "row", "column"] and len(lines) == 2


NEW_SOURCE = "browser_test_register"
NEW_AGENCY = "Browser Test Agency"
NEW_MAPPING = f"""\
source: {NEW_SOURCE}
agency: {NEW_AGENCY}
entity: person
format: {{type: csv, encoding: utf-8, delimiter: ",", header: true}}
record_id: ref
columns:
  given_name: first
  family_name: last
"""


def test_an_analyst_registers_a_source_after_correcting_its_mapping(page: Page) -> None:
    sign_in(page, "analyst")
    page.goto("/sources")
    page.get_by_role("button", name="Register a source").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a source")
    check_page(page, "sources-new")

    mistaken = NEW_MAPPING.replace("record_id: ref\n", "record_id: ref\ncolour: blue\n")
    page.get_by_label("Or paste the mapping").fill(mistaken)
    page.get_by_role("button", name="Register the source").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Pasted mapping, line 6: 'colour' is not part of a mapping")
    expect(page.get_by_label("Or paste the mapping")).to_have_value(mistaken)
    check_page(page, "sources-new-error")

    page.get_by_label("Or paste the mapping").fill(NEW_MAPPING)
    page.get_by_label("Kind of agency").select_option("voluntary")
    page.get_by_label("Sector").select_option("housing")
    page.get_by_role("button", name="Register the source").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_SOURCE)
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Registered the source {NEW_SOURCE} of {NEW_AGENCY}"
    )
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"added the agency {NEW_AGENCY}")
    check_page(page, "sources-new-registered")
