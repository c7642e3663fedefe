"""The unit cost pages, on SQLite and PostgreSQL: a search over the Unit Cost Database and the place's own unit
costs, each figure shown with its source, confidence flag and attribution; and a place's own unit cost added by a
finance lead, every field checked."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.identity.test_views import error_summary
from tests.money.test_scenario_store import PLACE_COST
from tests.money.test_scenario_views import Boxes, box_value, text_of
from tests.money.test_scenario_views import (
    finance as finance,  # a fixture, found by pytest through the import
)
from tests.money.test_scenario_views import fiona as fiona  # the fixture it needs
from tests.support import factories
from tests.support.web import post_form, sign_in
from wholeplace.core.roles import Role
from wholeplace.money.service import unit_costs

PAGE = "/money/unit-costs"


def test_a_search_shows_each_cost_with_its_value_price_year_agency_source_flag_and_attribution(
    finance: TestClient,
) -> None:
    page = text_of(finance.get(PAGE, params={"q": "domestic violence police"}).text)

    assert (
        "CR2.0.3 Domestic violence - fiscal cost per incident: police (Per incident) £415.00 2008-09 Police A"
        in page
    )
    assert (
        "Sylvia Walby - The Cost of Domestic violence, update (2009), p.8 (http://www.lancs.ac.uk/fass/doc_library/"
        "sociology/Cost_of_domestic_violence_update.doc). Unit Cost Database, New Economy / GMCA (2014 edition) ."
        in page
    )


def test_a_search_without_words_lists_the_first_hundred_of_every_cost(finance: TestClient) -> None:
    page = text_of(finance.get(PAGE).text)

    assert "673 unit costs; the first 100 shown: narrow the search to see others." in page


def test_a_search_that_finds_nothing_says_so(finance: TestClient) -> None:
    page = text_of(finance.get(PAGE, params={"q": "zeppelin"}).text)

    assert "No unit cost holds every word searched for." in page


def test_a_place_unit_cost_added_on_the_form_is_found_with_its_own_attribution(finance: TestClient) -> None:
    added = post_form(finance, f"{PAGE}/new", {**PLACE_COST})

    assert added.status_code == 303
    assert added.headers["location"] == f"{PAGE}?q=RIV1&added=RIV1"
    page = text_of(finance.get(added.headers["location"]).text)
    assert "Unit cost RIV1 added" in page
    assert (
        "RIV1 Missing-from-home episode (Per episode) £1,000.00 2010-11 Riverford Police A Riverford Police "
        "finance, 2011. place-specific unit cost: Riverford Police finance, 2011 , added by fiona on 2 November 2026."
        in page
    )


def test_a_place_unit_cost_with_bad_fields_is_refused_naming_each_and_keeping_what_was_typed(
    finance: TestClient, db: Session
) -> None:
    bad: Boxes = {**PLACE_COST, "code": "CR2.0.3", "value": "a lot", "price_year": "2011"}

    refused = post_form(finance, f"{PAGE}/new", bad)

    assert refused.status_code == 400
    assert error_summary(refused.text) == [
        "CR2.0.3 is a code of the Unit Cost Database: choose a code of the place's own",
        "Enter the value in pounds, such as 1000 or 1,250.50",
        "Enter the financial year the value is priced in, such as 2012-13",
    ]
    assert (box_value(refused.text, "value"), box_value(refused.text, "price_year")) == ("a lot", "2011")
    assert unit_costs.place_unit_costs(db) == []


@pytest.mark.parametrize("role", [Role.ANALYST, Role.PROGRAMME_MANAGER])
def test_readers_may_search_but_not_add(client: TestClient, db: Session, role: Role) -> None:
    factories.user(db, role, username="reader")
    db.commit()
    assert sign_in(client, "reader", factories.PASSWORD).status_code == 303

    assert client.get(PAGE).status_code == 200
    assert "Add a unit cost" not in client.get(PAGE).text
    assert client.get(f"{PAGE}/new").status_code == 403
    assert post_form(client, f"{PAGE}/new", {**PLACE_COST}, from_page=PAGE).status_code == 403
    assert unit_costs.place_unit_costs(db) == []
