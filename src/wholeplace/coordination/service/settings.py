"""The place's coordination settings, read and changed here and nowhere else: the outcomes framework, the event
types that alert, the hours to answer a referral, and when and how a closed plan's outcomes are checked. Each has
its default in coordination.framework; a place's own value, kept with who set it and when, takes its place. A
value is checked before it is kept, and a refusal names the setting, what is wrong and what to do."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.coordination import framework
from wholeplace.coordination.framework import OutcomeArea, SustainmentRule
from wholeplace.coordination.models import NAME, SHORT, PlaceSetting, Plan, PlanNeed
from wholeplace.core.errors import ConfigurationError, ConflictError, InvalidInputError, NotFoundError

OUTCOME_FRAMEWORK = "outcome_framework"
SIGNIFICANT_EVENTS = "significant_events"
RESPONSE_HOURS = "response_hours"
SUSTAINMENT_MONTHS = "sustainment_months"
SUSTAINMENT_RULES = "sustainment_rules"

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
CODE_FIX = (
    f"Use lower-case letters, digits and underscores, starting with a letter, at most {SHORT} characters."
)
MOST_HOURS = 60 * 24  # sixty days: longer than that is not a time to answer
MOST_MONTHS = 60
RULE_PARTS = ("relapse_events", "kept_involvements")
OPEN = "open"


@dataclass(frozen=True)
class Definition:
    """A setting: its key, its name and what it does in words, its default as kept (JSON), and the check that
    turns a value given into the value kept, or says what is wrong with it."""

    key: str
    label: str
    about: str
    default: Any
    canonical: Callable[[Any], Any]


@dataclass(frozen=True)
class Current:
    """A setting as it stands: its value, whether that is the default, and who last changed it and when (also
    kept when someone returned it to the default)."""

    definition: Definition
    value: Any
    is_default: bool
    changed_by: str | None
    changed_at: datetime | None

    @property
    def key(self) -> str:
        return self.definition.key


class SettingError(InvalidInputError):
    """A value a setting cannot take. `detail` says what is wrong without naming the setting (a form beside it
    already does); `field` says which part: an item's index and part ("2.label"), an urgency, an area's rule."""

    def __init__(self, definition: Definition, detail: str, *, item: str | None, fix: str) -> None:
        super().__init__(f"{definition.label} ({definition.key}): {detail}", field=item, fix=fix)
        self.key = definition.key
        self.detail = detail


class _WrongValueError(Exception):
    """What a check found wrong with a value, before it is told as the setting's error."""

    def __init__(self, detail: str, *, item: str | None = None, fix: str = "") -> None:
        super().__init__(detail)
        self.detail, self.item, self.fix = detail, item, fix


# ---------------------------------------------------------------- reading


def definition_of(key: str) -> Definition:
    definition = DEFINITIONS.get(key.strip())
    if definition is None:
        raise NotFoundError(
            f"There is no coordination setting called {key.strip()!r}.",
            fix=f"The settings are {', '.join(DEFINITIONS)}.",
        )
    return definition


def current(db: Session, key: str) -> Current:
    """The setting's value: the place's own if it has one, else the default."""
    definition = definition_of(key)
    kept = db.get(PlaceSetting, definition.key)
    if (
        kept is None or kept.value is None
    ):  # a value of None: returned to the default, kept who did it and when
        default = definition.canonical(definition.default)  # a copy of its own, for the caller to keep
        return Current(
            definition, default, True, *((kept.changed_by, kept.changed_at) if kept else (None, None))
        )
    try:
        value = definition.canonical(kept.value)
    except _WrongValueError as wrong:
        raise ConfigurationError(
            f"The place's {definition.label.lower()} ({definition.key}) as kept is not usable: {wrong.detail}",
            fix=f"Set it again, or return it to the default with "
            f"`wholeplace coordination settings reset {definition.key} --as USERNAME`.",
        ) from wrong
    return Current(definition, value, False, kept.changed_by, kept.changed_at)


def every_setting(db: Session) -> list[Current]:
    return [current(db, key) for key in DEFINITIONS]


