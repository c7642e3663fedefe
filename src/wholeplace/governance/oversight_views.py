"""Pages of the information governance officer's oversight: the overview of everything waiting, the access log
searched and downloaded, the review of a break-glass access, and a person's consents and objections.

None of these pages shows an agency's data about a person, so none asks the access decision: the log is
governance's own record of the decisions, and a person's choices are governance's own data, named by the opaque
person id only. Practitioners and lead professionals record choices too, so that page is open to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.errors import InvalidInputError, NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.models import PERSON_ID, AccessLogEntry, ConsentRecord
from wholeplace.governance.service import agreements, consent, oversight
from wholeplace.governance.vocabulary import PurposeTerms
from wholeplace.identity import service as identity
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer, allow
from wholeplace.web.pagination import pagination
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

# The service navigation's "Information governance" entry is governance.views' (to the agreements).
NAVIGATION: list[NavigationEntry] = []

OFFICER = Role.INFORMATION_GOVERNANCE_OFFICER
OVERVIEW = "/governance"
ACCESS_LOG = "/governance/access-log"
LOG_PAGE_SIZE = 50
USERNAME_LENGTH = 100
DATE_PARTS = ("day", "month", "year")
SEARCH_TEXTS = ("person", "user", "agency", "purpose", "outcome")
SEARCH_DATES = {"from": "the first day", "to": "the last day"}
OUTCOMES = {"permit": "Permitted", "deny": "Refused"}
REVIEW_FINDINGS = {"yes": True, "no": False}
REVIEW_STATUSES = {
    oversight.AWAITING: "Awaiting review",
    oversight.JUSTIFIED: "Justified",
    oversight.NOT_JUSTIFIED: "Not justified",
}
# What the choice form offers, as (kind, status) of the consent record.
CHOICES: dict[str, tuple[consent.Kind, consent.Status]] = {
    "consent-given": ("consent", "given"),
    "consent-refused": ("consent", "refused"),
    "objection": ("objection", "given"),
}
GIVEN_BY = ("person", *consent.ON_BEHALF)
# Counts and rates identify nobody, so nobody's choice bears on them.
CHOOSABLE_CATEGORIES = tuple(category for category in vocabulary.CATEGORIES if category.identifying)
DONE = {
    "recorded": "Choice recorded: it applies to the next request for this person's data",
    "withdrawn": "Choice withdrawn: the next request for this person's data is decided without it",
}

router = APIRouter()


# ---------------------------------------------------------------- the overview


@router.get(OVERVIEW, response_class=HTMLResponse)
@allow(OFFICER)
def overview_page(request: Request, db: Db, now: Now, reviewed: int = 0) -> Response:
    board = oversight.dashboard(db, today=now.date())
    context = {
        "title": "Information governance",
        "board": board,
        "reviewed": _reviewed(db, reviewed),
        "review_statuses": REVIEW_STATUSES,
        "choice_label": _choice_label,
        "scope_text": _scope_text(db),
        "purpose_names": _purpose_names(db),
        "logged": _logged,
        "search": _search_link,
        "day_of": _day_of,
    }
    return render(request, "governance/oversight/overview.html", context)


def _reviewed(db: Session, position: int) -> oversight.BreakGlassAccess | None:
    """The review that led here, told from the review itself (never from the address)."""
    if not position:
        return None
    try:
        found = oversight.break_glass_access(db, position=position)
    except NotFoundError:
        return None
    return found if found.review.status != oversight.AWAITING else None


# ---------------------------------------------------------------- the access log


@dataclass(frozen=True)
class _Search:
    values: dict[str, str]
    errors: dict[str, str]
    where: oversight.LogFilter

    def query(self, **more: Any) -> str:
        kept = {name: value for name, value in {**self.values, **more}.items() if value}
        return f"?{urlencode(kept)}" if kept else ""


@router.get(ACCESS_LOG, response_class=HTMLResponse)
@allow(OFFICER)
def access_log_page(request: Request, db: Db, page: int = 1) -> Response:
    search = _search(db, request.query_params)
    found = (
        None if search.errors else oversight.search_log(db, where=search.where, page=page, size=LOG_PAGE_SIZE)
    )
    title = "Access log"
    context = {
        "title": f"Error: {title}" if search.errors else title,
        "values": search.values,
        "errors": search.errors,
        "found": found,
        "filtered": bool(search.query()),
        "download": f"{ACCESS_LOG}.csv{search.query()}",
        "agencies": [agency.name for agency in core.list_agencies(db)],
        "purposes": agreements.purposes(db),
        "purpose_labels": agreements.purpose_labels(db),
        "outcomes": OUTCOMES,
        "logged": _logged,
        "entry_text": _entry_text,
        "role_label": _role_label,
        "pagination": found
        and pagination(
            lambda number: ACCESS_LOG + search.query(page=number if number > 1 else ""),
            page=found.page,
            pages=found.pages,
            label="Pages of the access log",
        ),
    }
    return render(
        request, "governance/oversight/access_log.html", context, status_code=400 if search.errors else 200
    )


@router.get(ACCESS_LOG + ".csv")
@allow(OFFICER)
def access_log_download(request: Request, db: Db, now: Now) -> Response:
    """The entries of the same search as CSV; streamed, so a long log is never held whole."""
    search = _search(db, request.query_params)
    if search.errors:
        raise InvalidInputError(
            " ".join(f"{message}." for message in search.errors.values()),
            fix="Correct the search on the access log page, then download again.",
        )
    return StreamingResponse(
        _log_lines(request.app.state.sessions, search.where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="access-log-{now:%Y-%m-%d}.csv"'},
    )


def _log_lines(sessions: sessionmaker[Session], where: oversight.LogFilter) -> Iterator[str]:
    # The request's own session is closed once the route returns, before the body is sent: the stream has its own.
    with sessions() as db:
        yield from oversight.log_csv(db, where=where)


def _search(db: Session, params: Mapping[str, str]) -> _Search:
    """The search form's values, what is wrong with them, and the filter they make."""
    values = {name: params.get(name, "").strip() for name in SEARCH_TEXTS}
    values.update(
        {
            f"{name}-{part}": params.get(f"{name}-{part}", "").strip()
            for name in SEARCH_DATES
            for part in DATE_PARTS
        }
    )
    errors: dict[str, str] = {}
    _check_choice(values, errors, "agency", [agency.name for agency in core.list_agencies(db)], "an agency")
    _check_choice(
        values, errors, "purpose", [purpose.code for purpose in agreements.purposes(db)], "a purpose"
    )
    _check_choice(values, errors, "outcome", list(OUTCOMES), "an outcome")
    if len(values["person"]) > PERSON_ID:
        errors["person"] = f"A person id is at most {PERSON_ID} characters"
    if len(values["user"]) > USERNAME_LENGTH:
        errors["user"] = f"A username is at most {USERNAME_LENGTH} characters"
    since, until = (_day(values, errors, name, what) for name, what in SEARCH_DATES.items())
    if since and until and until < since:
        errors["to-day"] = "The last day must be the same as or after the first day"
    where = oversight.LogFilter(
        person=values["person"] or None,
        user=values["user"] or None,
        agency=values["agency"] or None,
        purpose=values["purpose"] or None,
        outcome=values["outcome"] or None,
        since=since,
        until=until,
    )
    return _Search(values=values, errors=errors, where=where)


