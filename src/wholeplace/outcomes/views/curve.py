"""Turning the curve of an indicator: its history with the trend of the baseline carried on ahead (where the curve
goes if nothing changes), the latest review (the story behind the curve, the partners with a role, what works and
the action plan) and the earlier reviews; and the form for a new review, open to programme managers,
administrators and the indicator's own accountable person."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.core.figures import readable
from wholeplace.core.roles import Role
from wholeplace.outcomes import charts, periods, scorecard
from wholeplace.outcomes.models import CurveReview, Measure
from wholeplace.outcomes.schemas import (
    ACTION_STATUS_LABELS,
    Action,
    ActionStatus,
    BaselineForecast,
    ChangePoint,
    Cost,
    Idea,
    MeasureKind,
    Partner,
    SeriesPoint,
)
from wholeplace.outcomes.service import curves, framework, values
from wholeplace.outcomes.views.exports import person_name
from wholeplace.web.access import Viewer, signed_in
from wholeplace.web.errors import error_response
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import render

MEASURES = "/outcomes/measures"
REVIEWERS = (Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)
AHEAD = 4  # periods the forecast runs past the last value
MOST_AHEAD = 24
BLANK_ROWS = 3  # empty rows under a list's own, to add to it
MOST_ROWS = 100
DATE_PARTS = ("day", "month", "year")
COST_LABELS = {Cost.NO_COST: "No cost", Cost.LOW_COST: "Low cost", Cost.OTHER: "Costs more"}


@dataclass(frozen=True)
class _List:
    """A repeating list on the review form: the name of its rows' boxes, the boxes of a row (the first says
    whether the row is there), the service's name for the list, and the boxes that, typed in, make a row count
    (all of them unless said: a select with a value of its own does not)."""

    row: str
    parts: tuple[str, ...]
    service_name: str
    fills: tuple[str, ...] = ()

    def filled(self, typed: Mapping[str, str]) -> bool:
        return any(typed[part] for part in self.fills or self.parts)


@dataclass(frozen=True)
class _Sent:
    """A review form as sent: its boxes as typed, what is wrong with them, the review they make, and for each
    list the form's rows that were kept, in order (the service names a list's items by their place in it)."""

    boxes: dict[str, str]
    errors: dict[str, str]
    reviewed_on: date | None
    partners: list[Partner]
    ideas: list[Idea]
    actions: list[Action]
    kept_rows: dict[str, list[int]]


PARTNERS = _List("partner", ("name", "role"), "partners")
IDEAS = _List("idea", ("idea", "cost"), "what_works")
ACTIONS = _List(
    "action",
    ("action", "who", "due-day", "due-month", "due-year", "status"),
    "actions",
    fills=("action", "who", "due-day", "due-month", "due-year"),
)
OPEN_ACTIONS = (ActionStatus.NOT_STARTED, ActionStatus.UNDER_WAY)
LISTS = (PARTNERS, IDEAS, ACTIONS)

router = APIRouter()


# ---------------------------------------------------------------- the curve


@router.get(MEASURES + "/{measure_id}/curve", response_class=HTMLResponse)
@signed_in
def curve_page(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, measure_id: uuid.UUID, done: str = ""
) -> Response:
    """The indicator's history and forecast, its latest review and the earlier ones."""
    indicator = _indicator(db, measure_id)
    history = values.series(db, measure_id=indicator.id)
    baseline, no_forecast = _forecast(db, indicator, history.points)
    reviews = curves.reviews_of(db, indicator.id)
    today = now.date()
    context = {
        "title": f"Turn the curve: {indicator.title}",
        "measure": indicator,
        "result": _result_title(db, indicator),
        "owner": person_name(db, indicator.owner),
        "points": history.points,
        "baseline": baseline,
        "no_forecast": no_forecast,
        "spec": _curve_spec(indicator, history.points, baseline, history.change_points)
        if history.points
        else None,
        "table": _table(indicator, history.points, baseline),
        "latest": _review(db, reviews[0], today=today) if reviews else None,
        "earlier": [_review(db, one, today=today) for one in reviews[1:]],
        "may_review": may_review(viewer, indicator),
        "done": done == "reviewed",
    }
    return render(request, "outcomes/curve.html", context)


def _result_title(db: Session, indicator: Measure) -> str:
    assert indicator.result_id is not None  # an indicator belongs to a result
    return framework.result(db, indicator.result_id).title


