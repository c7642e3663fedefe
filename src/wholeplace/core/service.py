"""The foundation's functions: the only code that writes the place, agency, user, session and token tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wholeplace.core import security
from wholeplace.core.errors import (
    AccountLockedError,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ThrottledError,
)
from wholeplace.core.models import (
    Agency,
    ApiToken,
    Base,
    LoginAttempt,
    Place,
    SecurityEvent,
    Team,
    User,
    UserRole,
    UserSession,
)
from wholeplace.core.roles import AgencyKind, Role, Scope, Sector
from wholeplace.core.schemas import LoginPolicy, SessionPolicy

Row = TypeVar("Row", bound=Base)

# ---------------------------------------------------------------- the place


def get_place(db: Session) -> Place | None:
    return db.scalars(select(Place).order_by(Place.created_at)).first()


def require_place(db: Session) -> Place:
    place = get_place(db)
    if place is None:
        raise NotFoundError(
            "This database holds no place yet.",
            fix="Run `wholeplace demo` for the demo place, or `wholeplace place create NAME`.",
        )
    return place


def create_place(db: Session, *, name: str, now: datetime, is_demo: bool = False) -> Place:
    if get_place(db) is not None:
        raise ConflictError("This database already holds a place.", fix="Each database serves one place.")
    place = Place(name=_required_text(name, "name"), is_demo=is_demo, created_at=now)
    db.add(place)
    db.flush()
    return place


def rename_place(db: Session, *, name: str) -> Place:
    place = require_place(db)
    place.name = _required_text(name, "name")
    return place


# ---------------------------------------------------------------- agencies and teams


def list_agencies(db: Session) -> list[Agency]:
    return list(db.scalars(select(Agency).order_by(Agency.name)))


def get_agency(db: Session, agency_id: uuid.UUID) -> Agency:
    return _existing(db, Agency, agency_id, "agency")


def find_agency(db: Session, name: str) -> Agency | None:
    return db.scalars(select(Agency).where(func.lower(Agency.name) == name.strip().lower())).first()


def add_agency(db: Session, *, name: str, kind: AgencyKind, sector: Sector, now: datetime) -> Agency:
    place = require_place(db)
    name = _required_text(name, "name")
    if find_agency(db, name) is not None:
        raise ConflictError(f"The place already has an agency called {name!r}.", fix="Choose another name.")
    agency = Agency(place_id=place.id, name=name, kind=kind.value, sector=sector.value, created_at=now)
    db.add(agency)
    db.flush()
    return agency


def add_team(db: Session, *, agency: Agency, name: str, now: datetime) -> Team:
    name = _required_text(name, "name")
    if any(team.name.lower() == name.lower() for team in agency.teams):
        raise ConflictError(f"{agency.name} already has a team called {name!r}.", fix="Choose another name.")
    team = Team(agency=agency, name=name, created_at=now)
    db.add(team)
    db.flush()
    return team


def get_team(db: Session, team_id: uuid.UUID) -> Team:
    return _existing(db, Team, team_id, "team")


# ---------------------------------------------------------------- users


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


def get_user(db: Session, user_id: uuid.UUID) -> User:
    return _existing(db, User, user_id, "user")


def find_user(db: Session, username: str) -> User | None:
    return db.scalars(select(User).where(User.username == normalise_username(username))).first()


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_user(
    db: Session,
    *,
    username: str,
    full_name: str,
    agency: Agency,
    roles: Iterable[Role],
    password: str,
    now: datetime,
    email: str | None = None,
    team: Team | None = None,
) -> User:
    username = normalise_username(_required_text(username, "username"))
    if find_user(db, username) is not None:
        raise ConflictError(f"A user called {username!r} already exists.", fix="Choose another username.")
    if team is not None and team.agency_id != agency.id:
        raise InvalidInputError("The team belongs to another agency.", field="team")
    user = User(
        username=username,
        full_name=_required_text(full_name, "full_name"),
        email=(email or "").strip() or None,
        agency=agency,
        team=team,
        password_hash=security.hash_password(password),
        is_active=True,
        created_at=now,
        password_changed_at=now,
    )
    set_roles(user, roles)
    db.add(user)
    db.flush()
    return user


def set_roles(user: User, roles: Iterable[Role]) -> None:
    user.role_grants = [UserRole(role=role.value) for role in _valid_roles(roles)]


def _valid_roles(roles: Iterable[Role]) -> list[Role]:
    chosen = sorted({Role(role) for role in roles})
    if not chosen:
        raise InvalidInputError(
            "A user needs at least one role.", field="roles", fix="Choose one or more roles."
        )
    return chosen


def update_user(
    db: Session,
    user: User,
    *,
    full_name: str,
    email: str | None,
    roles: Iterable[Role],
    is_active: bool,
    team: Team | None,
    now: datetime,
) -> User:
    if team is not None and team.agency_id != user.agency_id:
        raise InvalidInputError("The team belongs to another agency.", field="team")
    full_name = _required_text(full_name, "full_name")
    chosen = _valid_roles(roles)
    user.full_name = full_name
    user.email = (email or "").strip() or None
    user.team = team
    set_roles(user, chosen)
    if user.is_active and not is_active:
        end_all_sessions(db, user, now=now, reason="deactivated")
    user.is_active = is_active
    db.flush()
    return user


def change_password(db: Session, user: User, *, new_password: str, now: datetime) -> None:
    user.password_hash = security.hash_password(new_password)
    user.password_changed_at = now
    end_all_sessions(db, user, now=now, reason="password_changed")


# ---------------------------------------------------------------- signing in


def authenticate(
    db: Session, *, username: str, password: str, ip_address: str, now: datetime, policy: LoginPolicy
) -> User:
    """The user whose password this is, or an error that never says whether the user exists."""
    username = normalise_username(username)
    if _recent_failures_from(db, ip_address, now=now, policy=policy) >= policy.ip_max_failures:
        record_event(db, kind="login_throttled", actor=username, ip_address=ip_address, now=now)
        raise ThrottledError(
            "Too many failed sign-in attempts from this network address.",
            fix=f"Wait {int(policy.lockout.total_seconds() // 60)} minutes and try again.",
        )
    locked_minutes = _lockout_minutes_left(db, username, now=now, policy=policy)
    if locked_minutes:
        record_event(db, kind="login_refused_locked", actor=username, ip_address=ip_address, now=now)
        raise AccountLockedError(minutes=locked_minutes)

    user = find_user(db, username)
    matches = security.verify_password(user.password_hash if user else None, password)
    succeeded = bool(user and matches and user.is_active)
    db.add(LoginAttempt(username=username, ip_address=ip_address, attempted_at=now, succeeded=succeeded))
    if not succeeded or user is None:
        reason = "unknown user" if user is None else ("inactive" if matches else "wrong password")
        record_event(db, kind="login_failed", actor=username, ip_address=ip_address, now=now, detail=reason)
        if _lockout_minutes_left(db, username, now=now, policy=policy):
            record_event(db, kind="account_locked", actor=username, ip_address=ip_address, now=now)
        raise AuthenticationError("The username or password is not right.", fix="Check them and try again.")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    record_event(db, kind="login_succeeded", actor=username, ip_address=ip_address, now=now)
    return user


def _recent_failures_from(db: Session, ip_address: str, *, now: datetime, policy: LoginPolicy) -> int:
    query = select(func.count()).where(
        LoginAttempt.ip_address == ip_address,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.attempted_at > now - policy.lockout,
    )
    return db.scalar(query) or 0


def _lockout_minutes_left(db: Session, username: str, *, now: datetime, policy: LoginPolicy) -> int:
    last_success = select(func.max(LoginAttempt.attempted_at)).where(
        LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
    )
    since = max(now - policy.lockout, db.scalar(last_success) or now - policy.lockout)
    failures = list(
        db.scalars(
            select(LoginAttempt.attempted_at)
            .where(
                LoginAttempt.username == username,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.attempted_at > since,
            )
            .order_by(LoginAttempt.attempted_at.desc())
        )
    )
    if len(failures) < policy.max_failures:
        return 0
    seconds_left = (failures[0] + policy.lockout - now).total_seconds()
    return max(1, int(-(-seconds_left // 60)))


# ---------------------------------------------------------------- sessions


def start_session(db: Session, user: User, *, ip_address: str, now: datetime) -> str:
    """A new session for the user; returns the secret for the cookie (only its hash is kept)."""
    token = security.new_session_token()
    db.add(
        UserSession(
            token_hash=security.digest(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            ip_address=ip_address,
        )
    )
    db.flush()
    return token


def resolve_session(db: Session, token: str, *, now: datetime, policy: SessionPolicy) -> UserSession | None:
    """The live session this cookie names, touched; None (and the session ended) when it has timed out."""
    session = db.scalars(select(UserSession).where(UserSession.token_hash == security.digest(token))).first()
    if session is None or session.ended_at is not None:
        return None
    if now - session.last_seen_at > policy.idle:
        _end(db, session, now=now, reason="idle_timeout")
        return None
    if now - session.created_at > policy.absolute:
        _end(db, session, now=now, reason="absolute_timeout")
        return None
    if not session.user.is_active:
        _end(db, session, now=now, reason="deactivated")
        return None
    session.last_seen_at = now
    return session


def end_session(db: Session, token: str, *, now: datetime, reason: str = "signed_out") -> None:
    session = db.scalars(select(UserSession).where(UserSession.token_hash == security.digest(token))).first()
    if session is not None and session.ended_at is None:
        _end(db, session, now=now, reason=reason)


def end_all_sessions(db: Session, user: User, *, now: datetime, reason: str) -> None:
    live = select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    for session in db.scalars(live):
        _end(db, session, now=now, reason=reason)


def _end(db: Session, session: UserSession, *, now: datetime, reason: str) -> None:
    session.ended_at = now
    session.ended_reason = reason
    record_event(db, kind="session_ended", actor=session.user.username, now=now, detail=reason)


# ---------------------------------------------------------------- API tokens


class TokenRejectedError(AuthenticationError):
    """A machine token that is malformed, unknown, revoked or lacking the scope asked for."""

    def __init__(self, code: str, problem: str, *, status: int = 401) -> None:
        super().__init__(problem, fix="Ask the place's administrator for a valid token with the right scope.")
        self.code = code
        self.status = status


def list_api_tokens(db: Session) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))


def create_api_token(
    db: Session, *, agency: Agency, name: str, scopes: Iterable[Scope], by: str, now: datetime
) -> tuple[ApiToken, str]:
    """A new token for an agency's system; the whole token is returned once and never kept."""
    chosen = sorted({Scope(scope) for scope in scopes})
    if not chosen:
        raise InvalidInputError("A token needs at least one scope.", field="scopes", fix="Choose its scopes.")
    whole, lookup, secret_hash = security.new_api_token()
    token = ApiToken(
        agency=agency,
        name=_required_text(name, "name"),
        lookup=lookup,
        secret_hash=secret_hash,
        scopes=" ".join(chosen),
        created_at=now,
        created_by=by,
    )
    db.add(token)
    db.flush()
    record_event(
        db, kind="token_created", actor=by, now=now, detail=f"{agency.name}: {token.name} ({lookup})"
    )
    return token, whole


