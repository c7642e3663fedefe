"""Pages of coordination: closing a plan with evidence, sustainment checks, the outcome-claim export and caseloads.

Closing and the sustainment page are about one household and ask the access decision once each. A caseload
lists households by their opaque id with what coordination itself holds (the lead, the plan's needs, the
worker's own actions), so it asks nothing: opening a household asks. The partnership's list of households
nobody leads and the outcome-claim download each ask once, for the whole list."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.coordination.models import Plan, PlanNeed
from wholeplace.coordination.service import access, caseloads, closure, plans
from wholeplace.coordination.service.closure import NeedResult
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.governance.decision import Subject
from wholeplace.web.access import Viewer, allow
from wholeplace.web.errors import error_response
from wholeplace.web.pagination import pagination
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

CASEWORK = (Role.PRACTITIONER, Role.LEAD_PROFESSIONAL)
CASELOAD = "/caseload"
TEAM = "/caseload/team"
UNOWNED = "/caseload/unowned"
CLAIMS = "/outcome-claims"
NAVIGATION: list[NavigationEntry] = [
    NavigationEntry("My caseload", CASELOAD, frozenset(CASEWORK)),
    NavigationEntry("Team caseload", TEAM, frozenset({Role.TEAM_MANAGER})),
    NavigationEntry("Nobody owns the whole", UNOWNED, frozenset({Role.PROGRAMME_MANAGER})),
    NavigationEntry("Outcome claims", CLAIMS, frozenset({Role.PROGRAMME_MANAGER})),
]

DEFAULT_PURPOSE = "early_help"
CLOSE_CATEGORIES = ("involvement", "involvement_detail")
ALLOCATION_PURPOSE = "early_help_allocation"
DEFAULT_AGENCIES = 3
FEWEST_AGENCIES = 2  # one agency alone is not "several working with the family"
DATE_PARTS = ("day", "month", "year")
CLAIM_DATES = {"from": "the first day", "to": "the last day"}
WHY = {
    caseloads.LEAD: "Lead professional",
    caseloads.ACTIONS: "Your actions",
    caseloads.MEETING: "Meeting",
}

router = APIRouter()


# ---------------------------------------------------------------- a household's closure and sustainment


def _working(params: Mapping[str, Any]) -> access.Working:
    purpose = str(params.get("purpose") or "").strip() or DEFAULT_PURPOSE
    return access.Working(purpose=purpose, case_reference=str(params.get("case") or "").strip())


def _household_link(
    household_id: str, path: str = "", working: access.Working | None = None, **more: str
) -> str:
    query = {"purpose": working.purpose, "case": working.case_reference} if working else {}
    kept = urlencode({name: value for name, value in {**query, **more}.items() if value})
    return f"/households/{quote(household_id, safe='')}{path}" + (f"?{kept}" if kept else "")


def _seen(
    request: Request,
    db: Session,
    viewer: Viewer,
    household_id: str,
    working: access.Working,
    categories: tuple[str, ...],
    now: datetime,
) -> access.Sight | Response:
    """Ask the access decision once for the page; the sight, or the page saying why not."""
    sight = access.see(
        db,
        data_dir=request.app.state.settings.data_dir,
        viewer=viewer,
        working=working,
        subject=Subject("household", household_id),
        categories=categories,
        at=now,
    )
    if sight.permitted:
        return sight
    context = {
        "title": "You cannot see this household",
        "reason": sight.reason("involvement"),
        "position": sight.position,
        "back": "/",
    }
    return render(request, "disclosure_denied.html", context, status_code=403)


@router.get("/households/{household_id}/plan/close", response_class=HTMLResponse)
@allow(*CASEWORK)
def close_plan_page(request: Request, db: Db, now: Now, viewer: CurrentViewer, household_id: str) -> Response:
    working = _working(request.query_params)
    seen = _seen(request, db, viewer, household_id, working, CLOSE_CATEGORIES, now)
    if isinstance(seen, Response):
        return seen
    return _close_page(request, db, household_id, working, seen, values={})


@router.post("/households/{household_id}/plan/close", response_class=HTMLResponse)
@allow(*CASEWORK)
def close_plan(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household_id: str
) -> Response:
    """Close the open plan with each need's outcome and evidence; sustainment checks follow."""
    working = _working(data)
    seen = _seen(request, db, viewer, household_id, working, CLOSE_CATEGORIES, now)
    if isinstance(seen, Response):
        return seen
    plan = _open_plan(db, household_id)
    needs = closure.needs_to_close(db, plan)
    values = {name: field(data, name) for name in _closing_fields(needs)}
    results = {
        need.id: NeedResult(values[f"result-{need.id}"], values[f"evidence-{need.id}"]) for need in needs
    }
    errors = closure.closing_problems(db, plan_id=plan.id, results=results, summary=values["summary"])
    if not errors:
        try:
            with db.begin_nested():
                closure.close_plan(
                    db,
                    plan_id=plan.id,
                    results=results,
                    summary=values["summary"],
                    by=viewer.username,
                    at=now,
                )
        except WholeplaceError as error:
            errors = {"summary": str(error)}
    if errors:
        return _close_page(request, db, household_id, working, seen, values=values, errors=errors)
    return RedirectResponse(_household_link(household_id, "/plan", working, done="closed"), status_code=303)


