"""The access guard every route passes through: CSRF for forms, sessions for pages, tokens for the API."""

from __future__ import annotations

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.core import service
from wholeplace.core.models import ApiToken
from wholeplace.core.security import csrf_token_is_valid
from wholeplace.web.access import Access, Viewer, access_of
from wholeplace.web.requests import client_address, database, now
from wholeplace.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, UNSAFE_METHODS, csrf_binding


class RefusedError(Exception):
    """The request may not go on; the handler turns it into a page, a redirect or a JSON error."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class SignInRequiredError(Exception):
    def __init__(self, *, session_ended: bool) -> None:
        super().__init__("sign in required")
        self.session_ended = session_ended


async def check_csrf(request: Request) -> None:
    """Every form post carries the token bound to this browser's session; API calls use tokens instead."""
    if request.method not in UNSAFE_METHODS or request.url.path.startswith("/api/"):
        return
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        submitted = (await request.form()).get(CSRF_FIELD)
        presented = submitted if isinstance(submitted, str) else None
    if not csrf_token_is_valid(request.app.state.secret_key, csrf_binding(request), presented):
        _log_refusal(request, "csrf_rejected", "missing" if presented is None else "invalid")
        raise RefusedError(
            400,
            "csrf_rejected",
            "This form has expired or did not come from this service. Go back and try again.",
        )


def guard(request: Request, db: Session = Depends(database, scope="function")) -> None:
    """Deny by default: admit the request only if its route declares access and the caller meets it.

    A refusal commits what the checks recorded (ended sessions, security events) before it is raised,
    so the log keeps it while the route itself changes nothing.
    """
    # Read on the request's own connection, for its pages: a page rendered while its transaction holds a lock
    # (the access log's head) must not wait for a second connection that the requests waiting on it all hold.
    place = service.get_place(db)
    request.state.place_name = place.name if place is not None else None
    try:
        _admit(request, db)
    except (RefusedError, SignInRequiredError):
        db.commit()
        raise


def _admit(request: Request, db: Session) -> None:
    route = request.scope.get("route")
    access = access_of(route.endpoint) if route is not None else None
    if access is None:
        _log_refusal(request, "route_without_access", "the route declares no access", db=db)
        raise RefusedError(403, "forbidden", "You do not have access to this page.")
    if access.api:
        _admit_token(request, db, access)
        return
    request.state.viewer = _viewer_from_session(request, db)
    if access.public:
        return
    if request.state.viewer is None:
        raise SignInRequiredError(session_ended=SESSION_COOKIE in request.cookies)
    if not access.admits(request.state.viewer.roles):
        _log_refusal(request, "forbidden", "no role that admits it", db=db)
        raise RefusedError(403, "forbidden", "Your role does not give you access to this page.")


def _viewer_from_session(request: Request, db: Session) -> Viewer | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    policy = request.app.state.settings.session_policy()
    session = service.resolve_session(db, token, now=now(request), policy=policy)
    if session is None:
        return None
    user = session.user
    return Viewer(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        agency_name=user.agency.name,
        roles=user.roles,
    )


def _admit_token(request: Request, db: Session, access: Access) -> None:
    authorization = request.headers.get("authorization", "")
    scheme, _, presented = authorization.partition(" ")
    token_text = presented.strip() if scheme.lower() == "bearer" else None
    try:
        token: ApiToken = service.authenticate_api_token(
            db, token_text, scope=access.scope, ip_address=client_address(request), now=now(request)
        )
    except service.TokenRejectedError as rejection:
        raise RefusedError(rejection.status, rejection.code, rejection.problem) from rejection
    request.state.api_token = token


def _log_refusal(request: Request, kind: str, detail: str, *, db: Session | None = None) -> None:
    viewer = getattr(request.state, "viewer", None)
    if db is None:
        with request.app.state.sessions() as own, own.begin():
            _log_refusal(request, kind, detail, db=own)
        return
    service.record_event(
        db,
        kind=kind,
        actor=viewer.username if viewer else None,
        ip_address=client_address(request),
        now=now(request),
        detail=f"{request.method} {request.url.path}: {detail}",
    )
