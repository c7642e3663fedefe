from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.factories import PASSWORD
from tests.support.web import sign_in
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role

SignedInAs = Callable[..., User]


@pytest.fixture
def signed_in_as(client: TestClient, db: Session) -> SignedInAs:
    """Sign the test client in as a new user holding the given roles."""

    def sign_in_with(*roles: Role, at: Agency | None = None) -> User:
        user = factories.user(db, *roles, at=at)
        db.commit()
        response = sign_in(client, user.username, PASSWORD)
        assert response.status_code == 303, response.text
        return user

    return sign_in_with
