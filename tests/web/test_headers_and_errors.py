import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from wholeplace.web.access import public


@pytest.mark.parametrize("path", ["/login", "/nowhere", "/static/dist/app.css", "/api/v1/openapi.json"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(client: TestClient) -> None:
    page = client.get("/login").text
    assert "<script>" not in page
    assert all('src="' in tag for tag in page.split("<script")[1:])


def test_not_found_is_a_page_for_people(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert 'class="govuk-heading-l"' in response.text


def test_not_found_is_json_for_machines(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_crash_shows_a_reference_and_never_a_traceback(app: FastAPI) -> None:
    @app.get("/explode")
    @public
    def explode() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert "content-security-policy" in response.headers
