"""Pages of coordination: the lead professional, the shared plan (and its printable version) and meetings.

Every page is about one household and asks the access decision once, for the purpose and case the practitioner
works under, because the plan and its meetings reveal which agencies work with the family. Another agency's
name, and its named worker, are shown only as that decision allows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.coordination.framework import LOCAL_TIME
from wholeplace.coordination.models import LeadProfessional, Meeting, Plan, PlanNeed
from wholeplace.coordination.service import access, leads, meetings, plans
from wholeplace.coordination.service.meetings import ActionInput, DecisionInput, Invitee
from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, NotFoundError, WholeplaceError
from wholeplace.core.models import User
from wholeplace.core.roles import Role
from wholeplace.governance.decision import Subject
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

NAVIGATION: list[NavigationEntry] = []

CASEWORK = (Role.PRACTITIONER, Role.LEAD_PROFESSIONAL)
CATEGORIES = ("involvement", "involvement_detail")
# Agreeing one plan and one lead professional with a family is what early help is for.
DEFAULT_PURPOSE = "early_help"
HOUSEHOLD = "/households/{household_id}"
DATE_PARTS = ("day", "month", "year")
DECISION_ROWS = 3
GUEST_ROWS = 3
WITHHELD_AGENCY = "Another agency"
WITHHELD_WORKER = "A named worker"
DONE = {
    "assigned": "Lead professional assigned",
    "handed_over": "Lead professional handed over",
    "opened": "Plan opened",
    "words": "The family's words saved",
    "need": "Need added to the plan",
    "action": "Action added to the plan",
    "action_done": "Action marked done",
    "action_cancelled": "Action cancelled",
    "action_open": "Action reopened",
    "removed": "Need removed from the plan",
    "arranged": "Meeting arranged",
    "recorded": "Meeting recorded",
    "closed": "Plan closed: each achieved outcome will be checked to see that it lasted",
}
MEETING_STATUSES = {"planned": "Planned", "held": "Held"}

# ---------------------------------------------------------------- the household as the decision lets it be seen


@dataclass(frozen=True)
class _Lead:
    username: str
    name: str
    agency: str
    email: str | None
    started: date
    ended: date | None
    family_agreed_on: date
    family_agreement: str
    handover_reason: str | None


@dataclass(frozen=True)
class _Household:
    """One household's pages, as one access decision lets the viewer see them."""

    id: str
    working: access.Working
    sight: access.Sight
    lead: _Lead | None

    def link(self, path: str = "", **more: str) -> str:
        query = {"purpose": self.working.purpose, "case": self.working.case_reference, **more}
        kept = urlencode({name: value for name, value in query.items() if value})
        return f"/households/{quote(self.id, safe='')}{path}" + (f"?{kept}" if kept else "")

    @property
    def why(self) -> str:
        return f"/coordination/why/{self.sight.position}"

    def agency(self, name: str) -> str:
        return name if self.sight.shows("involvement", provider=name) else WITHHELD_AGENCY

    def worker(self, agency: str, name: str) -> str:
        if agency == self.sight.agency:
            return name
        shown = self.sight.shows("involvement", provider=agency) and self.sight.field_shown(
            "involvement_detail", "involvement.lead_worker"
        )
        return name if shown else WITHHELD_WORKER


def _working(params: Mapping[str, Any]) -> access.Working:
    purpose = str(params.get("purpose") or "").strip() or DEFAULT_PURPOSE
    return access.Working(purpose=purpose, case_reference=str(params.get("case") or "").strip())


class _RefusedError(Exception):
    """The access decision refused the viewer the household: the page saying so, to answer the request with."""

    def __init__(self, page: Response) -> None:
        super().__init__("the access decision refused the household")
        self.page = page


class _HouseholdRoute(APIRoute):
    """A route about one household answers a refusal of the access decision with the refusal's page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except _RefusedError as refused:
                return refused.page

        return answer


async def _working_of(request: Request) -> access.Working:
    """The purpose and case the practitioner works under: a form carries them, or else the page's address."""
    return _working(await request.form() if request.method == "POST" else request.query_params)


