"""One-line builders of valid objects; tests state only what they are about."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from wholeplace.core import service
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import AgencyKind, Role, Sector

PASSWORD = "correct horse battery"
MOMENT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
_numbers = itertools.count(1)


def place(db: Session, name: str = "Testford") -> None:
    if service.get_place(db) is None:
        service.create_place(db, name=name, now=MOMENT)


def agency(db: Session, name: str | None = None, *, sector: Sector = Sector.HOUSING) -> Agency:
    place(db)
    return service.add_agency(
        db, name=name or f"Agency {next(_numbers)}", kind=AgencyKind.PUBLIC, sector=sector, now=MOMENT
    )


def user(
    db: Session,
    *roles: Role,
    username: str | None = None,
    password: str = PASSWORD,
    at: Agency | None = None,
) -> User:
    return service.create_user(
        db,
        username=username or f"user{next(_numbers)}",
        full_name="Sam Test",
        agency=at or agency(db),
        roles=roles or (Role.PRACTITIONER,),
        password=password,
        now=MOMENT,
    )


def roles_of(users: Iterable[User]) -> set[str]:
    return {role for one in users for role in one.roles}
