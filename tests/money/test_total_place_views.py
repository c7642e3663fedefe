"""The Total Place page and the lines behind it, through the app on SQLite and PostgreSQL: the headline total and
per head, a year or every year, the flow diagram with its tables, each figure linking to lines that add up to it,
the lines page by page, every table as CSV, and the page for the roles that count money only."""

from __future__ import annotations

import csv
import html
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
import vl_convert
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.identity.test_views import chart_spec, error_summary
from tests.money.test_fdp import LINES, load_spend
from tests.support.factories import MOMENT
from tests.web.conftest import SignedInAs, signed_in_as  # noqa: F401 - a fixture, found by pytest through this import
from wholeplace.core import geography
from wholeplace.core.geography import NeighbourhoodRow
from wholeplace.core.roles import Role
from wholeplace.sources.lake import Lake

PAGE = "/money/total-place"
LINES_PAGE = f"{PAGE}/lines"


def text_of(page: str) -> str:
    main = page[page.index("<main") : page.index("</main>")]
    main = re.sub(r'<script type="application/json".*?</script>', "", main, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The cells of each body row of the table inside the element with this id."""
    found = re.search(rf'<div id="{table_id}">(.*?)</table>', page, re.DOTALL)
    assert found, f"the page has no table {table_id}"
    body = found.group(1).split("<tbody", 1)[1]
    return [
        [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    ]  # fmt: skip


def link_in_row(page: str, table_id: str, first_cell: str) -> str:
    found = re.search(rf'<div id="{table_id}">(.*?)</table>', page, re.DOTALL)
    assert found
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.DOTALL):
        if first_cell in row:
            href = re.search(r'href="([^"]+)"', row)
            assert href
            return html.unescape(href.group(1))
    raise AssertionError(f"no row for {first_cell}")


def csv_rows(client: TestClient, address: str) -> list[dict[str, str]]:
    response = client.get(address)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.fixture
def place(db: Session, tmp_path: Path) -> Lake:
    """The spend of LINES in the app's lake, and two neighbourhoods of 1,000 and 3,000 residents."""
    lake = Lake.in_data_dir(tmp_path)
    load_spend(db, lake, tmp_path / "extracts")
    geography.replace_neighbourhoods(
        db,
        [
            NeighbourhoodRow("N1", "Old Town", ("RF1",), 1_000),
            NeighbourhoodRow("N2", "Eastfield", ("RF2",), 3_000),
        ],
        now=MOMENT,
    )
    db.commit()
    return lake


@pytest.fixture
def finance(client: TestClient, signed_in_as: SignedInAs, place: Lake) -> TestClient:  # noqa: F811
    signed_in_as(Role.FINANCE_LEAD)
    return client


# ---------------------------------------------------------------- the page


def test_the_page_counts_the_latest_year_with_its_spend_per_head_and_what_is_not_placed(
    finance: TestClient,
) -> None:
    page = finance.get(PAGE)
    assert page.status_code == 200
    said = text_of(page.text)
    assert "2025-26 Public spend £76,470" in said
    assert "Spend per head £19.12 for each of 4,000 residents" in said
    assert "Counted from 3 spend lines of 2 agencies" in said
    assert "Not placed in a neighbourhood £1,235 (1.6%)" in said
    assert '<a class="govuk-service-navigation__link" href="/money/total-place"' in page.text


def test_every_year_together_and_the_trend_of_each(finance: TestClient) -> None:
    said = text_of(finance.get(PAGE, params={"year": "all"}).text)
    assert "Every year Public spend £77,470" in said and "over the 2 years" in said
    years = table_rows(finance.get(PAGE).text, "years-table")
    assert years == [
        ["2024-25", "£1,000 : the lines of 2024-25", "£0", "0.0%", "1"],
        ["2025-26", "£76,470 : the lines of 2025-26", "-£250", "Not known", "3"],
    ]


def test_a_year_without_spend_is_answered_in_the_error_summary(finance: TestClient) -> None:
    page = finance.get(PAGE, params={"year": "1999-00"})
    assert page.status_code == 400
    assert error_summary(page.text) == ["Choose a year from the list; there is no spend in 1999-00"]
    assert 'href="#year"' in page.text


def test_per_head_by_neighbourhood_lists_every_neighbourhood_and_the_spend_not_placed(
    finance: TestClient,
) -> None:
    rows = table_rows(finance.get(PAGE).text, "neighbourhoods-table")
    assert rows == [
        ["N1", "Old Town", "1,000", "£75,485 : the lines of Old Town", "£75.49"],
        ["N2", "Eastfield", "3,000", "-£250 : the lines of Eastfield", "-£0.08"],
        [
            "",
            "Not placed in a neighbourhood",
            "Not known",
            "£1,235 : the lines of Not placed in a neighbourhood",
            "Not known",
        ],
    ]


def test_the_prevention_share_of_each_theme(finance: TestClient) -> None:
    rows = table_rows(finance.get(PAGE, params={"year": "all"}).text, "prevention-table")
    assert rows[0][:6] == ["Crime", "£0", "£76,720", "£0", "£76,720 : the lines of Crime", "0.0%"]
    assert ["Not given", "£0", "£0", "£1,000", "£1,000 : the lines of Not given", "0.0%"] in rows


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.FINANCE_LEAD, 200),
        (Role.PROGRAMME_MANAGER, 200),
        (Role.ANALYST, 200),
        (Role.ADMINISTRATOR, 200),
        (Role.PRACTITIONER, 403),
        (Role.INFORMATION_GOVERNANCE_OFFICER, 403),
    ],
)
def test_the_page_is_for_those_who_count_the_money(
    client: TestClient,
    signed_in_as: SignedInAs,  # noqa: F811
    place: Lake,
    role: Role,
    status: int,
) -> None:
    signed_in_as(role)
    assert client.get(PAGE).status_code == status
    assert client.get(f"{LINES_PAGE}?agency=Vale+Police").status_code == status
    assert client.get(f"{PAGE}/agencies.csv").status_code == status