def _check_choice(
    values: dict[str, str], errors: dict[str, str], name: str, allowed: list[str], what: str
) -> None:
    if values[name] and values[name] not in allowed:
        errors[name] = f"Choose {what} in the list"


def _day(values: Mapping[str, str], errors: dict[str, str], name: str, what: str) -> date | None:
    """A GOV.UK date input's three boxes as a date, or None when all three are blank; an error names the box."""
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
        errors[f"{name}-day"] = f"{what.capitalize()} must be a real date, like 27 3 2026"
        return None


# ---------------------------------------------------------------- a break-glass access


@router.get("/governance/break-glass/{position}", response_class=HTMLResponse)
@allow(OFFICER)
def break_glass_page(request: Request, db: Db, position: int) -> Response:
    return _break_glass_page(request, db, position, values={})


@router.post("/governance/break-glass/{position}", response_class=HTMLResponse)
@allow(OFFICER)
def review_break_glass(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, position: int
) -> Response:
    """Record whether the emergency access was justified, then go back to the overview."""
    values = {name: field(data, name) for name in ("justified", "finding")}
    errors = {}
    if values["justified"] not in REVIEW_FINDINGS:
        errors["justified"] = "Select whether the emergency access was justified"
    if not values["finding"]:
        errors["finding"] = "Enter what the review found"
    if errors:
        return _break_glass_page(request, db, position, values=values, errors=errors)
    oversight.review_break_glass(
        db,
        position=position,
        finding=values["finding"],
        justified=REVIEW_FINDINGS[values["justified"]],
        by=_by(viewer),
        at=now,
    )
    return RedirectResponse(f"{OVERVIEW}?reviewed={position}", status_code=303)