def revoke_api_token(db: Session, token_id: uuid.UUID, *, by: str, now: datetime) -> ApiToken:
    token = _existing(db, ApiToken, token_id, "token")
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by = by
        record_event(db, kind="token_revoked", actor=by, now=now, detail=f"{token.name} ({token.lookup})")
    return token


def authenticate_api_token(
    db: Session, presented: str | None, *, scope: Scope | None, ip_address: str, now: datetime
) -> ApiToken:
    """The live token presented, if it carries the scope; otherwise a rejection saying which check failed."""
    try:
        token = _live_token(db, presented)
        if scope is not None and scope.value not in token.scope_list:
            raise TokenRejectedError(
                "insufficient_scope", f"This token does not carry the scope {scope.value!r}.", status=403
            )
    except TokenRejectedError as rejection:
        record_event(db, kind="token_rejected", ip_address=ip_address, now=now, detail=rejection.code)
        raise
    token.last_used_at = now
    return token


def _live_token(db: Session, presented: str | None) -> ApiToken:
    if not presented:
        raise TokenRejectedError("missing_token", "This request carries no API token.")
    parts = security.split_api_token(presented)
    if parts is None:
        raise TokenRejectedError(
            "malformed_token", "The API token is not in the expected form wp_<id>_<secret>."
        )
    lookup, secret = parts
    token = db.scalars(select(ApiToken).where(ApiToken.lookup == lookup)).first()
    if token is None or not _same_secret(token, secret):
        raise TokenRejectedError("invalid_token", "The API token is not recognised.")
    if token.revoked_at is not None:
        raise TokenRejectedError("revoked_token", "The API token has been revoked.")
    return token


def _same_secret(token: ApiToken, secret: str) -> bool:
    import hmac

    return hmac.compare_digest(token.secret_hash, security.digest(secret))


# ---------------------------------------------------------------- security events


def record_event(
    db: Session,
    *,
    kind: str,
    now: datetime,
    actor: str | None = None,
    ip_address: str | None = None,
    detail: str = "",
) -> None:
    db.add(SecurityEvent(kind=kind, occurred_at=now, actor=actor, ip_address=ip_address, detail=detail))


def recent_events(db: Session, *, limit: int = 200) -> list[SecurityEvent]:
    return list(db.scalars(select(SecurityEvent).order_by(SecurityEvent.occurred_at.desc()).limit(limit)))


def _existing(db: Session, model: type[Row], row_id: uuid.UUID, what: str) -> Row:
    row = db.get(model, row_id)
    if row is None:
        raise NotFoundError(f"No such {what}.", fix="Check the link or choose from the list.")
    return row


def _required_text(value: str, field: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise InvalidInputError(f"The {field.replace('_', ' ')} is required.", field=field, fix="Fill it in.")
    return cleaned
