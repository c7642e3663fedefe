"""Pages of investment cases: the scenarios with their headline figures and a side-by-side comparison; a form to
build one (costs, outcomes valued by hand or by a unit cost, cohorts drawn from the linked data) that writes the
same structure as a scenario file, with upload and download of that file; each scenario's results, who pays and
who benefits, sensitivity, Monte Carlo ranges, unit costs and versions; its board report in HTML and PDF; and
the unit costs, searched and added to.

Finance leads and administrators change them; programme managers and analysts read them."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from wholeplace.core import geography
from wholeplace.core import service as core
from wholeplace.core.errors import InvalidInputError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.money import presenting, report
from wholeplace.money.cba import BenefitType, CostType, appraise, compare
from wholeplace.money.models import StoredScenario
from wholeplace.money.optimism_bias import GRADES
from wholeplace.money.service import cohorts, scenarios, unit_costs
from wholeplace.money.service.scenarios import DrawnCohortNote, ScenarioInvalidError
from wholeplace.money.unit_costs import ATTRIBUTION, EDITION
from wholeplace.money.yaml_fields import FieldProblem, field_path
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now
from wholeplace.web.requests import field as form_field
from wholeplace.web.templating import NavigationEntry, render
from wholeplace.web.uploads import UPLOAD_INTERRUPTED, UploadRoute, error_lines, uploaded_text

SCENARIOS = "/money/scenarios"
UNIT_COSTS = "/money/unit-costs"
EDITORS = (Role.FINANCE_LEAD, Role.ADMINISTRATOR)
READERS = (*EDITORS, Role.PROGRAMME_MANAGER, Role.ANALYST)
NAVIGATION = [NavigationEntry("Investment cases", SCENARIOS, frozenset(READERS))]
BLANK_ROWS = 3  # empty rows under a scenario's own costs and outcomes, to add more
MOST_ROWS = 200
LONGEST_FILE = 1 << 20
SEARCH_SHOWN = 100

COST_BOXES = ("agency", "type", "year", "amount", "confidence")
OUTCOME_BOXES = (
    "name",
    "cohort",
    "engagement",
    "success",
    "deadweight",
    "unit_value",
    "unit_cost_code",
    "benefit_type",
    "beneficiary",
    "start_year",
    "duration",
    "drop_off",
    "confidence",
)
COHORT_NOTE = ("cohort_drawn", "cohort_about", "cohort_at")  # hidden boxes of an outcome's drawn cohort
QUANTITIES = frozenset({"amount", "cohort", "engagement", "success", "deadweight", "unit_value", "drop_off"})
WHOLE_NUMBERS = frozenset({"base_year", "years", "year", "confidence", "start_year", "duration"})
LABELS = {
    "name": "name",
    "base_year": "base year",
    "years": "years",
    "discounting": "discounting",
    "agency": "agency",
    "type": "type",
    "year": "year",
    "amount": "amount",
    "confidence": "confidence grade",
    "cohort": "cohort",
    "engagement": "engagement",
    "success": "success",
    "deadweight": "deadweight",
    "unit_value": "unit value",
    "unit_cost_code": "unit cost code",
    "benefit_type": "benefit type",
    "beneficiary": "beneficiary",
    "start_year": "start year",
    "duration": "duration",
    "drop_off": "drop-off",
}
RANGE_HINT = "a number, or a range such as 0.2 to 0.4, most likely 0.3"
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(
    rf"^£?\s*(?P<low>{_NUMBER})\s*(?:to|\u2013|-)\s*£?\s*(?P<high>{_NUMBER})"
    rf"(?:\s*,?\s*most\s+likely\s*£?\s*(?P<mode>{_NUMBER}))?$",
    flags=re.IGNORECASE,
)
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d*)?$")

router = APIRouter()


# ---------------------------------------------------------------- numbers and ranges as a box holds them


def parse_quantity(text: str) -> float | dict[str, Any] | None:
    """A box's number ("0.3", "£250,000") or range ("0.2 to 0.4": uniform; "0.2 to 0.4, most likely 0.3":
    triangular) as a scenario file writes it; None when the text is neither."""
    single = _number(text)
    if single is not None:
        return single
    found = _RANGE.match(text.strip())
    if found is None:
        return None
    low, high = _number(found["low"]), _number(found["high"])
    if found["mode"] is None:
        return {"low": low, "high": high, "distribution": "uniform"}
    return {"low": low, "mode": _number(found["mode"]), "high": high}


def format_quantity(value: object) -> str:
    """A scenario file's number or range as a box shows it; parse_quantity reads it back unchanged."""
    if isinstance(value, dict):
        ends = f"{_shown(value.get('low'))} to {_shown(value.get('high'))}"
        return ends if value.get("mode") is None else f"{ends}, most likely {_shown(value['mode'])}"
    return _shown(value)


