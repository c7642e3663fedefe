from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.factories import MOMENT, PASSWORD
from wholeplace.core import service
from wholeplace.core.errors import (
    AccountLockedError,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    ThrottledError,
)
from wholeplace.core.models import LoginAttempt, SecurityEvent
from wholeplace.core.roles import AgencyKind, Role, Scope, Sector
from wholeplace.core.schemas import LoginPolicy, SessionPolicy

POLICY = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15), ip_max_failures=6)


def _sign_in(db: Session, username: str, password: str, *, minutes: float = 0, ip: str = "10.0.0.1") -> None:
    service.authenticate(
        db,
        username=username,
        password=password,
        ip_address=ip,
        now=MOMENT + timedelta(minutes=minutes),
        policy=POLICY,
    )


def _events(db: Session, kind: str) -> list[SecurityEvent]:
    return list(db.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)))


def test_one_place_per_database(db: Session) -> None:
    factories.place(db)
    with pytest.raises(ConflictError):
        service.create_place(db, name="Elsewhere", now=MOMENT)


def test_agency_names_are_unique_whatever_their_case(db: Session) -> None:
    factories.agency(db, "Riverford Homes")
    with pytest.raises(ConflictError):
        service.add_agency(
            db, name="riverford homes", kind=AgencyKind.PUBLIC, sector=Sector.HOUSING, now=MOMENT
        )


def test_a_user_holds_several_roles_and_belongs_to_an_agency(db: Session) -> None:
    home = factories.agency(db, "Riverford Homes")
    user = factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, at=home)
    assert user.roles == {"practitioner", "lead_professional"}
    assert user.agency.name == "Riverford Homes"


def test_a_user_needs_a_role(db: Session) -> None:
    with pytest.raises(InvalidInputError, match="at least one role"):
        service.create_user(
            db,
            username="x",
            full_name="X",
            agency=factories.agency(db),
            roles=[],
            password=PASSWORD,
            now=MOMENT,
        )


def test_short_passwords_are_refused(db: Session) -> None:
    with pytest.raises(InvalidInputError, match="too short"):
        factories.user(db, password="short")


def test_usernames_are_unique_and_case_folded(db: Session) -> None:
    factories.user(db, username="Amira")
    with pytest.raises(ConflictError):
        factories.user(db, username="amira")


def test_right_password_signs_in_and_is_logged(db: Session) -> None:
    factories.user(db, username="amira")
    _sign_in(db, "AMIRA", PASSWORD)
    assert len(_events(db, "login_succeeded")) == 1


@pytest.mark.parametrize("username", ["amira", "nobody"])
def test_wrong_password_and_unknown_user_fail_the_same_way(db: Session, username: str) -> None:
    factories.user(db, username="amira")
    with pytest.raises(AuthenticationError) as failure:
        _sign_in(db, username, "wrong password!!")
    assert str(failure.value) == "The username or password is not right. Check them and try again."
    assert len(_events(db, "login_failed")) == 1


def test_repeated_failures_lock_the_account_even_against_the_right_password(db: Session) -> None:
    factories.user(db, username="amira")
    for attempt in range(POLICY.max_failures):
        with pytest.raises(AuthenticationError):
            _sign_in(db, "amira", "wrong password!!", minutes=attempt)
    with pytest.raises(AccountLockedError) as locked:
        _sign_in(db, "amira", PASSWORD, minutes=3)
    assert locked.value.minutes == 14  # the last failure, at minute 2, locks until minute 17
    assert len(_events(db, "account_locked")) == 1


def test_the_lock_lifts_after_the_lockout_period(db: Session) -> None:
    factories.user(db, username="amira")
    for _ in range(POLICY.max_failures):
        with pytest.raises(AuthenticationError):
            _sign_in(db, "amira", "wrong password!!")
    _sign_in(db, "amira", PASSWORD, minutes=16)


def test_a_success_resets_the_failure_count(db: Session) -> None:
    factories.user(db, username="amira")
    for minute in range(POLICY.max_failures - 1):
        with pytest.raises(AuthenticationError):
            _sign_in(db, "amira", "wrong password!!", minutes=minute)
    _sign_in(db, "amira", PASSWORD, minutes=3)
    with pytest.raises(AuthenticationError):
        _sign_in(db, "amira", "wrong password!!", minutes=4)
    _sign_in(db, "amira", PASSWORD, minutes=5)


def test_many_failures_from_one_address_are_throttled(db: Session) -> None:
    for number in range(POLICY.ip_max_failures):
        with pytest.raises(AuthenticationError):
            _sign_in(db, f"guess{number}", "wrong password!!")
    factories.user(db, username="amira")
    with pytest.raises(ThrottledError):
        _sign_in(db, "amira", PASSWORD)
    _sign_in(db, "amira", PASSWORD, ip="10.0.0.2")


