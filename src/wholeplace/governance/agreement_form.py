"""The drafting form of a sharing agreement: what the officer typed, read into a header and an AgreementBody with
one message per field at fault, and a version read back into the form's values. The views hand the form in as a
plain mapping of names to lists of values; a fixed number of party and signatory rows is offered, and blank rows
are ignored.

Every error is keyed by the id of the field it is about, so that the error summary links to that field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from wholeplace.core.errors import InvalidInputError
from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.schemas import AgreementBody, Duties
from wholeplace.governance.service.agreements import AgreementHeader, checked_reference

PARTY_ROWS = 6
SIGNATORY_ROWS = 6
PARTY_FIELDS = ("agency", "lawful_basis", "special_category_condition", "statutory_gateway")
SIGNATORY_FIELDS = ("name", "role", "agency")
DATE_PARTS = ("day", "month", "year")
DUTIES = ("log_every_access", "tell_the_person")
HEADER_DATES = {
    "effective_from": "the date the agreement takes effect",
    "expires_on": "the date the agreement expires",
    "review_by": "the date the agreement is to be reviewed by",
}
REQUIRED_DATES = frozenset({"effective_from"})
FormValues = dict[str, Any]  # a field's name: its text, or the list of values ticked


@dataclass
class DraftForm:
    """The form as read: its values to show again, its errors, and what it says once there are none."""

    values: FormValues
    errors: dict[str, str] = field(default_factory=dict)
    header: AgreementHeader | None = None
    body: AgreementBody | None = None


def blank_values() -> FormValues:
    """A new agreement's form: logging every access, onward sharing refused."""
    return {
        "duties": ["log_every_access"],
        "onward_sharing": AgreementBody.model_fields["onward_sharing"].default,
    }


def read_form(
    data: Mapping[str, list[str]],
    *,
    reference: str | None,
    purposes: Iterable[str],
    agencies: Iterable[str],
) -> DraftForm:
    """Read the posted form; `reference` is the agreement's when its versions already have one, else the form's."""
    form = DraftForm(values=_values(data))
    header = _header(form, reference)
    parties = _parties(form, set(agencies))
    chosen_purposes = _ticked(form, "purposes", purposes, "Select at least one purpose the agreement serves")
    categories = _categories(form)
    retention = _required_text(form, "retention", "Enter how long those receiving the data may keep it")
    onward = _required_text(form, "onward_sharing", "Enter what recipients may pass on, or that they may not")
    duties = _duties(form)
    signatories = _signatories(form, set(agencies))
    if form.errors or header is None:
        return form
    try:
        form.body = AgreementBody.model_validate(
            {
                "parties": parties,
                "purposes": chosen_purposes,
                "categories": categories,
                "roles": tuple(
                    role for role in form.values.get("roles", []) if role in {one.value for one in Role}
                ),
                "overrides_objection": "yes" in form.values.get("overrides_objection", []),
                "retention": retention,
                "onward_sharing": onward,
                "duties": duties,
                "signatories": signatories,
            }
        )
    except ValidationError as error:
        _add_schema_errors(form, error)
        return form
    form.header = header
    return form


def values_of(
    *,
    title: str,
    effective_from: date,
    expires_on: date | None,
    review_by: date | None,
    body: AgreementBody,
    signed: bool = True,
) -> FormValues:
    """A version's form values; `signed=False` leaves out the signing dates, for a new version to be signed."""
    values: FormValues = {"title": title}
    for name, day in (
        ("effective_from", effective_from),
        ("expires_on", expires_on),
        ("review_by", review_by),
    ):
        values.update(_date_values(name, day))
    for number, party in enumerate(body.parties, start=1):
        prefix = f"party-{number}"
        values[f"{prefix}-agency"] = party.agency
        values[f"{prefix}-roles"] = list(party.roles)
        values[f"{prefix}-lawful_basis"] = party.lawful_basis
        values[f"{prefix}-special_category_condition"] = party.special_category_condition or ""
        values[f"{prefix}-statutory_gateway"] = party.statutory_gateway or ""
    values["purposes"] = list(body.purposes)
    for grant in body.categories:
        values[f"fields-{grant.category}"] = list(grant.fields)
    values["roles"] = list(body.roles)
    values["overrides_objection"] = ["yes"] if body.overrides_objection else []
    values["retention"] = body.retention
    values["onward_sharing"] = body.onward_sharing
    values["duties"] = [duty for duty in DUTIES if getattr(body.duties, duty)]
    values["duties_review_by"] = body.duties.review_by.isoformat() if body.duties.review_by else ""
    for number, signatory in enumerate(body.signatories, start=1):
        prefix = f"signatory-{number}"
        values[f"{prefix}-name"] = signatory.name
        values[f"{prefix}-role"] = signatory.role
        values[f"{prefix}-agency"] = signatory.agency
        values.update(_date_values(f"{prefix}-signed_on", signatory.signed_on if signed else None))
    return values


