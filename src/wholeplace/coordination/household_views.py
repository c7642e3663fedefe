"""Pages of coordination: finding a person with a stated purpose, the household and person pages, and why the
viewer may see each panel. Every page that shows another agency's data asks the access decision first."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.coordination.framework import LOCAL_TIME
from wholeplace.coordination.service import access, finding, household_view, referrals, register
from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import agreements, log
from wholeplace.governance.vocabulary import PurposeTerms
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Now
from wholeplace.web.templating import NavigationEntry, render

CASEWORK = (Role.PRACTITIONER, Role.LEAD_PROFESSIONAL)
NAVIGATION = [NavigationEntry("Find a person or household", "/search", frozenset(CASEWORK))]
# Agreeing one plan and one lead professional with a family is what early help is for.
DEFAULT_PURPOSE = "early_help"
SEARCHED = ("given_name", "family_name", "postcode", "identifier")
DATE_PARTS = ("day", "month", "year")
FOUND_CATEGORIES = ("identity", "contact")
PAGE_CATEGORIES = (
    "identity",
    "contact",
    "household",
    "involvement",
    "involvement_detail",
    "events",
    "event_detail",
    "health",
    "criminal_offence",
)
PANELS = {
    "members": "Members",
    "address": "Address",
    "agencies": "Agencies involved",
    "timeline": "Timeline",
    "needs": "Needs",
    "results": "Search results",
}
WHAT_TO_DO = (
    "If you need to work with this family, make a referral to an agency that works with them, or use front-door "
    "triage with a case reference."
)

router = APIRouter()


# ---------------------------------------------------------------- search


@dataclass(frozen=True)
class Result:
    """A candidate as the decision lets the viewer see them."""

    name: str
    date_of_birth: date | None
    postcode: str
    matched: tuple[str, ...]
    href: str
    position: int


@router.get("/search", response_class=HTMLResponse)
@allow(*CASEWORK)
def search_page(request: Request, db: Db, now: Now, viewer: CurrentViewer) -> Response:
    """Find a person by what is known about them, under a purpose; only those the viewer may see are listed."""
    params = request.query_params
    choices = searchable_purposes(db, viewer)
    values = {name: str(params.get(name, "")).strip() for name in ("purpose", "case", *SEARCHED)}
    values.update({f"dob-{part}": str(params.get(f"dob-{part}", "")).strip() for part in DATE_PARTS})
    context: dict[str, Any] = {"purposes": choices, "values": values, "errors": {}, "results": None}
    if not any(values.values()):
        return render(request, "coordination/find.html", {"title": "Find a person or household", **context})
    errors: dict[str, str] = {}
    working = _checked_working(values, choices, errors)
    criteria = _criteria(values, errors)
    candidates: list[finding.Candidate] = []
    if not errors and working is not None and criteria is not None:
        register.refresh_if_stale(db, Lake.in_data_dir(request.app.state.settings.data_dir), at=now)
        try:
            candidates = finding.search(db, criteria=criteria)
        except InvalidInputError as error:
            errors[error.field or "family_name"] = f"{error.problem} {error.fix}".strip()
    if errors or working is None:
        context["errors"] = errors
        return render(
            request,
            "coordination/find.html",
            {"title": "Error: Find a person or household", **context},
            status_code=400,
        )
    context["results"] = [
        shown
        for candidate in candidates
        if (shown := _result(request, db, viewer, working, candidate, now)) is not None
    ]
    context["day"] = _day
    context["purpose_label"] = next(terms.label for terms in choices if terms.code == working.purpose)
    return render(request, "coordination/find.html", {"title": "Search results", **context})


def searchable_purposes(db: Session, viewer: Viewer) -> list[PurposeTerms]:
    """The purposes the viewer's roles admit for finding someone: not de-identified ones, subject access or
    break-glass, which have pages of their own."""
    return [
        terms
        for terms in agreements.purposes(db)
        if terms.roles & viewer.roles
        and not terms.deidentified
        and not terms.answers_the_person
        and not terms.vital_interests
    ]


def _checked_working(
    values: Mapping[str, str], choices: list[PurposeTerms], errors: dict[str, str]
) -> access.Working | None:
    terms = next((terms for terms in choices if terms.code == values["purpose"]), None)
    if terms is None:
        errors["purpose"] = "Select why you are searching"
        return None
    if terms.needs_case_reference and not values["case"]:
        errors["case"] = f"Enter the case reference: {terms.label.lower()} needs one"
        return None
    return access.Working(terms.code, values["case"])


def _criteria(values: Mapping[str, str], errors: dict[str, str]) -> finding.Criteria | None:
    parts = [values[f"dob-{part}"] for part in DATE_PARTS]
    born: date | None = None
    if any(parts):
        try:
            born = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            errors["dob"] = "Date of birth must be a real date, like 27 3 2012"
            return None
    return finding.Criteria(
        given_name=values["given_name"],
        family_name=values["family_name"],
        date_of_birth=born,
        postcode=values["postcode"],
        identifier=values["identifier"],
    )


def _result(
    request: Request,
    db: Session,
    viewer: Viewer,
    working: access.Working,
    candidate: finding.Candidate,
    now: datetime,
) -> Result | None:
    """Ask the decision about one candidate; None when it lets nothing identifying be shown."""
    sight = access.see(
        db,
        data_dir=request.app.state.settings.data_dir,
        viewer=viewer,
        working=working,
        subject=Subject("person", candidate.person_id),
        categories=FOUND_CATEGORIES,
        at=now,
    )
    named = [
        record
        for record in candidate.records
        if sight.shows("identity", provider=record.agency, person_id=candidate.person_id)
    ]
    if not named:
        return None
    reached = [
        record
        for record in candidate.records
        if sight.shows("contact", provider=record.agency, person_id=candidate.person_id)
    ]
    given = finding.most_common(record.given_name for record in named) or ""
    family = finding.most_common(record.family_name for record in named) or ""
    if candidate.household_id:
        href = _link(f"/households/{quote(candidate.household_id, safe='')}", working)
    else:
        href = _link(f"/people/{quote(candidate.person_id, safe='')}", working)
    return Result(
        name=" ".join(part for part in (given, family) if part) or household_view.NOT_SHARED,
        date_of_birth=finding.most_common(record.date_of_birth for record in named),
        postcode=finding.latest_postcode(reached),
        matched=candidate.matched,
        href=href,
        position=sight.position,
    )


def _link(path: str, working: access.Working) -> str:
    query = {"purpose": working.purpose, "case": working.case_reference}
    kept = urlencode({name: value for name, value in query.items() if value})
    return path + (f"?{kept}" if kept else "")


# ---------------------------------------------------------------- the household and person pages


@router.get("/households/{household_id}", response_class=HTMLResponse)
@allow(*CASEWORK)
def household_page(request: Request, db: Db, now: Now, viewer: CurrentViewer, household_id: str) -> Response:
    """The household as the decision lets the viewer see it."""
    working = _working(request.query_params)
    sight = _see(request, db, viewer, working, Subject("household", household_id), now)
    if not sight.permitted:
        return _denied(request, sight, "this household")
    view = household_view.household(db, household_id=household_id, sight=sight, today=_today(now))
    home = f"/households/{quote(household_id, safe='')}"
    context = {
        **PAGE_HELPERS,
        "title": "Household " + " and ".join(view.family_names) if view.family_names else "Household",
        "view": view,
        "why": f"/coordination/why/{sight.position}",
        "link": lambda path="": _link(home + path, working),
    }
    return render(request, "coordination/household_page.html", context)


@router.get("/people/{person_id}", response_class=HTMLResponse)
@allow(*CASEWORK)
def person_page(request: Request, db: Db, now: Now, viewer: CurrentViewer, person_id: str) -> Response:
    """One person as the decision lets the viewer see them, with a link to their household."""
    working = _working(request.query_params)
    sight = _see(request, db, viewer, working, Subject("person", person_id), now)
    if not sight.permitted:
        return _denied(request, sight, "this person")
    view = household_view.person(db, person_id=person_id, sight=sight, today=_today(now))
    member = view.members[0] if view.members else None
    home = f"/households/{quote(view.household_id, safe='')}" if view.household_id else None
    context = {
        **PAGE_HELPERS,
        "title": member.name if member is not None and not member.withheld else "A person",
        "member": member,
        "view": view,
        "why": f"/coordination/why/{sight.position}",
        "household": _link(home, working) if home else None,
        "link": lambda path="": _link(home + path, working) if home else "/search",
    }
    return render(request, "coordination/person_page.html", context)


def _working(params: Mapping[str, Any]) -> access.Working:
    purpose = str(params.get("purpose") or "").strip() or DEFAULT_PURPOSE
    return access.Working(purpose=purpose, case_reference=str(params.get("case") or "").strip())


def _see(
    request: Request, db: Session, viewer: Viewer, working: access.Working, subject: Subject, now: datetime
) -> access.Sight:
    data_dir = request.app.state.settings.data_dir
    register.refresh_if_stale(db, Lake.in_data_dir(data_dir), at=now)
    return access.see(
        db,
        data_dir=data_dir,
        viewer=viewer,
        working=working,
        subject=subject,
        categories=PAGE_CATEGORIES,
        at=now,
    )


def _denied(request: Request, sight: access.Sight, what: str) -> Response:
    context = {
        "title": f"You cannot see {what}",
        "reason": sight.reason("identity"),
        "what_to_do": WHAT_TO_DO,
        "why": f"/coordination/why/{sight.position}",
    }
    return render(request, "coordination/denied_page.html", context, status_code=403)


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _words(code: str) -> str:
    """A code as the page says it: school_exclusion is "School exclusion"."""
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


PAGE_HELPERS: dict[str, Any] = {"day": _day, "words": _words, "withheld": household_view.WITHHELD}


def _today(now: datetime) -> date:
    return now.astimezone(LOCAL_TIME).date()


# ---------------------------------------------------------------- why can I see this


@dataclass(frozen=True)
class CategoryOutcome:
    label: str
    released: bool


@router.get("/coordination/why/{position}", response_class=HTMLResponse)
@allow(*CASEWORK)
def why_page(request: Request, db: Db, viewer: CurrentViewer, position: int, panel: str = "") -> Response:
    """The access-log entry behind a page: what was asked, what the decision released and why. A viewer reads
    their own entries, and the decision behind a referral their agency made or received."""
    found = log.entry(db, position)
    if found is None or not (
        found.username == viewer.username
        or referrals.decided_for(db, position=position, agency_id=access.agency_id_of(db, viewer))
    ):
        raise NotFoundError(
            "There is no decision of yours with that number.", fix="Open the page again and follow its link."
        )
    context = {
        "title": "Why you can see this",
        "entry": found,
        "panel": PANELS.get(panel, ""),
        "moment": datetime.fromisoformat(found.at).strftime("%-d %B %Y at %H:%M:%S UTC"),
        "purpose": agreements.purpose_labels(db).get(found.purpose, found.purpose),
        "categories": _category_outcomes(found),
        "fields": [agreements.field_label(name) for name in json.loads(found.fields)],
        "agreements": _agreements_named(db, json.loads(found.agreements)),
        "reasons": _reasons(found),
    }
    return render(request, "coordination/why_page.html", context)


def _category_outcomes(found: AccessLogEntry) -> list[CategoryOutcome]:
    """Each category asked, and whether it was released. The log keeps one reason text per entry; a permitted
    category's reason always says the agency "may see" the category, which is how it is told apart here."""
    reason = found.reason.lower()
    outcomes = []
    for code in json.loads(found.categories):
        category = vocabulary.category(code)
        label = category.label if category is not None else code
        released = found.outcome == "permit" and (
            found.break_glass or f"may see {label.lower()} for" in reason
        )
        outcomes.append(CategoryOutcome(label, released))
    return outcomes


def _reasons(found: AccessLogEntry) -> list[str]:
    """The entry's reason, one line per category where the categories were decided for different reasons."""
    codes = "|".join(re.escape(code) for code in json.loads(found.categories))
    parts = [part.strip() for part in re.split(rf"(?:^| )(?:{codes}): ", found.reason) if part.strip()]
    return parts or [found.reason]


def _agreements_named(db: Session, keys: list[str]) -> list[str]:
    named = []
    for key in keys:
        reference, _, version = key.partition("@")
        try:
            agreement = agreements.get_version(db, reference, int(version))
        except (NotFoundError, ValueError):
            named.append(key.replace("@", " version "))
            continue
        named.append(f"{agreement.title} ({agreement.reference}, version {agreement.version})")
    return named
