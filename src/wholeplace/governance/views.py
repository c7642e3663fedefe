"""Pages of the governance domain."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.governance import (
    agreement_form,
    dpv,
    models,  # noqa: F401 - the domain's tables, for the app and its migrations
    vocabulary,
)
from wholeplace.governance.models import Agreement
from wholeplace.governance.service import agreements
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

INFORMATION_GOVERNANCE = frozenset({Role.INFORMATION_GOVERNANCE_OFFICER})
NAVIGATION = [NavigationEntry("Information governance", "/governance", INFORMATION_GOVERNANCE)]

router = APIRouter()


# ---------------------------------------------------------------- sharing agreements

AGREEMENTS = "/governance/agreements"
STATUS_ACTIONS = {
    "activate": agreements.activate,
    "suspend": agreements.suspend,
    "reinstate": agreements.reinstate,
    "expire": agreements.expire,
}
DONE = {
    "drafted": "Draft saved",
    "saved": "Draft saved",
    "activate": "Agreement activated: sharing under it can go ahead from the day it takes effect",
    "suspend": "Agreement suspended: no sharing goes ahead under it until it is reinstated",
    "reinstate": "Agreement reinstated: sharing under it can go ahead again",
    "expire": "Agreement expired: no sharing goes ahead under it any more",
}


@router.get(AGREEMENTS, response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def agreements_page(request: Request, db: Db, now: Now) -> Response:
    context = {
        "title": "Sharing agreements",
        "summaries": agreements.overview(db, today=now.date()),
        "today": now.date(),
    }
    return render(request, "governance/agreements/index.html", context)


@router.get(AGREEMENTS + "/new", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def new_agreement_page(request: Request, db: Db) -> Response:
    return _draft_form(request, db, values=agreement_form.blank_values(), reference=None)


@router.post(AGREEMENTS + "/new", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def new_agreement(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    form = _read(db, data, reference=None)
    if form.header is not None and agreements.versions(db, form.header.reference):
        form.errors["reference"] = (
            f"{form.header.reference} is already the reference of an agreement: choose another, or make a new "
            "version of that agreement from its page"
        )
    if form.errors or form.header is None or form.body is None:
        return _draft_form(request, db, values=form.values, reference=None, errors=form.errors)
    header = form.header
    try:
        drafted = agreements.draft(
            db,
            reference=header.reference,
            title=header.title,
            effective_from=header.effective_from,
            expires_on=header.expires_on,
            review_by=header.review_by,
            body=form.body,
            by=_by(viewer),
            at=now,
        )
    except WholeplaceError as error:
        return _draft_form(request, db, values=form.values, reference=None, errors=_error_at(error, "title"))
    return _to_version(drafted, done="drafted")


@router.get(AGREEMENTS + "/{reference}", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def agreement_page(db: Db, reference: str) -> Response:
    """An agreement's reference alone leads to its latest version."""
    found = agreements.versions(db, reference)
    if not found:
        raise NotFoundError(f"There is no agreement {reference}.", fix="Go back to the list of agreements.")
    return RedirectResponse(_version_path(found[-1]), status_code=303)


@router.get(AGREEMENTS + "/{reference}/v{version:int}.jsonld")
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def agreement_jsonld(db: Db, reference: str, version: int) -> Response:
    """The version in the W3C Data Privacy Vocabulary, as a JSON-LD file."""
    agreement = agreements.get_version(db, reference, version)
    document = dpv.agreement_jsonld(agreement, purpose_labels=agreements.purpose_labels(db))
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        media_type="application/ld+json",
        headers={
            "Content-Disposition": f'attachment; filename="{agreement.reference}-v{agreement.version}.jsonld"'
        },
    )