def _values(data: Mapping[str, list[str]]) -> FormValues:
    """Single fields as their trimmed text; ticked boxes as lists."""
    multiple = {"purposes", "roles", "overrides_objection", "duties"}
    values: FormValues = {}
    for name, given in data.items():
        if name in multiple or name.startswith("fields-") or name.endswith("-roles"):
            values[name] = [value.strip() for value in given]
        else:
            values[name] = given[0].strip() if given else ""
    return values


def _text(form: DraftForm, name: str) -> str:
    value = form.values.get(name, "")
    return value if isinstance(value, str) else ""


def _required_text(form: DraftForm, name: str, message: str) -> str:
    text = _text(form, name)
    if not text:
        form.errors[name] = message
    return text


def _header(form: DraftForm, reference: str | None) -> AgreementHeader | None:
    if reference is None:
        try:
            reference = checked_reference(_text(form, "reference"))
        except InvalidInputError as error:
            form.errors["reference"] = str(error)
    title = _required_text(form, "title", "Enter the agreement's title")
    days = {
        name: _date(form, name, what, required=name in REQUIRED_DATES) for name, what in HEADER_DATES.items()
    }
    effective_from = days["effective_from"]
    if reference is None or not title or effective_from is None or form.errors:
        return None
    return AgreementHeader(reference, title, effective_from, days["expires_on"], days["review_by"])


def _date(form: DraftForm, name: str, what: str, *, required: bool) -> date | None:
    """A GOV.UK date input's three boxes as a date; an error names the first box to correct."""
    parts = {part: _text(form, f"{name}-{part}") for part in DATE_PARTS}
    if not any(parts.values()):
        if required:
            form.errors[f"{name}-day"] = f"Enter {what}"
        return None
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        form.errors[f"{name}-{missing[0]}"] = f"{what.capitalize()} must include a {missing[0]}"
        return None
    try:
        year = int(parts["year"])
        if year < 1000:
            raise ValueError(year)
        return date(year, int(parts["month"]), int(parts["day"]))
    except ValueError:
        form.errors[f"{name}-day"] = f"{what.capitalize()} must be a real date, like 1 4 2026"
        return None


def _date_values(name: str, day: date | None) -> FormValues:
    if day is None:
        return {f"{name}-{part}": "" for part in DATE_PARTS}
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def _parties(form: DraftForm, agencies: set[str]) -> tuple[dict[str, Any], ...]:
    parties: list[dict[str, Any]] = []
    first_blank: int | None = None
    for number in range(1, PARTY_ROWS + 1):
        party = _party(
            form, number, agencies, taken={one["agency"]: place for place, one in enumerate(parties, 1)}
        )
        if party is None:
            first_blank = first_blank or number
        elif party:
            parties.append(party)
    if len(parties) < 2 and not _row_errors(form, "party"):
        form.errors[f"party-{first_blank or 1}-agency"] = (
            "Add at least two parties: one that provides data and one that receives it"
        )
    elif parties and not _row_errors(form, "party"):
        if not any("provider" in party["roles"] for party in parties):
            form.errors["party-1-roles"] = "At least one party must provide data"
        if not any("recipient" in party["roles"] for party in parties):
            form.errors["party-1-roles"] = "At least one party must receive data"
    return tuple(parties)


