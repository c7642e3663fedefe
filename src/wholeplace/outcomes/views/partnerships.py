"""The place's partnerships in the browser: the list of them; each one's scorecard, with a tile for each indicator
of the results it owns and each performance measure of the programmes it oversees (its downloads are in
exports.py); and the form that adds or changes one. Anyone signed in may read the list and the scorecards: they
are aggregates, not anyone's personal data. Programme managers and administrators add and change partnerships."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, WholeplaceError
from wholeplace.outcomes import scorecard
from wholeplace.outcomes.models import Partnership
from wholeplace.outcomes.schemas import PERFORMANCE_KINDS, PartnershipTerms
from wholeplace.outcomes.service import framework, partnerships
from wholeplace.outcomes.views import exports
from wholeplace.outcomes.views.exports import PARTNERSHIPS, Section
from wholeplace.outcomes.views.framework import BUILDERS
from wholeplace.outcomes.views.tiles import LABELS, shown_section, shown_tile
from wholeplace.web.access import allow, signed_in
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import render

TEXT_BOXES = ("name", "purpose", "chair")
CHOSEN_BOXES = ("members", "results", "programmes")
DONE = {"added": "Partnership added", "changed": "Partnership changed"}

router = APIRouter()

Boxes = dict[str, str | list[str]]
Errors = dict[str, str]


@dataclass(frozen=True)
class _Listed:
    """A partnership as the list shows it."""

    partnership: Partnership
    chair: str
    members: list[str]
    results: int
    programmes: int


@dataclass(frozen=True)
class _Sent:
    """The form as sent: its boxes as typed or ticked, what is wrong with them, and the terms they make."""

    boxes: Boxes
    errors: Errors
    terms: PartnershipTerms | None


# ---------------------------------------------------------------- the list (the fixed addresses before the ids)


@router.get(PARTNERSHIPS, response_class=HTMLResponse)
@signed_in
def partnerships_page(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    """Every partnership with its chair, its member agencies and how many results and programmes it has."""
    context = {
        "title": "Partnerships",
        "partnerships": [_listed(db, one) for one in partnerships.partnerships(db)],
        "can_build": viewer.has(*BUILDERS),
    }
    return render(request, "outcomes/partnerships.html", context)


def _listed(db: Session, partnership: Partnership) -> _Listed:
    return _Listed(
        partnership=partnership,
        chair=exports.person_name(db, partnership.chair),
        members=[agency.name for agency in partnerships.members_of(db, partnership.id)],
        results=len(partnerships.results_of(db, partnership.id)),
        programmes=len(partnerships.programmes_of(db, partnership.id)),
    )


# ---------------------------------------------------------------- adding and changing


@router.get(PARTNERSHIPS + "/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def new_partnership_page(request: Request, db: Db) -> Response:
    return _partnership_form(request, db, None, boxes={}, errors={})


@router.post(PARTNERSHIPS + "/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def add_partnership(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    sent = _read(data)
    if sent.terms is None:
        return _partnership_form(request, db, None, boxes=sent.boxes, errors=sent.errors)
    try:
        with db.begin_nested():
            added = partnerships.add_partnership(db, terms=sent.terms, by=viewer.username, at=now)
    except WholeplaceError as error:
        return _partnership_form(request, db, None, boxes=sent.boxes, errors=_refusal(error))
    return _done(added, "added")


@router.get(PARTNERSHIPS + "/{partnership_id}/change", response_class=HTMLResponse)
@allow(*BUILDERS)
def change_partnership_page(request: Request, db: Db, partnership_id: uuid.UUID) -> Response:
    partnership = partnerships.partnership(db, partnership_id)
    boxes: Boxes = {
        "name": partnership.name,
        "purpose": partnership.purpose,
        "chair": partnership.chair,
        "members": [str(one.id) for one in partnerships.members_of(db, partnership.id)],
        "results": [str(one.id) for one in partnerships.results_of(db, partnership.id)],
        "programmes": [str(one.id) for one in partnerships.programmes_of(db, partnership.id)],
    }
    return _partnership_form(request, db, partnership, boxes=boxes, errors={})


@router.post(PARTNERSHIPS + "/{partnership_id}/change", response_class=HTMLResponse)
@allow(*BUILDERS)
def change_partnership(request: Request, db: Db, data: Form, partnership_id: uuid.UUID) -> Response:
    partnership = partnerships.partnership(db, partnership_id)
    sent = _read(data)
    if sent.terms is None:
        return _partnership_form(request, db, partnership, boxes=sent.boxes, errors=sent.errors)
    try:
        with db.begin_nested():
            partnerships.change_partnership(db, partnership_id=partnership.id, terms=sent.terms)
    except WholeplaceError as error:
        return _partnership_form(request, db, partnership, boxes=sent.boxes, errors=_refusal(error))
    return _done(partnership, "changed")


def _read(data: FormData) -> _Sent:
    """The form's boxes, and the terms they make or what is wrong with them, by box in page order."""
    texts = {name: field(data, name) for name in TEXT_BOXES}
    chosen = {name: [one for one in data.getlist(name) if isinstance(one, str)] for name in CHOSEN_BOXES}
    ids = {name: _ids(chosen[name]) for name in CHOSEN_BOXES}
    errors: Errors = {}
    if not texts["name"]:
        errors["name"] = "Enter the partnership's name"
    if not texts["purpose"]:
        errors["purpose"] = "Say what the partnership is for"
    if not texts["chair"]:
        errors["chair"] = "Choose the partnership's chair"
    if not chosen["members"]:
        errors["members"] = "Choose at least one member agency"
    for name in CHOSEN_BOXES:
        if ids[name] is None:
            errors[name] = "Choose only from the list"
    boxes: Boxes = {**texts, **chosen}
    member_ids, result_ids, programme_ids = (ids[name] for name in CHOSEN_BOXES)
    if errors or member_ids is None or result_ids is None or programme_ids is None:
        return _Sent(boxes, errors, None)
    terms = PartnershipTerms(
        name=texts["name"],
        purpose=texts["purpose"],
        chair=texts["chair"],
        member_ids=member_ids,
        result_ids=result_ids,
        programme_ids=programme_ids,
    )
    return _Sent(boxes, errors, terms)


