"""The pages where the place's administrator reads and changes its coordination settings: each with its value,
whether that is the default, and who changed it and when; a form for each, and a way back to the default."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.coordination import framework
from wholeplace.coordination.framework import LOCAL_TIME
from wholeplace.coordination.service import settings
from wholeplace.coordination.service.settings import Current
from wholeplace.core import service as core
from wholeplace.core.errors import WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.web.access import allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now, field
from wholeplace.web.templating import NavigationEntry, render

SETTINGS = "/coordination/settings"
NAVIGATION = [NavigationEntry("Coordination settings", SETTINGS, frozenset({Role.ADMINISTRATOR}))]
BLANK_ROWS = 3  # empty rows under a list's own, to add to it
MOST_ROWS = 200
DONE = {"changed": "{} changed", "reset": "{} returned to the default"}
# The settings kept as a list of rows on the form: the rows' name and their boxes.
ROWS = {
    settings.OUTCOME_FRAMEWORK: ("area", ("code", "label", "description")),
    settings.SIGNIFICANT_EVENTS: ("event", ("code", "label")),
}
CODES_BETWEEN = re.compile(r"[\s,]+")

router = APIRouter()


@dataclass(frozen=True)
class _Sent:
    """A form as sent: its boxes as typed, the value they make, what is wrong before the value is checked, and
    the box a part of the value named by the setting's check is in."""

    boxes: dict[str, str]
    value: Any
    errors: dict[str, str]
    box_of: Callable[[str | None], str]


# ---------------------------------------------------------------- every setting


@router.get(SETTINGS, response_class=HTMLResponse)
@allow(Role.ADMINISTRATOR)
def settings_page(request: Request, db: Db, done: str = "", key: str = "") -> Response:
    """Each setting, its value, whether it is the default, and who changed it and when."""
    shown = settings.every_setting(db)
    labels = {one.key: one.definition.label for one in shown}
    context = {
        "title": "Coordination settings",
        "settings": [(one, _value_lines(db, one), _changed(db, one)) for one in shown],
        "done": DONE[done].format(labels[key]) if done in DONE and key in labels else "",
    }
    return render(request, "coordination/settings.html", context)


def _value_lines(db: Session, one: Current) -> list[str]:
    """The value in words, a line for each part."""
    value = one.value
    if one.key == settings.OUTCOME_FRAMEWORK:
        return [f"{area['label']} ({area['code']})" for area in value]
    if one.key == settings.SIGNIFICANT_EVENTS:
        return [f"{label} ({code})" for code, label in value.items()]
    if one.key == settings.RESPONSE_HOURS:
        return [f"{framework.URGENCIES[urgency]}: {_hours(hours)}" for urgency, hours in value.items()]
    if one.key == settings.SUSTAINMENT_MONTHS:
        return [f"{value} month{'s' if value != 1 else ''} after the plan closes"]
    areas = {area.code: area.label for area in settings.outcome_areas(db)}
    return [f"{areas.get(area, area)}: {_rule_words(rule)}" for area, rule in value.items()]


def _rule_words(rule: Mapping[str, list[str]]) -> str:
    parts = []
    if rule["relapse_events"]:
        parts.append("a relapse if any of " + ", ".join(rule["relapse_events"]) + " happens")
    if rule["kept_involvements"]:
        parts.append("one of " + ", ".join(rule["kept_involvements"]) + " still open")
    return "; ".join(parts)


def _hours(hours: int) -> str:
    if hours >= 48 and hours % 24 == 0:
        return f"{hours // 24} days"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _changed(db: Session, one: Current) -> str:
    if one.changed_by is None or one.changed_at is None:
        return "Never changed"
    user = core.find_user(db, one.changed_by)
    who = f"{user.full_name} ({user.username})" if user is not None else one.changed_by
    when = one.changed_at.astimezone(LOCAL_TIME).strftime("%-d %B %Y at %H:%M")
    return f"{'Returned to the default' if one.is_default else 'Changed'} by {who} on {when}"


# ---------------------------------------------------------------- one setting


