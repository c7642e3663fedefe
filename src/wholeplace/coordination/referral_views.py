"""Pages of coordination: referrals between agencies and the alerts inbox.

A referral form shows the household's members only as one access decision lets the referrer see them; sending
the referral is decided again, as what it passes on to the receiving agency. The receiving agency sees the person
only as that decision released them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.coordination import framework
from wholeplace.coordination.models import Alert, RegisterRecord
from wholeplace.coordination.service import access, alerts, referrals
from wholeplace.core import service as core
from wholeplace.core.errors import InvalidInputError, NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.governance.decision import Subject, SubjectKind
from wholeplace.governance.service import agreements
from wholeplace.governance.vocabulary import PurposeTerms
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

CASEWORK = (Role.PRACTITIONER, Role.LEAD_PROFESSIONAL)
NAVIGATION = [
    NavigationEntry("Referrals", "/referrals", frozenset(CASEWORK)),
    NavigationEntry("Alerts", "/alerts", frozenset(CASEWORK)),
]
DEFAULT_PURPOSE = "early_help"
FORM_FIELDS = ("person", "to_agency", "purpose", "case", "urgency", "reason")
ANSWERS = {"accept": "Accept", "decline": "Decline"}
DONE = {
    "made": "Referral sent",
    "accepted": "Referral accepted: your agency's involvement with the person is open",
    "declined": "Referral declined: the referrer has been told",
    "withdrawn": "Referral withdrawn",
}
STATUS_COLOURS = {
    referrals.WAITING: "govuk-tag--blue",
    referrals.ACCEPTED: "govuk-tag--green",
    referrals.DECLINED: "govuk-tag--red",
    referrals.WITHDRAWN: "govuk-tag--grey",
}

router = APIRouter()


# ---------------------------------------------------------------- making a referral


@dataclass(frozen=True)
class _Member:
    person_id: str
    name: str
    born: date | None


@dataclass(frozen=True)
class _About:
    """Whom the form refers, as the one decision for the page lets the referrer see them."""

    kind: SubjectKind
    id: str
    members: list[_Member]
    position: int
    reason: str  # the decision's, when it shows nobody

    @property
    def action(self) -> str:
        folder = "households" if self.kind == "household" else "people"
        return f"/{folder}/{quote(self.id, safe='')}/referrals/new"


@router.get("/households/{household_id}/referrals/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def new_household_referral(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    household_id: str,
    purpose: str = "",
    case: str = "",
) -> Response:
    values = {"purpose": purpose or DEFAULT_PURPOSE, "case": case}
    return _form_page(request, db, now, viewer, Subject("household", household_id), values=values)


@router.get("/people/{person_id}/referrals/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def new_person_referral(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    person_id: str,
    purpose: str = "",
    case: str = "",
) -> Response:
    values = {"purpose": purpose or DEFAULT_PURPOSE, "case": case, "person": person_id}
    return _form_page(request, db, now, viewer, Subject("person", person_id), values=values)


@router.post("/households/{household_id}/referrals/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def make_household_referral(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, household_id: str
) -> Response:
    return _make(request, db, now, viewer, data, Subject("household", household_id))


@router.post("/people/{person_id}/referrals/new", response_class=HTMLResponse)
@allow(*CASEWORK)
def make_person_referral(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, person_id: str
) -> Response:
    return _make(request, db, now, viewer, data, Subject("person", person_id))


def _make(
    request: Request, db: Session, now: datetime, viewer: Viewer, data: FormData, subject: Subject
) -> Response:
    values = {name: field(data, name) for name in FORM_FIELDS}
    if subject.kind == "person":
        values["person"] = subject.id
    errors = _form_errors(values)
    if errors:
        return _form_page(request, db, now, viewer, subject, values=values, errors=errors)
    try:
        referral = referrals.make(
            db,
            data_dir=request.app.state.settings.data_dir,
            viewer=viewer,
            person_id=values["person"],
            household_id=subject.id if subject.kind == "household" else None,
            to_agency_id=uuid.UUID(values["to_agency"]),
            purpose=values["purpose"],
            reason=values["reason"],
            urgency=values["urgency"],
            case_reference=values["case"],
            at=now,
        )
    except referrals.ReferralRefusedError as refused:
        return _form_page(
            request,
            db,
            now,
            viewer,
            subject,
            values=values,
            errors={"to_agency": str(refused)},
            refusal=refused,
        )
    except (InvalidInputError, NotFoundError) as error:
        name = getattr(error, "field", None) or "to_agency"
        return _form_page(request, db, now, viewer, subject, values=values, errors={name: str(error)})
    return RedirectResponse(f"/referrals/{referral.id}?done=made", status_code=303)


def _form_errors(values: Mapping[str, str]) -> dict[str, str]:
    """What is missing from the form, before anything is decided."""
    errors = {}
    if not values["person"]:
        errors["person"] = "Select the person you are referring"
    if not _is_uuid(values["to_agency"]):
        errors["to_agency"] = "Select the agency you are referring to"
    if not values["purpose"]:
        errors["purpose"] = "Select the purpose of the referral"
    if values["urgency"] not in framework.URGENCIES:
        errors["urgency"] = "Select how urgent the referral is"
    if not values["reason"]:
        errors["reason"] = "Enter why you are making the referral"
    return errors


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _form_page(
    request: Request,
    db: Session,
    now: datetime,
    viewer: Viewer,
    subject: Subject,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    refusal: referrals.ReferralRefusedError | None = None,
) -> Response:
    about = _about(request, db, now, viewer, subject, values)
    mine = access.agency_id_of(db, viewer)
    hours = referrals.response_hours(db)
    title = "Make a referral"
    context = {
        "title": f"Error: {title}" if errors else title,
        "about": about,
        "values": values,
        "errors": errors or {},
        "refusal": refusal,
        "agencies": [(str(agency.id), agency.name) for agency in core.list_agencies(db) if agency.id != mine],
        "purposes": _purposes(db, viewer),
        "urgencies": [(code, label, _hours_text(hours[code])) for code, label in framework.URGENCIES.items()],
        "back": {"text": subject.kind.capitalize(), "href": _subject_link(subject, values)},
        "day": _day,
    }
    return render(request, "coordination/referral_new.html", context, status_code=400 if errors else 200)


def _about(
    request: Request, db: Session, now: datetime, viewer: Viewer, subject: Subject, values: Mapping[str, str]
) -> _About:
    sight = access.see(
        db,
        data_dir=request.app.state.settings.data_dir,
        viewer=viewer,
        working=access.Working(values.get("purpose") or DEFAULT_PURPOSE, values.get("case", "")),
        subject=subject,
        categories=("identity",),
        at=now,
    )
    column = RegisterRecord.household_id if subject.kind == "household" else RegisterRecord.person_id
    records = db.scalars(select(RegisterRecord).where(column == subject.id).order_by(RegisterRecord.id))
    names = {agency.id: agency.name for agency in core.list_agencies(db)}
    members: dict[str, _Member] = {}
    for record in records:
        if record.person_id in members or not sight.shows(
            "identity", provider=names[record.agency_id], person_id=record.person_id
        ):
            continue
        own = names[record.agency_id] == sight.agency
        name = " ".join(
            part
            for part, shown in (
                (record.given_name, own or sight.field_shown("identity", "given_name")),
                (record.family_name, own or sight.field_shown("identity", "family_name")),
            )
            if part and shown
        )
        born = record.date_of_birth if own or sight.field_shown("identity", "date_of_birth") else None
        members[record.person_id] = _Member(record.person_id, name or record.person_id, born)
    return _About(subject.kind, subject.id, list(members.values()), sight.position, sight.reason("identity"))


def _purposes(db: Session, viewer: Viewer) -> list[PurposeTerms]:
    """The casework purposes the viewer may refer under."""
    return [
        purpose
        for purpose in agreements.purposes(db)
        if purpose.roles & viewer.roles and not purpose.vital_interests and not purpose.deidentified
    ]


def _hours_text(hours: int) -> str:
    return (
        f"Answer within {hours // 24} days"
        if hours >= 48 and hours % 24 == 0
        else f"Answer within {hours} hours"
    )


def _subject_link(subject: Subject, values: Mapping[str, str]) -> str:
    """The household or person page, under the purpose and case the practitioner works under."""
    folder = "households" if subject.kind == "household" else "people"
    query = urlencode({name: values[name] for name in ("purpose", "case") if values.get(name)})
    return f"/{folder}/{quote(subject.id, safe='')}" + (f"?{query}" if query else "")


# ---------------------------------------------------------------- the referrals of my agency


@router.get("/referrals", response_class=HTMLResponse)
@allow(*CASEWORK)
def referrals_page(request: Request, db: Db, now: Now, viewer: CurrentViewer) -> Response:
    mine = access.agency_id_of(db, viewer)
    received = referrals.received(db, agency_id=mine, at=now)
    sent = referrals.sent(db, agency_id=mine, at=now)
    context = {
        "title": "Referrals",
        "received": [
            (listed, referrals.person_shown(db, listed.referral, agency_id=mine)) for listed in received
        ],
        "sent": [(listed, referrals.person_shown(db, listed.referral, agency_id=mine)) for listed in sent],
        "waiting": sum(listed.referral.status == referrals.WAITING for listed in received),
        "overdue": sum(listed.overdue for listed in received),
        **_shared(db),
    }
    return render(request, "coordination/referrals.html", context)


@router.get("/referrals/{referral_id}", response_class=HTMLResponse)
@allow(*CASEWORK)
def referral_page(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, referral_id: uuid.UUID, done: str = ""
) -> Response:
    return _referral_page(request, db, now, viewer, referral_id, values={}, done=DONE.get(done, ""))


@router.post("/referrals/{referral_id}", response_class=HTMLResponse)
@allow(*CASEWORK)
def answer_referral(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, referral_id: uuid.UUID
) -> Response:
    """Accept or decline a referral to the viewer's agency, or withdraw one it made; each with a reason."""
    values = {name: field(data, name) for name in ("answer", "reason")}
    mine = access.agency_id_of(db, viewer)
    referral = referrals.get(db, referral_id=referral_id, agency_id=mine)
    answers = ANSWERS if referral.to_agency_id == mine else {"withdraw": "Withdraw"}
    if values["answer"] not in answers:
        errors = {"answer": "Select whether you accept or decline the referral"}
        return _referral_page(request, db, now, viewer, referral_id, values=values, errors=errors)
    act = {"accept": referrals.accept, "decline": referrals.decline, "withdraw": referrals.withdraw}[
        values["answer"]
    ]
    try:
        answered = act(
            db,
            referral_id=referral_id,
            by_username=viewer.username,
            by_agency_id=mine,
            reason=values["reason"],
            at=now,
        )
    except WholeplaceError as error:
        name = getattr(error, "field", None) or "answer"
        return _referral_page(request, db, now, viewer, referral_id, values=values, errors={name: str(error)})
    return RedirectResponse(f"/referrals/{answered.id}?done={answered.status}", status_code=303)