def _ids(texts: Sequence[str]) -> list[uuid.UUID] | None:
    """Ids as the checkboxes send them, or None if one is no id."""
    try:
        return [uuid.UUID(text) for text in texts]
    except ValueError:
        return None


def _refusal(error: WholeplaceError) -> Errors:
    """The service's refusal, by the box it names; a clash of names, by the name's box."""
    named = error.field if isinstance(error, InvalidInputError) else None
    if isinstance(error, ConflictError) or named not in (*TEXT_BOXES, *CHOSEN_BOXES):
        return {"name": str(error)}
    return {named: str(error)}


def _partnership_form(
    request: Request, db: Session, partnership: Partnership | None, *, boxes: Boxes, errors: Errors
) -> Response:
    heading = "Add a partnership" if partnership is None else "Change the partnership"
    agencies = {agency.id: agency.name for agency in core.list_agencies(db)}
    context = {
        "title": f"Error: {heading}" if errors else heading,
        "heading": heading,
        "partnership": partnership,
        "action": f"{PARTNERSHIPS}/new" if partnership is None else f"{PARTNERSHIPS}/{partnership.id}/change",
        "boxes": boxes,
        "errors": errors,
        "chairs": [
            (user.username, f"{user.full_name} ({user.username}), {user.agency.name}")
            for user in core.list_users(db)
            if user.is_active
        ],
        "agencies": [(str(agency_id), name) for agency_id, name in agencies.items()],
        "results": [
            (str(one.id), one.title, "A priority result" if one.is_priority else "")
            for one in framework.results(db)
        ],
        "programmes": [
            (str(one.id), one.name, f"Run by {agencies[one.agency_id]}") for one in framework.programmes(db)
        ],
    }
    return render(request, "outcomes/partnership_form.html", context, status_code=400 if errors else 200)


def _done(partnership: Partnership, what: str) -> Response:
    query = urlencode({"done": what})
    return RedirectResponse(f"{PARTNERSHIPS}/{partnership.id}/scorecard?{query}", status_code=303)


# ---------------------------------------------------------------- a partnership's scorecard


@router.get(PARTNERSHIPS + "/{partnership_id}/scorecard", response_class=HTMLResponse)
@signed_in
def partnership_scorecard(
    request: Request, db: Db, viewer: CurrentViewer, partnership_id: uuid.UUID, done: str = ""
) -> Response:
    """A section for each result the partnership owns, with a tile for each of its indicators, then one for each
    programme it oversees, with a tile for each of its performance measures by kind."""
    partnership = partnerships.partnership(db, partnership_id)
    found = exports.partnership_scorecard(db, partnership)
    here = f"{PARTNERSHIPS}/{partnership.id}/scorecard"
    context = {
        "title": f"Scorecard: {partnership.name}",
        "done": DONE.get(done, ""),
        "partnership": partnership,
        "chair": exports.person_name(db, partnership.chair),
        "members": [agency.name for agency in partnerships.members_of(db, partnership.id)],
        "results": [shown_section(one) for one in found.results],
        "programmes": [_by_kind(one) for one in found.programmes],
        "downloads": {"CSV": here + ".csv", "Excel": here + ".xlsx", "PNG": here + ".png"},
        "labels": LABELS,
        "can_build": viewer.has(*BUILDERS),
    }
    return render(request, "outcomes/scorecard_partnership.html", context)


def _by_kind(section: Section) -> Mapping[str, Any]:
    """A programme's section with its tiles in groups of one kind: how much, how well, better off."""
    kinds = [
        (scorecard.KIND_LABELS[kind], [shown_tile(one) for one in section.tiles if one.measure.kind is kind])
        for kind in PERFORMANCE_KINDS
    ]
    return {"section": section, "kinds": [(label, tiles) for label, tiles in kinds if tiles]}