@router.get(AGREEMENTS + "/{reference}/v{version:int}", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def version_page(
    request: Request, db: Db, now: Now, reference: str, version: int, done: str = ""
) -> Response:
    agreement = agreements.get_version(db, reference, version)
    return _version_page(request, db, agreement, today=now.date(), done=done)


@router.get(AGREEMENTS + "/{reference}/v{version:int}/edit", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def edit_draft_page(request: Request, db: Db, reference: str, version: int) -> Response:
    agreement = _draft_of(db, reference, version)
    values = agreement_form.values_of(
        title=agreement.title,
        effective_from=agreement.effective_from,
        expires_on=agreement.expires_on,
        review_by=agreement.review_by,
        body=agreements.body_of(agreement),
    )
    return _draft_form(request, db, values=values, reference=agreement.reference, editing=agreement)


@router.post(AGREEMENTS + "/{reference}/v{version:int}/edit", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def edit_draft(request: Request, db: Db, data: Form, reference: str, version: int) -> Response:
    agreement = _draft_of(db, reference, version)
    form = _read(db, data, reference=agreement.reference)
    if form.errors or form.header is None or form.body is None:
        return _draft_form(
            request,
            db,
            values=form.values,
            reference=agreement.reference,
            editing=agreement,
            errors=form.errors,
        )
    header = form.header
    try:
        agreements.update_draft(
            db,
            agreement_id=agreement.id,
            title=header.title,
            effective_from=header.effective_from,
            expires_on=header.expires_on,
            review_by=header.review_by,
            body=form.body,
        )
    except WholeplaceError as error:
        errors = _error_at(error, "title")
        return _draft_form(
            request, db, values=form.values, reference=agreement.reference, editing=agreement, errors=errors
        )
    return _to_version(agreement, done="saved")


# After the edit routes: the first route whose path matches is the one that answers.
@router.post(AGREEMENTS + "/{reference}/v{version:int}/{action}", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def change_status(
    request: Request,
    db: Db,
    now: Now,
    viewer: CurrentViewer,
    data: Form,
    reference: str,
    version: int,
    action: str,
) -> Response:
    """Activate, suspend, reinstate or expire a version, with the reason kept beside its status."""
    change = STATUS_ACTIONS.get(action)
    if change is None:
        raise NotFoundError(
            "There is no such change to an agreement.", fix="Use the buttons on the agreement's page."
        )
    agreement = agreements.get_version(db, reference, version)
    reason = field(data, "reason")
    try:
        change(db, agreement_id=agreement.id, by=_by(viewer), at=now, reason=reason)
    except agreements.AgreementNotReadyError as error:
        problems = {
            f"activation-problem-{number}": problem for number, problem in enumerate(error.problems, 1)
        }
        return _version_page(request, db, agreement, today=now.date(), errors=problems, reason=reason)
    except InvalidInputError as error:
        errors = {f"{action}-reason": str(error)}
        return _version_page(
            request, db, agreement, today=now.date(), errors=errors, action=action, reason=reason
        )
    except ConflictError as error:
        return _version_page(request, db, agreement, today=now.date(), errors={"status": str(error)})
    return _to_version(agreement, done=action)


@router.get(AGREEMENTS + "/{reference}/new-version", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def new_version_page(
    request: Request, db: Db, reference: str, from_: Annotated[int | None, Query(alias="from")] = None
) -> Response:
    """The form for the next version, filled in from a version before it (the latest, unless chosen)."""
    found = agreements.versions(db, reference)
    _refuse_a_second_draft(found)
    basis = next((one for one in found if one.version == from_), found[-1] if found else None)
    if basis is None:
        raise NotFoundError(f"There is no agreement {reference}.", fix="Go back to the list of agreements.")
    values = agreement_form.values_of(
        title=basis.title,
        effective_from=basis.effective_from,
        expires_on=basis.expires_on,
        review_by=basis.review_by,
        body=agreements.body_of(basis),
        signed=False,
    )
    return _draft_form(request, db, values=values, reference=basis.reference, basis=basis)


@router.post(AGREEMENTS + "/{reference}/new-version", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def new_version(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, reference: str
) -> Response:
    found = agreements.versions(db, reference)
    if not found:
        raise NotFoundError(f"There is no agreement {reference}.", fix="Go back to the list of agreements.")
    _refuse_a_second_draft(found)
    form = _read(db, data, reference=found[-1].reference)
    if form.errors or form.header is None or form.body is None:
        return _draft_form(
            request,
            db,
            values=form.values,
            reference=found[-1].reference,
            basis=found[-1],
            errors=form.errors,
        )
    header = form.header
    drafted = agreements.draft(
        db,
        reference=header.reference,
        title=header.title,
        effective_from=header.effective_from,
        expires_on=header.expires_on,
        review_by=header.review_by,
        body=form.body,
        by=_by(viewer),
        at=now,
    )
    return _to_version(drafted, done="drafted")


@router.get(AGREEMENTS + "/{reference}/compare", response_class=HTMLResponse)
@allow(Role.INFORMATION_GOVERNANCE_OFFICER)
def compare_page(
    request: Request,
    db: Db,
    reference: str,
    from_: Annotated[int | None, Query(alias="from")] = None,
    to: int | None = None,
) -> Response:
    """Two versions side by side: what the second says differently from the first (by default the latest two)."""
    found = agreements.versions(db, reference)
    if not found:
        raise NotFoundError(f"There is no agreement {reference}.", fix="Go back to the list of agreements.")
    by_number = {one.version: one for one in found}
    newer = by_number.get(to if to is not None else found[-1].version)
    older = by_number.get(from_ if from_ is not None else (newer.version - 1 if newer else 0))
    if (from_ is not None and older is None) or (to is not None and newer is None):
        raise NotFoundError(
            f"{reference} has versions {', '.join(str(one.version) for one in found)} only.",
            fix="Choose two of those versions.",
        )
    context = {
        "title": f"Compare versions of {found[-1].reference}",
        "reference": found[-1].reference,
        "versions": found,
        "older": older,
        "newer": newer,
        "differences": agreements.compare(older, newer, purpose_labels=agreements.purpose_labels(db))
        if older is not None and newer is not None and older is not newer
        else [],
    }
    return render(request, "governance/agreements/compare.html", context)


def _read(db: Session, data: FormData, *, reference: str | None) -> agreement_form.DraftForm:
    return agreement_form.read_form(
        {name: [str(value) for value in data.getlist(name)] for name in data},
        reference=reference,
        purposes=[purpose.code for purpose in agreements.purposes(db)],
        agencies=[agency.name for agency in core.list_agencies(db)],
    )


def _draft_form(
    request: Request,
    db: Session,
    *,
    values: dict[str, Any],
    reference: str | None,
    editing: Agreement | None = None,
    basis: Agreement | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The drafting form: for a new agreement, a draft being edited, or the next version of an agreement."""
    if editing is not None:
        title, action = (
            f"Edit the draft of {editing.reference}, version {editing.version}",
            _version_path(editing) + "/edit",
        )
    elif basis is not None:
        title, action = f"New version of {basis.reference}", f"{AGREEMENTS}/{basis.reference}/new-version"
    else:
        title, action = "Draft a new sharing agreement", AGREEMENTS + "/new"
    context = {
        "title": f"Error: {title}" if errors else title,
        "heading": title,
        "action": action,
        "reference": reference,
        "editing": editing,
        "basis": basis,
        "values": values,
        "errors": errors or {},
        "agencies": [agency.name for agency in core.list_agencies(db)],
        "purposes": agreements.purposes(db),
        "lawful_bases": vocabulary.LAWFUL_BASES,
        "conditions": vocabulary.SPECIAL_CATEGORY_CONDITIONS,
        "categories": vocabulary.CATEGORIES,
        "field_label": agreements.field_label,
        "roles": [role for role in Role if role != Role.ADMINISTRATOR],
        "party_rows": agreement_form.rows_shown(values, errors or {}, "party", agreement_form.PARTY_ROWS),
        "signatory_rows": agreement_form.rows_shown(
            values, errors or {}, "signatory", agreement_form.SIGNATORY_ROWS
        ),
        "all_party_rows": agreement_form.PARTY_ROWS,
        "all_signatory_rows": agreement_form.SIGNATORY_ROWS,
    }
    return render(request, "governance/agreements/form.html", context, status_code=400 if errors else 200)


def _version_page(
    request: Request,
    db: Session,
    agreement: Agreement,
    *,
    today: date,
    done: str = "",
    errors: dict[str, str] | None = None,
    action: str = "",
    reason: str = "",
) -> Response:
    found = agreements.versions(db, agreement.reference)
    title = f"{agreement.title} ({agreement.reference}, version {agreement.version})"
    context = {
        "title": f"Error: {title}" if errors else title,
        "agreement": agreement,
        "body": agreements.body_of(agreement),
        "versions": found,
        "status_history": agreements.status_history(db, agreement.id),
        "waiting_draft": next((one for one in found if one.status == agreements.DRAFT), None),
        "problems": agreements.activation_problems(db, agreement, today=today)
        if agreement.status == agreements.DRAFT
        else [],
        "purposes": {purpose.code: purpose for purpose in agreements.purposes(db)},
        "categories": {category.code: category for category in vocabulary.CATEGORIES},
        "field_labels": {
            name: agreements.field_label(name) for c in vocabulary.CATEGORIES for name in c.fields
        },
        "basis_label": _basis_label,
        "role_labels": {role.value: role.label for role in Role},
        "done": DONE.get(done, ""),
        "errors": errors or {},
        "action": action,
        "reason": reason,
    }
    return render(request, "governance/agreements/version.html", context, status_code=400 if errors else 200)


def _basis_label(code: str | None) -> str:
    if not code:
        return "None stated"
    term = vocabulary.lawful_basis(code)
    return f"{code}: {term.label}" if term is not None else code


def _draft_of(db: Session, reference: str, version: int) -> Agreement:
    agreement = agreements.get_version(db, reference, version)
    if agreement.status != agreements.DRAFT:
        raise ConflictError(
            f"{agreements.label(agreement)} is {agreement.status}, and only a draft can be edited.",
            fix="Make a new version from it instead.",
        )
    return agreement


def _refuse_a_second_draft(found: list[Agreement]) -> None:
    waiting = next((one for one in found if one.status == agreements.DRAFT), None)
    if waiting is not None:
        raise ConflictError(
            f"{agreements.label(waiting)} is already a draft.",
            fix="Edit that draft, or activate it, before making another version.",
        )


def _error_at(error: WholeplaceError, default: str) -> dict[str, str]:
    return {getattr(error, "field", None) or default: str(error)}


def _version_path(agreement: Agreement) -> str:
    return f"{AGREEMENTS}/{agreement.reference}/v{agreement.version}"


def _to_version(agreement: Agreement, *, done: str) -> Response:
    return RedirectResponse(f"{_version_path(agreement)}?done={done}", status_code=303)


def _by(viewer: Viewer) -> str:
    return f"{viewer.full_name} ({viewer.username})"
