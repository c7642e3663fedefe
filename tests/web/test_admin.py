import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.web import csrf_from, post_form, sign_in
from tests.web.conftest import SignedInAs
from wholeplace.core import service
from wholeplace.core.models import Agency, ApiToken, User
from wholeplace.core.roles import Role


def test_an_administrator_adds_an_agency_and_a_team(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    signed_in_as(Role.ADMINISTRATOR)
    response = post_form(
        client, "/admin/agencies/new", {"name": "Vale Fire", "kind": "public", "sector": "fire"}
    )
    assert response.status_code == 303
    agency_page = response.headers["location"]
    response = post_form(client, f"{agency_page}/teams", {"team_name": "Prevention"}, from_page=agency_page)
    assert response.status_code == 303
    page = client.get(agency_page).text
    assert "Vale Fire" in page and "Prevention" in page


def test_an_agency_form_with_mistakes_says_what_to_fix_and_adds_nothing(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    signed_in_as(Role.ADMINISTRATOR)
    before = db.scalar(select(func.count()).select_from(Agency))
    response = post_form(
        client, "/admin/agencies/new", {"name": "Vale Fire", "kind": "public", "sector": "bakery"}
    )
    assert response.status_code == 400
    assert "Select the sector" in response.text
    assert 'href="#sector"' in response.text
    assert db.scalar(select(func.count()).select_from(Agency)) == before


def test_an_administrator_adds_a_user_with_several_roles(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    admin = signed_in_as(Role.ADMINISTRATOR)
    response = post_form(
        client,
        "/admin/users/new",
        {
            "full_name": "Nia Roberts",
            "username": "nia",
            "agency": str(admin.agency_id),
            "roles": ["practitioner", "lead_professional"],
            "password": "a perfectly long password",
        },
    )
    assert response.status_code == 303
    created = service.find_user(db, "nia")
    assert created is not None
    assert created.roles == {"practitioner", "lead_professional"}


def test_a_user_without_roles_is_not_added(client: TestClient, signed_in_as: SignedInAs, db: Session) -> None:
    admin = signed_in_as(Role.ADMINISTRATOR)
    data = {
        "full_name": "Nia",
        "username": "nia",
        "agency": str(admin.agency_id),
        "password": "a long password!",
    }
    response = post_form(client, "/admin/users/new", data)
    assert response.status_code == 400
    assert "A user needs at least one role" in response.text
    assert service.find_user(db, "nia") is None


def test_deactivating_a_user_ends_their_sessions(
    client: TestClient, app: object, signed_in_as: SignedInAs, db: Session
) -> None:
    other = factories.user(db, Role.PRACTITIONER)
    db.commit()
    with TestClient(app) as their_browser:  # type: ignore[arg-type]
        sign_in(their_browser, other.username, factories.PASSWORD)
        assert their_browser.get("/", follow_redirects=False).status_code == 200
        signed_in_as(Role.ADMINISTRATOR)
        page = f"/admin/users/{other.id}"
        response = post_form(
            client,
            page,
            {
                "full_name": other.full_name,
                "email": "",
                "team": "",
                "roles": ["practitioner"],
                "active": "no",
            },
        )
        assert response.status_code == 303
        assert their_browser.get("/", follow_redirects=False).status_code == 303


def test_a_practitioner_cannot_post_to_administration(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    signed_in_as(Role.PRACTITIONER)
    home = client.get("/")

    response = client.post(
        "/admin/agencies/new",
        data={"name": "Sneaky", "kind": "public", "sector": "fire", "csrf_token": csrf_from(home)},
    )
    assert response.status_code == 403
    assert service.find_agency(db, "Sneaky") is None


def test_a_token_is_shown_once_and_can_be_revoked(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    admin = signed_in_as(Role.ADMINISTRATOR)
    response = post_form(
        client,
        "/admin/tokens/new",
        {"agency": str(admin.agency_id), "name": "MIS feed", "scopes": ["place:read"]},
    )
    assert response.status_code == 200
    whole = response.text.split('id="token">')[1].split("<")[0]
    assert whole.startswith("wp_")
    assert whole not in client.get("/admin/tokens").text
    assert client.get("/api/v1/place", headers={"Authorization": f"Bearer {whole}"}).status_code == 200
    token = db.scalars(select(ApiToken).where(ApiToken.name == "MIS feed")).one()
    response = post_form(client, f"/admin/tokens/{token.id}/revoke", {}, from_page="/admin/tokens")
    assert response.status_code == 303
    assert client.get("/api/v1/place", headers={"Authorization": f"Bearer {whole}"}).status_code == 401


def test_renaming_the_place_changes_every_header(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.ADMINISTRATOR)
    assert post_form(client, "/admin/place", {"name": "Lowmoor"}).status_code == 303
    assert "Lowmoor" in client.get("/account").text


def test_users_page_lists_staff_with_roles(client: TestClient, signed_in_as: SignedInAs, db: Session) -> None:
    signed_in_as(Role.ADMINISTRATOR)
    count = db.scalar(select(func.count()).select_from(User))
    page = client.get("/admin/users").text
    assert len(re.findall(r'href="/admin/users/[0-9a-f-]{36}"', page)) == count


def test_an_administrator_cannot_remove_their_own_administration(
    client: TestClient, signed_in_as: SignedInAs, db: Session
) -> None:
    admin = signed_in_as(Role.ADMINISTRATOR)
    page = f"/admin/users/{admin.id}"
    data = {"full_name": "Renamed", "email": "", "team": "", "roles": ["practitioner"], "active": "yes"}
    response = post_form(client, page, data)
    assert response.status_code == 400
    assert "remove your own administrator role" in response.text
    db.expire_all()
    assert service.get_user(db, admin.id).full_name == "Sam Test"


def test_a_rejected_edit_changes_nothing(client: TestClient, signed_in_as: SignedInAs, db: Session) -> None:
    signed_in_as(Role.ADMINISTRATOR)
    other = factories.user(db, Role.ANALYST)
    db.commit()
    page = f"/admin/users/{other.id}"
    response = post_form(client, page, {"full_name": "Renamed", "email": "", "team": "", "active": "yes"})
    assert response.status_code == 400
    db.expire_all()
    assert service.get_user(db, other.id).full_name == "Sam Test"


def test_an_administrator_sets_a_new_password_and_the_user_is_signed_out(
    client: TestClient, app: object, signed_in_as: SignedInAs, db: Session
) -> None:
    other = factories.user(db, Role.PRACTITIONER)
    db.commit()
    with TestClient(app) as their_browser:  # type: ignore[arg-type]
        sign_in(their_browser, other.username, factories.PASSWORD)
        signed_in_as(Role.ADMINISTRATOR)
        page = f"/admin/users/{other.id}"
        response = post_form(
            client, f"{page}/password", {"new_password": "a fresh long password"}, from_page=page
        )
        assert response.status_code == 303
        assert their_browser.get("/", follow_redirects=False).status_code == 303
        assert sign_in(their_browser, other.username, "a fresh long password").status_code == 303
