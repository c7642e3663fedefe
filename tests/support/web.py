"""Helpers for driving the app through its test client the way a browser would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(page: Response) -> str:
    match = CSRF_INPUT.search(page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(
    client: TestClient, path: str, data: dict[str, str | list[str]], *, from_page: str | None = None
) -> Response:
    """Post a form the way a browser does: with the token from the page it sits on."""
    page = client.get(from_page or path)
    return client.post(path, data={**data, "csrf_token": csrf_from(page)}, follow_redirects=False)


def sign_in(client: TestClient, username: str, password: str) -> Response:
    return post_form(client, "/login", {"username": username, "password": password, "next": "/"})