@router.get(SETTINGS + "/{key}", response_class=HTMLResponse)
@allow(Role.ADMINISTRATOR)
def setting_page(request: Request, db: Db, key: str) -> Response:
    one = settings.current(db, key)
    return _setting_page(request, db, one, boxes=_boxes(db, one.key, one.value))


@router.post(SETTINGS + "/{key}", response_class=HTMLResponse)
@allow(Role.ADMINISTRATOR)
def change_setting(
    request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form, key: str
) -> Response:
    """Make what the form says the place's own value of the setting, once it is checked."""
    one = settings.current(db, key)
    sent = _read(db, one.key, data)
    if sent.errors:
        return _setting_page(request, db, one, boxes=sent.boxes, errors=sent.errors)
    try:
        with db.begin_nested():
            settings.change(db, key=one.key, value=sent.value, by=viewer.username, at=now)
    except settings.SettingError as error:
        message = f"{error.detail} {error.fix}".strip()
        return _setting_page(request, db, one, boxes=sent.boxes, errors={sent.box_of(error.field): message})
    except WholeplaceError as error:
        return _setting_page(request, db, one, boxes=sent.boxes, errors={sent.box_of(None): str(error)})
    return RedirectResponse(f"{SETTINGS}?{urlencode({'done': 'changed', 'key': one.key})}", status_code=303)


@router.post(SETTINGS + "/{key}/reset", response_class=HTMLResponse)
@allow(Role.ADMINISTRATOR)
def reset_setting(request: Request, db: Db, now: Now, viewer: CurrentViewer, key: str) -> Response:
    """Return the setting to its default."""
    one = settings.current(db, key)
    try:
        with db.begin_nested():
            settings.reset(db, key=one.key, by=viewer.username, at=now)
    except WholeplaceError as error:
        boxes = _boxes(db, one.key, one.value)
        return _setting_page(request, db, one, boxes=boxes, errors={"reset": str(error)})
    return RedirectResponse(f"{SETTINGS}?{urlencode({'done': 'reset', 'key': one.key})}", status_code=303)


def _setting_page(
    request: Request,
    db: Session,
    one: Current,
    *,
    boxes: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
) -> Response:
    title = one.definition.label
    context = {
        "title": f"Error: {title}" if errors else title,
        "heading": title,
        "setting": one,
        "changed": _changed(db, one),
        "boxes": boxes,
        "errors": errors or {},
        "rows": _row_numbers(one.key, boxes),
        "urgencies": [(urgency, framework.URGENCIES[urgency]) for urgency in framework.RESPONSE_HOURS],
        "areas": _rule_areas(db, boxes),
        "area_labels": {area.code: f"{area.label} ({area.code})" for area in settings.outcome_areas(db)},
    }
    return render(request, "coordination/setting.html", context, status_code=400 if errors else 200)


# ---------------------------------------------------------------- the boxes of each form


def _boxes(db: Session, key: str, value: Any) -> dict[str, str]:
    """The form's boxes, filled from a value."""
    if key in ROWS:
        name, parts = ROWS[key]
        items = (
            value
            if key == settings.OUTCOME_FRAMEWORK
            else [{"code": c, "label": v} for c, v in value.items()]
        )
        return {f"{name}-{row}-{part}": item[part] for row, item in enumerate(items, 1) for part in parts} | {
            f"{name}-{row}-{part}": ""
            for row in range(len(items) + 1, len(items) + BLANK_ROWS + 1)
            for part in parts
        }
    if key == settings.RESPONSE_HOURS:
        return {f"hours-{urgency}": str(hours) for urgency, hours in value.items()}
    if key == settings.SUSTAINMENT_MONTHS:
        return {"months": str(value)}
    areas = [area.code for area in settings.outcome_areas(db)] + list(value)
    return {
        f"rule-{area}-{part}": ", ".join(value.get(area, {}).get(part, []))
        for area in dict.fromkeys(areas)
        for part in settings.RULE_PARTS
    }


def _read(db: Session, key: str, data: FormData) -> _Sent:
    """The value a form sent makes."""
    if key in ROWS:
        return _read_rows(data, *ROWS[key])
    if key == settings.RESPONSE_HOURS:
        return _read_hours(data)
    if key == settings.SUSTAINMENT_MONTHS:
        return _read_months(data)
    return _read_rules(db, data)


