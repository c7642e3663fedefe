"""The page of a measure's definition: how its values are computed from the linked data, in the partners' words
and in the computation's, with its parameters; every version with who changed it, when and why; a form to change
it; and a button that computes the values now. Anyone signed in may read it; programme managers, analysts and
administrators change it and compute."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
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
from wholeplace.core.roles import Role
from wholeplace.outcomes import indicators
from wholeplace.outcomes.models import Definition, Measure
from wholeplace.outcomes.service import computing, definitions, framework
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer, allow, signed_in
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

MEASURES = "/outcomes/measures"
DEFINERS = (Role.PROGRAMME_MANAGER, Role.ANALYST, Role.ADMINISTRATOR)
DONE = {"defined": "The definition is saved. Compute the values now to see them under it."}
BOXES = ("key", "parameters", "description", "reason")

router = APIRouter()
NAVIGATION: list[NavigationEntry] = []

Boxes = dict[str, str]
Errors = dict[str, str]


@dataclass(frozen=True)
class _Version:
    """One version of the definition as the page shows it."""

    version: int
    key: str
    parameters: list[tuple[str, str]]
    description: str
    in_words: str
    changed_by: str
    changed_at: str
    reason: str


@dataclass(frozen=True)
class _Outcome:
    """What pressing "Compute now" did: a line saying so, and whether it worked."""

    said: str
    computed: bool


def _page(measure_id: uuid.UUID) -> str:
    return f"{MEASURES}/{measure_id}/definition"


@router.get(MEASURES + "/{measure_id}/definition", response_class=HTMLResponse)
@signed_in
def definition_page(
    request: Request, db: Db, viewer: CurrentViewer, measure_id: uuid.UUID, done: str = ""
) -> Response:
    measure = framework.measure(db, measure_id)
    current = definitions.current_definition(db, measure.id)
    return _render(request, db, viewer, measure, boxes=_boxes(current), errors={}, done=DONE.get(done, ""))


@router.post(MEASURES + "/{measure_id}/definition", response_class=HTMLResponse)
@allow(*DEFINERS)
def change_definition(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, measure_id: uuid.UUID
) -> Response:
    """Save what the form says as the measure's definition: a new version, the old ones kept."""
    measure = framework.measure(db, measure_id)
    boxes = {name: _text(data, name) for name in BOXES}
    errors: Errors = {}
    if not boxes["key"]:
        errors["key"] = "Choose the computation"
    try:
        typed = indicators.parameters_from_lines(boxes["parameters"].splitlines())
    except indicators.ParameterError as error:
        errors["parameters"] = str(error)
        typed = {}
    if errors:
        return _render(request, db, viewer, measure, boxes=boxes, errors=errors)
    try:
        with db.begin_nested():
            definitions.define_computation(
                db,
                measure_id=measure.id,
                key=boxes["key"],
                parameters=typed,
                description=boxes["description"],
                reason=boxes["reason"],
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        return _render(request, db, viewer, measure, boxes=boxes, errors=_refusal(error))
    return RedirectResponse(f"{_page(measure.id)}?{urlencode({'done': 'defined'})}", status_code=303)


@router.post(MEASURES + "/{measure_id}/definition/compute", response_class=HTMLResponse)
@allow(*DEFINERS)
def compute_now(request: Request, db: Db, now: Now, viewer: CurrentViewer, measure_id: uuid.UUID) -> Response:
    """Compute the measure's values by its current definition from the linked data, and say what happened."""
    measure = framework.measure(db, measure_id)
    lake = Lake.in_data_dir(request.app.state.settings.data_dir)
    try:
        done = computing.compute_measure(db, lake, measure.id, by=viewer.username, at=now)
        outcome = _Outcome(done.line(), done.computed)
    except WholeplaceError as error:
        outcome = _Outcome(f"Not computed. {error}", computed=False)
    current = definitions.current_definition(db, measure.id)
    return _render(request, db, viewer, measure, boxes=_boxes(current), errors={}, outcome=outcome)


def _text(data: FormData, name: str) -> str:
    """A box as typed: a text area keeps its lines."""
    value = data.get(name)
    return value.strip() if isinstance(value, str) else field(data, name)


def _refusal(error: WholeplaceError) -> Errors:
    """The service's refusal, put by the box it is about."""
    if isinstance(error, ConflictError):
        return {"description": str(error)}
    named = error.field if isinstance(error, InvalidInputError) else None
    return {named if named in BOXES else "key": str(error)}


def _boxes(current: Definition | None) -> Boxes:
    """The form's boxes, filled from the current definition: its parameters one a line as name = value."""
    if current is None:
        return dict.fromkeys(BOXES, "")
    lines = "\n".join(
        f"{name} = {value}" for name, value in _parameters_as_text(current.key, current.parameters)
    )
    return {"key": current.key, "parameters": lines, "description": current.description, "reason": ""}


def _parameters_as_text(key: str, parameters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each parameter as a person types it; as kept when the key is not registered or they no longer fit it."""
    try:
        return indicators.indicator(key).as_text(parameters)
    except indicators.ParameterError:
        return [(name, str(value)) for name, value in sorted(parameters.items())]


def _in_words(key: str, parameters: Mapping[str, Any]) -> str:
    try:
        return indicators.indicator(key).describe(parameters)
    except indicators.ParameterError as error:
        return f"This cannot be computed: {error}"


def _versions(db: Session, measure: Measure) -> list[_Version]:
    """Every version of the definition, the newest first."""
    names = {user.username: user.full_name for user in core.list_users(db)}
    return [
        _Version(
            version=one.version,
            key=one.key,
            parameters=_parameters_as_text(one.key, one.parameters),
            description=one.description,
            in_words=_in_words(one.key, one.parameters),
            changed_by=f"{names[one.changed_by]} ({one.changed_by})"
            if one.changed_by in names
            else one.changed_by,
            changed_at=one.changed_at.strftime("%-d %B %Y at %H:%M UTC"),
            reason=one.reason,
        )
        for one in reversed(definitions.definitions_of(db, measure.id))
    ]


def _parent(db: Session, measure: Measure) -> tuple[str, str]:
    """The result an indicator tells of, or the programme a performance measure is of: its name and page."""
    if measure.result_id is not None:
        return framework.result(db, measure.result_id).title, f"/outcomes/results/{measure.result_id}"
    assert measure.programme_id is not None  # the table's check: a measure belongs to a result or a programme
    return framework.programme(db, measure.programme_id).name, f"/outcomes/programmes/{measure.programme_id}"


def _computations() -> list[dict[str, Any]]:
    """Each registered computation with its parameters, for choosing one and typing its parameters."""
    return [
        {
            "key": one.key,
            "title": one.title,
            "in_words": one.describe(one.example),
            "parameters": [
                (parameter.name, parameter.label, parameter.hint, parameter.as_text(parameter.default))
                for parameter in one.parameters
            ],
        }
        for one in indicators.REGISTRY.values()
    ]


def _render(
    request: Request,
    db: Session,
    viewer: Viewer,
    measure: Measure,
    *,
    boxes: Boxes,
    errors: Errors,
    done: str = "",
    outcome: _Outcome | None = None,
) -> Response:
    versions = _versions(db, measure)
    parent, parent_href = _parent(db, measure)
    heading = "How the values are computed"
    context = {
        "title": f"{'Error: ' if errors else ''}{heading}: {measure.title}",
        "heading": heading,
        "measure": measure,
        "parent": parent,
        "parent_href": parent_href,
        "current": versions[0] if versions else None,
        "earlier": versions[1:],
        "computations": _computations(),
        "can_define": viewer.has(*DEFINERS),
        "boxes": boxes,
        "errors": errors,
        "done": done,
        "outcome": outcome,
    }
    return render(request, "outcomes/definition.html", context, status_code=400 if errors else 200)
