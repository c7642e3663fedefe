"""Investment cases kept in the database. Each save is a new version of the scenario file's structure (kept as
JSON), checked first by the same model and resolver as `wholeplace cba run`, with the place's own unit costs
usable by code; the old versions stay. A scenario goes out as the same YAML file the command reads, and a file
comes in as a scenario."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.money.deflators import financial_year_label
from wholeplace.money.models import NAME, PlaceUnitCost, ScenarioVersion, StoredScenario
from wholeplace.money.scenario import (
    InvalidScenarioError,
    Scenario,
    resolve_document,
    scenario_from_text,
)
from wholeplace.money.service import unit_costs
from wholeplace.money.yaml_fields import FieldProblem

# The order of a scenario file's fields, as docs/money.md writes them.
FILE_ORDER = ("name", "base_year", "years", "discounting", "costs", "outcomes", "optimism_bias", "unit_costs")
NOT_IN_THE_BROWSER = FieldProblem(
    ("deflators",),
    "names a file of GDP deflators, which a scenario kept here cannot use",
    fix="Remove deflators: and run the file with `wholeplace cba run FILE --deflators SERIES.csv` instead.",
)


class ScenarioInvalidError(InvalidInputError):
    """A scenario that cannot be kept: every problem, each with its field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__(f"The scenario has {len(problems)} problem{'s' if len(problems) != 1 else ''}.")
        self.problems = tuple(problems)


@dataclass(frozen=True)
class DrawnCohortNote:
    """What a scenario keeps about a cohort drawn from the linked data: the count and how it was drawn."""

    count: int
    description: str
    drawn_at: str

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "description": self.description, "drawn_at": self.drawn_at}


# ---------------------------------------------------------------- checking


def appraisable(db: Session, body: Mapping[str, Any]) -> Scenario:
    """The scenario a body describes, resolved with the place's unit costs; ScenarioInvalidError otherwise."""
    document = _restored(body)
    if "deflators" in document:
        raise ScenarioInvalidError([NOT_IN_THE_BROWSER])
    try:
        return resolve_document(
            document,
            path=Path(file_name(str(document.get("name") or "scenario"))),
            place_unit_costs=unit_costs.local_entries(db),
        )
    except InvalidScenarioError as error:
        raise ScenarioInvalidError(error.problems) from error


def _stored_form(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body as JSON keeps it (what is checked is exactly what is stored), fields in the file's order."""
    ordered = {key: body[key] for key in FILE_ORDER if key in body} | dict(body)
    stored: dict[str, Any] = json.loads(json.dumps(ordered, default=str))
    return stored


def _restored(body: Mapping[str, Any]) -> dict[str, Any]:
    """A stored body as a scenario file reads: JSON turned the optimism-bias table's grades into text."""
    document = dict(body)
    table = document.get("optimism_bias")
    if isinstance(table, dict):
        document["optimism_bias"] = {
            int(grade) if isinstance(grade, str) and grade.isdigit() else grade: value
            for grade, value in table.items()
        }
    return document


def file_name(name: str) -> str:
    """A scenario's name as a file's: "Family intervention" → "family-intervention.yaml"."""
    return (re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:80] or "scenario") + ".yaml"


# ---------------------------------------------------------------- keeping


def save(
    db: Session,
    *,
    body: Mapping[str, Any],
    cohorts: Mapping[int, DrawnCohortNote] | None = None,
    how: str,
    by: str,
    at: datetime,
    scenario_id: uuid.UUID | None = None,
) -> ScenarioVersion:
    """Keep the body as a new scenario, or as the next version of `scenario_id`, once it is checked whole."""
    stored = _stored_form(body)
    checked = appraisable(db, stored)
    name = checked.appraisal.name
    if len(name) > NAME:
        raise ScenarioInvalidError([FieldProblem(("name",), f"must be at most {NAME} characters")])
    scenario = get(db, scenario_id) if scenario_id else None
    if scenario is None:
        scenario = StoredScenario(name=name, latest_version=0, created_by=by, created_at=at, updated_at=at)
        db.add(scenario)
    number = scenario.latest_version + 1
    version = ScenarioVersion(
        version=number,
        name=name,
        body=stored,
        cohorts={str(index): note.as_json() for index, note in (cohorts or {}).items()},
        how=how[:NAME],
        saved_by=by,
        saved_at=at,
    )
    scenario.versions.append(version)
    scenario.name, scenario.latest_version, scenario.updated_at = name, number, at
    try:
        db.flush()
    except IntegrityError as error:
        raise ConflictError(
            f"Someone else saved version {number} of {name} at the same moment.",
            fix="Open the case again to see their version, then make your change.",
        ) from error
    return version