def _closing_fields(needs: list[PlanNeed]) -> list[str]:
    return [*(f"{kind}-{need.id}" for need in needs for kind in ("result", "evidence")), "summary"]


def _open_plan(db: Session, household_id: str) -> Plan:
    plan = plans.open_plan_of(db, household_id)
    if plan is None:
        raise ConflictError(
            "This household has no open plan to close.", fix="Go back to the household's plan."
        )
    return plan


def _close_page(
    request: Request,
    db: Session,
    household_id: str,
    working: access.Working,
    sight: access.Sight,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
) -> Response:
    plan = _open_plan(db, household_id)
    areas = plans.outcome_areas(db)
    title = "Close the plan"
    context = {
        "title": f"Error: {title}" if errors else title,
        "household_id": household_id,
        "working": working,
        "needs": [
            (need, plans.outcome_label(areas, need.outcome_area)) for need in closure.needs_to_close(db, plan)
        ],
        "result_items": [{"value": code, "text": text} for code, text in closure.RESULTS.items()],
        "months": closure.sustainment_months(db),
        "values": values,
        "errors": errors or {},
        "household": _household_link(household_id, "", working),
        "plan_link": _household_link(household_id, "/plan", working),
        "action": _household_link(household_id, "/plan/close"),
        "why": f"/coordination/why/{sight.position}",
    }
    return render(request, "coordination/closure.html", context, status_code=400 if errors else 200)


@router.get("/households/{household_id}/sustainment", response_class=HTMLResponse)
@allow(*CASEWORK)
def sustainment_page(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, household_id: str
) -> Response:
    working = _working(request.query_params)
    seen = _seen(request, db, viewer, household_id, working, closure.REGISTER_CATEGORIES, now)
    if isinstance(seen, Response):
        return seen
    context = {
        "title": "Sustainment checks",
        "household_id": household_id,
        "checks": closure.checks_of(db, household_id=household_id, sight=seen),
        "statuses": closure.SUSTAINMENT_STATUSES,
        "results": closure.RESULTS,
        "day": _day_text,
        "household": _household_link(household_id, "", working),
        "plan_link": _household_link(household_id, "/plan", working),
        "why": f"/coordination/why/{seen.position}",
    }
    return render(request, "coordination/closure_sustainment.html", context)


# ---------------------------------------------------------------- caseloads


