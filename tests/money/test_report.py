"""The board report of an investment case, on SQLite and PostgreSQL: one HTML file that needs nothing beside it
(no address outside it, style inline, charts inline SVG) holding the case's figures, and the same report as PDF."""

from __future__ import annotations

import html
import re
import zlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.money.test_scenario_views import EXAMPLE_BOXES, RICHER_BOXES, build, text_of
from tests.money.test_scenario_views import (
    finance as finance,  # a fixture, found by pytest through the import
)
from tests.money.test_scenario_views import fiona as fiona  # the fixture it needs
from tests.support import factories
from tests.support.web import sign_in
from wholeplace.core.roles import Role

OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", flags=re.IGNORECASE)


def pdf_strings(pdf: bytes) -> bytes:
    """The PDF's objects as text: its compressed streams inflated, so that its title and outline can be read."""
    inflated = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.DOTALL):
        try:
            inflated.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return b"\n".join(inflated)


def test_the_report_is_one_html_file_with_nothing_outside_it(finance: TestClient) -> None:
    page = build(finance, RICHER_BOXES)

    report = finance.get(f"{page}/report.html")

    assert report.status_code == 200
    assert (
        report.headers["content-disposition"] == 'attachment; filename="troubled-families-riverford-v1.html"'
    )
    assert OUTSIDE.search(report.text) is None
    assert re.search(r"<(?:link|script|img|iframe)\b", report.text) is None
    assert "<style>" in report.text


def test_the_report_draws_its_charts_as_inline_svg(finance: TestClient) -> None:
    report = finance.get(f"{build(finance, EXAMPLE_BOXES)}/report.html").text

    charts = [html.unescape(label) for label in re.findall(r'<svg role="img" aria-label="([^"]+)"', report)]

    assert charts == [
        "Each agency's benefits (above the line) and costs (below) by year",
        "The public value net present value with each input at its low and high value",
    ]


def test_the_report_holds_the_figures_and_the_wrong_pocket(finance: TestClient) -> None:
    report = text_of(finance.get(f"{build(finance, EXAMPLE_BOXES)}/report.html").text)

    for shown in (
        "Family intervention",
        "Present value of costs £250,000",
        "Present value of fiscal cashable benefits £146,126",
        "Public value net present value (all benefits less costs) -£103,874",
        "Wrong pocket: Riverford Council pays £250,000 and gets £0 back, while Riverford Police saves £146,126",
        "Year 1 £0 £57,600 £57,600 Year 2 £0 £51,840 £51,840",
        "Cost 1 (Riverford Council): amount 250,000 146,126 -41.5%",
    ):
        assert shown in report


def test_the_report_of_a_case_with_ranges_gives_its_monte_carlo_ranges_and_unit_costs(
    finance: TestClient,
) -> None:
    report = text_of(finance.get(f"{build(finance, RICHER_BOXES)}/report.html").text)

    assert "Monte Carlo ranges Figure Mean 5th percentile (P5) Median (P50) 95th percentile (P95)" in report
    assert "CR2.0.3 Fewer domestic-abuse incidents" in report
    assert "Unit Cost Database, New Economy / GMCA (2014 edition)" in report


def test_the_pdf_is_a_pdf_of_the_case(finance: TestClient) -> None:
    page = build(finance, EXAMPLE_BOXES | {"name": "Family intervention, Riverford"})

    pdf = finance.get(f"{page}/report.pdf")

    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert b"/Title (Family intervention, Riverford)" in pdf_strings(pdf.content)
    assert b"/Title (Who pays and who benefits)" in pdf_strings(pdf.content)  # the report's outline


def test_an_earlier_versions_report_is_of_that_version(finance: TestClient) -> None:
    page = build(finance, EXAMPLE_BOXES)
    build(finance, EXAMPLE_BOXES | {"cost-1-amount": "100000"}, path=f"{page}/edit")

    first = text_of(finance.get(f"{page}/report.html?version=1").text)

    assert "version 1, saved by fiona" in first
    assert "Present value of costs £250,000" in first


@pytest.mark.parametrize(("role", "status"), [(Role.ANALYST, 200), (Role.PRACTITIONER, 403)])
def test_analysts_may_read_the_report_and_practitioners_may_not(
    finance: TestClient, db: Session, role: Role, status: int
) -> None:
    page = build(finance, EXAMPLE_BOXES)
    finance.cookies.clear()
    factories.user(db, role, username="reader")
    db.commit()
    assert sign_in(finance, "reader", factories.PASSWORD).status_code == 303

    assert finance.get(f"{page}/report.html").status_code == status
    assert finance.get(f"{page}/report.pdf").status_code == status
