"""Pages of the foundation: signing in and out, the start page, your account, and administration."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.core import service
from wholeplace.core.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ThrottledError,
)
from wholeplace.core.roles import AgencyKind, Role, Scope, Sector
from wholeplace.core.security import verify_password
from wholeplace.web.access import allow, public, signed_in
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, choice, client_address, field
from wholeplace.web.security import SESSION_COOKIE, session_cookie_options
from wholeplace.web.templating import NavigationEntry, render

ADMINISTRATOR = Role.ADMINISTRATOR
ALL_ROLES = frozenset(Role)

NAVIGATION = [
    NavigationEntry("Home", "/", ALL_ROLES),
    NavigationEntry("Administration", "/admin", frozenset({ADMINISTRATOR})),
    NavigationEntry(
        "Security log", "/security-log", frozenset({ADMINISTRATOR, Role.INFORMATION_GOVERNANCE_OFFICER})
    ),
    NavigationEntry("Your account", "/account", ALL_ROLES),
]

router = APIRouter()


# ---------------------------------------------------------------- signing in and out


@router.get("/login", response_class=HTMLResponse)
@public
def login_page(request: Request, next: str = "/", ended: str = "") -> Response:
    if request.state.viewer is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, next=next, session_ended=bool(ended))


@router.post("/login", response_class=HTMLResponse)
@public
def login(request: Request, db: Db, now: Now, data: Form) -> Response:
    settings = request.app.state.settings
    username, password, next_path = field(data, "username"), data.get("password"), field(data, "next")
    if not username or not isinstance(password, str) or not password:
        errors = _missing_credentials(username, password)
        return _login_form(request, next=next_path, username=username, errors=errors, status_code=400)
    try:
        user = service.authenticate(
            db,
            username=username,
            password=password,
            ip_address=client_address(request),
            now=now,
            policy=settings.login_policy(),
        )
    except AuthenticationError as error:
        status = 429 if isinstance(error, ThrottledError) else 401
        errors = {"password": str(error)}
        return _login_form(request, next=next_path, username=username, errors=errors, status_code=status)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        service.end_session(db, previous, now=now, reason="replaced")
    token = service.start_session(db, user, ip_address=client_address(request), now=now)
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(value=token, **session_cookie_options(secure=settings.secure_cookies))
    return response


@router.post("/logout")
@signed_in
def logout(request: Request, db: Db, now: Now) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(db, token, now=now, reason="signed_out")
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _login_form(
    request: Request,
    *,
    next: str,
    username: str = "",
    errors: dict[str, str] | None = None,
    session_ended: bool = False,
    status_code: int = 200,
) -> Response:
    context = {
        "next": _safe_next(next),
        "username": username,
        "errors": errors or {},
        "session_ended": session_ended,
        "signed_out": bool(request.query_params.get("signed_out")),
    }
    return render(request, "core/login.html", context, status_code=status_code)


def _missing_credentials(username: str, password: object) -> dict[str, str]:
    errors = {}
    if not username:
        errors["username"] = "Enter your username"
    if not isinstance(password, str) or not password:
        errors["password"] = "Enter your password"
    return errors


def _safe_next(path: str) -> str:
    """Only a path on this site: never an open redirect to another."""
    if path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/"


# ---------------------------------------------------------------- every signed-in user


@router.get("/", response_class=HTMLResponse)
@signed_in
def home(request: Request, viewer: CurrentViewer) -> Response:
    roles = [Role(role) for role in sorted(viewer.roles)]
    return render(request, "core/home.html", {"title": "Home", "roles": roles})


@router.get("/account", response_class=HTMLResponse)
@signed_in
def account(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    user = service.get_user(db, viewer.user_id)
    return render(request, "core/account.html", {"title": "Your account", "user": user, "errors": {}})


@router.post("/account/password", response_class=HTMLResponse)
@signed_in
def change_password(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    user = service.get_user(db, viewer.user_id)
    current, new, confirm = (
        field(data, "current_password"),
        field(data, "new_password"),
        field(data, "confirm_password"),
    )
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = "Your current password is not right"
    elif new != confirm:
        errors["confirm_password"] = "The new passwords do not match"
    else:
        try:
            service.change_password(db, user, new_password=new, now=now)
        except InvalidInputError as error:
            errors["new_password"] = str(error)
    if errors:
        context = {"title": "Your account", "user": user, "errors": errors}
        return render(request, "core/account.html", context, status_code=400)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/accessibility", response_class=HTMLResponse)
@public
def accessibility(request: Request) -> Response:
    return render(request, "core/accessibility.html", {"title": "Accessibility"})


@router.get("/privacy", response_class=HTMLResponse)
@public
def privacy(request: Request) -> Response:
    return render(request, "core/privacy.html", {"title": "Privacy"})


@router.get("/health", include_in_schema=False)
@public
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/security-log", response_class=HTMLResponse)
@allow(ADMINISTRATOR, Role.INFORMATION_GOVERNANCE_OFFICER)
def security_log(request: Request, db: Db) -> Response:
    events = service.recent_events(db, limit=200)
    return render(request, "core/security_log.html", {"title": "Security log", "events": events})


# ---------------------------------------------------------------- administration


@router.get("/admin", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def admin_home(request: Request, db: Db) -> Response:
    counts = {
        "agencies": len(service.list_agencies(db)),
        "users": len(service.list_users(db)),
        "tokens": sum(1 for token in service.list_api_tokens(db) if token.revoked_at is None),
    }
    place = service.require_place(db)
    return render(
        request, "core/admin/index.html", {"title": "Administration", "place": place, "counts": counts}
    )


@router.get("/admin/place", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def place_page(request: Request, db: Db) -> Response:
    return _place_form(request, name=service.require_place(db).name)


@router.post("/admin/place", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def rename_place(request: Request, db: Db, data: Form) -> Response:
    try:
        service.rename_place(db, name=field(data, "name"))
    except InvalidInputError as error:
        return _place_form(request, name=field(data, "name"), errors={"name": str(error)})
    return RedirectResponse("/admin?updated=place", status_code=303)


def _place_form(request: Request, *, name: str, errors: dict[str, str] | None = None) -> Response:
    context = {"title": "The place", "name": name, "errors": errors or {}}
    return render(request, "core/admin/place.html", context, status_code=400 if errors else 200)


@router.get("/admin/agencies", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def agencies(request: Request, db: Db) -> Response:
    return render(
        request, "core/admin/agencies.html", {"title": "Agencies", "agencies": service.list_agencies(db)}
    )


@router.get("/admin/agencies/new", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def new_agency_page(request: Request) -> Response:
    return _agency_form(request, values={})


@router.post("/admin/agencies/new", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def new_agency(request: Request, db: Db, now: Now, data: Form) -> Response:
    try:
        agency = service.add_agency(
            db,
            name=field(data, "name"),
            kind=choice(data, "kind", AgencyKind, label="kind of agency"),
            sector=choice(data, "sector", Sector, label="sector"),
            now=now,
        )
    except (InvalidInputError, ConflictError) as error:
        return _agency_form(request, values=dict(data), errors={_field_of(error, "name"): str(error)})
    return RedirectResponse(f"/admin/agencies/{agency.id}", status_code=303)


def _agency_form(
    request: Request, *, values: dict[str, Any], errors: dict[str, str] | None = None
) -> Response:
    context = {
        "title": "Add an agency",
        "values": values,
        "errors": errors or {},
        "kinds": list(AgencyKind),
        "sectors": list(Sector),
    }
    return render(request, "core/admin/agency_new.html", context, status_code=400 if errors else 200)


@router.get("/admin/agencies/{agency_id}", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def agency_page(request: Request, db: Db, agency_id: uuid.UUID) -> Response:
    return _agency_page(request, db, agency_id)


@router.post("/admin/agencies/{agency_id}/teams", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def add_team(request: Request, db: Db, now: Now, agency_id: uuid.UUID, data: Form) -> Response:
    agency = service.get_agency(db, agency_id)
    try:
        service.add_team(db, agency=agency, name=field(data, "team_name"), now=now)
    except (InvalidInputError, ConflictError) as error:
        return _agency_page(request, db, agency_id, errors={"team_name": str(error)})
    return RedirectResponse(f"/admin/agencies/{agency_id}", status_code=303)


def _agency_page(
    request: Request, db: Db, agency_id: uuid.UUID, *, errors: dict[str, str] | None = None
) -> Response:
    agency = service.get_agency(db, agency_id)
    members = [user for user in service.list_users(db) if user.agency_id == agency.id]
    tokens = [token for token in service.list_api_tokens(db) if token.agency_id == agency.id]
    context = {
        "title": agency.name,
        "agency": agency,
        "members": members,
        "tokens": tokens,
        "errors": errors or {},
    }
    return render(request, "core/admin/agency.html", context, status_code=400 if errors else 200)


@router.get("/admin/users", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def users(request: Request, db: Db) -> Response:
    return render(request, "core/admin/users.html", {"title": "Users", "users": service.list_users(db)})


@router.get("/admin/users/new", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def new_user_page(request: Request, db: Db) -> Response:
    return _user_form(request, db, values={})


@router.post("/admin/users/new", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def new_user(request: Request, db: Db, now: Now, data: Form) -> Response:
    try:
        agency, team = _agency_and_team(db, data)
        user = service.create_user(
            db,
            username=field(data, "username"),
            full_name=field(data, "full_name"),
            email=field(data, "email"),
            agency=agency,
            team=team,
            roles=_roles(data),
            password=field(data, "password"),
            now=now,
        )
    except (InvalidInputError, ConflictError) as error:
        values = {**dict(data), "roles": data.getlist("roles")}
        return _user_form(request, db, values=values, errors={_field_of(error, "username"): str(error)})
    return RedirectResponse(f"/admin/users/{user.id}?created=1", status_code=303)


def _user_form(
    request: Request, db: Db, *, values: dict[str, Any], errors: dict[str, str] | None = None
) -> Response:
    context = {
        "title": "Add a user",
        "values": values,
        "errors": errors or {},
        "agencies": service.list_agencies(db),
        "roles": list(Role),
    }
    return render(request, "core/admin/user_new.html", context, status_code=400 if errors else 200)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def user_page(request: Request, db: Db, user_id: uuid.UUID) -> Response:
    return _user_page(request, db, service.get_user(db, user_id))


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def update_user(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, user_id: uuid.UUID, data: Form
) -> Response:
    user = service.get_user(db, user_id)
    try:
        team_id = field(data, "team")
        if user.id == viewer.user_id:
            _keep_own_administration(data)
        service.update_user(
            db,
            user,
            full_name=field(data, "full_name"),
            email=field(data, "email"),
            roles=_roles(data),
            is_active=field(data, "active") == "yes",
            team=service.get_team(db, uuid.UUID(team_id)) if team_id else None,
            now=now,
        )
    except (InvalidInputError, ValueError) as error:
        return _user_page(request, db, user, errors={_field_of(error, "roles"): str(error)})
    return RedirectResponse(f"/admin/users/{user_id}?updated=1", status_code=303)


def _keep_own_administration(data: FormData) -> None:
    """An administrator may not lock themselves out: someone must always be able to administer the place."""
    if field(data, "active") != "yes" or ADMINISTRATOR.value not in data.getlist("roles"):
        raise InvalidInputError(
            "You cannot deactivate yourself or remove your own administrator role.",
            field="roles",
            fix="Ask another administrator to make this change.",
        )


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def reset_password(request: Request, db: Db, now: Now, user_id: uuid.UUID, data: Form) -> Response:
    user = service.get_user(db, user_id)
    try:
        service.change_password(db, user, new_password=field(data, "new_password"), now=now)
    except InvalidInputError as error:
        return _user_page(request, db, user, errors={"new_password": str(error)})
    return RedirectResponse(f"/admin/users/{user_id}?password=1", status_code=303)


def _user_page(request: Request, db: Db, user: Any, *, errors: dict[str, str] | None = None) -> Response:
    context = {
        "title": user.full_name,
        "user": user,
        "roles": list(Role),
        "errors": errors or {},
        "created": bool(request.query_params.get("created")),
        "updated": bool(request.query_params.get("updated")),
        "password_reset": bool(request.query_params.get("password")),
    }
    return render(request, "core/admin/user.html", context, status_code=400 if errors else 200)


def _agency_and_team(db: Db, data: FormData) -> tuple[Any, Any]:
    agency_id, team_id = field(data, "agency"), field(data, "team")
    try:
        agency = service.get_agency(db, uuid.UUID(agency_id))
        team = service.get_team(db, uuid.UUID(team_id)) if team_id else None
    except (ValueError, NotFoundError) as error:
        raise InvalidInputError("Select the user's agency.", field="agency") from error
    return agency, team


def _roles(data: FormData) -> list[Role]:
    try:
        return [Role(str(role)) for role in data.getlist("roles")]
    except ValueError as error:
        raise InvalidInputError("Choose roles from the list.", field="roles") from error


@router.get("/admin/tokens", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def tokens(request: Request, db: Db) -> Response:
    context = {"title": "API tokens", "tokens": service.list_api_tokens(db)}
    return render(request, "core/admin/tokens.html", context)


@router.get("/admin/tokens/new", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def new_token_page(request: Request, db: Db) -> Response:
    return _token_form(request, db, values={})


@router.post("/admin/tokens/new", response_class=HTMLResponse)
@allow(ADMINISTRATOR)
def new_token(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    try:
        agency = service.get_agency(db, uuid.UUID(field(data, "agency")))
    except (ValueError, NotFoundError):
        return _token_form(
            request, db, values=dict(data), errors={"agency": "Select the agency the token is for"}
        )
    try:
        scopes = [Scope(str(scope)) for scope in data.getlist("scopes")]
        token, whole = service.create_api_token(
            db, agency=agency, name=field(data, "name"), scopes=scopes, by=viewer.username, now=now
        )
    except (InvalidInputError, ValueError) as error:
        values = {**dict(data), "scopes": data.getlist("scopes")}
        return _token_form(request, db, values=values, errors={_field_of(error, "scopes"): str(error)})
    return render(
        request, "core/admin/token_created.html", {"title": "Token created", "token": token, "whole": whole}
    )


def _token_form(
    request: Request, db: Db, *, values: dict[str, Any], errors: dict[str, str] | None = None
) -> Response:
    context = {
        "title": "Issue an API token",
        "values": values,
        "errors": errors or {},
        "agencies": service.list_agencies(db),
        "scopes": list(Scope),
    }
    return render(request, "core/admin/token_new.html", context, status_code=400 if errors else 200)


@router.post("/admin/tokens/{token_id}/revoke")
@allow(ADMINISTRATOR)
def revoke_token(db: Db, now: Now, viewer: CurrentViewer, token_id: uuid.UUID) -> Response:
    service.revoke_api_token(db, token_id, by=viewer.username, now=now)
    return RedirectResponse("/admin/tokens?revoked=1", status_code=303)


def _field_of(error: Exception, default: str) -> str:
    return getattr(error, "field", None) or default
