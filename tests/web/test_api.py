import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.factories import MOMENT
from wholeplace.core import service
from wholeplace.core.models import SecurityEvent
from wholeplace.core.roles import Scope


def _token(db: Session, *scopes: Scope) -> str:
    _, whole = service.create_api_token(
        db,
        agency=factories.agency(db, "Riverford Schools"),
        name="MIS",
        scopes=scopes,
        by="admin",
        now=MOMENT,
    )
    db.commit()
    return whole


def test_the_api_publishes_its_openapi_document(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "wholeplace API"
    assert "/api/v1/place" in document["paths"]
    assert document["components"]["securitySchemes"]["agencyToken"]["scheme"] == "bearer"
    assert not any(path.startswith("/admin") for path in document["paths"])


def test_a_valid_token_reads_the_place(client: TestClient, db: Session) -> None:
    whole = _token(db, Scope.PLACE_READ)
    response = client.get("/api/v1/place", headers={"Authorization": f"Bearer {whole}"})
    assert response.status_code == 200
    assert "Riverford Schools" in [agency["name"] for agency in response.json()["agencies"]]


def test_whoami_names_the_tokens_agency(client: TestClient, db: Session) -> None:
    whole = _token(db, Scope.PLACE_READ)
    body = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {whole}"}).json()
    assert body["agency"]["name"] == "Riverford Schools"
    assert body["scopes"] == ["place:read"]


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "missing_token"),
        ("Bearer not-a-token", "malformed_token"),
        ("Basic dXNlcjpwYXNz", "missing_token"),
        ("Bearer wp_0123456789abcdef_" + "x" * 43, "invalid_token"),
    ],
)
def test_bad_credentials_get_401_json_and_are_logged(
    client: TestClient, db: Session, authorization: str | None, code: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/place", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == code
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert db.scalars(select(SecurityEvent.detail).where(SecurityEvent.kind == "token_rejected")).all() == [
        code
    ]


def test_a_session_cookie_is_no_substitute_for_a_token(client: TestClient, db: Session) -> None:
    from tests.support.web import sign_in

    user = factories.user(db)
    db.commit()
    sign_in(client, user.username, factories.PASSWORD)
    assert client.get("/api/v1/place").status_code == 401