def outcome_areas(db: Session) -> tuple[OutcomeArea, ...]:
    """The outcome areas a plan's needs are coded to."""
    return tuple(
        OutcomeArea(code=area["code"], label=area["label"], description=area["description"])
        for area in current(db, OUTCOME_FRAMEWORK).value
    )


def significant_events(db: Session) -> dict[str, str]:
    """The event types that alert the workers around a household, with how an alert names them."""
    return dict(current(db, SIGNIFICANT_EVENTS).value)


def response_hours(db: Session) -> dict[str, int]:
    """Hours the receiving agency has to answer a referral, by urgency."""
    return dict(current(db, RESPONSE_HOURS).value)


def sustainment_months(db: Session) -> int:
    """Months after a plan closes that each achieved outcome is checked."""
    months: int = current(db, SUSTAINMENT_MONTHS).value
    return months


def sustainment_rules(db: Session) -> dict[str, SustainmentRule]:
    """What a sustainment check looks for, by outcome area."""
    return {
        area: SustainmentRule(
            relapse_events=tuple(rule["relapse_events"]), kept_involvements=tuple(rule["kept_involvements"])
        )
        for area, rule in current(db, SUSTAINMENT_RULES).value.items()
    }


# ---------------------------------------------------------------- changing


def change(db: Session, *, key: str, value: Any, by: str, at: datetime) -> Current:
    """Make `value` the place's own for the setting, once it is checked; raises SettingError if it is not
    usable, ConflictError if open plans need what it would take away."""
    definition = definition_of(key)
    try:
        kept = definition.canonical(value)
    except _WrongValueError as wrong:
        raise SettingError(definition, wrong.detail, item=wrong.item, fix=wrong.fix) from wrong
    if definition.key == OUTCOME_FRAMEWORK:
        _keeps_the_areas_in_use(db, kept)
    if definition.key == SUSTAINMENT_RULES:
        _rules_name_known_areas(db, definition, kept)
    _keep(db, definition.key, kept, by=by, at=at)
    return current(db, definition.key)


def reset(db: Session, *, key: str, by: str, at: datetime) -> Current:
    """Return the setting to its default, keeping who did it and when."""
    definition = definition_of(key)
    if definition.key == OUTCOME_FRAMEWORK:
        _keeps_the_areas_in_use(db, definition.default)
    _keep(db, definition.key, None, by=by, at=at)
    return current(db, definition.key)


def _keep(db: Session, key: str, value: Any, *, by: str, at: datetime) -> None:
    kept = db.get(PlaceSetting, key)
    if kept is None:
        db.add(PlaceSetting(key=key, value=value, changed_by=by, changed_at=at))
    else:
        kept.value, kept.changed_by, kept.changed_at = value, by, at
    db.flush()


def _keeps_the_areas_in_use(db: Session, areas: list[dict[str, str]]) -> None:
    in_use = db.scalars(
        select(PlanNeed.outcome_area)
        .join(Plan, Plan.id == PlanNeed.plan_id)
        .where(Plan.status == OPEN, PlanNeed.removed.is_(False))
        .distinct()
    ).all()
    dropped = sorted(set(in_use) - {area["code"] for area in areas})
    if dropped:
        raise ConflictError(
            f"Outcome framework: needs in open plans are coded to {', '.join(dropped)}.",
            fix="Keep those outcome areas until the plans using them are closed.",
        )


def _rules_name_known_areas(db: Session, definition: Definition, rules: dict[str, Any]) -> None:
    known = [area.code for area in outcome_areas(db)]
    unknown = next((area for area in rules if area not in known), None)
    if unknown is not None:
        raise SettingError(
            definition,
            f"There is no outcome area {unknown!r} in the place's framework.",
            item=unknown,
            fix=f"Give rules for the framework's areas: {', '.join(known)}.",
        )


# ---------------------------------------------------------------- checks: a value given, the value kept


