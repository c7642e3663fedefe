"""The place's own unit costs, kept beside the Unit Cost Database with their source, confidence flag, and who
added them when; usable in scenarios by code like the database's. And one search over both, each figure with
its attribution."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wholeplace.core.errors import InvalidInputError
from wholeplace.money.deflators import financial_year_label, parse_financial_year
from wholeplace.money.models import CODE, NAME, PlaceUnitCost
from wholeplace.money.scenario import LocalUnitCostEntry
from wholeplace.money.unit_costs import ATTRIBUTION, EDITION, Flag, UnitCost, shipped_database

FLAG_LABELS = {
    Flag.GREEN: "G: a robust figure from a reliable source",
    Flag.AMBER: "A: a reasonable figure with some assumptions",
    Flag.RED: "R: an indicative figure, to use with care",
}
PLACE_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
FIELDS = ("code", "description", "agency", "unit", "value", "price_year", "source", "flag")
LARGEST_VALUE = Decimal("999999999999.99")


class UnitCostInvalidError(InvalidInputError):
    """A place's unit cost that cannot be kept: every problem, by field."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("The unit cost has problems.", field=next(iter(problems), None))
        self.problems = dict(problems)


@dataclass(frozen=True)
class FoundUnitCost:
    """A unit cost as the search shows it, from the database or the place, with what must be shown beside it."""

    code: str
    description: str
    agency: str
    unit: str
    value: float
    price_year: str
    source: str
    flag: Flag
    attribution: str
    from_place: bool
    theme: str = ""
    url: str = ""
    added: str = ""  # who added a place's unit cost, and when


def add_unit_cost(db: Session, *, boxes: Mapping[str, str], by: str, at: datetime) -> PlaceUnitCost:
    """Keep a unit cost of the place's own, every field checked first; its code must not be the database's."""
    problems: dict[str, str] = {}
    text = {name: " ".join(boxes.get(name, "").split()) for name in FIELDS}
    for name, label in (("description", "what it costs"), ("agency", "the agency"), ("unit", "the unit")):
        if not text[name]:
            problems[name] = f"Enter {label}"
        elif len(text[name]) > NAME and name != "description":
            problems[name] = f"Enter {label} in at most {NAME} characters"
    if not text["source"]:
        problems["source"] = "Enter the source: where the figure comes from, so others can check it"
    _check_code(db, text["code"], problems)
    value = _value(text["value"], problems)
    price_year = _price_year(text["price_year"], problems)
    if text["flag"] not in {flag.value for flag in Flag}:
        problems["flag"] = "Choose the confidence flag: G, A or R"
    if problems:
        raise UnitCostInvalidError(problems)
    assert value is not None and price_year is not None
    added = PlaceUnitCost(
        code=text["code"],
        description=text["description"],
        agency=text["agency"],
        unit=text["unit"],
        value=value,
        price_year=price_year,
        source=text["source"],
        flag=text["flag"],
        added_by=by,
        added_at=at,
    )
    db.add(added)
    try:
        db.flush()
    except IntegrityError as error:
        raise UnitCostInvalidError(
            {"code": f"The place already has a unit cost {added.code}: choose another code"}
        ) from error
    return added


def _check_code(db: Session, code: str, problems: dict[str, str]) -> None:
    if not code:
        problems["code"] = "Enter a code, such as RIV1"
    elif len(code) > CODE or not PLACE_CODE.match(code):
        problems["code"] = (
            f"Enter a code of at most {CODE} letters, digits, dots, dashes or underscores, starting with a letter"
        )
    elif _in_database(code):
        problems["code"] = f"{code} is a code of the Unit Cost Database: choose a code of the place's own"
    elif _place_cost(db, code) is not None:
        problems["code"] = f"The place already has a unit cost {code}: choose another code"


def _in_database(code: str) -> bool:
    wanted = code.casefold()
    return any(
        wanted in (cost.code.casefold(), cost.reference.casefold()) for cost in shipped_database().costs
    )


def _place_cost(db: Session, code: str) -> PlaceUnitCost | None:
    return next((cost for cost in place_unit_costs(db) if cost.code.casefold() == code.casefold()), None)


def _value(text: str, problems: dict[str, str]) -> Decimal | None:
    plain = text.removeprefix("£").replace(",", "").strip()
    try:
        value = Decimal(plain)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > LARGEST_VALUE:
        problems["value"] = "Enter the value in pounds, such as 1000 or 1,250.50"
        return None
    return value.quantize(Decimal("0.01"))


def _price_year(text: str, problems: dict[str, str]) -> int | None:
    try:
        return parse_financial_year(text)
    except ValueError:
        problems["price_year"] = "Enter the financial year the value is priced in, such as 2012-13"
        return None


def place_unit_costs(db: Session) -> list[PlaceUnitCost]:
    return list(db.scalars(select(PlaceUnitCost).order_by(PlaceUnitCost.code)))


def local_entries(db: Session) -> list[LocalUnitCostEntry]:
    """The place's unit costs as a scenario file's `unit_costs` entries."""
    return [local_entry(cost) for cost in place_unit_costs(db)]


def local_entry(cost: PlaceUnitCost) -> LocalUnitCostEntry:
    return LocalUnitCostEntry.model_validate(
        {
            "code": cost.code,
            "description": cost.description,
            "agency": cost.agency,
            "unit": cost.unit,
            "value": float(cost.value),
            "price_year": financial_year_label(cost.price_year),
            "source": cost.source,
            "flag": cost.flag,
        }
    )


def search(db: Session, text: str) -> list[FoundUnitCost]:
    """The place's unit costs, then the database's, whose code, description, agency (or theme) hold every word."""
    words = text.casefold().split()
    place = [
        _from_place(cost)
        for cost in place_unit_costs(db)
        if all(word in f"{cost.code} {cost.description} {cost.agency}".casefold() for word in words)
    ]
    return place + [_from_database(cost) for cost in shipped_database().search(text)]


def _from_place(cost: PlaceUnitCost) -> FoundUnitCost:
    return FoundUnitCost(
        code=cost.code,
        description=cost.description,
        agency=cost.agency,
        unit=cost.unit,
        value=float(cost.value),
        price_year=financial_year_label(cost.price_year),
        source=cost.source,
        flag=Flag(cost.flag),
        attribution=f"place-specific unit cost: {cost.source}",
        from_place=True,
        added=f"added by {cost.added_by} on {cost.added_at:%-d %B %Y}",
    )


def _from_database(cost: UnitCost) -> FoundUnitCost:
    return FoundUnitCost(
        code=cost.reference,
        description=cost.description,
        agency=cost.agency,
        unit=cost.unit,
        value=float(cost.original_value),
        price_year=cost.price_year_label,
        source=cost.source,
        flag=cost.flag,
        attribution=f"{ATTRIBUTION} ({EDITION})",
        from_place=False,
        theme=cost.theme,
        url=cost.url,
    )
