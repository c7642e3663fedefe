"""Pages with which the information governance officer answers a resident's subject access request: who has
looked at their data (a report to print), everything held about them (a document to print, and JSON), and the
exemption that keeps an access out of the report for a while.

The report and the document show every agency's data about the person, so each is decided by the access gate
under the request's case reference and logged once, like any disclosure. A request is answered in full or not at
all: unless the subject-access agreement covers every category of data, the page is refused.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.core.errors import InvalidInputError
from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.service import agreements, consent, subject_access
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.sources.standard import ENTITIES
from wholeplace.sources.standard import Field as StandardField
from wholeplace.web.access import allow
from wholeplace.web.disclosure import Asked, Shown, disclose
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import render

PEOPLE = "/governance/people"
ACCESS_LOG = "/governance/access-log"
SUBJECT_ACCESS = "subject_access"
EVERY_CATEGORY = tuple(category.code for category in vocabulary.CATEGORIES if category.code != "aggregate")
CASE_MAX = 100  # the access log's case_reference column
CASE_MISSING = "Enter the case reference of the subject access request"
ASKING = {
    "access-report": "Who has looked at their data",
    "subject-access": "Everything held about them",
}
RECORD_ENTITIES = ("involvement", "event", "relationship")
DATE_PARTS = ("day", "month", "year")

router = APIRouter()


# ---------------------------------------------------------------- the request


@router.get(PEOPLE + "/{person_id}", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def start_page(request: Request, person_id: str, case: str = "") -> Response:
    """Where the officer gives the request's case reference; it reveals nothing, so it decides nothing."""
    return _case_page(request, person_id, case=case, outputs=tuple(ASKING))


