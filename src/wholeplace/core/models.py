"""Tables of the foundation: the place, its agencies and teams, users, sessions, tokens, security events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp kept in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Place(Base):
    __tablename__ = "place"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Agency(Base):
    __tablename__ = "agency"
    __table_args__ = (UniqueConstraint("place_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    place_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("place.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    teams: Mapped[list[Team]] = relationship(back_populates="agency", order_by="Team.name")


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    agency: Mapped[Agency] = relationship(back_populates="teams")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("team.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]

    agency: Mapped[Agency] = relationship()
    team: Mapped[Team | None] = relationship()
    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(grant.role for grant in self.role_grants)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_grants")


class UserSession(Base):
    """A signed-in browser; the cookie holds a secret whose hash is kept here."""

    __tablename__ = "user_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "attempted_at"),
        Index("ix_login_attempt_ip_at", "ip_address", "attempted_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(100))
    ip_address: Mapped[str] = mapped_column(String(45))
    attempted_at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)


class ApiToken(Base):
    """A machine client's credential: one agency, named scopes, the secret kept only as a hash."""

    __tablename__ = "api_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    name: Mapped[str] = mapped_column(String(200))
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    agency: Mapped[Agency] = relationship()

    @property
    def scope_list(self) -> list[str]:
        return [scope for scope in self.scopes.split() if scope]


class SecurityEvent(Base):
    """Sign-ins, lockouts, refused requests and token changes, for the administrator and the auditor."""

    __tablename__ = "security_event"
    __table_args__ = (Index("ix_security_event_occurred_at", "occurred_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(200))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str] = mapped_column(Text, default="")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Neighbourhood(Base):
    """A neighbourhood of the place: the unit that outcomes and spend are reported by. `residents` is the
    population estimate the place uses as the denominator for rates per head (none when unknown)."""

    __tablename__ = "neighbourhood"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    residents: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime]

    postcode_areas: Mapped[list[PostcodeArea]] = relationship(
        back_populates="neighbourhood", order_by="PostcodeArea.prefix", cascade="all, delete-orphan"
    )


class PostcodeArea(Base):
    """A postcode district ("RF2"), sector ("RF1 8") or whole postcode that lies in a neighbourhood; the most
    specific one that holds a postcode places it."""

    __tablename__ = "neighbourhood_postcode"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    neighbourhood_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("neighbourhood.id", ondelete="CASCADE"))

    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="postcode_areas")
