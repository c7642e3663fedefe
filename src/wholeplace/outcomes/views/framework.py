"""The pages where the partners build their outcomes framework in the browser: results with their indicators,
programmes with their performance measures, the accountability of each (owner, polarity, unit, baseline,
targets, data development agenda), values imported from a file, and the matrix of which agency contributes to
which priority result. Anyone signed in may read them; programme managers and administrators change them, and
analysts may also import values."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, IngestError, InvalidInputError, WholeplaceError
from wholeplace.core.figures import readable
from wholeplace.core.models import Agency
from wholeplace.core.roles import Role
from wholeplace.outcomes import periods
from wholeplace.outcomes.models import Accountable, Measure, Programme, Result
from wholeplace.outcomes.schemas import (
    PERFORMANCE_KINDS,
    Accountability,
    Baseline,
    ContributionLevel,
    ContributionMatrix,
    MeasureKind,
)
from wholeplace.outcomes.service import contributions, framework, partnerships, values
from wholeplace.outcomes.spc import Polarity
from wholeplace.web.access import Viewer, allow, signed_in
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render
from wholeplace.web.uploads import UploadRoute, saved_upload

FRAMEWORK = "/outcomes"
RESULTS = FRAMEWORK + "/results"
PROGRAMMES = FRAMEWORK + "/programmes"
MEASURES = FRAMEWORK + "/measures"
CONTRIBUTIONS = FRAMEWORK + "/contributions"
BUILDERS = (Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)
IMPORTERS = (*BUILDERS, Role.ANALYST)
NAVIGATION = [NavigationEntry("Outcomes framework", FRAMEWORK, frozenset(Role))]

POLARITIES = {Polarity.HIGHER_IS_BETTER: "Higher is better", Polarity.LOWER_IS_BETTER: "Lower is better"}
KINDS = {
    MeasureKind.INDICATOR: "Indicator",
    MeasureKind.HOW_MUCH: "How much did we do?",
    MeasureKind.HOW_WELL: "How well did we do it?",
    MeasureKind.BETTER_OFF: "Is anyone better off?",
}
LEVELS = {
    ContributionLevel.NONE: "0 none",
    ContributionLevel.MINOR: "1 minor",
    ContributionLevel.SIGNIFICANT: "2 significant",
    ContributionLevel.LEAD: "3 lead",
}
LEVEL_VALUES = {str(level.value) for level in ContributionLevel}
LEVEL_MEANINGS = {
    ContributionLevel.NONE: "Nothing the agency does moves this result.",
    ContributionLevel.MINOR: "Some of its work helps, but not a main part of it.",
    ContributionLevel.SIGNIFICANT: "A main part of its work moves this result.",
    ContributionLevel.LEAD: "It leads the partners' work on this result.",
}
DONE = {
    "result": "Result added",
    "result-changed": "Result changed",
    "indicator": "Indicator added",
    "programme": "Programme added",
    "measure": "Performance measure added",
    "accountability": "Accountability changed",
    "rated": "Your agency's contributions are saved",
}
YES, NO = "yes", "no"
WHOLE_PLACE, GROUP = "place", "group"
ACCOUNTABILITY_BOXES = (
    "owner",
    "polarity",
    "unit",
    "baseline_value",
    "baseline_period",
    "on_data_agenda",
    "data_agenda_note",
)
BLANK_TARGET_ROWS = 3  # empty rows under the targets already set, to add more
MOST_TARGET_ROWS = 100
TARGET_ROW = re.compile(r"target-(\d+)-period")

router = APIRouter()

Boxes = dict[str, str]
Errors = dict[str, str]


@dataclass(frozen=True)
class _Shown:
    """A result, an indicator or a performance measure as the pages show it, in words."""

    id: uuid.UUID
    href: str
    title: str
    kind: str
    owner: str
    polarity: str
    unit: str
    baseline: str
    targets: str
    latest: str
    data_agenda_note: str


@dataclass(frozen=True)
class _Cell:
    """One agency's rating of its contribution to one priority result, as the matrix shows it."""

    level: str
    measures: list[tuple[uuid.UUID, str]]
    is_gap: bool


# ---------------------------------------------------------------- the framework