@router.get(CASELOAD, response_class=HTMLResponse)
@allow(*CASEWORK, Role.TEAM_MANAGER)
def caseload_page(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, worker: str = "", page: int = 1
) -> Response:
    """The viewer's caseload, or, for a team manager, that of someone in their team."""
    username = core.normalise_username(worker) if worker.strip() else viewer.username
    if username != viewer.username and not (
        viewer.has(Role.TEAM_MANAGER) and caseloads.manages(db, manager=viewer.username, worker=username)
    ):
        return error_response(
            request, 403, "forbidden", "A team manager may see the caseloads of their own team only."
        )
    found = caseloads.caseload(db, username=username, today=now.date(), at=now, page=page)
    worker_user = core.find_user(db, username)
    own = username == viewer.username
    areas = plans.outcome_areas(db)
    title = "My caseload" if own else f"Caseload of {worker_user.full_name if worker_user else username}"
    context = {
        "title": title,
        "own": own,
        "caseload": found,
        "today": now.date(),
        "why_labels": WHY,
        "names": _user_names(db),
        "household_link": lambda household_id: _household_link(
            household_id, "", access.Working(DEFAULT_PURPOSE)
        ),
        "area_label": lambda code: plans.outcome_label(areas, code),
        "day": _day_text,
        "pagination": pagination(
            lambda number: (
                CASELOAD + _query(worker=worker if not own else "", page=number if number > 1 else "")
            ),
            page=found.page,
            pages=found.pages,
            label="Pages of the caseload",
        ),
    }
    return render(request, "coordination/caseload.html", context)


@router.get(TEAM, response_class=HTMLResponse)
@allow(Role.TEAM_MANAGER)
def team_page(request: Request, db: Db, now: Now, viewer: CurrentViewer) -> Response:
    team_id, _ = caseloads.team_of(db, viewer.username)
    context = {
        "title": "Team caseload",
        "team": core.get_team(db, team_id) if team_id is not None else None,
        "members": caseloads.team_caseloads(db, manager=viewer.username, at=now),
        "link": lambda username: CASELOAD + _query(worker=username),
    }
    return render(request, "coordination/caseload_team.html", context)


@router.get(UNOWNED, response_class=HTMLResponse)
@allow(Role.PROGRAMME_MANAGER)
def unowned_page(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, agencies: str = "", page: int = 1
) -> Response:
    """Households several agencies work with that have no lead professional, asked about as one list."""
    at_least, error = _at_least(agencies)
    title = "Nobody owns the whole"
    context: dict[str, Any] = {
        "title": f"Error: {title}" if error else title,
        "heading": title,
        "values": {"agencies": agencies or str(DEFAULT_AGENCIES)},
        "errors": {"agencies": error} if error else {},
        "at_least": at_least,
    }
    if error:
        return render(request, "coordination/caseload_unowned.html", context, status_code=400)
    sight = access.see(
        db,
        data_dir=request.app.state.settings.data_dir,
        viewer=viewer,
        working=access.Working(ALLOCATION_PURPOSE),
        subject=Subject("batch", f"unowned:{at_least}"),
        categories=("involvement",),
        at=now,
    )
    context.update(
        {
            "permitted": sight.allows("involvement"),
            "reason": sight.reason("involvement"),
            "position": sight.position,
            "why": f"/coordination/why/{sight.position}",
        }
    )
    if sight.allows("involvement"):
        found = caseloads.unowned_households(
            db,
            at_least=at_least,
            on=now.date(),
            agency_ids=_released_agencies(db, sight),
            named=sight.field_shown("involvement", "involvement.agency"),
            page=page,
        )
        context.update(
            {
                "found": found,
                "named": sight.field_shown("involvement", "involvement.agency"),
                "pagination": pagination(
                    lambda number: UNOWNED + _query(agencies=agencies, page=number if number > 1 else ""),
                    page=found.page,
                    pages=found.pages,
                    label="Pages of households nobody leads",
                ),
            }
        )
    return render(
        request,
        "coordination/caseload_unowned.html",
        context,
        status_code=200 if sight.allows("involvement") else 403,
    )


