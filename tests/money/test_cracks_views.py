"""The Cracks in the jigsaw page, on SQLite and PostgreSQL, before any linking: asking for a cost book, then for
linked data; a practitioner refused. The figures themselves are checked in the browser on the demo place, and
the rules behind them in test_cracks."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.money.test_cost_book import BOOK
from tests.money.test_duplication_views import upload
from tests.money.test_scenario_views import (
    finance as finance,  # a fixture, found by pytest through the import
)
from tests.money.test_scenario_views import fiona as fiona  # the fixture it needs
from tests.money.test_scenario_views import text_of
from tests.support import factories
from tests.support.web import sign_in
from wholeplace.core.roles import Role

PAGE = "/money/cracks"
ASKED = {"trigger": "school_exclusion:Riverford Schools", "months": "12", "year": "2025-26"}


def test_without_a_cost_book_the_page_says_where_to_load_one(finance: TestClient) -> None:
    told = text_of(finance.get(PAGE, params=ASKED).text)

    assert "The place has no cost book yet" in told and "Show what followed" not in told


def test_with_a_cost_book_but_no_linked_data_the_page_says_to_link(finance: TestClient) -> None:
    upload(finance, BOOK)

    told = text_of(finance.get(PAGE, params=ASKED).text)

    assert "The linked data hold no households yet." in told


def test_practitioners_are_refused(client: TestClient, db: Session) -> None:
    factories.user(db, Role.PRACTITIONER, username="pat")
    db.commit()
    assert sign_in(client, "pat", factories.PASSWORD).status_code == 303

    assert client.get(PAGE).status_code == 403