@router.get(PEOPLE + "/{person_id}/access-report", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def access_report(request: Request, db: Db, now: Now, person_id: str, case: str | None = None) -> Response:
    """Who has looked at the person's data, for them to read: decided and logged before it is made."""
    answered = _answered(request, db, person_id, case, output="access-report", at=now)
    if isinstance(answered, Response):
        return answered
    checked, shown = answered
    household_id = identity.household_of(db, _lake(request), person_id)
    context = {
        "title": f"Who has looked at the information of person {person_id}",
        "person_id": person_id,
        "case": checked,
        "position": shown.position,
        "generated_at": now,
        "looks": [
            look.as_json()
            for look in subject_access.who_looked(
                db, person_id=person_id, household_id=household_id, today=now.date()
            )
        ],
        "day": _day,
        "start": _start_path(person_id, checked),
        "every_kind": len(EVERY_CATEGORY),
    }
    return render(request, "governance/resident/access_report.html", context)


@router.get(PEOPLE + "/{person_id}/subject-access", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def subject_access_page(
    request: Request, db: Db, now: Now, person_id: str, case: str | None = None
) -> Response:
    """Everything held about the person, as a document to print: decided and logged before it is made."""
    answered = _answered(request, db, person_id, case, output="subject-access", at=now)
    if isinstance(answered, Response):
        return answered
    checked, shown = answered
    export = _export(request, db, shown, person_id=person_id, at=now)
    context = {
        "title": f"Information held about person {person_id}",
        "export": export,
        "case": checked,
        "position": shown.position,
        "generated_at": now,
        "by_source": _by_source(export["records"]),
        "unreleased": _unreleased(shown),
        "choice_words": consent.CHOICE_LABELS,
        "day": _day,
        "start": _start_path(person_id, checked),
        "every_kind": len(EVERY_CATEGORY),
        "download": f"{PEOPLE}/{quote(person_id)}/subject-access.json?{urlencode({'case': checked})}",
    }
    return render(request, "governance/resident/subject_access.html", context)


@router.get(PEOPLE + "/{person_id}/subject-access.json")
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def subject_access_json(
    request: Request, db: Db, now: Now, person_id: str, case: str | None = None
) -> Response:
    """Everything held about the person, as a JSON file: decided and logged before it is made."""
    answered = _answered(request, db, person_id, case, output="subject-access", at=now)
    if isinstance(answered, Response):
        return answered
    checked, shown = answered
    export = _export(request, db, shown, person_id=person_id, at=now)
    name = f"subject-access-{_file_part(person_id)}-{_file_part(checked)}.json"
    return Response(
        json.dumps(export, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _answered(
    request: Request, db: Session, person_id: str, case: str | None, *, output: str, at: datetime
) -> tuple[str, Shown] | Response:
    """The request's case reference and what the gate allows, or the page to show instead: the one asking for
    the reference, or the refusal."""
    checked = _checked_case(request, person_id, case, output=output)
    if isinstance(checked, Response):
        return checked
    shown = _gated(request, db, person_id=person_id, case=checked, at=at)
    return shown if isinstance(shown, Response) else (checked, shown)


def _checked_case(request: Request, person_id: str, case: str | None, *, output: str) -> str | Response:
    """The request's case reference, or the page that asks for it (with what is wrong, if one was given)."""
    if case is None:
        return _case_page(request, person_id, case="", outputs=(output,))
    given = case.strip()
    problem = _case_problem(given)
    if problem:
        return _case_page(request, person_id, case=given, outputs=(output,), problem=problem)
    return given


def _case_problem(case: str) -> str | None:
    if not case:
        return CASE_MISSING
    if len(case) > CASE_MAX:
        return f"Enter a case reference of at most {CASE_MAX} characters"
    if not case.isprintable():
        return "Enter the case reference as letters, digits and punctuation only"
    return None


def _case_page(
    request: Request, person_id: str, *, case: str, outputs: tuple[str, ...], problem: str | None = None
) -> Response:
    title = "Answer a subject access request"
    context = {
        "title": f"Error: {title}" if problem else title,
        "heading": title,
        "person_id": person_id,
        "case": case,
        "outputs": [(ASKING[output], f"{PEOPLE}/{quote(person_id)}/{output}") for output in outputs],
        "errors": {"case": problem} if problem else {},
    }
    return render(request, "governance/resident/start.html", context, status_code=400 if problem else 200)


def _gated(request: Request, db: Session, *, person_id: str, case: str, at: datetime) -> Shown | Response:
    """Ask the gate for every category of the person's data under the request; the refusal page unless every
    one is allowed, because a subject access request is answered in full or not at all."""
    shown = disclose(
        request,
        db,
        viewer=request.state.viewer,
        asked=Asked(
            role=Role.INFORMATION_GOVERNANCE_OFFICER,
            purpose=SUBJECT_ACCESS,
            subject_kind="person",
            subject_id=person_id,
            categories=EVERY_CATEGORY,
            case_reference=case,
        ),
        at=at,
    )
    missing = [code for code in EVERY_CATEGORY if not shown.allows(code)]
    if not missing:
        return shown
    reason = shown.reason
    if shown.permitted:
        labels = "; ".join(_category_label(code).lower() for code in missing)
        reason = (
            f"No subject-access agreement in force covers {labels}. A request is answered in full or not at all, "
            "so nothing is shown until an agreement covers every category of data."
        )
    context = {
        "title": "You cannot answer this subject access request yet",
        "reason": reason,
        "position": shown.position,
        "back": _start_path(person_id, case),
    }
    return render(request, "disclosure_denied.html", context, status_code=403)


def _export(request: Request, db: Session, shown: Shown, *, person_id: str, at: datetime) -> dict[str, Any]:
    export = subject_access.subject_access_export(
        db, _lake(request), sources.lake_batches(db), person_id=person_id, at=at
    )
    return subject_access.released(export, fields=shown.fields)


def _unreleased(shown: Shown) -> list[str]:
    """The standard fields the agreement does not release: the officer should have it cover them."""
    every = dict.fromkeys(
        name
        for category in vocabulary.CATEGORIES
        if category.code in EVERY_CATEGORY
        for name in category.fields
    )
    return [agreements.field_label(name) for name in every if name not in shown.fields]


def _by_source(records: dict[str, Any]) -> list[dict[str, Any]]:
    """The person's records grouped by the source they came from: each person record as labelled values, and
    the involvements, events and relationships with them as tables."""
    grouped = []
    for source, agency in sorted(records["agencies"].items(), key=lambda item: (item[1], item[0])):
        grouped.append(
            {
                "source": source,
                "agency": agency,
                "people": [_person_values(row) for row in records["person"] if row["source"] == source],
                **{
                    entity: _table(entity, [row for row in records[entity] if row["source"] == source])
                    for entity in RECORD_ENTITIES
                },
            }
        )
    return grouped


def _person_values(row: dict[str, Any]) -> dict[str, Any]:
    """A person record's standardised values in the standard's order, labelled; the JSON has every form."""
    values = [
        (agreements.field_label(one.name), _shown(one, row[one.name]))
        for one in ENTITIES["person"].fields
        if one.name in row
    ]
    values += [
        (_identifier_label(name), _text(row[name]))
        for name in sorted(row)
        if name.startswith("identifiers.") and not name.endswith("_original")
    ]
    return {"record_id": row["record_id"], "values": values}


def _table(entity: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows of one entity as a GOV.UK table of the standard fields any of them has, with the record each is on."""
    used = [one for one in ENTITIES[entity].fields if any(one.name in row for row in rows)]
    return {
        "head": [{"text": "Record"}, *({"text": agreements.field_label(one.name)} for one in used)],
        "rows": [
            [{"text": row["record_id"]}, *({"text": _shown(one, row.get(one.name))} for one in used)]
            for row in rows
        ],
    }


def _shown(standard: StandardField, value: Any) -> str:
    if value is None:
        return ""
    return _day(value) if standard.is_date else _text(value)


def _identifier_label(name: str) -> str:
    return f"{name.removeprefix('identifiers.').replace('_', ' ').capitalize()} identifier"


def _text(value: Any) -> str:
    return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)


def _day(text: str | None) -> str:
    """An ISO 8601 day or moment as people write it; a moment in UTC, saying so."""
    if not text:
        return ""
    if len(text) == len("2026-01-31"):
        return date.fromisoformat(text).strftime("%-d %B %Y")
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%-d %B %Y, %H:%M UTC")


def _category_label(code: str) -> str:
    found = vocabulary.category(code)
    return found.label if found else code


# ---------------------------------------------------------------- exemptions


@router.get(ACCESS_LOG + "/{position:int}/exemption", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def exemption_page(request: Request, db: Db, now: Now, position: int, done: str = "") -> Response:
    return _exemption_page(request, db, position, today=now.date(), values={}, done=bool(done))


@router.post(ACCESS_LOG + "/{position:int}/exemption", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def record_exemption(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, position: int
) -> Response:
    """Withhold an access from the person's report until a day, on a ground the Act gives."""
    values = {
        name: field(data, name) for name in ("ground", *(f"withheld_until-{part}" for part in DATE_PARTS))
    }
    withheld_until = _date(values)
    if withheld_until is None:
        errors = {"withheld_until-day": "Enter the last day to withhold the access, as a real date"}
        if not values["ground"]:
            errors = {"ground": "Choose the ground the exemption rests on", **errors}
        return _exemption_page(request, db, position, today=now.date(), values=values, errors=errors)
    try:
        subject_access.record_exemption(
            db,
            position=position,
            ground=values["ground"],
            withheld_until=withheld_until,
            by=f"{viewer.full_name} ({viewer.username})",
            at=now,
        )
    except InvalidInputError as error:
        at = "ground" if error.field == "ground" else "withheld_until-day"
        return _exemption_page(
            request, db, position, today=now.date(), values=values, errors={at: str(error)}
        )
    return RedirectResponse(f"{ACCESS_LOG}/{position}/exemption?done=1", status_code=303)


def _date(values: dict[str, str]) -> date | None:
    try:
        day, month, year = (int(values[f"withheld_until-{part}"]) for part in DATE_PARTS)
        return date(year, month, day)
    except ValueError:
        return None


def _exemption_page(
    request: Request,
    db: Session,
    position: int,
    *,
    today: date,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    done: bool = False,
) -> Response:
    entry = subject_access.log_entry(db, position)
    exemptions = subject_access.exemptions_of(db, position)
    title = f"Withhold access-log entry {position} from the person's report"
    context = {
        "title": f"Error: {title}" if errors else title,
        "heading": title,
        "entry": entry,
        "at": datetime.fromisoformat(entry.at),
        "role": subject_access.role_label(entry.role),
        "purpose": agreements.purpose_labels(db).get(entry.purpose, entry.purpose),
        "categories": [_category_label(code) for code in json.loads(entry.categories)],
        "exemptions": exemptions,
        "holding": subject_access.exemption_holding(db, position, today=today),
        "grounds": subject_access.EXEMPTION_GROUNDS,
        "latest": subject_access.latest_withholding(today),
        "values": values,
        "errors": errors or {},
        "done": done,
    }
    return render(request, "governance/resident/exemption.html", context, status_code=400 if errors else 200)


# ---------------------------------------------------------------- shared


def _lake(request: Request) -> Lake:
    return Lake.in_data_dir(request.app.state.settings.data_dir)


def _start_path(person_id: str, case: str) -> str:
    return f"{PEOPLE}/{quote(person_id)}?{urlencode({'case': case})}"


def _file_part(text: str) -> str:
    """Text safe in a file name: letters, digits and hyphens."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "request"