def _at_least(given: str) -> tuple[int, str]:
    if not given.strip():
        return DEFAULT_AGENCIES, ""
    try:
        number = int(given)
    except ValueError:
        return DEFAULT_AGENCIES, "Enter the number of agencies as a whole number, like 3"
    if number < FEWEST_AGENCIES:
        return DEFAULT_AGENCIES, f"Enter a number of agencies of {FEWEST_AGENCIES} or more"
    return number, ""


def _released_agencies(db: Session, sight: access.Sight) -> list[uuid.UUID]:
    """The agencies whose involvements the decision releases, and the viewer's own."""
    return [
        agency.id for agency in core.list_agencies(db) if sight.shows("involvement", provider=agency.name)
    ]


def _day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _user_names(db: Session) -> dict[str, str]:
    return {user.username: user.full_name for user in core.list_users(db)}


def _query(**values: Any) -> str:
    kept = {name: value for name, value in values.items() if value}
    return f"?{urlencode(kept)}" if kept else ""


# ---------------------------------------------------------------- outcome claims


@router.get(CLAIMS, response_class=HTMLResponse)
@allow(Role.PROGRAMME_MANAGER)
def claims_page(request: Request, db: Db) -> Response:
    values, errors, period = _claim_period(request.query_params)
    title = "Outcome claims"
    rows = [] if errors else closure.outcome_claims(db, closed_from=period[0], closed_to=period[1])
    context = {
        "title": f"Error: {title}" if errors else title,
        "heading": title,
        "values": values,
        "errors": errors,
        "needs": len(rows),
        "households": len({row.household_id for row in rows}),
        "plans": len({row.plan_id for row in rows}),
        "download": CLAIMS + ".csv" + _query(**values),
        "columns": closure.CLAIM_COLUMNS,
    }
    return render(request, "coordination/claims.html", context, status_code=400 if errors else 200)


@router.get(CLAIMS + ".csv")
@allow(Role.PROGRAMME_MANAGER)
def claims_download(request: Request, db: Db, now: Now, viewer: CurrentViewer) -> Response:
    """The claim as CSV, once the access decision releases it; the download is one access-log entry."""
    values, errors, period = _claim_period(request.query_params)
    if errors:
        raise InvalidInputError(
            " ".join(f"{message}." for message in errors.values()),
            fix="Correct the dates on the outcome claims page, then download again.",
        )
    released = closure.release_claims(
        db,
        data_dir=request.app.state.settings.data_dir,
        viewer=viewer,
        closed_from=period[0],
        closed_to=period[1],
        at=now,
    )
    if not released.permitted:
        context = {
            "title": "You cannot download the outcome claims",
            "reason": released.reason,
            "position": released.position,
            "back": CLAIMS + _query(**values),
        }
        return render(request, "disclosure_denied.html", context, status_code=403)
    return StreamingResponse(
        closure.claims_csv(released.rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="outcome-claims-{now:%Y-%m-%d}.csv"'},
    )


def _claim_period(
    params: Mapping[str, str],
) -> tuple[dict[str, str], dict[str, str], tuple[date | None, date | None]]:
    values = {
        f"{name}-{part}": str(params.get(f"{name}-{part}", "")).strip()
        for name in CLAIM_DATES
        for part in DATE_PARTS
    }
    errors: dict[str, str] = {}
    since, until = (_date_from(values, errors, name, what) for name, what in CLAIM_DATES.items())
    if since and until and until < since:
        errors["to-day"] = "The last day must be the same as or after the first day"
    return values, errors, (since, until)


def _date_from(values: Mapping[str, str], errors: dict[str, str], name: str, what: str) -> date | None:
    """A GOV.UK date input's three boxes as a date, or None when all three are blank."""
    parts = {part: values.get(f"{name}-{part}", "") for part in DATE_PARTS}
    if not any(parts.values()):
        return None
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        errors[f"{name}-{missing[0]}"] = f"{what.capitalize()} must include a {missing[0]}"
        return None
    try:
        year = int(parts["year"])
        if year < 1000:
            raise ValueError(year)
        return date(year, int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[f"{name}-day"] = f"{what.capitalize()} must be a real date, like 31 3 2027"
        return None