def _read_rows(data: FormData, name: str, parts: tuple[str, ...]) -> _Sent:
    """Rows of boxes, the blank ones left out; a check's part "2.label" is the third row kept's label box."""
    boxes: dict[str, str] = {}
    kept_rows: list[int] = []
    items: list[dict[str, str]] = []
    row = 1
    while f"{name}-{row}-code" in data and row <= MOST_ROWS:
        typed = {part: field(data, f"{name}-{row}-{part}") for part in parts}
        boxes.update({f"{name}-{row}-{part}": text for part, text in typed.items()})
        if any(typed.values()):
            kept_rows.append(row)
            items.append(typed)
        row += 1

    def box_of(part: str | None) -> str:
        index, _, which = (part or "").partition(".")
        if index.isdigit() and int(index) < len(kept_rows) and which in parts:
            return f"{name}-{kept_rows[int(index)]}-{which}"
        return f"{name}-{kept_rows[0] if kept_rows else 1}-code"

    return _Sent(boxes, items, {}, box_of)


def _read_hours(data: FormData) -> _Sent:
    boxes = {f"hours-{urgency}": field(data, f"hours-{urgency}") for urgency in framework.RESPONSE_HOURS}
    errors: dict[str, str] = {}
    value = {
        urgency: _whole(
            boxes[f"hours-{urgency}"],
            f"hours-{urgency}",
            f"the hours for {urgency} referrals",
            errors,
            like=framework.RESPONSE_HOURS[urgency],
        )
        for urgency in framework.RESPONSE_HOURS
    }
    first = next(iter(boxes))
    return _Sent(
        boxes, value, errors, lambda part: f"hours-{part}" if part in framework.RESPONSE_HOURS else first
    )


def _read_months(data: FormData) -> _Sent:
    boxes = {"months": field(data, "months")}
    errors: dict[str, str] = {}
    months = _whole(
        boxes["months"], "months", "the number of months", errors, like=framework.SUSTAINMENT_MONTHS
    )
    return _Sent(boxes, months, errors, lambda _part: "months")


def _read_rules(db: Session, data: FormData) -> _Sent:
    """A rule for each area whose boxes name any codes; codes typed apart by commas or spaces."""
    areas = _rule_areas(db, {str(name): "" for name in data})
    boxes = {
        f"rule-{area}-{part}": field(data, f"rule-{area}-{part}")
        for area in areas
        for part in settings.RULE_PARTS
    }
    rules = {
        area: {
            part: [code for code in CODES_BETWEEN.split(boxes[f"rule-{area}-{part}"]) if code]
            for part in settings.RULE_PARTS
        }
        for area in areas
    }
    value = {area: rule for area, rule in rules.items() if any(rule.values())}

    def box_of(part: str | None) -> str:
        area, _, which = (part or "").partition(".")
        if area in areas:
            return f"rule-{area}-{which if which in settings.RULE_PARTS else settings.RULE_PARTS[0]}"
        return f"rule-{areas[0]}-{settings.RULE_PARTS[0]}" if areas else "rules"

    return _Sent(boxes, value, {}, box_of)


def _rule_areas(db: Session, boxes: Mapping[str, str]) -> list[str]:
    """The framework's areas, then any other area the boxes hold a rule for, so it can be seen and cleared."""
    named = [
        found.group(1)
        for name in boxes
        if (found := re.fullmatch(rf"rule-(.+)-(?:{'|'.join(settings.RULE_PARTS)})", name))
    ]
    return list(dict.fromkeys([area.code for area in settings.outcome_areas(db)] + named))


def _row_numbers(key: str, boxes: Mapping[str, str]) -> list[int]:
    if key not in ROWS:
        return []
    name = ROWS[key][0]
    return [int(found.group(1)) for box in boxes if (found := re.fullmatch(rf"{name}-(\d+)-code", box))]


def _whole(text: str, box: str, what: str, errors: dict[str, str], *, like: int) -> int | None:
    if not text:
        errors[box] = f"Enter {what}"
        return None
    if not text.isdigit():
        errors[box] = f"Enter {what} as a whole number, like {like}"
        return None
    return int(text)