def _indicator(db: Session, measure_id: uuid.UUID) -> Measure:
    found = framework.measure(db, measure_id)
    if found.kind != MeasureKind.INDICATOR:
        raise NotFoundError(
            "A performance measure has no turn-the-curve record; the indicators of results have.",
            fix="Go back to the measure's page.",
        )
    return found


def may_review(viewer: Viewer, measure: Measure) -> bool:
    """Programme managers, administrators and the indicator's own accountable person may review its curve."""
    return viewer.has(*REVIEWERS) or viewer.username == measure.owner


def _forecast(
    db: Session, indicator: Measure, points: Sequence[SeriesPoint]
) -> tuple[BaselineForecast | None, str]:
    """The baseline and its forecast, or None and why there is none."""
    try:
        return curves.baseline_forecast(db, measure_id=indicator.id, ahead=_ahead(indicator, points)), ""
    except ConflictError as error:
        return None, str(error)


def _ahead(indicator: Measure, points: Sequence[SeriesPoint]) -> int:
    """How far to forecast: AHEAD periods past the last value, and on to the furthest target."""
    end = periods.parse(indicator.baseline_period).start if indicator.baseline_period else None
    baseline = [point for point in points if end is None or periods.parse(point.period).start <= end]
    if not baseline:
        return AHEAD
    ahead = len(points) - len(baseline) + AHEAD
    furthest = max((periods.parse(period).start for period in indicator.targets), default=None)
    if furthest is not None:
        coming = periods.following(periods.parse(baseline[-1].period), MOST_AHEAD)
        ahead = max(ahead, next((n for n, one in enumerate(coming, 1) if one.start >= furthest), MOST_AHEAD))
    return min(ahead, MOST_AHEAD)


def _targets(indicator: Measure) -> dict[str, Decimal]:
    return {period: Decimal(value) for period, value in indicator.targets.items()}


def _curve_spec(
    indicator: Measure,
    points: Sequence[SeriesPoint],
    baseline: BaselineForecast | None,
    change_points: Sequence[ChangePoint],
) -> dict[str, Any]:
    shown = "its values so far" + (", and the trend of its baseline carried on ahead" if baseline else "")
    return charts.curve_chart(
        points,
        baseline=baseline,
        change_points=change_points,
        targets=_targets(indicator),
        unit=indicator.unit,
        description=f"Line chart of {indicator.title}: {shown}, with its targets.",
    )


def _table(
    indicator: Measure, points: Sequence[SeriesPoint], baseline: BaselineForecast | None
) -> list[dict[str, str]]:
    """The chart's figures by period: the value, the trend or forecast, and the target."""
    actual = {point.period: str(readable(point.value)) for point in points}
    trend = (
        {period: scorecard.figure(value) for period, value in charts.trend_of(baseline)} if baseline else {}
    )
    targets = {period: str(value) for period, value in _targets(indicator).items()}
    every = sorted({periods.parse(period) for period in (*actual, *trend, *targets)})
    return [
        {
            "period": one.text,
            "actual": actual.get(one.text, ""),
            "trend": trend.get(one.text, ""),
            "target": targets.get(one.text, ""),
        }
        for one in every
    ]


def _review(db: Session, review: CurveReview, *, today: date) -> dict[str, Any]:
    return {
        "review": review,
        "by": person_name(db, review.reviewed_by),
        "partners": curves.partners_of(review),
        "ideas": [(idea, COST_LABELS[idea.cost]) for idea in curves.ideas_of(review)],
        "actions": [(action, _status(action, today)) for action in curves.actions_of(review)],
    }


def _status(action: Action, today: date) -> str:
    """Where the review said the action stood, and whether an open one has passed its date since."""
    said = ACTION_STATUS_LABELS[action.status]
    overdue = action.status in OPEN_ACTIONS and action.due_on is not None and action.due_on < today
    return f"{said}, overdue" if overdue else said


# ---------------------------------------------------------------- a new review


@router.get(MEASURES + "/{measure_id}/curve/review", response_class=HTMLResponse)
@signed_in
def review_form(request: Request, db: Db, now: Now, viewer: CurrentViewer, measure_id: uuid.UUID) -> Response:
    """The form for a new review, filled in from the latest, so that a review changes what has changed."""
    indicator = _indicator(db, measure_id)
    if not may_review(viewer, indicator):
        return _refused(request)
    return _form_page(request, db, indicator, boxes=_boxes(db, indicator, today=now.date()))


