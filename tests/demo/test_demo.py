import pytest
from sqlalchemy.orm import Session

from tests.support import factories
from wholeplace.core import service
from wholeplace.core.errors import ConflictError
from wholeplace.core.roles import Role
from wholeplace.demo.service import AGENCIES, DEMO_PASSWORD, DEMO_PLACE, USERS, build_demo


def test_the_demo_has_one_user_for_every_role(db: Session) -> None:
    build_demo(db, now=factories.MOMENT)
    roles = {role for user in USERS for role in user.roles}
    assert roles == set(Role)
    for demo_user in USERS:
        user = service.find_user(db, demo_user.username)
        assert user is not None
        assert service.security.verify_password(user.password_hash, DEMO_PASSWORD)


def test_building_the_demo_twice_changes_nothing(db: Session) -> None:
    build_demo(db, now=factories.MOMENT)
    build_demo(db, now=factories.MOMENT)
    assert len(service.list_agencies(db)) == len(AGENCIES)
    assert len(service.list_users(db)) == len(USERS)
    place = service.get_place(db)
    assert place is not None and place.name == DEMO_PLACE and place.is_demo


def test_the_demo_will_not_touch_another_place(db: Session) -> None:
    factories.place(db, "Lowmoor")
    with pytest.raises(ConflictError, match="--force"):
        build_demo(db, now=factories.MOMENT)
    assert service.list_users(db) == []