def _referral_page(
    request: Request,
    db: Session,
    now: datetime,
    viewer: Viewer,
    referral_id: uuid.UUID,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    done: str = "",
) -> Response:
    mine = access.agency_id_of(db, viewer)
    referral = referrals.get(db, referral_id=referral_id, agency_id=mine)
    receiving = referral.to_agency_id == mine
    from_agency, to_agency = (
        core.get_agency(db, end).name for end in (referral.from_agency_id, referral.to_agency_id)
    )
    title = f"Referral from {from_agency}" if receiving else f"Referral to {to_agency}"
    context = {
        "title": f"Error: {title}" if errors else title,
        "referral": referral,
        "person": referrals.person_shown(db, referral, agency_id=mine),
        "receiving": receiving,
        "from_agency": from_agency,
        "to_agency": to_agency,
        "named": lambda username: _full_name(db, username),
        "overdue": referrals.is_overdue(referral, now),
        "time_left": referrals.time_left(referral.respond_by, now),
        "household_link": _subject_link(
            Subject("household", referral.household_id), {"purpose": referral.purpose}
        )
        if referral.household_id
        else None,
        "values": values,
        "errors": errors or {},
        "done": done,
        **_shared(db),
    }
    return render(request, "coordination/referral.html", context, status_code=400 if errors else 200)


