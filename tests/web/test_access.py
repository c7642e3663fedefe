import re
from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from tests.web.conftest import SignedInAs
from wholeplace.core.models import SecurityEvent
from wholeplace.core.roles import Role
from wholeplace.web.access import access_of

ADMIN_PAGES = [
    "/admin",
    "/admin/place",
    "/admin/agencies",
    "/admin/agencies/new",
    "/admin/users",
    "/admin/users/new",
    "/admin/tokens",
    "/admin/tokens/new",
]


def _endpoints(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps included routers nested
        if included is not None:
            yield from _endpoints(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_every_route_declares_who_may_use_it(app: FastAPI) -> None:
    routes = list(_endpoints(app.routes))
    assert len(routes) > 20
    assert [route.path for route in routes if access_of(route.endpoint) is None] == []


def test_a_route_that_declares_nothing_is_refused(
    app: FastAPI, client: TestClient, signed_in_as: SignedInAs
) -> None:
    signed_in_as(Role.ADMINISTRATOR)

    @app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {"secret": "never shown"}

    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "never shown" not in response.text


def test_every_role_reaches_home_and_account(client: TestClient, signed_in_as: SignedInAs) -> None:
    for role in Role:
        client.cookies.clear()
        signed_in_as(role)
        assert client.get("/").status_code == 200
        assert client.get("/account").status_code == 200


def test_only_administrators_reach_administration(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    for role in Role:
        client.cookies.clear()
        signed_in_as(role)
        expected = 200 if role is Role.ADMINISTRATOR else 403
        assert {page: client.get(page).status_code for page in ADMIN_PAGES} == dict.fromkeys(
            ADMIN_PAGES, expected
        )
    refusals = db.scalars(select(SecurityEvent).where(SecurityEvent.kind == "forbidden")).all()
    assert len(refusals) == len(ADMIN_PAGES) * (len(Role) - 1)


def test_the_navigation_shows_only_what_the_role_allows(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.PRACTITIONER)
    page = client.get("/").text
    assert 'href="/admin"' not in page
    assert 'href="/security-log"' not in page
    client.cookies.clear()
    signed_in_as(Role.INFORMATION_GOVERNANCE_OFFICER)
    page = client.get("/").text
    assert 'href="/security-log"' in page
    assert 'href="/admin"' not in page


def test_only_the_most_specific_navigation_entry_is_current(
    client: TestClient, signed_in_as: SignedInAs
) -> None:
    signed_in_as(Role.PROGRAMME_MANAGER)

    page = client.get("/outcomes/scorecard").text

    assert re.findall(r'item--active">\s*<a class="govuk-service-navigation__link" href="([^"]+)"', page) == [
        "/outcomes/scorecard"
    ]


def test_a_refused_page_explains_itself_without_detail(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.FINANCE_LEAD)
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.text
    assert "<h1" in response.text


def test_every_form_on_every_page_carries_its_token(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.ADMINISTRATOR)
    for path in [*ADMIN_PAGES, "/", "/account"]:
        page = client.get(path).text
        forms = page.split("<form")[1:]
        assert all('name="csrf_token"' in form.split("</form>")[0] for form in forms), path
        assert forms, f"{path} has no form at all (sign-out is on every page)"