def _framework(value: Any) -> list[dict[str, str]]:
    items = _list(value, "a list of outcome areas, each with a code and a label")
    if not items:
        raise _WrongValueError(
            "The framework needs at least one outcome area.", item="0.code", fix="Keep at least one."
        )
    kept: list[dict[str, str]] = []
    for index, item in enumerate(items):
        area = _object(
            item, ("code", "label", "description"), f"Outcome area {index + 1}", item=f"{index}.code"
        )
        code = _code(area.get("code"), f"outcome area {index + 1}", item=f"{index}.code")
        label = _label(area.get("label"), f"the outcome area {code}", item=f"{index}.label")
        description = _text(
            area.get("description"), f"The description of {code}", item=f"{index}.description"
        )
        if code in {one["code"] for one in kept}:
            raise _WrongValueError(
                f"The code {code} is used twice.", item=f"{index}.code", fix="Give each area its own."
            )
        if label.casefold() in {one["label"].casefold() for one in kept}:
            raise _WrongValueError(
                f"The label {label!r} is used twice.", item=f"{index}.label", fix="Give each its own."
            )
        kept.append({"code": code, "label": label, "description": description})
    return kept


def _events(value: Any) -> dict[str, str]:
    """Event types as {code: label}; also read from a list of codes (labelled as the defaults label them) or of
    {"code", "label"} pairs, as a form gives them."""
    if isinstance(value, Mapping):
        pairs = [{"code": code, "label": label} for code, label in value.items()]
    else:
        pairs = _list(value, "event types with their labels, as {code: label}")
    if not pairs:
        raise _WrongValueError(
            "At least one event type must alert.",
            item="0.code",
            fix="Keep the event types that should alert.",
        )
    kept: dict[str, str] = {}
    for index, pair in enumerate(pairs):
        given = pair if isinstance(pair, Mapping) else {"code": pair}
        event = _object(given, ("code", "label"), f"Event type {index + 1}", item=f"{index}.code")
        code = _code(event.get("code"), f"event type {index + 1}", item=f"{index}.code")
        if code in kept:
            raise _WrongValueError(
                f"The event type {code} is listed twice.", item=f"{index}.code", fix="List it once."
            )
        label = event.get("label", framework.SIGNIFICANT_EVENTS.get(code, _words(code)))
        kept[code] = _label(label, f"the event type {code}", item=f"{index}.label")
    return kept


def _hours(value: Any) -> dict[str, int]:
    """Hours by urgency; an urgency not given keeps its default. More urgent referrals never have longer."""
    urgencies = list(framework.RESPONSE_HOURS)
    given = _object(
        value, tuple(urgencies), "Response hours", item=None, fix=f"Give hours for {_or(urgencies)}."
    )
    kept = dict(framework.RESPONSE_HOURS)
    for urgency in urgencies:
        if urgency in given:
            kept[urgency] = _whole(
                given[urgency], f"The hours for {urgency} referrals", 1, MOST_HOURS, urgency
            )
    for sooner, later in pairwise(urgencies):
        if kept[sooner] > kept[later]:
            raise _WrongValueError(
                f"{sooner.capitalize()} referrals would have longer to answer ({kept[sooner]} hours) than "
                f"{later} ones ({kept[later]} hours).",
                item=sooner,
                fix="Give more urgent referrals no more time than less urgent ones.",
            )
    return kept


def _months(value: Any) -> int:
    return _whole(value, "The months before a sustainment check", 1, MOST_MONTHS, None)


def _rules(value: Any) -> dict[str, dict[str, list[str]]]:
    rules = _object(
        value, None, "Sustainment rules", item=None, fix='Give {"area": {"relapse_events": [...]}}.'
    )
    kept: dict[str, dict[str, list[str]]] = {}
    for area, given in rules.items():
        code = _code(area, "an outcome area", item=str(area))
        rule = _object(given, RULE_PARTS, f"The rule for {code}", item=code)
        parts = {
            part: [
                _code(one, f"a code in the rule for {code}", item=f"{code}.{part}")
                for one in _list(rule.get(part, []), "a list of codes", item=f"{code}.{part}")
            ]
            for part in RULE_PARTS
        }
        if not any(parts.values()):
            raise _WrongValueError(
                f"The rule for {code} looks for nothing.",
                item=f"{code}.relapse_events",
                fix="Give the event types that mean a relapse, or the involvements that must stay open.",
            )
        kept[code] = parts
    return kept