def _break_glass_page(
    request: Request,
    db: Session,
    position: int,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
) -> Response:
    found = oversight.break_glass_access(db, position=position)
    title = f"Break-glass access {position}"
    context = {
        "title": f"Error: {title}" if errors else title,
        "access": found,
        "day_of_entry": datetime.fromisoformat(found.entry.at).date(),
        "values": values,
        "errors": errors or {},
        "review_statuses": REVIEW_STATUSES,
        "purpose_labels": agreements.purpose_labels(db),
        "logged": _logged,
        "entry_text": _entry_text,
        "role_label": _role_label,
        "search": _search_link,
    }
    return render(
        request, "governance/oversight/break_glass.html", context, status_code=400 if errors else 200
    )


# ---------------------------------------------------------------- a person's choices


@dataclass(frozen=True)
class _Choice:
    """A choice as the form gives it, checked."""

    kind: consent.Kind
    status: consent.Status
    scope: consent.Scope
    given_by: consent.GivenBy
    evidence: str
    valid_until: datetime | None


@router.get("/governance/people/{person_id}/choices", response_class=HTMLResponse)
@allow(Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, OFFICER)
def choices_page(request: Request, db: Db, viewer: CurrentViewer, person_id: str, done: str = "") -> Response:
    _require_person(request, db, person_id)
    return _choices_page(request, db, viewer, person_id, values={}, done=DONE.get(done, ""))


@router.post("/governance/people/{person_id}/choices", response_class=HTMLResponse)
@allow(Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, OFFICER)
def record_choice(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, person_id: str
) -> Response:
    _require_person(request, db, person_id)
    """Record a consent or an objection; it applies to the next decision about the person."""
    values, errors, choice = _read_choice(db, data, today=now.date())
    if choice is None:
        return _choices_page(request, db, viewer, person_id, values=values, errors=errors)
    try:
        consent.record_choice(
            db,
            person_id=person_id,
            kind=choice.kind,
            status=choice.status,
            scope=choice.scope,
            given_by=choice.given_by,
            evidence=choice.evidence,
            by=_by(viewer),
            at=now,
            valid_until=choice.valid_until,
        )
    except InvalidInputError as error:
        errors = {error.field if error.field in values else "choice": str(error)}
        return _choices_page(request, db, viewer, person_id, values=values, errors=errors)
    return _to_choices(person_id, done="recorded")


@router.post("/governance/people/{person_id}/choices/{record_id}/withdraw", response_class=HTMLResponse)
@allow(Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, OFFICER)
def withdraw_choice(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, person_id: str, record_id: str
) -> Response:
    """Withdraw a consent or an objection in force: a new record supersedes it, so the history stays."""
    record = _current_record(db, person_id, record_id)
    evidence = field(data, "evidence")
    box = f"evidence-{record.id}"
    if not evidence:
        errors = {box: "Enter what the withdrawal rests on"}
        return _choices_page(request, db, viewer, person_id, values={box: evidence}, errors=errors)
    try:
        consent.change_status(
            db, record_id=record.id, status="withdrawn", evidence=evidence, by=_by(viewer), at=now
        )
    except WholeplaceError as error:
        return _choices_page(request, db, viewer, person_id, values={box: evidence}, errors={box: str(error)})
    return _to_choices(person_id, done="withdrawn")