def _seen(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    household_id: str,
    working: Annotated[access.Working, Depends(_working_of)],
) -> _Household:
    """Ask the access decision once for the page; the household as it may be seen. A refusal is committed to
    the access log here, since the request ends in the refusal's page rather than the route."""
    sight = access.see(
        db,
        data_dir=request.app.state.settings.data_dir,
        viewer=viewer,
        working=working,
        subject=Subject("household", household_id),
        categories=CATEGORIES,
        at=now,
    )
    if not sight.permitted:
        db.commit()
        context = {
            "title": "You cannot see this household's plan",
            "reason": sight.reason("involvement"),
            "position": sight.position,
            "back": "/",
        }
        raise _RefusedError(render(request, "disclosure_denied.html", context, status_code=403))
    lead = leads.current(db, household_id)
    return _Household(household_id, working, sight, _lead(db, lead) if lead is not None else None)


Household = Annotated[_Household, Depends(_seen)]
router = APIRouter(route_class=_HouseholdRoute)


def _lead(db: Session, spell: LeadProfessional) -> _Lead:
    user = core.find_user(db, spell.username)
    return _Lead(
        username=spell.username,
        name=user.full_name if user is not None else spell.username,
        agency=core.get_agency(db, spell.agency_id).name,
        email=user.email if user is not None else None,
        started=spell.started_at.date(),
        ended=spell.ended_at.date() if spell.ended_at else None,
        family_agreed_on=spell.family_agreed_on,
        family_agreement=spell.family_agreement,
        handover_reason=spell.handover_reason,
    )


def _page(
    request: Request,
    household: _Household,
    template: str,
    title: str,
    context: Mapping[str, Any],
    *,
    errors: Mapping[str, str] | None = None,
) -> Response:
    full = {
        "title": f"Error: {title}" if errors else title,
        "heading": title,
        "household": household,
        "errors": errors or {},
        "day": _day_text,
        "when": _when_text,
        **context,
    }
    return render(request, template, full, status_code=400 if errors else 200)


# ---------------------------------------------------------------- the lead professional


@router.get(HOUSEHOLD + "/lead", response_class=HTMLResponse)
@allow(*CASEWORK)
def lead_page(request: Request, db: Db, household: Household, done: str = "") -> Response:
    return _lead_page(request, db, household, values={}, done=DONE.get(done, ""))


@router.post(HOUSEHOLD + "/lead/assign", response_class=HTMLResponse)
@allow(*CASEWORK)
def assign_lead(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household: Household
) -> Response:
    """Make someone the household's lead professional, with the family's agreement."""
    return _change_lead(request, db, now, viewer, data, household, handing_over=False)


@router.post(HOUSEHOLD + "/lead/handover", response_class=HTMLResponse)
@allow(*CASEWORK)
def hand_over_lead(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household: Household
) -> Response:
    """Hand the household over to another lead professional, with the reason and the family's agreement."""
    return _change_lead(request, db, now, viewer, data, household, handing_over=True)


def _change_lead(
    request: Request,
    db: Session,
    now: datetime,
    viewer: Viewer,
    data: FormData,
    household: _Household,
    *,
    handing_over: bool,
) -> Response:
    values = _values(data, "username", "family_agreement", "handover_reason", dates=("agreed",))
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = "Select the lead professional"
    agreed_on = _date_from(values, errors, "agreed", "the date the family agreed")
    if not values["family_agreement"]:
        errors["family_agreement"] = "Enter how the family agreed"
    if handing_over and not values["handover_reason"]:
        errors["handover_reason"] = "Enter why the lead professional is changing"
    if errors or agreed_on is None:
        return _lead_page(request, db, household, values=values, errors=errors)
    fields = {"family_agreed_on": "agreed-day", "to_username": "username"}
    try:
        with db.begin_nested():
            if handing_over:
                leads.hand_over(
                    db,
                    household_id=household.id,
                    to_username=values["username"],
                    reason=values["handover_reason"],
                    family_agreed_on=agreed_on,
                    family_agreement=values["family_agreement"],
                    by=viewer.username,
                    at=now,
                )
            else:
                leads.assign(
                    db,
                    household_id=household.id,
                    username=values["username"],
                    family_agreed_on=agreed_on,
                    family_agreement=values["family_agreement"],
                    by=viewer.username,
                    at=now,
                )
    except WholeplaceError as error:
        errors = {_field_of(error, values, fields, default="username"): str(error)}
        return _lead_page(request, db, household, values=values, errors=errors)
    done = "handed_over" if handing_over else "assigned"
    return RedirectResponse(household.link("/lead", done=done), status_code=303)