def _party(
    form: DraftForm, number: int, agencies: set[str], *, taken: dict[str, int]
) -> dict[str, Any] | None:
    """One party row: None when blank, {} when it has errors."""
    prefix = f"party-{number}"
    given = {name: _text(form, f"{prefix}-{name}") for name in PARTY_FIELDS}
    roles = [role for role in form.values.get(f"{prefix}-roles", []) if role in ("provider", "recipient")]
    if not any(given.values()) and not roles:
        return None
    problems = {}
    if not given["agency"]:
        problems["agency"] = f"Select the agency of party {number}, or clear the row"
    elif given["agency"] not in agencies:
        problems["agency"] = f"Party {number} must be one of the place's agencies: choose it in the list"
    elif given["agency"] in taken:
        problems["agency"] = (
            f"{given['agency']} is already party {taken[given['agency']]}: each agency is a party once"
        )
    if not roles:
        problems["roles"] = f"Select whether party {number} provides data, receives it, or both"
    if not given["lawful_basis"]:
        problems["lawful_basis"] = f"Select the Article 6 basis party {number} relies on"
    for name, message in problems.items():
        form.errors[f"{prefix}-{name}"] = message
    if problems:
        return {}
    return {
        "agency": given["agency"],
        "roles": tuple(roles),
        "lawful_basis": given["lawful_basis"],
        "special_category_condition": given["special_category_condition"] or None,
        "statutory_gateway": given["statutory_gateway"] or None,
    }


def _row_errors(form: DraftForm, row: str) -> bool:
    return any(name.startswith(f"{row}-") for name in form.errors)


def _ticked(form: DraftForm, name: str, allowed: Iterable[str], message: str) -> tuple[str, ...]:
    known = list(allowed)
    ticked = tuple(code for code in known if code in form.values.get(name, []))
    if not ticked:
        form.errors[name] = message
    return ticked


def _categories(form: DraftForm) -> tuple[dict[str, Any], ...]:
    grants = []
    for category in vocabulary.CATEGORIES:
        ticked = form.values.get(f"fields-{category.code}", [])
        fields = tuple(one for one in category.fields if one in ticked)
        if fields:
            grants.append({"category": category.code, "fields": fields})
    if not grants:
        form.errors[f"fields-{vocabulary.CATEGORIES[0].code}"] = "Select the data the agreement shares"
    return tuple(grants)


def _duties(form: DraftForm) -> Duties:
    """The duties ticked; a review date for them comes only from a file, and is carried through the form."""
    ticked = form.values.get("duties", [])
    try:
        review_by = date.fromisoformat(_text(form, "duties_review_by"))
    except ValueError:
        review_by = None
    return Duties(
        log_every_access="log_every_access" in ticked,
        tell_the_person="tell_the_person" in ticked,
        review_by=review_by,
    )


def _signatories(form: DraftForm, agencies: set[str]) -> tuple[dict[str, Any], ...]:
    signatories = []
    for number in range(1, SIGNATORY_ROWS + 1):
        prefix = f"signatory-{number}"
        given = {name: _text(form, f"{prefix}-{name}") for name in SIGNATORY_FIELDS}
        dated = any(_text(form, f"{prefix}-signed_on-{part}") for part in DATE_PARTS)
        if not any(given.values()) and not dated:
            continue
        signed_on = _date(form, f"{prefix}-signed_on", f"the date signatory {number} signed", required=False)
        problems = {
            "name": "" if given["name"] else f"Enter the name of signatory {number}, or clear the row",
            "role": "" if given["role"] else f"Enter the job title of signatory {number}",
            "agency": ""
            if given["agency"] in agencies
            else f"Select the agency signatory {number} signs for",
        }
        for name, message in problems.items():
            if message:
                form.errors[f"{prefix}-{name}"] = message
        signatories.append({**given, "signed_on": signed_on})
    return tuple(signatories)


def _add_schema_errors(form: DraftForm, error: ValidationError) -> None:
    """What the agreement's own checks refuse, on the first field of the part they are about."""
    anchors = {
        "parties": "party-1-agency",
        "purposes": "purposes",
        "categories": f"fields-{vocabulary.CATEGORIES[0].code}",
        "retention": "retention",
        "onward_sharing": "onward_sharing",
        "signatories": "signatory-1-name",
    }
    for found in error.errors():
        at = anchors.get(str(found["loc"][0]) if found["loc"] else "", "party-1-agency")
        form.errors.setdefault(at, str(found["msg"]).removeprefix("Value error, "))


def rows_shown(values: FormValues, errors: Mapping[str, str], row: str, rows: int) -> int:
    """How many rows of parties or signatories to show open: three, or up to the last one in use."""
    used = [
        number
        for number in range(1, rows + 1)
        if any(
            name.startswith(f"{row}-{number}-") and value
            for name, value in (*values.items(), *errors.items())
        )
    ]
    return max([3, *used]) if rows > 3 else rows