def format_number(value: float) -> str:
    """The shortest writing of a number that reads back as the same number: 250000, 0.035."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _number(text: str) -> float | None:
    cleaned = text.strip().removeprefix("£").strip()
    if "," in cleaned:
        if not _THOUSANDS.match(cleaned):
            return None
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(float(value))
    return str(value)


# ---------------------------------------------------------------- the form and the scenario file's structure


@dataclass
class _Sent:
    """A form as sent: its boxes as typed, the scenario body they make, the form's row of each cost and outcome
    kept, the boxes the form itself found wrong (and the fields they stand for), and the cohorts drawn."""

    boxes: dict[str, str]
    body: dict[str, Any]
    cost_rows: list[int] = field(default_factory=list)
    outcome_rows: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    told: set[tuple[str | int, ...]] = field(default_factory=set)
    cohorts: dict[int, DrawnCohortNote] = field(default_factory=dict)


def boxes_of(document: Mapping[str, Any], notes: Mapping[int, DrawnCohortNote]) -> dict[str, str]:
    """The form's boxes filled from a scenario's fields, with blank rows to add more."""
    discounting = document.get("discounting", "green_book")
    flat = isinstance(discounting, dict)
    boxes = {
        "name": _shown(document.get("name")),
        "base_year": _shown(document.get("base_year")),
        "years": _shown(document.get("years")),
        "discounting": "flat" if flat else "green_book",
        "rate": format_quantity(discounting.get("rate")) if flat else "",
    }
    costs = [cost for cost in document.get("costs") or [] if isinstance(cost, dict)]
    outcomes = [outcome for outcome in document.get("outcomes") or [] if isinstance(outcome, dict)]
    boxes |= _row_boxes("cost", COST_BOXES, costs)
    boxes |= _row_boxes("outcome", OUTCOME_BOXES, outcomes)
    for index, note in notes.items():
        boxes |= {
            f"outcome-{index + 1}-cohort_drawn": str(note.count),
            f"outcome-{index + 1}-cohort_about": note.description,
            f"outcome-{index + 1}-cohort_at": note.drawn_at,
        }
    return boxes


def _row_boxes(prefix: str, names: Sequence[str], items: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    boxes = {
        f"{prefix}-{row}-{name}": format_quantity(item.get(name))
        for row, item in enumerate(items, 1)
        for name in names
    }
    return boxes | {
        f"{prefix}-{row}-{name}": ""
        for row in range(len(items) + 1, len(items) + BLANK_ROWS + 1)
        for name in names
    }


def read_form(data: FormData, carried: Mapping[str, Any]) -> _Sent:
    """The scenario body a form makes: blank rows left out, empty boxes left out (so a required one is named
    as missing), numbers and ranges read; the fields the form does not show (the optimism-bias table, the
    scenario's own unit costs) carried from the version it edits."""
    sent = _Sent(boxes={}, body={})
    for name in ("name", "base_year", "years"):
        text = sent.boxes[name] = form_field(data, name)
        if text:
            sent.body[name] = _value(sent, name, text, (name,), box=name, row_label="")
    _read_discounting(sent, data)
    sent.body["costs"] = _read_rows(sent, data, "cost", COST_BOXES, "costs", sent.cost_rows)
    sent.body["outcomes"] = _read_rows(sent, data, "outcome", OUTCOME_BOXES, "outcomes", sent.outcome_rows)
    for key in ("optimism_bias", "unit_costs"):
        if carried.get(key):
            sent.body[key] = carried[key]
    return sent


def _read_discounting(sent: _Sent, data: FormData) -> None:
    chosen = sent.boxes["discounting"] = form_field(data, "discounting") or "green_book"
    rate = sent.boxes["rate"] = form_field(data, "rate")
    if chosen != "flat":
        sent.body["discounting"] = "green_book"
        return
    number = _number(rate)
    if number is None:
        sent.errors["rate"] = "Discounting: enter the flat rate as a share, like 0.035 for 3.5%"
        sent.told.add(("discounting",))
    sent.body["discounting"] = {"rate": number if number is not None else rate}


def _read_rows(
    sent: _Sent, data: FormData, prefix: str, names: Sequence[str], part: str, rows: list[int]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    row = 1
    while f"{prefix}-{row}-{names[0]}" in data and row <= MOST_ROWS:
        typed = {name: form_field(data, f"{prefix}-{row}-{name}") for name in names}
        sent.boxes |= {f"{prefix}-{row}-{name}": text for name, text in typed.items()}
        if prefix == "outcome":
            sent.boxes |= {
                f"outcome-{row}-{name}": form_field(data, f"outcome-{row}-{name}") for name in COHORT_NOTE
            }
        if any(typed.values()):
            index = len(items)
            label = _row_label(prefix, row, typed.get("name", ""))
            items.append(
                {
                    name: _value(
                        sent, name, text, (part, index, name), box=f"{prefix}-{row}-{name}", row_label=label
                    )
                    for name, text in typed.items()
                    if text
                }
            )
            rows.append(row)
            if prefix == "outcome":
                _keep_cohort_note(sent, row, index)
        row += 1
    return items


def _value(
    sent: _Sent, name: str, text: str, path: tuple[str | int, ...], *, box: str, row_label: str
) -> Any:
    """A box's text as the scenario file holds it; text that is not the number asked for is kept as typed,
    with the form's own message."""
    where = f"{row_label}, {LABELS[name]}" if row_label else LABELS[name].capitalize()
    if name in QUANTITIES:
        quantity = parse_quantity(text)
        if quantity is None:
            sent.errors[box] = f"{where}: enter {RANGE_HINT}"
            sent.told.add(path)
            return text
        return quantity
    if name in WHOLE_NUMBERS:
        if not text.isdigit():
            sent.errors[box] = f"{where}: enter a whole number, like {3 if name != 'base_year' else 2024}"
            sent.told.add(path)
            return text
        return int(text)
    return text


def _keep_cohort_note(sent: _Sent, row: int, index: int) -> None:
    """A drawn cohort's note stays with the outcome while its cohort is still the number drawn."""
    drawn = sent.boxes.get(f"outcome-{row}-cohort_drawn", "")
    if drawn.isdigit() and drawn == sent.boxes.get(f"outcome-{row}-cohort"):
        sent.cohorts[index] = DrawnCohortNote(
            int(drawn), sent.boxes[f"outcome-{row}-cohort_about"], sent.boxes[f"outcome-{row}-cohort_at"]
        )


def _row_label(prefix: str, row: int, name: str) -> str:
    if prefix == "cost":
        return f"Cost {row}"
    return f"Outcome {row}" + (f" ({name})" if name else "")


def problem_errors(sent: _Sent, problems: Iterable[FieldProblem]) -> dict[str, str]:
    """The form's own errors, then each problem the check found, on the box of its field and named by its row
    and field ("Outcome 2 (Fewer incidents), success: must be between 0 and 1 ...")."""
    errors = dict(sent.errors)
    for problem in problems:
        if problem.path in sent.told:
            continue
        box, message = _problem_box(sent, problem)
        errors.setdefault(box, message)
    return errors


def _problem_box(sent: _Sent, problem: FieldProblem) -> tuple[str, str]:
    path = problem.path
    reason = problem.reason
    if len(path) >= 3 and path[0] in ("costs", "outcomes") and isinstance(path[1], int):
        prefix, names, rows = (
            ("cost", COST_BOXES, sent.cost_rows)
            if path[0] == "costs"
            else ("outcome", OUTCOME_BOXES, sent.outcome_rows)
        )
        row = rows[path[1]] if path[1] < len(rows) else path[1] + 1
        name = str(path[2]) if str(path[2]) in names else names[0]
        label = _row_label(prefix, row, sent.boxes.get(f"outcome-{row}-name", ""))
        if name == "unit_cost_code" and reason.startswith("No unit cost"):
            reason += " Search the unit costs for the code."
        return f"{prefix}-{row}-{name}", f"{label}, {LABELS[name]}: {_said(reason, LABELS[name])}"
    top = str(path[0]) if path else ""
    if top in ("name", "base_year", "years"):
        return top, f"{LABELS[top].capitalize()}: {_said(reason, LABELS[top])}"
    if top == "discounting":
        box = "rate" if sent.boxes.get("discounting") == "flat" else "discounting"
        return box, f"Discounting: {_said(reason, 'rate')}"
    return "scenario", f"{field_path(path)}: {_said(reason, 'value')}"


def _said(reason: str, label: str) -> str:
    """A problem's reason as the form tells it: a missing field is asked for."""
    return f"enter the {label}" if reason == "is missing" else reason


# ---------------------------------------------------------------- the list and the comparison


@router.get(SCENARIOS, response_class=HTMLResponse)
@allow(*READERS)
def scenarios_page(request: Request, db: Db) -> Response:
    return _list_page(request, db)


def _list_page(request: Request, db: Session, *, errors: Mapping[str, str] | None = None) -> Response:
    rows = [_headline(db, scenario) for scenario in scenarios.list_scenarios(db)]
    context = {
        "title": "Error: Investment cases" if errors else "Investment cases",
        "rows": rows,
        "errors": errors or {},
        "can_change": _can_change(request),
    }
    return render(request, "money/scenarios.html", context, status_code=400 if errors else 200)


@dataclass(frozen=True)
class _Headline:
    scenario: StoredScenario
    figures: dict[str, str]
    problem: str = ""


def _headline(db: Session, scenario: StoredScenario) -> _Headline:
    version = scenarios.version_of(scenario)
    try:
        result = appraise(scenarios.appraisable(db, version.body).appraisal)
    except ScenarioInvalidError as error:
        return _Headline(scenario, {}, problem=_problems_in_words(error.problems))
    figures = {
        "pv_costs": presenting.pounds(result.pv_costs),
        "pv_benefits": presenting.pounds(result.pv_all_benefits),
        "budget_impact": presenting.pounds(result.net_present_budget_impact),
        "financial_roi": presenting.times(result.financial_roi),
        "public_value_roi": presenting.times(result.public_value_roi),
        "payback": "none" if result.payback_year is None else str(result.payback_year),
    }
    return _Headline(scenario, figures)


def _problems_in_words(problems: Sequence[FieldProblem]) -> str:
    return "; ".join(f"{field_path(problem.path)}: {problem.reason}" for problem in problems)


@router.get(SCENARIOS + "/compare", response_class=HTMLResponse)
@allow(*READERS)
def compare_page(request: Request, db: Db, scenario: Annotated[list[str] | None, Query()] = None) -> Response:
    """The chosen scenarios' headline figures side by side."""
    chosen = list(dict.fromkeys(scenario or []))
    if len(chosen) < 2:
        return _list_page(request, db, errors={"compare": "Choose two or more scenarios to compare"})
    stored = [scenarios.get(db, _scenario_id(one)) for one in chosen]
    readings = []
    for one in stored:
        try:
            readings.append(appraise(scenarios.appraisable(db, scenarios.version_of(one).body).appraisal))
        except ScenarioInvalidError as error:
            message = f"{one.name} cannot be appraised: {_problems_in_words(error.problems)}"
            return _list_page(request, db, errors={"compare": message})
    figures = [
        (figure.label, [_figure(figure.unit, value) for value in figure.values])
        for figure in compare(readings)
    ]
    context = {"title": "Compare investment cases", "scenarios": stored, "figures": figures}
    return render(request, "money/scenario_compare.html", context)


def _figure(unit: str, value: float | int | None) -> str:
    if unit == "year":
        return "none" if value is None else str(value)
    if unit == "ratio":
        return presenting.times(None if value is None else float(value))
    return presenting.pounds(None if value is None else float(value))


def _scenario_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise InvalidInputError("That is not a scenario.", fix="Choose scenarios from the list.") from error


# ---------------------------------------------------------------- building one


@router.get(SCENARIOS + "/new", response_class=HTMLResponse)
@allow(*EDITORS)
def new_scenario_page(request: Request, db: Db, now: Now) -> Response:
    starting = {"base_year": now.year if now.month >= 4 else now.year - 1, "years": 10}
    return _form_page(request, db, scenario=None, boxes=boxes_of(starting, {}))


@router.post(SCENARIOS + "/new", response_class=HTMLResponse)
@allow(*EDITORS)
def new_scenario(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    return _sent_form(request, db, now, viewer.username, data, scenario=None)


@router.get(SCENARIOS + "/{scenario_id}/edit", response_class=HTMLResponse)
@allow(*EDITORS)
def edit_scenario_page(request: Request, db: Db, scenario_id: uuid.UUID) -> Response:
    scenario = scenarios.get(db, scenario_id)
    version = scenarios.version_of(scenario)
    boxes = boxes_of(scenarios.document(version), scenarios.cohort_notes(version))
    return _form_page(request, db, scenario=scenario, boxes=boxes)


@router.post(SCENARIOS + "/{scenario_id}/edit", response_class=HTMLResponse)
@allow(*EDITORS)
def edit_scenario(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, scenario_id: uuid.UUID
) -> Response:
    return _sent_form(request, db, now, viewer.username, data, scenario=scenarios.get(db, scenario_id))


def _sent_form(
    request: Request, db: Session, now: datetime, by: str, data: FormData, *, scenario: StoredScenario | None
) -> Response:
    """Save the form as a new version once the whole scenario is checked, or fill in a cohort drawn from the
    linked data and show the form again."""
    carried = scenarios.document(scenarios.version_of(scenario)) if scenario else {}
    sent = read_form(data, carried)
    if form_field(data, "action") == "cohort":
        return _with_cohort(request, db, sent, data, now, scenario=scenario)
    try:
        with db.begin_nested():
            version = scenarios.save(
                db,
                body=sent.body,
                cohorts=sent.cohorts,
                how="built on the form" if scenario is None else "changed on the form",
                by=by,
                at=now,
                scenario_id=scenario.id if scenario else None,
            )
    except ScenarioInvalidError as error:
        errors = problem_errors(sent, error.problems)
        return _form_page(request, db, scenario=scenario, boxes=sent.boxes, errors=errors)
    except WholeplaceError as error:
        return _form_page(request, db, scenario=scenario, boxes=sent.boxes, errors={"scenario": str(error)})
    return RedirectResponse(f"{SCENARIOS}/{version.scenario_id}?saved={version.version}", status_code=303)


def _with_cohort(
    request: Request,
    db: Session,
    sent: _Sent,
    data: FormData,
    now: datetime,
    *,
    scenario: StoredScenario | None,
) -> Response:
    chosen = {
        name: form_field(data, f"cohort-{name}") for name in ("query", "agencies", "neighbourhood", "row")
    }
    rows = _outcome_row_numbers(sent.boxes)
    row = int(chosen["row"]) if chosen["row"].isdigit() and int(chosen["row"]) in rows else None
    try:
        if row is None:
            raise InvalidInputError("Choose the outcome the cohort is for.", field="row")
        drawn = cohorts.draw(db, _lake(request), chosen["query"], chosen)
    except InvalidInputError as error:
        box = f"cohort-{error.field or 'query'}"
        return _form_page(
            request, db, scenario=scenario, boxes=sent.boxes, errors={box: str(error)}, cohort=chosen
        )
    except WholeplaceError as error:
        return _form_page(
            request,
            db,
            scenario=scenario,
            boxes=sent.boxes,
            errors={"cohort-query": str(error)},
            cohort=chosen,
        )
    sent.boxes |= {
        f"outcome-{row}-cohort": str(drawn.count),
        f"outcome-{row}-cohort_drawn": str(drawn.count),
        f"outcome-{row}-cohort_about": drawn.description,
        f"outcome-{row}-cohort_at": f"{now:%-d %B %Y}",
    }
    told = f"{drawn.count:,} {drawn.description}: filled in as the cohort of outcome {row}. Save to keep it."
    return _form_page(request, db, scenario=scenario, boxes=sent.boxes, cohort=chosen, drawn=told)


def _form_page(
    request: Request,
    db: Session,
    *,
    scenario: StoredScenario | None,
    boxes: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    cohort: Mapping[str, str] | None = None,
    drawn: str = "",
) -> Response:
    heading = "New investment case" if scenario is None else f"Change {scenario.name}"
    agencies = [agency.name for agency in core.list_agencies(db)]
    named = [boxes[box] for box in boxes if re.fullmatch(r"(cost-\d+-agency|outcome-\d+-beneficiary)", box)]
    context = {
        "title": f"Error: {heading}" if errors else heading,
        "heading": heading,
        "scenario": scenario,
        "action": f"{SCENARIOS}/new" if scenario is None else f"{SCENARIOS}/{scenario.id}/edit",
        "boxes": boxes,
        "errors": errors or {},
        "cost_rows": _row_numbers(boxes, "cost"),
        "outcome_rows": _outcome_row_numbers(boxes),
        "agencies": list(dict.fromkeys([*agencies, *(name for name in named if name)])),
        "cost_types": [kind.value for kind in CostType],
        "benefit_types": [(kind.value, kind.label.capitalize()) for kind in BenefitType],
        "grades": GRADES,
        "cohort_queries": [(name, query.label) for name, query in cohorts.COHORTS.items()],
        "neighbourhoods": [(one.code, one.name) for one in geography.neighbourhoods(db)],
        "cohort": cohort or {"agencies": "3"},
        "drawn": drawn,
        "range_hint": RANGE_HINT,
        "carried": _carried_words(scenario),
    }
    return render(request, "money/scenario_form.html", context, status_code=400 if errors else 200)


def _carried_words(scenario: StoredScenario | None) -> list[str]:
    """What the form keeps from the scenario without showing it, in words."""
    if scenario is None:
        return []
    document = scenarios.document(scenarios.version_of(scenario))
    words = []
    if document.get("optimism_bias"):
        words.append("its own optimism-bias table")
    if document.get("unit_costs"):
        words.append(f"{len(document['unit_costs'])} unit costs of its own")
    return words


def _row_numbers(boxes: Mapping[str, str], prefix: str) -> list[int]:
    return sorted(
        {int(found.group(1)) for box in boxes if (found := re.fullmatch(rf"{prefix}-(\d+)-year", box))}
    )


def _outcome_row_numbers(boxes: Mapping[str, str]) -> list[int]:
    return sorted(
        {int(found.group(1)) for box in boxes if (found := re.fullmatch(r"outcome-(\d+)-name", box))}
    )


# ---------------------------------------------------------------- the file, both ways


@router.get(SCENARIOS + "/upload", response_class=HTMLResponse)
@allow(*EDITORS)
def upload_page(request: Request) -> Response:
    return _upload_page(request, scenario=None)


@router.get(SCENARIOS + "/{scenario_id}/upload", response_class=HTMLResponse)
@allow(*EDITORS)
def upload_version_page(request: Request, db: Db, scenario_id: uuid.UUID) -> Response:
    return _upload_page(request, scenario=scenarios.get(db, scenario_id))


@allow(*EDITORS)
def upload(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """A scenario file as a new scenario, checked as `wholeplace cba run` checks it; nothing kept if it has a
    problem."""
    return _uploaded(request, db, now, viewer.username, data, scenario=None)


@allow(*EDITORS)
def upload_version(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, scenario_id: uuid.UUID
) -> Response:
    """A scenario file as the next version of a scenario."""
    return _uploaded(request, db, now, viewer.username, data, scenario=scenarios.get(db, scenario_id))


router.add_api_route(
    SCENARIOS + "/upload",
    upload,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=UploadRoute,
)
router.add_api_route(
    SCENARIOS + "/{scenario_id}/upload",
    upload_version,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=UploadRoute,
)


def _uploaded(
    request: Request, db: Session, now: datetime, by: str, data: FormData, *, scenario: StoredScenario | None
) -> Response:
    if "file" not in data:
        return _upload_page(request, scenario=scenario, errors=[UPLOAD_INTERRUPTED])
    uploaded = data["file"]
    if not isinstance(uploaded, UploadFile) or not uploaded.filename:
        return _upload_page(request, scenario=scenario, errors=["Choose a scenario file (YAML) to upload"])
    try:
        text = uploaded_text(uploaded, largest=LONGEST_FILE)
        fields = scenarios.read_file(db, text, name=uploaded.filename)
        with db.begin_nested():
            version = scenarios.save(
                db,
                body=fields,
                how=f"uploaded from {uploaded.filename}",
                by=by,
                at=now,
                scenario_id=scenario.id if scenario else None,
            )
    except ScenarioInvalidError as error:
        lines = [
            f"{uploaded.filename}: {field_path(problem.path)}: {problem.reason}" for problem in error.problems
        ]
        return _upload_page(request, scenario=scenario, errors=lines)
    except WholeplaceError as error:
        return _upload_page(request, scenario=scenario, errors=error_lines(error))
    finally:
        uploaded.file.close()
    return RedirectResponse(f"{SCENARIOS}/{version.scenario_id}?saved={version.version}", status_code=303)


def _upload_page(
    request: Request, *, scenario: StoredScenario | None, errors: Sequence[str] | None = None
) -> Response:
    heading = "Upload a scenario file" if scenario is None else f"Upload a new version of {scenario.name}"
    context = {
        "title": f"Error: {heading}" if errors else heading,
        "heading": heading,
        "scenario": scenario,
        "action": f"{SCENARIOS}/upload" if scenario is None else f"{SCENARIOS}/{scenario.id}/upload",
        "errors": {f"file-{number}": line for number, line in enumerate(errors or [])},
    }
    return render(request, "money/scenario_upload.html", context, status_code=400 if errors else 200)


@router.get(SCENARIOS + "/{scenario_id}/scenario.yaml")
@allow(*READERS)
def download(db: Db, scenario_id: uuid.UUID, version: int | None = None) -> Response:
    """The version as a scenario file for `wholeplace cba run`."""
    found = scenarios.version_of(scenarios.get(db, scenario_id), version)
    return Response(
        scenarios.as_yaml(db, found),
        media_type="application/yaml; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{scenarios.file_name(found.name)}"'},
    )


@router.get(SCENARIOS + "/{scenario_id}/results.json")
@allow(*READERS)
def results_json(db: Db, scenario_id: uuid.UUID, version: int | None = None) -> Response:
    """The version's figures, exactly as `wholeplace cba run --json` prints them."""
    found = scenarios.version_of(scenarios.get(db, scenario_id), version)
    result = appraise(scenarios.appraisable(db, found.body).appraisal)
    return JSONResponse(presenting.result_as_json(result))


# ---------------------------------------------------------------- one scenario's results


@router.get(SCENARIOS + "/{scenario_id}", response_class=HTMLResponse)
@allow(*READERS)
def scenario_page(
    request: Request, db: Db, scenario_id: uuid.UUID, version: int | None = None, saved: int | None = None
) -> Response:
    scenario = scenarios.get(db, scenario_id)
    shown = scenarios.version_of(scenario, version)
    context: dict[str, Any] = {
        "title": shown.name,
        "scenario": scenario,
        "shown": shown,
        "saved": saved,
        "can_change": _can_change(request),
        "query": "" if version is None else "?" + urlencode({"version": shown.version}),
    }
    try:
        reading = presenting.read(scenarios.appraisable(db, shown.body))
    except ScenarioInvalidError as error:
        context["problems"] = [f"{field_path(problem.path)}: {problem.reason}" for problem in error.problems]
        return render(request, "money/scenario.html", context)
    context |= report.figures(reading, scenarios.cohort_notes(shown))
    context |= {
        "who_benefits_spec": presenting.who_benefits_chart(reading.result),
        "tornado_spec": presenting.tornado_chart(reading),
    }
    return render(request, "money/scenario.html", context)


@router.get(SCENARIOS + "/{scenario_id}/report.html")
@allow(*READERS)
def report_html(
    request: Request, db: Db, now: Now, scenario_id: uuid.UUID, version: int | None = None
) -> Response:
    """The board report, one self-contained HTML file (its charts inline SVG, its style inline), to download."""
    html, name = _report(request, db, now, scenario_id, version)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}.html"'},
    )


@router.get(SCENARIOS + "/{scenario_id}/report.pdf")
@allow(*READERS)
def report_pdf(
    request: Request, db: Db, now: Now, scenario_id: uuid.UUID, version: int | None = None
) -> Response:
    """The board report as PDF, made from the same HTML."""
    html, name = _report(request, db, now, scenario_id, version)
    return Response(
        report.pdf(html),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}.pdf"'},
    )


def _report(
    request: Request, db: Session, now: datetime, scenario_id: uuid.UUID, version: int | None
) -> tuple[str, str]:
    scenario = scenarios.get(db, scenario_id)
    shown = scenarios.version_of(scenario, version)
    reading = presenting.read(scenarios.appraisable(db, shown.body))
    place = core.get_place(db)
    html = report.html(
        request.app.state.templates.env,
        reading,
        version=shown,
        notes=scenarios.cohort_notes(shown),
        place=place.name if place else "the place",
        at=now,
    )
    return html, scenarios.file_name(shown.name).removesuffix(".yaml") + f"-v{shown.version}"


# ---------------------------------------------------------------- unit costs


@router.get(UNIT_COSTS, response_class=HTMLResponse)
@allow(*READERS)
def unit_costs_page(request: Request, db: Db, q: str = "", added: str = "") -> Response:
    """The unit costs whose code, description or agency hold every word searched for, each with its source,
    confidence flag and attribution."""
    found = unit_costs.search(db, q)
    context = {
        "title": "Unit costs",
        "q": q,
        "found": found[:SEARCH_SHOWN],
        "count": len(found),
        "shown": min(len(found), SEARCH_SHOWN),
        "attribution": f"{ATTRIBUTION} ({EDITION})",
        "flags": unit_costs.FLAG_LABELS,
        "added": added,
        "can_change": _can_change(request),
    }
    return render(request, "money/unit_costs.html", context)


@router.get(UNIT_COSTS + "/new", response_class=HTMLResponse)
@allow(*EDITORS)
def new_unit_cost_page(request: Request) -> Response:
    return _unit_cost_form(request, boxes={})


@router.post(UNIT_COSTS + "/new", response_class=HTMLResponse)
@allow(*EDITORS)
def new_unit_cost(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """Keep a unit cost of the place's own, once every field is checked."""
    boxes = {name: form_field(data, name) for name in unit_costs.FIELDS}
    try:
        with db.begin_nested():
            added = unit_costs.add_unit_cost(db, boxes=boxes, by=viewer.username, at=now)
    except unit_costs.UnitCostInvalidError as error:
        return _unit_cost_form(request, boxes=boxes, errors=error.problems)
    return RedirectResponse(
        f"{UNIT_COSTS}?{urlencode({'q': added.code, 'added': added.code})}", status_code=303
    )


def _unit_cost_form(
    request: Request, *, boxes: Mapping[str, str], errors: Mapping[str, str] | None = None
) -> Response:
    title = "Add a unit cost of the place's own"
    context = {
        "title": f"Error: {title}" if errors else title,
        "heading": title,
        "boxes": boxes,
        "errors": errors or {},
        "flags": unit_costs.FLAG_LABELS,
    }
    return render(request, "money/unit_cost_new.html", context, status_code=400 if errors else 200)


def _can_change(request: Request) -> bool:
    viewer: Viewer = request.state.viewer
    return viewer.has(*EDITORS)


def _lake(request: Request) -> Lake:
    return Lake.in_data_dir(request.app.state.settings.data_dir)