def _lead_page(
    request: Request,
    db: Session,
    household: _Household,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    done: str = "",
) -> Response:
    context = {
        "values": values,
        "done": done,
        "spells": [_lead(db, spell) for spell in leads.history(db, household.id)],
        "candidates": [
            (user.username, _named(user))
            for user in leads.candidates(db)
            if household.lead is None or user.username != household.lead.username
        ],
    }
    return _page(request, household, "coordination/lead.html", "Lead professional", context, errors=errors)


# ---------------------------------------------------------------- the plan


@router.get(HOUSEHOLD + "/plan", response_class=HTMLResponse)
@allow(*CASEWORK)
def plan_page(request: Request, db: Db, now: Now, household: Household, done: str = "") -> Response:
    return _plan_page(request, db, household, now=now, done=DONE.get(done, ""))


def _plan_page(
    request: Request,
    db: Session,
    household: _Household,
    *,
    now: datetime,
    done: str = "",
    errors: Mapping[str, str] | None = None,
) -> Response:
    plan = plans.plan_of(db, household.id)
    context = {
        "plan": plan,
        "contents": plans.contents(db, plan) if plan is not None else None,
        "today": now.date(),
        "done": done,
        "statuses": plans.ACTION_STATUSES,
        "opened_by": _name_of(db, plan.opened_by) if plan is not None else "",
    }
    return _page(request, household, "coordination/plan.html", "Family plan", context, errors=errors)