def _full_name(db: Session, username: str | None) -> str:
    user = core.find_user(db, username) if username else None
    return user.full_name if user is not None else username or ""


def _shared(db: Session) -> dict[str, Any]:
    return {
        "statuses": referrals.STATUSES,
        "status_colours": STATUS_COLOURS,
        "urgencies": framework.URGENCIES,
        "purpose_labels": agreements.purpose_labels(db),
        "local": _local,
        "day": _day,
    }


def _local(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(framework.LOCAL_TIME).strftime("%-d %B %Y, %H:%M")


def _day(value: date | None) -> str:
    return "" if value is None else value.strftime("%-d %B %Y")


# ---------------------------------------------------------------- alerts


@router.get("/alerts", response_class=HTMLResponse)
@allow(*CASEWORK)
def alerts_page(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    inbox = alerts.inbox(db, username=viewer.username)
    context = {
        "title": "Alerts",
        "alerts": [(alert, _alert_link(alert)) for alert in inbox],
        "unread": alerts.unread_count(db, viewer.username),
        "local": _local,
        "day": _day,
    }
    return render(request, "coordination/alerts.html", context)


@router.post("/alerts/{alert_id}/read", response_class=HTMLResponse)
@allow(*CASEWORK)
def mark_alert_read(db: Db, now: Now, viewer: CurrentViewer, alert_id: uuid.UUID) -> Response:
    alerts.mark_read(db, alert_id=alert_id, username=viewer.username, at=now)
    return RedirectResponse("/alerts", status_code=303)


def _alert_link(alert: Alert) -> tuple[str, str]:
    """Where an alert leads, and the link's words: a referral's page, or the household's."""
    if alert.kind == "referral":
        referral_id = alert.about.split(":")[1]
        return f"/referrals/{referral_id}", "Open the referral"
    query = urlencode({"purpose": alerts.PURPOSE})
    return f"/households/{quote(alert.household_id, safe='')}?{query}", "Open the household"
