from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.clock import FakeClock
from tests.support.factories import PASSWORD
from tests.support.web import csrf_from, post_form, sign_in
from tests.web.conftest import SignedInAs
from wholeplace.core.models import SecurityEvent, UserSession
from wholeplace.core.roles import Role


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_pages_send_the_signed_out_to_sign_in(client: TestClient) -> None:
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fusers"


def test_signing_in_starts_a_session_and_returns_to_the_page_asked_for(
    client: TestClient, db: Session
) -> None:
    user = factories.user(db, Role.ANALYST)
    db.commit()
    credentials = {"username": user.username, "password": PASSWORD, "next": "/account"}
    response = post_form(client, "/login", credentials, from_page="/login?next=/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = response.headers["set-cookie"]
    assert "wholeplace_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/account").status_code == 200


def test_next_never_leaves_the_site(client: TestClient, db: Session) -> None:
    user = factories.user(db)
    db.commit()
    credentials = {"username": user.username, "password": PASSWORD, "next": "//evil.example/x"}
    response = post_form(client, "/login", credentials)
    assert response.headers["location"] == "/"


def test_wrong_password_shows_the_form_again_with_an_error(client: TestClient, db: Session) -> None:
    user = factories.user(db)
    db.commit()
    response = sign_in(client, user.username, "not the password")
    assert response.status_code == 401
    assert "The username or password is not right" in response.text
    assert 'class="govuk-error-summary' in response.text
    assert _count(db, UserSession) == 0


def test_empty_fields_are_named(client: TestClient) -> None:
    response = sign_in(client, "", "")
    assert response.status_code == 400
    assert "Enter your username" in response.text
    assert "Enter your password" in response.text


def test_lockout_after_repeated_failures_shows_when_to_retry(client: TestClient, db: Session) -> None:
    user = factories.user(db)
    db.commit()
    for _ in range(5):
        sign_in(client, user.username, "not the password")
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 401
    assert "locked" in response.text
    assert "Try again in 15 minutes" in response.text


def test_a_form_without_its_token_is_refused_and_changes_nothing(client: TestClient, db: Session) -> None:
    user = factories.user(db)
    db.commit()
    client.get("/login")
    before = _count(db, UserSession)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.text
    assert _count(db, UserSession) == before
    assert db.scalars(select(SecurityEvent.kind)).all().count("csrf_rejected") == 1


def test_a_forged_token_is_refused(client: TestClient, db: Session) -> None:
    user = factories.user(db)
    db.commit()
    client.get("/login")
    response = client.post(
        "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": "0" * 64}
    )
    assert response.status_code == 400
    assert _count(db, UserSession) == 0


def test_a_token_from_another_browser_is_refused(client: TestClient, app: object, db: Session) -> None:
    user = factories.user(db)
    db.commit()
    stolen = csrf_from(client.get("/login"))
    with TestClient(app) as other_browser:  # type: ignore[arg-type]
        other_browser.get("/login")
        response = other_browser.post(
            "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": stolen}
        )
    assert response.status_code == 400


def test_signing_out_ends_the_session(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.PRACTITIONER)
    home = client.get("/")
    response = client.post("/logout", data={"csrf_token": csrf_from(home)}, follow_redirects=False)
    assert response.headers["location"] == "/login?signed_out=1"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_an_idle_session_ends_and_says_so(
    client: TestClient, signed_in_as: SignedInAs, clock: FakeClock
) -> None:
    signed_in_as(Role.PRACTITIONER)
    clock.advance(minutes=31)
    response = client.get("/account", follow_redirects=False)
    assert response.headers["location"] == "/login?next=%2Faccount&ended=1"
    assert "Your session ended" in client.get(response.headers["location"]).text


def test_a_busy_session_still_ends_at_the_absolute_limit(
    client: TestClient, signed_in_as: SignedInAs, clock: FakeClock
) -> None:
    signed_in_as(Role.PRACTITIONER)
    statuses = []
    for _ in range(37):  # a request every 20 minutes: never idle, but past 12 hours at the 37th
        clock.advance(minutes=20)
        statuses.append(client.get("/", follow_redirects=False).status_code)
    assert statuses[:36] == [200] * 36
    assert statuses[36] == 303


def test_changing_your_password_signs_you_out(client: TestClient, signed_in_as: SignedInAs) -> None:
    signed_in_as(Role.ANALYST)
    page = client.get("/account")
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a much better password",
            "confirm_password": "a much better password",
            "csrf_token": csrf_from(page),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303
