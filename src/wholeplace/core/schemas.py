"""Shapes of the foundation's input and output."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed sign-ins lock an account or throttle an address, and for how long."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    ip_max_failures: int = 20


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


class AgencyOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    sector: str


class PlaceOut(BaseModel):
    id: uuid.UUID
    name: str
    agencies: list[AgencyOut]


class TokenIdentityOut(BaseModel):
    agency: AgencyOut
    token_name: str
    scopes: list[str]


class ApiErrorOut(BaseModel):
    error: str
    detail: str