def test_a_place_without_spend_says_how_to_load_it(client: TestClient, signed_in_as: SignedInAs) -> None:  # noqa: F811
    signed_in_as(Role.FINANCE_LEAD)
    said = text_of(client.get(PAGE).text)
    assert "No spend lines yet" in said and "wholeplace spend import-fdp" in said


# ---------------------------------------------------------------- the flow diagram


def test_the_flow_diagram_draws_a_band_for_each_agency_and_theme_it_connects(finance: TestClient) -> None:
    spec = chart_spec(finance.get(PAGE, params={"year": "all"}).text, "flow-chart")
    data = {one["name"]: one.get("values", []) for one in spec["data"]}  # type: ignore[union-attr, index]
    assert {(band["agency"], band["theme"]) for band in data["bands"]} == {
        ("Vale Police", "Crime"),
        ("Riverford Homes", "Not given"),
    }  # Riverford Homes' housing was a credit this year: a band cannot be drawn for it
    assert [node["name"] for node in data["agencies"]] == ["Vale Police", "Riverford Homes"]
    svg = vl_convert.vega_to_svg(spec)
    assert "Vale Police £76.7k" in svg and "Crime £76.7k" in svg


# ---------------------------------------------------------------- the lines behind a figure


def test_a_figure_links_to_the_lines_behind_it_which_add_up_to_it(finance: TestClient) -> None:
    page = finance.get(PAGE).text
    rows = table_rows(page, "agencies-and-themes")
    assert rows[0] == ["Vale Police", "Crime", "£76,720 : the lines of Vale Police, Crime", "2"]
    lines = finance.get(link_in_row(page, "agencies-and-themes", "Vale Police"))
    said = text_of(lines.text)
    assert "Agency Vale Police" in said and "Theme Crime" in said and "Period 2025-26" in said
    assert "2 lines adding up to £76,719.76" in said
    assert 'Custody, cells and "holding"' in said


def test_the_lines_not_placed_are_reached_from_their_row(finance: TestClient) -> None:
    page = finance.get(PAGE).text
    address = link_in_row(page, "neighbourhoods-table", "Not placed in a neighbourhood")
    assert "area=%28not+given%29" in address
    said = text_of(finance.get(address).text)
    assert "Neighbourhood Not placed in a neighbourhood" in said and "1 line adding up to £1,234.56" in said


def test_the_lines_come_fifty_to_a_page_in_order(
    client: TestClient,
    signed_in_as: SignedInAs,  # noqa: F811
    db: Session,
    tmp_path: Path,
) -> None:
    many = [
        {**LINES[0], "amount": f"{number}.00", "service": f"Patrol {number:02d}"} for number in range(1, 61)
    ]
    load_spend(db, Lake.in_data_dir(tmp_path), tmp_path / "extracts", many)
    db.commit()
    signed_in_as(Role.ANALYST)
    first = client.get(LINES_PAGE, params={"agency": "Vale Police"}).text
    assert "60 lines adding up to £1,830.00. Showing lines 1 to 50." in text_of(first)
    assert f'href="{LINES_PAGE}?agency=Vale+Police&amp;page=2"' in first
    second = text_of(client.get(LINES_PAGE, params={"agency": "Vale Police", "page": 2}).text)
    assert "Showing lines 51 to 60." in second and "Patrol 51" in second and "Patrol 50" not in second


def test_removing_a_filter_widens_the_lines(finance: TestClient) -> None:
    page = finance.get(LINES_PAGE, params={"agency": "Vale Police", "theme": "crime"}).text
    remove = re.findall(r'href="([^"]*)">Remove', page)
    assert [html.unescape(address) for address in remove] == [
        f"{LINES_PAGE}?theme=crime",
        f"{LINES_PAGE}?agency=Vale+Police",
    ]


# ---------------------------------------------------------------- CSV


def test_each_table_downloads_as_csv_to_the_penny(finance: TestClient) -> None:
    agencies = csv_rows(finance, f"{PAGE}/agencies.csv?year=2025-26")
    assert agencies[0] == {
        "Agency": "Vale Police",
        "Spend": "76719.76",
        "Share of the total": "1.0033",
        "Lines": "2",
    }
    areas = csv_rows(finance, f"{PAGE}/neighbourhoods.csv?year=all")
    assert areas[-1]["Neighbourhood"] == "Not placed in a neighbourhood" and areas[-1]["Spend"] == "1234.56"
    assert sum(Decimal(row["Spend"]) for row in areas) == Decimal("77469.86")
    years = csv_rows(finance, f"{PAGE}/years.csv")
    assert [row["Year"] for row in years] == ["2024-25", "2025-26"]
    assert finance.get(f"{PAGE}/nothing.csv").status_code == 404
    assert finance.get(f"{PAGE}/agencies.csv?year=1999-00").status_code == 400


def test_the_lines_download_as_csv_with_formulas_neutralised(
    client: TestClient,
    signed_in_as: SignedInAs,  # noqa: F811
    db: Session,
    tmp_path: Path,
) -> None:
    load_spend(
        db, Lake.in_data_dir(tmp_path), tmp_path / "extracts", [{**LINES[0], "service": "=HYPERLINK(1)"}]
    )
    db.commit()
    signed_in_as(Role.FINANCE_LEAD)
    (row,) = csv_rows(client, f"{LINES_PAGE}.csv?agency=Vale+Police")
    assert row["service"] == "'=HYPERLINK(1)" and row["amount"] == "75485.20"
