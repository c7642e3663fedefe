"""The pooled budget pages, on SQLite and PostgreSQL: a finance lead loads a pooled budget's file and sees where
it stands, the pot, each allocation's budget, spend and forecast, and each partner's part of the balance; a new
file of the same name and year becomes the next version, the earlier kept; a file with mistakes is refused line
by line and nothing is kept; readers read, practitioners are refused."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.money.test_scenario_views import (
    finance as finance,  # a fixture, found by pytest through the import
)
from tests.money.test_scenario_views import fiona as fiona  # the fixture it needs
from tests.money.test_scenario_views import rows_in, text_of
from tests.support import factories
from tests.support.web import csrf_from, sign_in
from wholeplace.core.roles import Role
from wholeplace.money.models import PooledBudgetVersion

PAGE = "/money/pooled-budgets"
BUDGET = """\
name: Testford Early Help Fund
financial_year: 2025-26
host: Testford Council
contributions:
  - {partner: Testford Council, amount: 600000}
  - {partner: Testford NHS, amount: 300000}
  - {partner: Testford Police, amount: 100000}
allocations:
  - {name: Key workers, outcome: Families get help early, lead: Testford Council, budget: 500000, forecast: 520000}
  - {name: Safer homes, lead: Testford Police, budget: 400000}
spend:
  - {allocation: Key workers, period: Q1, amount: 130000}
  - {allocation: Safer homes, period: Q1, amount: 90000.50}
  - {allocation: Key workers, period: Q2, amount: 125000}
"""
# By hand: pot £1,000,000; allocated £900,000, £100,000 not allocated. Spent £345,000.50 (Key workers £255,000,
# Safer homes £90,000.50). Forecast outturn: Key workers £520,000 (its forecast) + Safer homes £90,000.50 (no
# forecast: its spend) = £610,000.50; balance £1,000,000 - £610,000.50 = £389,999.50 underspend.
# Pro rata 60% / 30% / 10%: council £233,999.70, NHS £116,999.85, police £38,999.95 back.


def upload(client: TestClient, text: str, *, name: str = "fund.yaml") -> Response:
    token = csrf_from(client.get(f"{PAGE}/upload"))
    response: Response = client.post(
        f"{PAGE}/upload",
        data={"csrf_token": token},
        files={"file": (name, text.encode("utf-8"), "application/yaml")},
        follow_redirects=False,
    )
    return response


def test_a_loaded_file_shows_where_the_pot_stands_and_who_gains(finance: TestClient) -> None:
    loaded = upload(finance, BUDGET)

    assert loaded.status_code == 303
    page = finance.get(loaded.headers["location"])
    told = text_of(page.text)
    assert "Loaded as version 1" in told
    assert "The pot £1,000,000.00 from 3 partners" in told
    assert "Allocated £900,000.00, leaving £100,000.00 not allocated" in told
    assert "Spent so far £345,000.50" in told
    assert "Forecast for the year £610,000.50" in told
    assert "The forecast underspend of £389,999.50 returns to the partners by their shares." in told
    assert (
        "Key workers Families get help early Testford Council £500,000.00 £255,000.00 £520,000.00 £20,000.00 over"
        in told
    )
    assert (
        "Safer homes Testford Police £400,000.00 £90,000.50 Not stated: the spend so far £309,999.50 under"
        in told
    )
    assert "Testford Council £600,000.00 60.0% £233,999.70 back £366,000.30" in told
    assert "Testford NHS £300,000.00 30.0% £116,999.85 back £183,000.15" in told
    assert "Testford Police £100,000.00 10.0% £38,999.95 back £61,000.05" in told
    assert [row["allocation"] for row in rows_in(_chart_spec(page.text), "allocation")] == [
        "Key workers",
        "Safer homes",
    ]


def _chart_spec(page: str) -> object:
    found = re.search(
        r'<script type="application/json" id="pooled-budget-chart-spec">(.*?)</script>', page, re.S
    )
    assert found is not None
    return json.loads(found.group(1))


def test_the_list_shows_each_budget_at_its_latest_version_and_the_earlier_is_kept(
    finance: TestClient, db: Session
) -> None:
    first = upload(finance, BUDGET).headers["location"].split("?")[0]
    overspent = BUDGET.replace("forecast: 520000", "forecast: 1020000")
    second = upload(finance, overspent, name="fund-october.yaml").headers["location"].split("?")[0]

    listed = text_of(finance.get(PAGE).text)
    assert (
        "Testford Early Help Fund 2025-26 £1,000,000.00 £345,000.50 £1,110,000.50 £110,000.50 over" in listed
    )
    assert listed.count("Testford Early Help Fund") == 1
    latest = text_of(finance.get(second).text)
    assert "Pooled budget, version 2 of 2" in latest
    assert "The forecast overspend of £110,000.50 falls to the partners by their shares." in latest
    assert "Testford Police £100,000.00 10.0% £11,000.05 to pay £111,000.05" in latest
    earlier = text_of(finance.get(first).text)
    assert "Pooled budget, version 1 of 2" in earlier and "This is an earlier version" in earlier
    assert db.scalar(select(func.count()).select_from(PooledBudgetVersion)) == 2
    assert finance.get(f"{first}/file").text == BUDGET


def test_a_file_with_mistakes_is_refused_line_by_line_and_nothing_kept(
    finance: TestClient, db: Session
) -> None:
    bad = BUDGET.replace(
        "{allocation: Safer homes, period: Q1", "{allocation: Safe homes, period: Q1"
    ).replace("amount: 300000", "amount: -300000")

    refused = upload(finance, bad)

    assert refused.status_code == 400
    told = text_of(refused.text)
    assert "contributions[1].amount (line 6): input should be greater than or equal to 0" in told
    assert db.scalar(select(func.count()).select_from(PooledBudgetVersion)) == 0


def test_a_spend_line_against_no_allocation_is_named_with_its_line(finance: TestClient) -> None:
    refused = upload(
        finance, BUDGET.replace("{allocation: Safer homes, period: Q1", "{allocation: Safe homes, period: Q1")
    )

    assert refused.status_code == 400
    assert "spend[1].allocation (line 13): no allocation is called 'Safe homes'" in text_of(refused.text)


def test_analysts_read_pooled_budgets_but_cannot_load_them(
    finance: TestClient, client: TestClient, db: Session
) -> None:
    page = upload(finance, BUDGET).headers["location"]
    finance.cookies.clear()
    factories.user(db, Role.ANALYST, username="ana")
    db.commit()
    assert sign_in(client, "ana", factories.PASSWORD).status_code == 303

    assert client.get(page).status_code == 200
    assert client.get(f"{PAGE}/upload").status_code == 403
    assert "Load a pooled budget" not in client.get(PAGE).text


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}/upload"])
def test_practitioners_are_refused(client: TestClient, db: Session, path: str) -> None:
    factories.user(db, Role.PRACTITIONER, username="pat")
    db.commit()
    assert sign_in(client, "pat", factories.PASSWORD).status_code == 303

    assert client.get(path).status_code == 403


def test_a_budget_that_does_not_exist_is_not_found(finance: TestClient) -> None:
    assert finance.get(f"{PAGE}/999").status_code == 404