def test_locked_attempts_do_not_extend_the_lock(db: Session) -> None:
    factories.user(db, username="amira")
    for _ in range(POLICY.max_failures):
        with pytest.raises(AuthenticationError):
            _sign_in(db, "amira", "wrong password!!")
    for minute in range(1, 14):
        with pytest.raises(AccountLockedError):
            _sign_in(db, "amira", "wrong password!!", minutes=minute)
    assert db.scalar(select(LoginAttempt.id).where(LoginAttempt.attempted_at > MOMENT)) is None


def test_inactive_users_cannot_sign_in(db: Session) -> None:
    user = factories.user(db, username="amira")
    service.update_user(
        db,
        user,
        full_name=user.full_name,
        email=None,
        roles=[Role.PRACTITIONER],
        is_active=False,
        team=None,
        now=MOMENT,
    )
    with pytest.raises(AuthenticationError):
        _sign_in(db, "amira", PASSWORD)


SESSIONS = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def test_a_session_lives_while_used_and_ends_when_idle(db: Session) -> None:
    token = service.start_session(db, factories.user(db), ip_address="10.0.0.1", now=MOMENT)
    assert service.resolve_session(db, token, now=MOMENT + timedelta(minutes=29), policy=SESSIONS)
    assert service.resolve_session(db, token, now=MOMENT + timedelta(minutes=58), policy=SESSIONS)
    assert service.resolve_session(db, token, now=MOMENT + timedelta(minutes=89), policy=SESSIONS) is None
    assert service.resolve_session(db, token, now=MOMENT + timedelta(minutes=90), policy=SESSIONS) is None


def test_a_session_ends_at_the_absolute_limit_however_busy(db: Session) -> None:
    token = service.start_session(db, factories.user(db), ip_address="10.0.0.1", now=MOMENT)
    for quarter in range(1, 48):
        assert service.resolve_session(
            db, token, now=MOMENT + timedelta(minutes=15 * quarter), policy=SESSIONS
        )
    assert (
        service.resolve_session(db, token, now=MOMENT + timedelta(hours=12, minutes=1), policy=SESSIONS)
        is None
    )


def test_an_unknown_session_token_resolves_to_nobody(db: Session) -> None:
    assert service.resolve_session(db, "made-up", now=MOMENT, policy=SESSIONS) is None


def test_changing_a_password_ends_every_session(db: Session) -> None:
    user = factories.user(db)
    token = service.start_session(db, user, ip_address="10.0.0.1", now=MOMENT)
    service.change_password(db, user, new_password="a brand new password", now=MOMENT)
    assert service.resolve_session(db, token, now=MOMENT, policy=SESSIONS) is None


def test_api_tokens_are_kept_only_as_hashes(db: Session) -> None:
    token, whole = service.create_api_token(
        db, agency=factories.agency(db), name="feed", scopes=[Scope.PLACE_READ], by="admin", now=MOMENT
    )
    assert whole.split("_", 2)[2] not in token.secret_hash
    found = service.authenticate_api_token(
        db, whole, scope=Scope.PLACE_READ, ip_address="10.0.0.9", now=MOMENT
    )
    assert found.id == token.id
    assert found.last_used_at == MOMENT


@pytest.mark.parametrize(
    ("presented", "code"),
    [
        (None, "missing_token"),
        ("Bearer nonsense", "malformed_token"),
        ("wp_0123456789abcdef_" + "A" * 43, "invalid_token"),
    ],
)
def test_bad_tokens_are_rejected_with_a_reason_and_logged(
    db: Session, presented: str | None, code: str
) -> None:
    with pytest.raises(service.TokenRejectedError) as rejected:
        service.authenticate_api_token(db, presented, scope=None, ip_address="10.0.0.9", now=MOMENT)
    assert rejected.value.code == code
    assert [event.detail for event in _events(db, "token_rejected")] == [code]


def test_a_revoked_token_is_refused(db: Session) -> None:
    token, whole = service.create_api_token(
        db, agency=factories.agency(db), name="feed", scopes=[Scope.PLACE_READ], by="admin", now=MOMENT
    )
    service.revoke_api_token(db, token.id, by="admin", now=MOMENT)
    with pytest.raises(service.TokenRejectedError) as rejected:
        service.authenticate_api_token(db, whole, scope=None, ip_address="10.0.0.9", now=MOMENT)
    assert rejected.value.code == "revoked_token"


def test_a_token_with_the_right_lookup_but_wrong_secret_is_refused(db: Session) -> None:
    _, whole = service.create_api_token(
        db, agency=factories.agency(db), name="feed", scopes=[Scope.PLACE_READ], by="admin", now=MOMENT
    )
    forged = whole[:-4] + ("AAAA" if not whole.endswith("AAAA") else "BBBB")
    with pytest.raises(service.TokenRejectedError) as rejected:
        service.authenticate_api_token(db, forged, scope=None, ip_address="10.0.0.9", now=MOMENT)
    assert rejected.value.code == "invalid_token"


def test_a_token_needs_a_scope(db: Session) -> None:
    with pytest.raises(InvalidInputError):
        service.create_api_token(
            db, agency=factories.agency(db), name="feed", scopes=[], by="admin", now=MOMENT
        )
