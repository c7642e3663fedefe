"""The duplication pages, on SQLite and PostgreSQL, before any linking: the cost book loaded by a finance lead
from its file, shown price by price with its sources, and downloaded as it was loaded; a book with a mistake
refused line by line and nothing kept; the Duplication page asking for a cost book, then for linked data; readers
read and practitioners are refused. The figures themselves are checked in the browser on the demo place."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.money.test_cost_book import BOOK
from tests.money.test_scenario_views import (
    finance as finance,  # a fixture, found by pytest through the import
)
from tests.money.test_scenario_views import fiona as fiona  # the fixture it needs
from tests.money.test_scenario_views import text_of
from tests.support import factories
from tests.support.web import csrf_from, sign_in
from wholeplace.core.roles import Role
from wholeplace.money.models import CostBookVersion

PAGE = "/money/duplication"
BOOK_PAGE = f"{PAGE}/cost-book"


def upload(client: TestClient, text: str) -> Response:
    token = csrf_from(client.get(f"{BOOK_PAGE}/upload"))
    response: Response = client.post(
        f"{BOOK_PAGE}/upload",
        data={"csrf_token": token},
        files={"file": ("costs.yaml", text.encode("utf-8"), "application/yaml")},
        follow_redirects=False,
    )
    return response


def test_without_a_cost_book_the_page_asks_for_one(finance: TestClient) -> None:
    told = text_of(finance.get(PAGE).text)

    assert "The place has no cost book yet" in told and "Load a cost book" in told


def test_a_loaded_cost_book_shows_each_price_with_its_source_and_downloads_as_loaded(
    finance: TestClient,
) -> None:
    loaded = upload(finance, BOOK)

    assert (loaded.status_code, loaded.headers["location"]) == (303, f"{BOOK_PAGE}?loaded=1")
    told = text_of(finance.get(loaded.headers["location"]).text)
    assert "The cost book is loaded" in told
    assert "Testford cost book , in 2013-14 prices" in told
    assert (
        "emergency_attendance (health_ed only) event Testford NHS £100.00 Trust costing 2013 (2013-14 prices)"
        in told
    )
    assert (
        "CR2.0.3: Domestic violence - fiscal cost per incident: police (Per incident, 2008-09 prices)" in told
    )
    assert "Unit Cost Database, New Economy / GMCA (2014 edition)" in told
    assert finance.get(f"{BOOK_PAGE}/file").text == BOOK


def test_with_a_cost_book_but_no_linked_data_the_page_says_to_link(finance: TestClient) -> None:
    upload(finance, BOOK)

    told = text_of(finance.get(PAGE, params={"year": "2025-26"}).text)

    assert "The linked data hold no households yet." in told


def test_a_cost_book_with_mistakes_is_refused_line_by_line_and_nothing_kept(
    finance: TestClient, db: Session
) -> None:
    refused = upload(finance, BOOK.replace("CR2.0.3", "ZZ9.9") + "deflators: mine.csv\n")

    assert refused.status_code == 400
    told = text_of(refused.text)
    assert (
        "deflators (line 8): names a file of GDP deflators, which a cost book kept in the place cannot use"
        in told
    )
    assert db.scalar(select(func.count()).select_from(CostBookVersion)) == 0
    again = text_of(upload(finance, BOOK.replace("CR2.0.3", "ZZ9.9")).text)
    assert "events[0].unit_cost_code (line 4):" in again


def test_analysts_read_the_cost_book_but_cannot_load_one(
    finance: TestClient, client: TestClient, db: Session
) -> None:
    upload(finance, BOOK)
    finance.cookies.clear()
    factories.user(db, Role.ANALYST, username="ana")
    db.commit()
    assert sign_in(client, "ana", factories.PASSWORD).status_code == 303

    assert client.get(BOOK_PAGE).status_code == 200
    assert client.get(f"{BOOK_PAGE}/upload").status_code == 403
    assert "Load a cost book" not in client.get(BOOK_PAGE).text


@pytest.mark.parametrize("path", [PAGE, BOOK_PAGE])
def test_practitioners_are_refused(client: TestClient, db: Session, path: str) -> None:
    factories.user(db, Role.PRACTITIONER, username="pat")
    db.commit()
    assert sign_in(client, "pat", factories.PASSWORD).status_code == 303

    assert client.get(path).status_code == 403


def test_the_file_of_a_place_without_a_cost_book_is_not_found(finance: TestClient) -> None:
    assert finance.get(f"{BOOK_PAGE}/file").status_code == 404