@router.post(MEASURES + "/{measure_id}/curve/review", response_class=HTMLResponse)
@signed_in
def record_review(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, measure_id: uuid.UUID
) -> Response:
    """Record the review as the record's next version, once every box is checked."""
    indicator = _indicator(db, measure_id)
    if not may_review(viewer, indicator):
        return _refused(request)
    sent = _read(data)
    if sent.errors or sent.reviewed_on is None:
        return _form_page(request, db, indicator, boxes=sent.boxes, errors=sent.errors)
    try:
        with db.begin_nested():
            curves.review_curve(
                db,
                measure_id=indicator.id,
                reviewed_on=sent.reviewed_on,
                story=sent.boxes["story"],
                partners=sent.partners,
                what_works=sent.ideas,
                actions=sent.actions,
                by=viewer.username,
                at=now,
            )
    except InvalidInputError as error:
        box = _box_of(error.field, sent.kept_rows)
        return _form_page(request, db, indicator, boxes=sent.boxes, errors={box: str(error)})
    return RedirectResponse(f"{MEASURES}/{indicator.id}/curve?done=reviewed", status_code=303)


def _refused(request: Request) -> Response:
    return error_response(
        request,
        403,
        "forbidden",
        "Programme managers, administrators and the indicator's accountable person may review its curve.",
    )


def _form_page(
    request: Request,
    db: Session,
    indicator: Measure,
    *,
    boxes: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
) -> Response:
    heading = "Review the curve"
    latest = curves.latest_review(db, indicator.id)
    context = {
        "title": f"{'Error: ' if errors else ''}{heading}: {indicator.title}",
        "heading": heading,
        "measure": indicator,
        "latest": latest,
        "boxes": boxes,
        "errors": errors or {},
        "rows": {one.row: _row_numbers(one, boxes) for one in LISTS},
        "costs": COST_LABELS,
        "statuses": ACTION_STATUS_LABELS,
    }
    return render(request, "outcomes/curve_review.html", context, status_code=400 if errors else 200)


def _boxes(db: Session, indicator: Measure, *, today: date) -> dict[str, str]:
    """The form's boxes: today's date, the latest review's story and lists, and blank rows to add to each."""
    latest = curves.latest_review(db, indicator.id)
    boxes = {"reviewed_on-day": str(today.day), "reviewed_on-month": str(today.month)}
    boxes["reviewed_on-year"] = str(today.year)
    boxes["story"] = latest.story if latest else ""
    partners = [(one.name, one.role) for one in curves.partners_of(latest)] if latest else []
    ideas = [(one.idea, one.cost.value) for one in curves.ideas_of(latest)] if latest else []
    actions = [_action_boxes(one) for one in curves.actions_of(latest)] if latest else []
    for shape, rows in ((PARTNERS, partners), (IDEAS, ideas), (ACTIONS, actions)):
        filled = [*rows, *[("",) * len(shape.parts)] * BLANK_ROWS]
        for number, row in enumerate(filled, 1):
            boxes.update(
                {f"{shape.row}-{number}-{part}": text for part, text in zip(shape.parts, row, strict=True)}
            )
    return boxes


def _action_boxes(action: Action) -> tuple[str, ...]:
    due = action.due_on
    dated = (str(due.day), str(due.month), str(due.year)) if due else ("", "", "")
    return (action.action, action.who, *dated, action.status.value)


def _read(data: FormData) -> _Sent:
    """The review the form makes, with a message for each box that is wrong; blank rows are left out."""
    boxes = {name: field(data, name) for name in ("story", *(f"reviewed_on-{part}" for part in DATE_PARTS))}
    errors: dict[str, str] = {}
    reviewed_on = _date(boxes, errors, "reviewed_on", "The date of the review", required=True)
    kept: dict[str, list[int]] = {}
    lists: dict[str, list[dict[str, str]]] = {}
    for shape in LISTS:
        rows = _rows(data, shape)
        for number, typed in rows:
            boxes.update({f"{shape.row}-{number}-{part}": text for part, text in typed.items()})
        filled = [(number, typed) for number, typed in rows if shape.filled(typed)]
        kept[shape.service_name] = [number for number, _ in filled]
        lists[shape.row] = [{"number": str(number), **typed} for number, typed in filled]
    if not boxes["story"]:
        errors["story"] = "Tell the story behind the curve: why the indicator is where it is"
    partners = [_partner(row, errors) for row in lists[PARTNERS.row]]
    ideas = [_idea(row, errors) for row in lists[IDEAS.row]]
    actions = [_action(row, boxes, errors) for row in lists[ACTIONS.row]]
    return _Sent(
        boxes=boxes,
        errors=errors,
        reviewed_on=reviewed_on,
        partners=[one for one in partners if one is not None],
        ideas=[one for one in ideas if one is not None],
        actions=[one for one in actions if one is not None],
        kept_rows=kept,
    )