@router.get(HOUSEHOLD + "/plan/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def new_plan_page(request: Request, db: Db, household: Household) -> Response:
    if plans.open_plan_of(db, household.id) is not None:
        return RedirectResponse(household.link("/plan"), status_code=303)
    return _words_page(request, household, values={}, opening=True)


@router.post(HOUSEHOLD + "/plan/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def open_plan(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household: Household
) -> Response:
    """Open the household's shared plan with the family's own words and priorities."""
    values = _values(data, "family_words", "family_priorities")
    if not values["family_words"]:
        errors = {"family_words": "Enter what the family says they want, in their own words"}
        return _words_page(request, household, values=values, opening=True, errors=errors)
    try:
        with db.begin_nested():
            plans.open_plan(
                db,
                household_id=household.id,
                family_words=values["family_words"],
                family_priorities=values["family_priorities"],
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        errors = {_field_of(error, values, {}, default="family_words"): str(error)}
        return _words_page(request, household, values=values, opening=True, errors=errors)
    return RedirectResponse(household.link("/plan", done="opened"), status_code=303)


@router.get(HOUSEHOLD + "/plan/family", response_class=HTMLResponse)
@allow(*CASEWORK)
def family_words_page(request: Request, db: Db, household: Household) -> Response:
    plan = _open_plan(db, household.id)
    values = {"family_words": plan.family_words, "family_priorities": plan.family_priorities}
    return _words_page(request, household, values=values, opening=False)


@router.post(HOUSEHOLD + "/plan/family", response_class=HTMLResponse)
@allow(*CASEWORK)
def change_family_words(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household: Household
) -> Response:
    """Change the family's words and priorities; the plan keeps the version before."""
    plan = _open_plan(db, household.id)
    values = _values(data, "family_words", "family_priorities")
    try:
        with db.begin_nested():
            plans.update_family_words(
                db,
                plan_id=plan.id,
                family_words=values["family_words"],
                family_priorities=values["family_priorities"],
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        errors = {_field_of(error, values, {}, default="family_words"): str(error)}
        return _words_page(request, household, values=values, opening=False, errors=errors)
    return RedirectResponse(household.link("/plan", done="words"), status_code=303)


def _words_page(
    request: Request,
    household: _Household,
    *,
    values: Mapping[str, str],
    opening: bool,
    errors: Mapping[str, str] | None = None,
) -> Response:
    title = "Open a family plan" if opening else "Change the family's words"
    context = {"values": values, "opening": opening}
    return _page(request, household, "coordination/plan_words.html", title, context, errors=errors)


@router.get(HOUSEHOLD + "/plan/needs/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def new_need_page(request: Request, db: Db, household: Household) -> Response:
    _open_plan(db, household.id)
    return _need_page(request, db, household, values={})


@router.post(HOUSEHOLD + "/plan/needs/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def add_need(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household: Household
) -> Response:
    """Add a need, coded to one of the place's outcome areas, with its goal."""
    plan = _open_plan(db, household.id)
    values = _values(data, "outcome_area", "description", "goal")
    errors = _missing(
        values,
        outcome_area="Select the outcome area the need is about",
        description="Enter what the need is",
        goal="Enter the goal for this need",
    )
    if errors:
        return _need_page(request, db, household, values=values, errors=errors)
    try:
        with db.begin_nested():
            plans.add_need(
                db,
                plan_id=plan.id,
                outcome_area=values["outcome_area"],
                description=values["description"],
                goal=values["goal"],
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        errors = {_field_of(error, values, {}, default="outcome_area"): str(error)}
        return _need_page(request, db, household, values=values, errors=errors)
    return RedirectResponse(household.link("/plan", done="need"), status_code=303)


def _need_page(
    request: Request,
    db: Session,
    household: _Household,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
) -> Response:
    context = {"values": values, "areas": plans.outcome_areas(db)}
    return _page(request, household, "coordination/plan_need.html", "Add a need", context, errors=errors)


@router.get(HOUSEHOLD + "/plan/needs/{need_id}/actions/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def new_action_page(request: Request, db: Db, household: Household, need_id: uuid.UUID) -> Response:
    need = _need_of(db, household.id, need_id)
    return _action_page(request, db, household, need, values={})


@router.post(HOUSEHOLD + "/plan/needs/{need_id}/actions/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def add_action(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    data: Form,
    household: Household,
    need_id: uuid.UUID,
) -> Response:
    """Add what an agency's named worker will do towards the need, and by when."""
    need = _need_of(db, household.id, need_id)
    values = _values(data, "description", "agency", "worker_username", "worker_name", dates=("due",))
    errors = _missing(
        values, description="Enter what will be done", agency="Select the agency that will do it"
    )
    agency_id = _agency_id(db, values, errors, "agency")
    worker_name = _worker_name(db, values, errors, "worker_username", "worker_name")
    due_on = _date_from(values, errors, "due", "the due date")
    if errors or agency_id is None or due_on is None:
        return _action_page(request, db, household, need, values=values, errors=errors)
    fields = {"due_on": "due-day", "agency_id": "agency"}
    try:
        with db.begin_nested():
            plans.add_action(
                db,
                need_id=need.id,
                description=values["description"],
                agency_id=agency_id,
                worker_name=worker_name,
                worker_username=values["worker_username"] or None,
                due_on=due_on,
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        errors = {_field_of(error, values, fields, default="description"): str(error)}
        return _action_page(request, db, household, need, values=values, errors=errors)
    return RedirectResponse(household.link("/plan", done="action"), status_code=303)


def _action_page(
    request: Request,
    db: Session,
    household: _Household,
    need: PlanNeed,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
) -> Response:
    context = {
        "values": values,
        "need": need,
        "outcome": plans.outcome_label(plans.outcome_areas(db), need.outcome_area),
        "agencies": [agency.name for agency in core.list_agencies(db)],
        "staff": _staff(db),
    }
    return _page(request, household, "coordination/plan_action.html", "Add an action", context, errors=errors)


@router.get(HOUSEHOLD + "/plan/needs/{need_id}/remove", response_class=HTMLResponse)
@allow(*CASEWORK)
def remove_need_page(request: Request, db: Db, household: Household, need_id: uuid.UUID) -> Response:
    need = _need_of(db, household.id, need_id)
    if _open_plan(db, household.id).id != need.plan_id:
        raise ConflictError(
            "This need is in a plan that was closed, so it cannot change.", fix="Go back to the plan."
        )
    return _remove_page(request, db, household, need, values={})


@router.post(HOUSEHOLD + "/plan/needs/{need_id}/remove", response_class=HTMLResponse)
@allow(*CASEWORK)
def remove_need(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    data: Form,
    household: Household,
    need_id: uuid.UUID,
) -> Response:
    """Take a need out of the plan, with the reason; the plan's versions keep both."""
    need = _need_of(db, household.id, need_id)
    values = _values(data, "reason")
    errors = _missing(values, reason="Enter why the need is being removed from the plan")
    if errors:
        return _remove_page(request, db, household, need, values=values, errors=errors)
    try:
        with db.begin_nested():
            plans.remove_need(db, need_id=need.id, reason=values["reason"], by=viewer.username, at=now)
    except WholeplaceError as error:
        errors = {_field_of(error, values, {}, default="reason"): str(error)}
        return _remove_page(request, db, household, need, values=values, errors=errors)
    return RedirectResponse(household.link("/plan", done="removed"), status_code=303)


def _remove_page(
    request: Request,
    db: Session,
    household: _Household,
    need: PlanNeed,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
) -> Response:
    context = {
        "values": values,
        "need": need,
        "outcome": plans.outcome_label(plans.outcome_areas(db), need.outcome_area),
        "actions": plans.actions_of(db, need.id),
        "statuses": plans.ACTION_STATUSES,
    }
    title = "Remove a need from the plan"
    return _page(request, household, "coordination/plan_need_remove.html", title, context, errors=errors)


@router.post(HOUSEHOLD + "/plan/actions/{action_id}/status", response_class=HTMLResponse)
@allow(*CASEWORK)
def change_action_status(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    data: Form,
    household: Household,
    action_id: uuid.UUID,
) -> Response:
    """Mark an action done or cancel it, or reopen one done or cancelled."""
    action = plans.get_action(db, action_id)
    _need_of(db, household.id, action.need_id)
    status = field(data, "status")
    try:
        with db.begin_nested():
            plans.set_action_status(db, action_id=action.id, status=status, by=viewer.username, at=now)
    except WholeplaceError as error:
        errors = {f"action-{action.id}": str(error)}
        return _plan_page(request, db, household, now=now, errors=errors)
    return RedirectResponse(household.link("/plan", done=f"action_{status}"), status_code=303)


@router.get(HOUSEHOLD + "/plan/versions", response_class=HTMLResponse)
@allow(*CASEWORK)
def versions_page(request: Request, db: Db, household: Household) -> Response:
    plan = _plan(db, household.id)
    context = {"plan": plan, "versions": plans.versions(db, plan.id), "name_of": _names(db)}
    return _page(request, household, "coordination/plan_versions.html", "Versions of the plan", context)


@router.get(HOUSEHOLD + "/plan/versions/{number}", response_class=HTMLResponse)
@allow(*CASEWORK)
def version_page(request: Request, db: Db, now: Now, household: Household, number: int) -> Response:
    plan = _plan(db, household.id)
    saved = plans.version(db, plan.id, number)
    context = {
        "plan": plan,
        "saved": saved,
        "contents": plans.from_snapshot(saved.snapshot),
        "saved_by": _name_of(db, saved.saved_by),
        "statuses": plans.ACTION_STATUSES,
        "today": now.date(),
    }
    return _page(
        request, household, "coordination/plan_version.html", f"Version {number} of the plan", context
    )


@router.get(HOUSEHOLD + "/plan/print", response_class=HTMLResponse)
@allow(*CASEWORK)
def printable_plan(request: Request, db: Db, now: Now, household: Household) -> Response:
    """The plan for the family to keep: their words, each need's goal, who will do what by when, and who
    their lead professional is."""
    plan = _plan(db, household.id)
    context = {
        "plan": plan,
        "contents": plans.contents(db, plan),
        "plan_changed": plans.version(db, plan.id, plan.version).saved_at.date(),
        "today": now.date(),
    }
    return _page(request, household, "coordination/plan_print.html", "Your family plan", context)


def _plan(db: Session, household_id: str) -> Plan:
    plan = plans.plan_of(db, household_id)
    if plan is None:
        raise NotFoundError(
            "This household has no plan yet.", fix="Open a plan from the household's plan page."
        )
    return plan


def _open_plan(db: Session, household_id: str) -> Plan:
    plan = plans.open_plan_of(db, household_id)
    if plan is None:
        raise NotFoundError(
            "This household has no open plan.", fix="Open a plan from the household's plan page first."
        )
    return plan


def _need_of(db: Session, household_id: str, need_id: uuid.UUID) -> PlanNeed:
    """A need of this household's plan: an address naming another household's need is not found."""
    need = plans.get_need(db, need_id)
    if plans.get_plan(db, need.plan_id).household_id != household_id:
        raise NotFoundError("There is no such need in this household's plan.", fix="Go back to the plan.")
    return need


# ---------------------------------------------------------------- meetings


@router.get(HOUSEHOLD + "/meetings", response_class=HTMLResponse)
@allow(*CASEWORK)
def meetings_page(request: Request, db: Db, household: Household, done: str = "") -> Response:
    return _meetings_page(request, db, household, values={}, done=DONE.get(done, ""))


@router.post(HOUSEHOLD + "/meetings", response_class=HTMLResponse)
@allow(*CASEWORK)
def arrange_meeting(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household: Household
) -> Response:
    """Arrange a meeting about the household, with the people invited to it."""
    guests = [f"guest-{row}-{part}" for row in range(1, GUEST_ROWS + 1) for part in ("name", "agency")]
    values: dict[str, Any] = _values(data, "kind", "held-time", *guests, dates=("held",))
    values["staff"] = [str(value) for value in data.getlist("staff")]
    errors: dict[str, str] = {}
    if values["kind"] not in meetings.KINDS:
        errors["kind"] = "Select the kind of meeting"
    held_on = _moment_from(values, errors, "held")
    invitees = _invitees(db, values, errors)
    if not errors and not invitees:
        errors["staff"] = "Choose who is invited, or type the name and agency of someone else"
    if errors or held_on is None:
        return _meetings_page(request, db, household, values=values, errors=errors)
    try:
        with db.begin_nested():
            meeting = meetings.arrange(
                db,
                household_id=household.id,
                kind=values["kind"],
                held_on=held_on,
                invitees=invitees,
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        errors = {_field_of(error, values, {"invitees": "staff"}, default="kind"): str(error)}
        return _meetings_page(request, db, household, values=values, errors=errors)
    return RedirectResponse(household.link(f"/meetings/{meeting.id}", done="arranged"), status_code=303)


def _invitees(db: Session, values: Mapping[str, Any], errors: dict[str, str]) -> list[Invitee]:
    """The invited: users ticked (at their own agency), and anyone else typed with their agency."""
    invited: list[Invitee] = []
    for username in values["staff"]:
        user = core.find_user(db, username)
        if user is None:
            errors["staff"] = "Choose who is invited from the list"
            continue
        invited.append(Invitee(user.full_name, user.agency_id, user.username))
    for row in range(1, GUEST_ROWS + 1):
        name, agency = values[f"guest-{row}-name"], values[f"guest-{row}-agency"]
        if not name and not agency:
            continue
        if not name:
            errors[f"guest-{row}-name"] = f"Enter the name of guest {row}"
        agency_id = _agency_id(db, values, errors, f"guest-{row}-agency")
        if not agency:
            errors[f"guest-{row}-agency"] = f"Select the agency of guest {row}"
        if name and agency_id is not None:
            invited.append(Invitee(name, agency_id))
    return invited


def _meetings_page(
    request: Request,
    db: Session,
    household: _Household,
    *,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    done: str = "",
) -> Response:
    context = {
        "values": values,
        "done": done,
        "meetings": meetings.meetings_of(db, household.id),
        "kinds": meetings.KINDS,
        "statuses": MEETING_STATUSES,
        "staff": _staff(db),
        "agencies": [agency.name for agency in core.list_agencies(db)],
        "guest_rows": range(1, GUEST_ROWS + 1),
        "local": _local,
    }
    return _page(request, household, "coordination/meetings.html", "Meetings", context, errors=errors)


@router.get(HOUSEHOLD + "/meetings/{meeting_id}", response_class=HTMLResponse)
@allow(*CASEWORK)
def meeting_page(
    request: Request,
    db: Db,
    now: Now,
    household: Household,
    meeting_id: uuid.UUID,
    done: str = "",
) -> Response:
    meeting = _meeting_of(db, household.id, meeting_id)
    return _meeting_page(request, db, household, meeting, now=now, values={}, done=DONE.get(done, ""))


@router.post(HOUSEHOLD + "/meetings/{meeting_id}", response_class=HTMLResponse)
@allow(*CASEWORK)
def record_meeting(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    data: Form,
    household: Household,
    meeting_id: uuid.UUID,
) -> Response:
    """Record who came, the notes and the decisions; a decision given a need becomes an action in the plan."""
    meeting = _meeting_of(db, household.id, meeting_id)
    rows = [
        f"decision-{row}{part}"
        for row in range(1, DECISION_ROWS + 1)
        for part in ("", "-need", "-agency", "-worker_username", "-worker_name")
    ]
    dates = tuple(f"decision-{row}-due" for row in range(1, DECISION_ROWS + 1))
    values: dict[str, Any] = _values(data, "notes", *rows, dates=dates)
    values["attended"] = [str(value) for value in data.getlist("attended")]
    errors = _missing(values, notes="Enter the notes of the meeting")
    attendance = _attendance(db, meeting, values, errors)
    decisions = [
        decision
        for row in range(1, DECISION_ROWS + 1)
        if (decision := _decision(db, household.id, values, errors, row)) is not None
    ]
    if errors:
        return _meeting_page(request, db, household, meeting, now=now, values=values, errors=errors)
    try:
        with db.begin_nested():
            meetings.record(
                db,
                meeting_id=meeting.id,
                attendance=attendance,
                notes=values["notes"],
                decisions=decisions,
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        errors = {_field_of(error, values, {}, default="notes"): str(error)}
        return _meeting_page(request, db, household, meeting, now=now, values=values, errors=errors)
    return RedirectResponse(household.link(f"/meetings/{meeting.id}", done="recorded"), status_code=303)


def _attendance(
    db: Session, meeting: Meeting, values: Mapping[str, Any], errors: dict[str, str]
) -> dict[uuid.UUID, bool]:
    invited = {str(invitee.id): invitee.id for invitee in meetings.invitees(db, meeting.id)}
    if set(values["attended"]) - set(invited):
        errors["attended"] = "Tick only people who were invited"
    return {invitee_id: key in values["attended"] for key, invitee_id in invited.items()}


def _decision(
    db: Session, household_id: str, values: Mapping[str, Any], errors: dict[str, str], row: int
) -> DecisionInput | None:
    """One row of the decisions: its words, and the action it becomes when a need is chosen."""
    name = f"decision-{row}"
    text, need = values[name], values[f"{name}-need"]
    action_fields = (f"{name}-agency", f"{name}-worker_username", f"{name}-worker_name")
    given = (
        need
        or any(values[one] for one in action_fields)
        or any(values[f"{name}-due-{part}"] for part in DATE_PARTS)
    )
    if not text:
        if given:
            errors[name] = f"Enter what decision {row} was"
        return None
    if not given:
        return DecisionInput(text)
    if not need:
        errors[f"{name}-need"] = f"Select the need the action of decision {row} is for"
    agency_id = _agency_id(db, values, errors, f"{name}-agency")
    if not values[f"{name}-agency"]:
        errors[f"{name}-agency"] = f"Select the agency that will do the action of decision {row}"
    worker_name = _worker_name(db, values, errors, f"{name}-worker_username", f"{name}-worker_name")
    due_on = _date_from(values, errors, f"{name}-due", f"the due date of decision {row}")
    need_id = _need_id(db, household_id, need, errors, f"{name}-need")
    if need_id is None or agency_id is None or due_on is None or errors:
        return None
    username = values[f"{name}-worker_username"] or None
    return DecisionInput(text, ActionInput(need_id, text, agency_id, worker_name, username, due_on))


def _need_id(
    db: Session, household_id: str, text: str, errors: dict[str, str], name: str
) -> uuid.UUID | None:
    if not text:
        return None
    try:
        return _need_of(db, household_id, uuid.UUID(text)).id
    except (ValueError, NotFoundError):
        errors[name] = "Select a need of the household's plan"
        return None


def _meeting_page(
    request: Request,
    db: Session,
    household: _Household,
    meeting: Meeting,
    *,
    now: datetime,
    values: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    done: str = "",
) -> Response:
    plan = plans.open_plan_of(db, household.id)
    agency_names = {agency.id: agency.name for agency in core.list_agencies(db)}
    decisions = meetings.decisions_of(db, meeting.id)
    actions = (
        {str(one.id): one for need in plans.contents(db, plan).needs for one in need.actions} if plan else {}
    )
    context = {
        "meeting": meeting,
        "values": values,
        "done": done,
        "statuses": MEETING_STATUSES,
        "invitees": [
            (invitee, agency_names.get(invitee.agency_id, ""))
            for invitee in meetings.invitees(db, meeting.id)
        ],
        "decisions": [(decision, actions.get(str(decision.action_id))) for decision in decisions],
        "recordable": meeting.status == meetings.PLANNED and meeting.held_on <= now,
        "needs": plans.contents(db, plan).needs if plan is not None else (),
        "agencies": list(agency_names.values()),
        "staff": _staff(db),
        "decision_rows": range(1, DECISION_ROWS + 1),
        "arranged_by": _name_of(db, meeting.arranged_by),
        "recorded_by": _name_of(db, meeting.recorded_by) if meeting.recorded_by else "",
        "local": _local,
    }
    title = f"{meeting.kind} on {_local(meeting.held_on):%-d %B %Y}"
    return _page(request, household, "coordination/meeting.html", title, context, errors=errors)


def _meeting_of(db: Session, household_id: str, meeting_id: uuid.UUID) -> Meeting:
    meeting = meetings.meeting(db, meeting_id)
    if meeting.household_id != household_id:
        raise NotFoundError("There is no such meeting for this household.", fix="Go back to its meetings.")
    return meeting


# ---------------------------------------------------------------- reading forms


def _values(data: FormData, *names: str, dates: tuple[str, ...] = ()) -> dict[str, str]:
    values = {name: field(data, name) for name in names}
    values.update({f"{name}-{part}": field(data, f"{name}-{part}") for name in dates for part in DATE_PARTS})
    return values


def _missing(values: Mapping[str, Any], **messages: str) -> dict[str, str]:
    return {name: message for name, message in messages.items() if not values[name]}


def _date_from(values: Mapping[str, Any], errors: dict[str, str], name: str, what: str) -> date | None:
    """A GOV.UK date input's three boxes as a date; an error names the first box that is wrong."""
    parts = {part: values.get(f"{name}-{part}", "") for part in DATE_PARTS}
    missing = [part for part in DATE_PARTS if not parts[part]]
    if len(missing) == len(DATE_PARTS):
        errors[f"{name}-day"] = f"Enter {what}"
        return None
    if missing:
        errors[f"{name}-{missing[0]}"] = f"{what[0].upper()}{what[1:]} must include a {missing[0]}"
        return None
    try:
        year = int(parts["year"])
        if year < 1000:
            raise ValueError(year)
        return date(year, int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[f"{name}-day"] = f"{what[0].upper()}{what[1:]} must be a real date, like 3 3 2026"
        return None


def _moment_from(values: Mapping[str, Any], errors: dict[str, str], name: str) -> datetime | None:
    """A date and a time of day in the place's local time, as a moment."""
    day = _date_from(values, errors, name, "the date of the meeting")
    clock = values[f"{name}-time"].replace(".", ":")
    try:
        hours, minutes = (int(part) for part in clock.split(":"))
        moment = time(hours, minutes)
    except ValueError:
        errors[f"{name}-time"] = "Enter the time of the meeting, like 14:30"
        return None
    if day is None:
        return None
    return datetime.combine(day, moment, tzinfo=LOCAL_TIME)


def _agency_id(db: Session, values: Mapping[str, Any], errors: dict[str, str], name: str) -> uuid.UUID | None:
    if not values[name]:
        return None
    agency = core.find_agency(db, values[name])
    if agency is None:
        errors[name] = "Select an agency from the list"
        return None
    return agency.id


def _worker_name(
    db: Session, values: Mapping[str, Any], errors: dict[str, str], username_field: str, name_field: str
) -> str:
    """The worker's name as typed, or else the name of the user chosen."""
    if values[name_field]:
        return str(values[name_field])
    user = core.find_user(db, values[username_field]) if values[username_field] else None
    if user is None:
        errors[name_field] = "Choose the worker, or type their name"
        return ""
    return user.full_name


def _field_of(
    error: WholeplaceError, values: Mapping[str, Any], renamed: Mapping[str, str], *, default: str
) -> str:
    """The form field a service's refusal is about, so the error summary links to it."""
    named = getattr(error, "field", None) or ""
    named = renamed.get(named, named)
    return named if named in values else default


# ---------------------------------------------------------------- names and times


def _staff(db: Session) -> list[tuple[str, str]]:
    """Users who work with families, as (username, "name, agency"), by name."""
    found = [
        user
        for user in core.list_users(db)
        if user.is_active and (Role.PRACTITIONER in user.roles or Role.LEAD_PROFESSIONAL in user.roles)
    ]
    return [(user.username, _named(user)) for user in sorted(found, key=lambda user: user.full_name)]


def _named(user: User) -> str:
    return f"{user.full_name}, {user.agency.name}"


def _names(db: Session) -> Callable[[str], str]:
    users = {user.username: user.full_name for user in core.list_users(db)}
    return lambda username: users.get(username, username)


def _name_of(db: Session, username: str) -> str:
    user = core.find_user(db, username)
    return user.full_name if user is not None else username


def _local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TIME)


def _day_text(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _when_text(moment: datetime | None) -> str:
    return _local(moment).strftime("%-d %B %Y at %H:%M") if moment else ""