def _read_choice(
    db: Session, data: FormData, *, today: date
) -> tuple[dict[str, Any], dict[str, str], _Choice | None]:
    """The choice form's values, what is wrong with them, and the choice when nothing is."""
    values: dict[str, Any] = {
        name: field(data, name) for name in ("choice", "given_by", "given_by_name", "evidence")
    }
    values.update({f"valid_until-{part}": field(data, f"valid_until-{part}") for part in DATE_PARTS})
    values.update(
        {
            name: [str(value) for value in data.getlist(name)]
            for name in ("purposes", "recipients", "categories")
        }
    )
    errors: dict[str, str] = {}
    if values["choice"] not in CHOICES:
        errors["choice"] = "Select what the person chose"
    _check_ticked(values, errors, "purposes", [purpose.code for purpose in _choosable_purposes(db)])
    _check_ticked(values, errors, "recipients", [agency.name for agency in core.list_agencies(db)])
    _check_ticked(values, errors, "categories", [category.code for category in CHOOSABLE_CATEGORIES])
    if values["given_by"] not in GIVEN_BY:
        errors["given_by"] = "Select who made the choice"
    elif values["given_by"] != "person" and not values["given_by_name"]:
        errors["given_by_name"] = f"Enter the name of the {values['given_by']}"
    if not values["evidence"]:
        errors["evidence"] = "Enter what the choice rests on"
    expires = _day(values, errors, "valid_until", "the expiry date")
    if expires is not None and expires <= today:
        errors["valid_until-day"] = "The expiry date must be in the future"
    if errors:
        return values, errors, None
    kind, status = CHOICES[values["choice"]]
    return (
        values,
        errors,
        _Choice(
            kind=kind,
            status=status,
            scope=consent.Scope(
                purposes=frozenset(values["purposes"]),
                recipients=frozenset(values["recipients"]),
                categories=frozenset(values["categories"]),
            ),
            given_by=_given_by(values),
            evidence=values["evidence"],
            valid_until=datetime.combine(expires, time(), tzinfo=UTC) if expires else None,
        ),
    )


def _choosable_purposes(db: Session) -> list[PurposeTerms]:
    """The purposes a person's choice can bear on: not an emergency, which no choice stops."""
    return [purpose for purpose in agreements.purposes(db) if not purpose.vital_interests]


def _check_ticked(values: dict[str, Any], errors: dict[str, str], name: str, allowed: list[str]) -> None:
    unknown = [value for value in values[name] if value not in allowed]
    if unknown:
        errors[name] = f"Tick only the boxes offered: {', '.join(unknown)} is not one of them"


def _given_by(values: dict[str, Any]) -> consent.GivenBy:
    relationship = values["given_by"]
    if relationship == "person":
        return consent.GivenBy()
    return consent.GivenBy(name=values["given_by_name"], relationship=relationship)


def _current_record(db: Session, person_id: str, record_id: str) -> ConsentRecord:
    found = next(
        (record for record in consent.history_of(db, person_id) if str(record.id) == record_id),
        None,
    )
    if found is None or found.superseded or found.status != "given":
        raise NotFoundError(
            "That choice is not in force for this person, so it cannot be withdrawn.",
            fix="Go back to the person's choices; it may have been changed already.",
        )
    return found


def _require_person(request: Request, db: Session, person_id: str) -> None:
    """A choice recorded against a mistyped id would protect nobody: once the place is linked, only people the
    linkage made, or someone who already has choices on record, can have them."""
    lake = Lake.in_data_dir(request.app.state.settings.data_dir)
    if identity.latest_run(db) is None or consent.history_of(db, person_id):
        return
    if not identity.person_exists(db, lake, person_id):
        raise NotFoundError(
            f"There is no person {person_id} in the latest linkage.",
            fix="Check the person's id: it is on their page, and in the search results.",
        )