def list_scenarios(db: Session) -> list[StoredScenario]:
    """Every scenario, the latest changed first, with its versions."""
    query = (
        select(StoredScenario)
        .options(selectinload(StoredScenario.versions))
        .order_by(StoredScenario.updated_at.desc(), StoredScenario.name)
    )
    return list(db.scalars(query))


def get(db: Session, scenario_id: uuid.UUID) -> StoredScenario:
    found = db.get(StoredScenario, scenario_id)
    if found is None:
        raise NotFoundError("There is no such scenario.", fix="Choose one from the list of investment cases.")
    return found


def version_of(scenario: StoredScenario, number: int | None = None) -> ScenarioVersion:
    """The scenario's version with this number, or its latest."""
    wanted = scenario.latest_version if number is None else number
    for version in scenario.versions:
        if version.version == wanted:
            return version
    raise NotFoundError(
        f"{scenario.name} has no version {wanted}.",
        fix=f"Its versions run from 1 to {scenario.latest_version}.",
    )


def document(version: ScenarioVersion) -> dict[str, Any]:
    """The version's scenario file fields."""
    return _restored(version.body)


def cohort_notes(version: ScenarioVersion) -> dict[int, DrawnCohortNote]:
    return {int(index): DrawnCohortNote(**note) for index, note in version.cohorts.items()}


# ---------------------------------------------------------------- the file


def as_yaml(db: Session, version: ScenarioVersion) -> str:
    """The version as a scenario file for `wholeplace cba run`: the place's unit costs it uses written in, and
    how any cohort was drawn said in a comment."""
    fields = document(version)
    fields["unit_costs"] = list(fields.get("unit_costs") or []) + [
        _file_entry(cost) for cost in _place_costs_used(db, fields)
    ]
    if not fields["unit_costs"]:
        del fields["unit_costs"]
    header = [
        f"# {version.name}: version {version.version}, saved by {version.saved_by} on {version.saved_at:%-d %B %Y}.",
        "# Run it with: wholeplace cba run THIS-FILE.yaml",
    ]
    for index, note in sorted(cohort_notes(version).items()):
        header.append(f"# outcomes[{index}].cohort {note.count}: {note.description} (drawn {note.drawn_at})")
    body = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=110)
    return "\n".join(header) + "\n" + body


def _place_costs_used(db: Session, fields: Mapping[str, Any]) -> list[PlaceUnitCost]:
    own = {str(cost.get("code", "")).casefold() for cost in fields.get("unit_costs") or []}
    wanted = {
        str(outcome.get("unit_cost_code", "")).casefold()
        for outcome in fields.get("outcomes") or []
        if isinstance(outcome, dict) and outcome.get("unit_cost_code")
    }
    return [
        cost
        for cost in unit_costs.place_unit_costs(db)
        if cost.code.casefold() in wanted and cost.code.casefold() not in own
    ]


def _file_entry(cost: PlaceUnitCost) -> dict[str, Any]:
    return {
        "code": cost.code,
        "description": cost.description,
        "agency": cost.agency,
        "unit": cost.unit,
        "value": float(cost.value),
        "price_year": financial_year_label(cost.price_year),
        "source": cost.source,
        "flag": cost.flag,
    }


def read_file(db: Session, text: str, *, name: str) -> dict[str, Any]:
    """A scenario file's fields, checked as `wholeplace cba run` checks it (with the place's unit costs); an
    IngestError lists every problem with its field and line."""
    path = Path(name)
    if re.search(r"^deflators\s*:", text, flags=re.MULTILINE):
        raise ScenarioInvalidError([NOT_IN_THE_BROWSER])
    scenario_from_text(text, path=path, place_unit_costs=unit_costs.local_entries(db))
    fields: dict[str, Any] = yaml.safe_load(text)
    return fields