def _list(value: Any, what: str, *, item: str | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise _WrongValueError(f"This is not {what}.", item=item, fix=f"Give {what}.")
    return value


def _object(
    value: Any, parts: tuple[str, ...] | None, what: str, *, item: str | None, fix: str = ""
) -> Mapping[str, Any]:
    """A JSON object, with only the parts named (any parts when None)."""
    if not isinstance(value, Mapping):
        raise _WrongValueError(
            f"{what} is not a set of named values.", item=item, fix=fix or f"Give {what.lower()} as {{...}}."
        )
    unknown = sorted(str(name) for name in value if parts is not None and name not in parts)
    if unknown and parts is not None:
        raise _WrongValueError(
            f"{what} has {_or(unknown, 'and')}, which it does not use.", item=item, fix=f"Use {_or(parts)}."
        )
    return value


def _code(value: Any, what: str, *, item: str) -> str:
    code = _text(value, f"The code of {what}", item=item)
    if not code:
        raise _WrongValueError(f"Enter the code of {what}.", item=item, fix=CODE_FIX)
    if not CODE.match(code) or len(code) > SHORT:
        raise _WrongValueError(f"The code {code!r} is not usable.", item=item, fix=CODE_FIX)
    return code


def _label(value: Any, what: str, *, item: str) -> str:
    label = _text(value, f"The label of {what}", item=item)
    if not label:
        raise _WrongValueError(f"Enter a label for {what}.", item=item, fix="Say it as people will read it.")
    if len(label) > NAME:
        raise _WrongValueError(
            f"The label of {what} is longer than {NAME} characters.", item=item, fix="Shorten it."
        )
    return label


def _text(value: Any, what: str, *, item: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _WrongValueError(f"{what} is not text.", item=item, fix="Give it in quotes.")
    return " ".join(value.split())


def _whole(value: Any, what: str, least: int, most: int, item: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _WrongValueError(
            f"{what} must be a whole number.", item=item, fix=f"Give a number from {least} to {most}."
        )
    if not least <= value <= most:
        raise _WrongValueError(
            f"{what} must be from {least} to {most}.", item=item, fix=f"Give a number from {least} to {most}."
        )
    return value


def _or(names: list[str] | tuple[str, ...], joiner: str = "or") -> str:
    return ", ".join(names[:-1]) + f" {joiner} {names[-1]}" if len(names) > 1 else "".join(names)


def _words(code: str) -> str:
    return code.replace("_", " ").capitalize()


DEFINITIONS: dict[str, Definition] = {
    definition.key: definition
    for definition in (
        Definition(
            OUTCOME_FRAMEWORK,
            "Outcome framework",
            "The outcome areas a plan's needs are coded to. An area that a need of an open plan uses must stay.",
            [
                {"code": area.code, "label": area.label, "description": area.description}
                for area in framework.SUPPORTING_FAMILIES
            ],
            _framework,
        ),
        Definition(
            SIGNIFICANT_EVENTS,
            "Significant event types",
            "Events in an agency's records that alert the workers around a household, with how an alert "
            "names them.",
            dict(framework.SIGNIFICANT_EVENTS),
            _events,
        ),
        Definition(
            RESPONSE_HOURS,
            "Response times for referrals",
            "How many hours the receiving agency has to accept or decline a referral, by its urgency.",
            dict(framework.RESPONSE_HOURS),
            _hours,
        ),
        Definition(
            SUSTAINMENT_MONTHS,
            "Months before a sustainment check",
            "How long after a plan closes each outcome achieved is checked to see that it lasted.",
            framework.SUSTAINMENT_MONTHS,
            _months,
        ),
        Definition(
            SUSTAINMENT_RULES,
            "Sustainment rules",
            "What a sustainment check looks for in the linked data, by outcome area: new events that mean a "
            "relapse, and involvements that must still be open. An area without a rule is confirmed with the "
            "family.",
            {
                area: {
                    "relapse_events": list(rule.relapse_events),
                    "kept_involvements": list(rule.kept_involvements),
                }
                for area, rule in framework.SUSTAINMENT_RULES.items()
            },
            _rules,
        ),
    )
}