def _choices_page(
    request: Request,
    db: Session,
    viewer: Viewer,
    person_id: str,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    done: str = "",
) -> Response:
    history = consent.history_of(db, person_id)
    title = f"Consents and objections of person {person_id}"
    context = {
        "title": f"Error: {title}" if errors else title,
        "person_id": person_id,
        "current": [record for record in history if not record.superseded],
        "earlier": [record for record in history if record.superseded],
        "values": values,
        "errors": errors or {},
        "done": done,
        "is_officer": viewer.has(OFFICER),
        "choice_label": _choice_label,
        "scope_text": _scope_text(db),
        "purposes": _choosable_purposes(db),
        "agencies": [agency.name for agency in core.list_agencies(db)],
        "categories": CHOOSABLE_CATEGORIES,
        "day_of": _day_of,
    }
    return render(request, "governance/oversight/choices.html", context, status_code=400 if errors else 200)


def _to_choices(person_id: str, *, done: str) -> Response:
    return RedirectResponse(f"{_choices_path(person_id)}?done={done}", status_code=303)


def _choices_path(person_id: str) -> str:
    return f"/governance/people/{quote(person_id, safe='')}/choices"


# ---------------------------------------------------------------- shared


def _logged(at: str | datetime) -> str:
    """A moment of the log (as the log keeps it, or read from it), in words."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.strftime("%-d %b %Y, %H:%M:%S UTC")


def _day_of(moment: datetime | date | None) -> str:
    return moment.strftime("%-d %B %Y") if moment else ""


def _entry_text(entry: AccessLogEntry) -> dict[str, Any]:
    """What an entry's lists say, in words: the data asked for, the fields released and the agreements."""
    fields = json.loads(entry.fields)
    return {
        "categories": "; ".join(_category_label(code) for code in json.loads(entry.categories)),
        "fields": ", ".join(agreements.field_label(name) for name in fields) or "None",
        "field_count": len(fields),
        "agreements": ", ".join(key.replace("@", " version ") for key in json.loads(entry.agreements)),
    }


def _category_label(code: str) -> str:
    found = vocabulary.category(code)
    return found.label if found else code


def _role_label(role: str) -> str:
    return {member.value: member.label for member in Role}.get(role, role.replace("_", " ").capitalize())


def _choice_label(record: ConsentRecord) -> str:
    return consent.CHOICE_LABELS.get(
        (record.kind, record.status), f"{record.kind} {record.status}".capitalize()
    )


def _purpose_names(db: Session) -> Callable[[Iterable[str]], str]:
    labels = agreements.purpose_labels(db)

    def purpose_names(codes: Iterable[str]) -> str:
        return ", ".join(labels.get(code, code) for code in codes)

    return purpose_names


def _scope_text(db: Session) -> Callable[[ConsentRecord], dict[str, str]]:
    """What a choice covers, in words: each part of its scope, or "every" when the part is empty."""
    purpose_names = _purpose_names(db)

    def scope_text(record: ConsentRecord) -> dict[str, str]:
        return {
            "purposes": purpose_names(record.purposes) or "Every purpose",
            "recipients": ", ".join(record.recipients) or "Every agency",
            "categories": ", ".join(_category_label(code) for code in record.categories) or "All data",
        }

    return scope_text


def _search_link(
    *,
    person: str = "",
    user: str = "",
    agency: str = "",
    outcome: str = "",
    since: date | None = None,
    until: date | None = None,
) -> str:
    """The address of the access log searched for these values."""
    values = {"person": person, "user": user, "agency": agency, "outcome": outcome}
    for name, day in (("from", since), ("to", until)):
        if day is not None:
            values.update(
                {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}
            )
    return ACCESS_LOG + f"?{urlencode({name: value for name, value in values.items() if value})}"


def _by(viewer: Viewer) -> str:
    return f"{viewer.full_name} ({viewer.username})"
