"""Who may use each route. Every route declares its access; a route that declares none is refused."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from wholeplace.core.roles import Role, Scope

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "__wholeplace_access__"


@dataclass(frozen=True)
class Access:
    """A route's rule: open to anyone, to any signed-in user, to some roles, or to tokens with a scope."""

    public: bool = False
    any_signed_in: bool = False
    roles: frozenset[Role] = frozenset()
    scope: Scope | None = None
    api: bool = False

    def admits(self, roles: Iterable[str]) -> bool:
        return self.public or self.any_signed_in or bool(self.roles & {Role(role) for role in roles})


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as the pages need them."""

    user_id: uuid.UUID
    username: str
    full_name: str
    agency_name: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        return any(role.value in self.roles for role in roles)


def _declare(access: Access) -> Callable[[Endpoint], Endpoint]:
    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, ACCESS_ATTRIBUTE, access)
        return endpoint

    return mark


def public(endpoint: Endpoint) -> Endpoint:
    """Open to anyone, signed in or not (the sign-in page, health checks)."""
    return _declare(Access(public=True))(endpoint)


def signed_in(endpoint: Endpoint) -> Endpoint:
    """Open to every signed-in user, whatever their role."""
    return _declare(Access(any_signed_in=True))(endpoint)


def allow(*roles: Role) -> Callable[[Endpoint], Endpoint]:
    """Open to signed-in users holding at least one of these roles."""
    return _declare(Access(roles=frozenset(roles)))


def token_scope(scope: Scope | None) -> Callable[[Endpoint], Endpoint]:
    """An API route for machine clients whose agency token carries this scope (None: any valid token)."""
    return _declare(Access(scope=scope, api=True))


def access_of(endpoint: Callable[..., Any]) -> Access | None:
    return getattr(endpoint, ACCESS_ATTRIBUTE, None)