@router.get(FRAMEWORK, response_class=HTMLResponse)
@signed_in
def framework_page(request: Request, db: Db, viewer: CurrentViewer, done: str = "") -> Response:
    """Priority results first with their indicators; programmes with their measures by kind; the data
    development agenda."""
    people = _people(db)
    agencies = {agency.id: agency.name for agency in core.list_agencies(db)}
    context = {
        "title": "Outcomes framework",
        "done": DONE.get(done, ""),
        "results": [
            (one, _shown(db, one, people), _shown_all(db, framework.indicators_of(db, one.id), people))
            for one in framework.results(db)
        ],
        "programmes": [
            (one, agencies[one.agency_id], people.get(one.owner, one.owner), _by_kind(db, one, people))
            for one in framework.programmes(db)
        ],
        "agenda": [_shown(db, one, people) for one in framework.data_agenda(db)],
        **_permissions(viewer),
    }
    return render(request, "outcomes/framework.html", context)


# ---------------------------------------------------------------- results (the fixed addresses before the ids)


@router.get(RESULTS + "/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def new_result_page(request: Request, db: Db) -> Response:
    return _result_form(request, db, None, boxes=_blank_targets(0), errors={})


@router.post(RESULTS + "/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def add_result(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    boxes, errors = _read_result(data)
    accountability = _read_accountability(data, boxes, errors)
    if errors or accountability is None:
        return _result_form(request, db, None, boxes=boxes, errors=errors)
    try:
        with db.begin_nested():
            added = framework.add_result(
                db,
                title=boxes["title"],
                population_group=_group(boxes),
                is_priority=boxes["priority"] == YES,
                accountability=accountability,
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        return _result_form(request, db, None, boxes=boxes, errors=_refusal(error, boxes, otherwise="title"))
    return _done(f"{RESULTS}/{added.id}", "result")


@router.get(RESULTS + "/{result_id}", response_class=HTMLResponse)
@signed_in
def result_page(
    request: Request, db: Db, viewer: CurrentViewer, result_id: uuid.UUID, done: str = ""
) -> Response:
    """A result with its accountability and its indicators."""
    result = framework.result(db, result_id)
    people = _people(db)
    context = {
        "title": result.title,
        "done": DONE.get(done, ""),
        "result": result,
        "shown": _shown(db, result, people),
        "indicators": _shown_all(db, framework.indicators_of(db, result.id), people),
        "partnerships": partnerships.partnerships_of_result(db, result.id),
        **_permissions(viewer),
    }
    return render(request, "outcomes/result.html", context)


@router.get(RESULTS + "/{result_id}/edit", response_class=HTMLResponse)
@allow(*BUILDERS)
def edit_result_page(request: Request, db: Db, result_id: uuid.UUID) -> Response:
    result = framework.result(db, result_id)
    boxes = {
        "title": result.title,
        "for_whom": GROUP if result.population_group else WHOLE_PLACE,
        "population_group": result.population_group or "",
        "priority": YES if result.is_priority else NO,
        **_accountability_boxes(result),
    }
    return _result_form(request, db, result, boxes=boxes, errors={})


@router.post(RESULTS + "/{result_id}/edit", response_class=HTMLResponse)
@allow(*BUILDERS)
def change_result(request: Request, db: Db, data: Form, result_id: uuid.UUID) -> Response:
    result = framework.result(db, result_id)
    boxes, errors = _read_result(data)
    accountability = _read_accountability(data, boxes, errors)
    if errors or accountability is None:
        return _result_form(request, db, result, boxes=boxes, errors=errors)
    try:
        with db.begin_nested():
            framework.change_result(
                db,
                result_id=result.id,
                title=boxes["title"],
                population_group=_group(boxes),
                is_priority=boxes["priority"] == YES,
                accountability=accountability,
            )
    except WholeplaceError as error:
        refusal = _refusal(error, boxes, otherwise="title")
        return _result_form(request, db, result, boxes=boxes, errors=refusal)
    return _done(f"{RESULTS}/{result.id}", "result-changed")


def _read_result(data: FormData) -> tuple[Boxes, Errors]:
    boxes = {name: field(data, name) for name in ("title", "for_whom", "population_group", "priority")}
    errors: Errors = {}
    if not boxes["title"]:
        errors["title"] = "Enter the result, as a condition of wellbeing"
    if boxes["for_whom"] not in (WHOLE_PLACE, GROUP):
        errors["for_whom"] = "Choose whether the result is for the whole place or a group in it"
    elif boxes["for_whom"] == GROUP and not boxes["population_group"]:
        errors["population_group"] = "Enter the group, such as children under 5"
    if boxes["priority"] not in (YES, NO):
        errors["priority"] = "Choose whether it is one of the partnership's priority results"
    return boxes, errors


def _group(boxes: Boxes) -> str | None:
    return boxes["population_group"] if boxes["for_whom"] == GROUP else None


def _result_form(
    request: Request, db: Session, result: Result | None, *, boxes: Boxes, errors: Errors
) -> Response:
    heading = "Add a result" if result is None else "Change the result"
    context = {
        "heading": heading,
        "result": result,
        "action": f"{RESULTS}/new" if result is None else f"{RESULTS}/{result.id}/edit",
        **_accountability_choices(db, boxes),
    }
    return _form(request, "outcomes/result_form.html", context, boxes=boxes, errors=errors)


# ---------------------------------------------------------------- indicators


@router.get(RESULTS + "/{result_id}/indicators/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def new_indicator_page(request: Request, db: Db, result_id: uuid.UUID) -> Response:
    result = framework.result(db, result_id)
    return _indicator_form(request, db, result, boxes=_blank_targets(0), errors={})


@router.post(RESULTS + "/{result_id}/indicators/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def add_indicator(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, result_id: uuid.UUID
) -> Response:
    result = framework.result(db, result_id)
    boxes, errors = _read_title(data, "Enter what the indicator counts")
    accountability = _read_accountability(data, boxes, errors)
    if errors or accountability is None:
        return _indicator_form(request, db, result, boxes=boxes, errors=errors)
    try:
        with db.begin_nested():
            framework.add_indicator(
                db,
                result_id=result.id,
                title=boxes["title"],
                accountability=accountability,
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        refusal = _refusal(error, boxes, otherwise="title")
        return _indicator_form(request, db, result, boxes=boxes, errors=refusal)
    return _done(f"{RESULTS}/{result.id}", "indicator")


def _indicator_form(
    request: Request, db: Session, result: Result, *, boxes: Boxes, errors: Errors
) -> Response:
    context = {"heading": "Add an indicator", "result": result, **_accountability_choices(db, boxes)}
    return _form(request, "outcomes/result_indicator.html", context, boxes=boxes, errors=errors)


# ---------------------------------------------------------------- programmes (the fixed addresses before the ids)


@router.get(PROGRAMMES + "/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def new_programme_page(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    own = core.get_user(db, viewer.user_id).agency_id
    boxes = {"agency": str(own), "name": "", "description": "", "owner": ""}
    return _programme_form(request, db, boxes=boxes, errors={})


@router.post(PROGRAMMES + "/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def add_programme(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    boxes = {name: field(data, name) for name in ("agency", "name", "description", "owner")}
    agency = _agency_named(db, boxes["agency"])
    errors: Errors = {}
    if agency is None:
        errors["agency"] = "Choose the agency that runs the programme"
    if not boxes["name"]:
        errors["name"] = "Enter the programme's name"
    if not boxes["owner"]:
        errors["owner"] = "Choose the person accountable for the programme"
    if errors or agency is None:
        return _programme_form(request, db, boxes=boxes, errors=errors)
    try:
        with db.begin_nested():
            added = framework.add_programme(
                db,
                agency_id=agency.id,
                name=boxes["name"],
                description=boxes["description"],
                owner=boxes["owner"],
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        return _programme_form(request, db, boxes=boxes, errors=_refusal(error, boxes, otherwise="name"))
    return _done(f"{PROGRAMMES}/{added.id}", "programme")


def _agency_named(db: Session, text: str) -> Agency | None:
    return next((agency for agency in core.list_agencies(db) if str(agency.id) == text), None)


def _programme_form(request: Request, db: Session, *, boxes: Boxes, errors: Errors) -> Response:
    context = {
        "heading": "Add a programme",
        "agencies": [(str(agency.id), agency.name) for agency in core.list_agencies(db)],
        "owners": _owners(db),
    }
    return _form(request, "outcomes/programme_new.html", context, boxes=boxes, errors=errors)


@router.get(PROGRAMMES + "/{programme_id}", response_class=HTMLResponse)
@signed_in
def programme_page(
    request: Request, db: Db, viewer: CurrentViewer, programme_id: uuid.UUID, done: str = ""
) -> Response:
    """A programme with its performance measures, grouped by kind."""
    programme = framework.programme(db, programme_id)
    people = _people(db)
    context = {
        "title": programme.name,
        "done": DONE.get(done, ""),
        "programme": programme,
        "agency": core.get_agency(db, programme.agency_id).name,
        "owner": people.get(programme.owner, programme.owner),
        "kinds": _by_kind(db, programme, people),
        "partnerships": partnerships.partnerships_of_programme(db, programme.id),
        **_permissions(viewer),
    }
    return render(request, "outcomes/programme.html", context)


# ---------------------------------------------------------------- performance measures


@router.get(PROGRAMMES + "/{programme_id}/measures/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def new_measure_page(request: Request, db: Db, programme_id: uuid.UUID) -> Response:
    programme = framework.programme(db, programme_id)
    return _measure_form(request, db, programme, boxes=_blank_targets(0), errors={})


@router.post(PROGRAMMES + "/{programme_id}/measures/new", response_class=HTMLResponse)
@allow(*BUILDERS)
def add_measure(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, programme_id: uuid.UUID
) -> Response:
    programme = framework.programme(db, programme_id)
    boxes, errors = _read_title(data, "Enter what the measure counts")
    boxes["kind"] = field(data, "kind")
    kind = next((one for one in PERFORMANCE_KINDS if one.value == boxes["kind"]), None)
    if kind is None:
        errors = {"kind": "Choose how much, how well, or is anyone better off", **errors}
    accountability = _read_accountability(data, boxes, errors)
    if errors or kind is None or accountability is None:
        return _measure_form(request, db, programme, boxes=boxes, errors=errors)
    try:
        with db.begin_nested():
            framework.add_performance_measure(
                db,
                programme_id=programme.id,
                kind=kind,
                title=boxes["title"],
                accountability=accountability,
                by=viewer.username,
                at=now,
            )
    except WholeplaceError as error:
        refusal = _refusal(error, boxes, otherwise="title")
        return _measure_form(request, db, programme, boxes=boxes, errors=refusal)
    return _done(f"{PROGRAMMES}/{programme.id}", "measure")


def _measure_form(
    request: Request, db: Session, programme: Programme, *, boxes: Boxes, errors: Errors
) -> Response:
    context = {
        "heading": "Add a performance measure",
        "programme": programme,
        "kinds": [(kind.value, KINDS[kind]) for kind in PERFORMANCE_KINDS],
        **_accountability_choices(db, boxes),
    }
    return _form(request, "outcomes/programme_measure.html", context, boxes=boxes, errors=errors)


# ---------------------------------------------------------------- a measure's accountability


@router.get(MEASURES + "/{measure_id}/accountability", response_class=HTMLResponse)
@allow(*BUILDERS)
def accountability_page(request: Request, db: Db, measure_id: uuid.UUID) -> Response:
    measure = framework.measure(db, measure_id)
    return _accountability_form(request, db, measure, boxes=_accountability_boxes(measure), errors={})


@router.post(MEASURES + "/{measure_id}/accountability", response_class=HTMLResponse)
@allow(*BUILDERS)
def change_accountability(request: Request, db: Db, data: Form, measure_id: uuid.UUID) -> Response:
    measure = framework.measure(db, measure_id)
    boxes: Boxes = {}
    errors: Errors = {}
    accountability = _read_accountability(data, boxes, errors)
    if errors or accountability is None:
        return _accountability_form(request, db, measure, boxes=boxes, errors=errors)
    try:
        with db.begin_nested():
            framework.change_accountability(db, measure_id=measure.id, accountability=accountability)
    except WholeplaceError as error:
        refusal = _refusal(error, boxes, otherwise="owner")
        return _accountability_form(request, db, measure, boxes=boxes, errors=refusal)
    return _done(_parent(db, measure)[1], "accountability")


def _accountability_form(
    request: Request, db: Session, measure: Measure, *, boxes: Boxes, errors: Errors
) -> Response:
    parent, parent_href = _parent(db, measure)
    context = {
        "heading": "Change the accountability",
        "measure": measure,
        "kind": KINDS[MeasureKind(measure.kind)],
        "parent": parent,
        "parent_href": parent_href,
        **_accountability_choices(db, boxes),
    }
    return _form(request, "outcomes/accountability.html", context, boxes=boxes, errors=errors)


def _parent(db: Session, measure: Measure) -> tuple[str, str]:
    """The result an indicator tells of, or the programme a performance measure is of: its name and page."""
    if measure.result_id is not None:
        return framework.result(db, measure.result_id).title, f"{RESULTS}/{measure.result_id}"
    assert measure.programme_id is not None  # the table's check: a measure belongs to a result or a programme
    return framework.programme(db, measure.programme_id).name, f"{PROGRAMMES}/{measure.programme_id}"


# ---------------------------------------------------------------- importing a measure's values


@router.get(MEASURES + "/{measure_id}/values/import", response_class=HTMLResponse)
@allow(*IMPORTERS)
def import_page(
    request: Request,
    db: Db,
    measure_id: uuid.UUID,
    file: str = "",
    added: int = 0,
    replaced: int = 0,
    unchanged: int = 0,
) -> Response:
    """The upload form; after an import, the service's summary of what it did."""
    measure = framework.measure(db, measure_id)
    imported = {"file": file, "added": added, "replaced": replaced, "unchanged": unchanged} if file else None
    return _import_form(request, db, measure, imported=imported, errors={})


@allow(*IMPORTERS)
def import_values(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, measure_id: uuid.UUID
) -> Response:
    """Import a CSV or Excel file of the measure's values: all of it, or nothing and where the file is wrong.

    The form parser has already spooled the upload; it is copied under its own name (which the values' source
    and the errors name) to a private folder of the data directory, imported from there and deleted."""
    measure = framework.measure(db, measure_id)
    uploaded = data.get("file")
    try:
        if not isinstance(uploaded, UploadFile) or not uploaded.filename:
            errors = {"file": "Choose a CSV or Excel file of the measure's values"}
            return _import_form(request, db, measure, errors=errors)
        # A savepoint, so a refused file leaves no value behind and the request's other work stands.
        with saved_upload(uploaded, request.app.state.settings.data_dir) as path, db.begin_nested():
            summary = values.import_values(db, measure_id=measure.id, path=path, by=viewer.username, at=now)
    except IngestError as error:
        return _import_form(request, db, measure, refused=error, errors={"file": str(error)})
    except WholeplaceError as error:
        return _import_form(request, db, measure, errors={"file": str(error)})
    finally:
        if isinstance(uploaded, UploadFile):
            uploaded.file.close()
    told = {"file": summary.file, "added": summary.added, "replaced": summary.replaced}
    query = urlencode({**told, "unchanged": summary.unchanged})
    return RedirectResponse(f"{MEASURES}/{measure.id}/values/import?{query}", status_code=303)


router.add_api_route(
    MEASURES + "/{measure_id}/values/import",
    import_values,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=UploadRoute,
)


def _import_form(
    request: Request,
    db: Session,
    measure: Measure,
    *,
    errors: Errors,
    imported: Mapping[str, Any] | None = None,
    refused: IngestError | None = None,
) -> Response:
    parent, parent_href = _parent(db, measure)
    context = {
        "heading": "Import values",
        "measure": measure,
        "parent": parent,
        "parent_href": parent_href,
        "imported": imported,
        "refused": refused,
        "period_examples": periods.EXAMPLES,
    }
    return _form(request, "outcomes/values_import.html", context, boxes={}, errors=errors)


# ---------------------------------------------------------------- who contributes to which priority result


@router.get(CONTRIBUTIONS, response_class=HTMLResponse)
@signed_in
def contributions_page(request: Request, db: Db, viewer: CurrentViewer, done: str = "") -> Response:
    """Agencies by priority results: each rating with its linked measures, and the gaps."""
    matrix = contributions.contribution_matrix(db)
    agencies = {agency.id: agency.name for agency in core.list_agencies(db)}
    titles = {result.id: result.title for result in framework.results(db)}
    uncovered = {gap.result_id for gap in matrix.gaps if gap.agency_id is None}
    context = {
        "title": "Who contributes to the priority results",
        "done": DONE.get(done, ""),
        "columns": [(titles[one], one in uncovered) for one in matrix.result_ids],
        "agencies": [(agencies[agency_id], _cells(db, matrix, agency_id)) for agency_id in matrix.agency_ids],
        "gaps": [
            (titles[gap.result_id], agencies[gap.agency_id] if gap.agency_id else "All agencies", gap.problem)
            for gap in matrix.gaps
        ],
        "levels": [(LEVELS[level], LEVEL_MEANINGS[level]) for level in ContributionLevel],
        **_permissions(viewer),
    }
    return render(request, "outcomes/contributions.html", context)


def _cells(db: Session, matrix: ContributionMatrix, agency_id: uuid.UUID) -> list[_Cell]:
    gaps = {(gap.agency_id, gap.result_id) for gap in matrix.gaps}
    cells = []
    for result_id in matrix.result_ids:
        cell = matrix.cells.get((agency_id, result_id))
        measures = [(one, framework.measure(db, one).title) for one in cell.measure_ids] if cell else []
        level = LEVELS[cell.level] if cell else "Not rated"
        cells.append(_Cell(level=level, measures=measures, is_gap=(agency_id, result_id) in gaps))
    return cells


@router.get(CONTRIBUTIONS + "/rate", response_class=HTMLResponse)
@allow(*BUILDERS)
def rate_page(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    agency = _agency_of(db, viewer)
    matrix = contributions.contribution_matrix(db)
    boxes: dict[str, str | list[str]] = {}
    for result_id in matrix.result_ids:
        cell = matrix.cells.get((agency.id, result_id))
        if cell is not None:
            boxes[f"level-{result_id}"] = str(cell.level.value)
            boxes[f"measures-{result_id}"] = [str(one) for one in cell.measure_ids]
    return _rate_form(request, db, agency, matrix.result_ids, boxes=boxes, errors={})


@router.post(CONTRIBUTIONS + "/rate", response_class=HTMLResponse)
@allow(*BUILDERS)
def rate(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """Save the agency's rating of its contribution to each priority result it rates, with its linked measures:
    all of them, or none and what is wrong."""
    agency = _agency_of(db, viewer)
    result_ids = contributions.contribution_matrix(db).result_ids
    boxes: dict[str, str | list[str]] = {}
    errors: Errors = {}
    ratings: list[tuple[uuid.UUID, ContributionLevel, list[uuid.UUID]]] = []
    for result_id in result_ids:
        level_box, measures_box = f"level-{result_id}", f"measures-{result_id}"
        level = boxes[level_box] = field(data, level_box)
        chosen = boxes[measures_box] = [one for one in data.getlist(measures_box) if isinstance(one, str)]
        measure_ids = _ids(chosen)
        if measure_ids is None:
            errors[level_box] = "Link only your agency's own performance measures"
        elif level in LEVEL_VALUES:
            ratings.append((result_id, ContributionLevel(int(level)), measure_ids))
        elif level or chosen:
            title = framework.result(db, result_id).title
            errors[level_box] = f"Choose a rating for {title}, or untick the measures linked to it"
    if errors:
        return _rate_form(request, db, agency, result_ids, boxes=boxes, errors=errors)
    rating = None
    try:
        with db.begin_nested():
            for rating, rated, linked in ratings:
                contributions.rate_contribution(
                    db,
                    agency_id=agency.id,
                    result_id=rating,
                    level=rated,
                    measure_ids=linked,
                    by=viewer.username,
                    at=now,
                )
    except WholeplaceError as error:
        errors = {f"level-{rating}": str(error)}
        return _rate_form(request, db, agency, result_ids, boxes=boxes, errors=errors)
    return _done(CONTRIBUTIONS, "rated")


def _ids(texts: Sequence[str]) -> list[uuid.UUID] | None:
    """Measure ids as the checkboxes send them, or None if one is no id."""
    try:
        return [uuid.UUID(text) for text in texts]
    except ValueError:
        return None


def _agency_of(db: Session, viewer: Viewer) -> Agency:
    return core.get_user(db, viewer.user_id).agency


def _rate_form(
    request: Request,
    db: Session,
    agency: Agency,
    result_ids: Sequence[uuid.UUID],
    *,
    boxes: Mapping[str, str | list[str]],
    errors: Errors,
) -> Response:
    own = [
        (str(measure.id), f"{measure.title} ({programme.name}, {KINDS[MeasureKind(measure.kind)].lower()})")
        for programme in framework.programmes(db)
        if programme.agency_id == agency.id
        for measure in framework.measures_of(db, programme.id)
    ]
    heading = f"Rate {agency.name}'s contribution"
    context = {
        "heading": heading,
        "agency": agency,
        "results": [framework.result(db, one) for one in result_ids],
        "levels": [(str(level.value), LEVELS[level], LEVEL_MEANINGS[level]) for level in ContributionLevel],
        "own_measures": own,
    }
    return render(
        request,
        "outcomes/contributions_rate.html",
        {"title": f"Error: {heading}" if errors else heading, "boxes": boxes, "errors": errors, **context},
        status_code=400 if errors else 200,
    )


# ---------------------------------------------------------------- what the pages show


def _permissions(viewer: Viewer) -> dict[str, bool]:
    return {"can_build": viewer.has(*BUILDERS), "can_import": viewer.has(*IMPORTERS)}


def _people(db: Session) -> dict[str, str]:
    return {user.username: f"{user.full_name} ({user.username})" for user in core.list_users(db)}


def _shown(db: Session, subject: Result | Measure, people: Mapping[str, str]) -> _Shown:
    if isinstance(subject, Result):
        kind, href, latest = "Result", f"{RESULTS}/{subject.id}", ""
    else:
        kind, href, latest = (
            KINDS[MeasureKind(subject.kind)],
            f"{MEASURES}/{subject.id}",
            _latest(db, subject),
        )
    baseline = (
        f"{_amount(subject.baseline_value, subject.unit)} in {subject.baseline_period}"
        if subject.baseline_value is not None
        else "None"
    )
    targets = "; ".join(
        f"{_amount(value, subject.unit)} by {period}" for period, value in subject.targets.items()
    )
    return _Shown(
        id=subject.id,
        href=href,
        title=subject.title,
        kind=kind,
        owner=people.get(subject.owner, subject.owner),
        polarity=POLARITIES[Polarity(subject.polarity)],
        unit=subject.unit,
        baseline=baseline,
        targets=targets or "None",
        latest=latest,
        data_agenda_note=subject.data_agenda_note if subject.on_data_agenda else "",
    )


def _shown_all(db: Session, measures: Sequence[Measure], people: Mapping[str, str]) -> list[_Shown]:
    return [_shown(db, one, people) for one in measures]


def _by_kind(db: Session, programme: Programme, people: Mapping[str, str]) -> list[tuple[str, list[_Shown]]]:
    """The programme's measures in groups of one kind, in the service's order of kinds."""
    shown = _shown_all(db, framework.measures_of(db, programme.id), people)
    return [(kind, list(group)) for kind, group in itertools.groupby(shown, key=lambda one: one.kind)]


def _latest(db: Session, measure: Measure) -> str:
    points = values.series(db, measure_id=measure.id).points
    if not points:
        return "No values yet"
    return f"{_amount(readable(points[-1].value), measure.unit)} in {points[-1].period}"


def _amount(value: Decimal | str, unit: str) -> str:
    return f"{value}{unit}" if unit == "%" else f"{value} {unit}"


# ---------------------------------------------------------------- the forms


def _form(
    request: Request, template: str, context: Mapping[str, Any], *, boxes: Boxes, errors: Errors
) -> Response:
    heading = context["heading"]
    page = {"title": f"Error: {heading}" if errors else heading, "boxes": boxes, "errors": errors, **context}
    return render(request, template, page, status_code=400 if errors else 200)


def _done(path: str, what: str) -> Response:
    return RedirectResponse(f"{path}?{urlencode({'done': what})}", status_code=303)


def _read_title(data: FormData, missing: str) -> tuple[Boxes, Errors]:
    boxes = {"title": field(data, "title")}
    return boxes, ({"title": missing} if not boxes["title"] else {})


def _refusal(error: WholeplaceError, boxes: Boxes, *, otherwise: str) -> Errors:
    """The service's refusal, put by the box it is about: the field it names, the first target it may be about,
    or for a clash of names the name's box."""
    named = error.field if isinstance(error, InvalidInputError) else None
    if named == "targets":
        filled = [box for box in _target_boxes(boxes) if boxes[box]]
        return {filled[0] if filled else "target-1-period": str(error)}
    if isinstance(error, ConflictError):
        return {otherwise: str(error)}
    return {named if named in boxes else otherwise: str(error)}


def _owners(db: Session) -> list[tuple[str, str]]:
    """The place's active users, any of whom may be made accountable."""
    return [
        (user.username, f"{user.full_name} ({user.username}), {user.agency.name}")
        for user in core.list_users(db)
        if user.is_active
    ]


def _accountability_choices(db: Session, boxes: Boxes) -> dict[str, Any]:
    return {
        "owners": _owners(db),
        "polarities": [(polarity.value, label) for polarity, label in POLARITIES.items()],
        "target_rows": sorted(int(found.group(1)) for box in boxes if (found := TARGET_ROW.fullmatch(box))),
        "period_examples": periods.EXAMPLES,
    }


def _accountability_boxes(subject: Accountable) -> Boxes:
    """The accountability form's boxes, filled from what a result or a measure has now."""
    boxes = {
        "owner": subject.owner,
        "polarity": subject.polarity,
        "unit": subject.unit,
        "baseline_value": "" if subject.baseline_value is None else str(subject.baseline_value),
        "baseline_period": subject.baseline_period or "",
        "on_data_agenda": YES if subject.on_data_agenda else "",
        "data_agenda_note": subject.data_agenda_note,
    }
    for row, (period, value) in enumerate(subject.targets.items(), 1):
        boxes |= {f"target-{row}-period": period, f"target-{row}-value": value}
    return boxes | _blank_targets(len(subject.targets))


def _blank_targets(after: int) -> Boxes:
    return {
        f"target-{row}-{part}": ""
        for row in range(after + 1, after + BLANK_TARGET_ROWS + 1)
        for part in ("period", "value")
    }


def _target_boxes(boxes: Mapping[str, str]) -> list[str]:
    return sorted((box for box in boxes if TARGET_ROW.fullmatch(box)), key=lambda box: int(box.split("-")[1]))


def _read_accountability(data: FormData, boxes: Boxes, errors: Errors) -> Accountability | None:
    """The accountability the form describes, or None with what is wrong in `errors`, by box in page order."""
    boxes.update({name: field(data, name) for name in ACCOUNTABILITY_BOXES})
    if not boxes["owner"]:
        errors["owner"] = "Choose the person accountable for it"
    polarity = next((one for one in Polarity if one.value == boxes["polarity"]), None)
    if polarity is None:
        errors["polarity"] = "Choose whether higher or lower is better"
    if not boxes["unit"]:
        errors["unit"] = "Enter the unit, such as % of pupils or per 1,000 residents"
    baseline = _read_baseline(boxes, errors)
    targets = _read_targets(data, boxes, errors)
    on_agenda = boxes["on_data_agenda"] == YES
    if on_agenda and not boxes["data_agenda_note"]:
        errors["data_agenda_note"] = "Say what data are missing and who might hold them"
    if errors or polarity is None:
        return None
    return Accountability(
        owner=boxes["owner"],
        polarity=polarity,
        unit=boxes["unit"],
        baseline=baseline,
        targets=targets,
        on_data_agenda=on_agenda,
        data_agenda_note=boxes["data_agenda_note"] if on_agenda else "",
    )


def _read_baseline(boxes: Boxes, errors: Errors) -> Baseline | None:
    if not boxes["baseline_value"] and not boxes["baseline_period"]:
        return None
    number = _read_number(boxes["baseline_value"], "baseline_value", "baseline value", errors)
    period = _read_period(boxes["baseline_period"], "baseline_period", "baseline's period", errors)
    return Baseline(number, period.text) if number is not None and period is not None else None


def _read_targets(data: FormData, boxes: Boxes, errors: Errors) -> dict[str, Decimal]:
    """The targets typed in rows of period and value; empty rows are left out."""
    targets: dict[str, Decimal] = {}
    row = 1
    while f"target-{row}-period" in data and row <= MOST_TARGET_ROWS:
        period_box, value_box = f"target-{row}-period", f"target-{row}-value"
        boxes[period_box], boxes[value_box] = field(data, period_box), field(data, value_box)
        if boxes[period_box] or boxes[value_box]:
            period = _read_period(boxes[period_box], period_box, f"period of target {row}", errors)
            number = _read_number(boxes[value_box], value_box, f"value of target {row}", errors)
            if period is not None and period.text in targets:
                errors[period_box] = (
                    f"There is already a target for {period.text}: give each period one target"
                )
            elif period is not None and number is not None:
                targets[period.text] = number
        row += 1
    return targets


def _read_period(text: str, box: str, what: str, errors: Errors) -> periods.Period | None:
    if not text:
        errors[box] = f"Enter the {what}"
        return None
    try:
        return periods.parse(text)
    except periods.PeriodError:
        errors[box] = f"Enter the {what} as {periods.EXAMPLES}"
        return None


def _read_number(text: str, box: str, what: str, errors: Errors) -> Decimal | None:
    try:
        number: Decimal | None = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors[box] = f"Enter the {what} as a number, like 12 or 0.35" if text else f"Enter the {what}"
        return None
    return number