def _rows(data: FormData, shape: _List) -> list[tuple[int, dict[str, str]]]:
    found = []
    number = 1
    while f"{shape.row}-{number}-{shape.parts[0]}" in data and number <= MOST_ROWS:
        found.append((number, {part: field(data, f"{shape.row}-{number}-{part}") for part in shape.parts}))
        number += 1
    return found


def _partner(row: Mapping[str, str], errors: dict[str, str]) -> Partner | None:
    number = row["number"]
    _required(row, errors, f"partner-{number}", "name", f"Enter the name of partner {number}")
    _required(row, errors, f"partner-{number}", "role", f"Enter the role of partner {number}")
    return Partner(row["name"], row["role"]) if row["name"] and row["role"] else None


def _idea(row: Mapping[str, str], errors: dict[str, str]) -> Idea | None:
    number = row["number"]
    _required(row, errors, f"idea-{number}", "idea", f"Describe idea {number}")
    try:
        cost = Cost(row["cost"])
    except ValueError:
        errors[f"idea-{number}-cost"] = f"Select what idea {number} costs"
        return None
    return Idea(row["idea"], cost) if row["idea"] else None


def _action(row: Mapping[str, str], boxes: Mapping[str, str], errors: dict[str, str]) -> Action | None:
    number = row["number"]
    _required(row, errors, f"action-{number}", "action", f"Say what action {number} is")
    _required(row, errors, f"action-{number}", "who", f"Say who will do action {number}")
    due = _date(boxes, errors, f"action-{number}-due", f"The date action {number} is due by")
    try:
        status = ActionStatus(row["status"] or ActionStatus.NOT_STARTED)
    except ValueError:
        errors[f"action-{number}-status"] = f"Select where action {number} stands"
        return None
    if not (row["action"] and row["who"]) or any(
        f"action-{number}-due-{part}" in errors for part in DATE_PARTS
    ):
        return None
    return Action(row["action"], row["who"], due, status)


def _required(row: Mapping[str, str], errors: dict[str, str], prefix: str, part: str, message: str) -> None:
    if not row[part]:
        errors[f"{prefix}-{part}"] = message


def _date(
    boxes: Mapping[str, str], errors: dict[str, str], name: str, what: str, *, required: bool = False
) -> date | None:
    """A GOV.UK date input's three boxes as a date; None when all three are blank (an error if it is required)."""
    parts = {part: boxes.get(f"{name}-{part}", "") for part in DATE_PARTS}
    if not any(parts.values()):
        if required:
            errors[f"{name}-day"] = f"Enter {what[:1].lower()}{what[1:]}"
        return None
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        errors[f"{name}-{missing[0]}"] = f"{what} must include a {missing[0]}"
        return None
    try:
        year = int(parts["year"])
        if year < 1000:
            raise ValueError(year)
        return date(year, int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[f"{name}-day"] = f"{what} must be a real date, like 31 3 2027"
        return None


def _box_of(service_field: str | None, kept_rows: Mapping[str, list[int]]) -> str:
    """The box to name for a field the service refused: "partners.1" is the second kept partner row's first box."""
    name, _, index = (service_field or "").partition(".")
    if name == "reviewed_on":
        return "reviewed_on-day"
    for shape in LISTS:
        rows = kept_rows.get(shape.service_name, [])
        if name == shape.service_name and index.isdigit() and int(index) < len(rows):
            return f"{shape.row}-{rows[int(index)]}-{shape.parts[0]}"
    return "story"


def _row_numbers(shape: _List, boxes: Mapping[str, str]) -> list[int]:
    first = shape.parts[0]
    return sorted(
        int(name.split("-")[1])
        for name in boxes
        if name.startswith(f"{shape.row}-") and name.endswith(f"-{first}")
    )
