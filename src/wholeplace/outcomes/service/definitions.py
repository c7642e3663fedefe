"""Versioned definitions of computed values. A definition names a computation by key, gives its parameters and
says in plain words what it counts; changing any of them makes a new version with who, when and why, and the old
versions stay. Values computed under a definition carry its version, so a series shows where the definition
changed. The computations over the linked data are not here: a definition can be agreed before its computation
exists, and the key is what the computation will be registered under."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.outcomes import indicators
from wholeplace.outcomes.models import SHORT, Definition
from wholeplace.outcomes.service import framework

KEY = re.compile(rf"^[a-z][a-z0-9_]{{0,{SHORT - 1}}}$")


def define(
    db: Session,
    *,
    measure_id: uuid.UUID,
    key: str,
    parameters: Mapping[str, Any],
    description: str,
    reason: str,
    by: str,
    at: datetime,
) -> Definition:
    """Define how a measure's values are computed, or change the definition: a new version, the old kept. A
    change needs a reason; the first definition's reason may be empty."""
    found = framework.measure(db, measure_id)
    current = current_definition(db, found.id)
    key = key.strip()
    if not KEY.match(key):
        raise InvalidInputError(
            "The key names no computation.",
            field="key",
            fix=f"Use lower-case letters, digits and underscores, starting with a letter, at most {SHORT}.",
        )
    kept_parameters = _as_json(parameters)
    description = description.strip()
    if not description:
        raise InvalidInputError(
            "Say in plain words what the definition counts.",
            field="description",
            fix="For example: pupils missing 10% or more of sessions, as a share of pupils on roll.",
        )
    reason = reason.strip()
    if current is not None:
        if (current.key, current.parameters, current.description) == (key, kept_parameters, description):
            raise ConflictError(
                "This is the definition already in use.", fix="Change it, or leave it as it is."
            )
        if not reason:
            raise InvalidInputError(
                "Say why the definition changes.",
                field="reason",
                fix="The reason is shown where charts mark it.",
            )
    definition = Definition(
        measure_id=found.id,
        version=current.version + 1 if current else 1,
        key=key,
        parameters=kept_parameters,
        description=description,
        reason=reason,
        changed_by=by,
        changed_at=at,
    )
    db.add(definition)
    db.flush()
    return definition


def _as_json(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as they will read back from a JSON column, or an error if they cannot be kept."""
    try:
        kept: dict[str, Any] = json.loads(json.dumps(dict(parameters), sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InvalidInputError(
            f"The parameters cannot be kept: {error}.",
            field="parameters",
            fix="Use text, whole or decimal numbers, true/false, lists and named values only.",
        ) from error
    return kept


def current_definition(db: Session, measure_id: uuid.UUID) -> Definition | None:
    return db.scalars(
        select(Definition).where(Definition.measure_id == measure_id).order_by(Definition.version.desc())
    ).first()


def definitions_of(db: Session, measure_id: uuid.UUID) -> list[Definition]:
    """Every version of the measure's definition, the first first."""
    return list(
        db.scalars(select(Definition).where(Definition.measure_id == measure_id).order_by(Definition.version))
    )


def definition(db: Session, *, measure_id: uuid.UUID, version: int) -> Definition:
    found = db.scalars(
        select(Definition).where(Definition.measure_id == measure_id, Definition.version == version)
    ).first()
    if found is None:
        raise NotFoundError(
            f"The measure has no definition version {version}.", fix="Go back to the measure."
        )
    return found


def defined_measures(db: Session) -> list[uuid.UUID]:
    """The measures that have a definition, in the order they were first defined."""
    first_defined = (
        select(Definition.measure_id, func.min(Definition.changed_at).label("since"))
        .group_by(Definition.measure_id)
        .subquery()
    )
    return list(
        db.scalars(
            select(first_defined.c.measure_id).order_by(first_defined.c.since, first_defined.c.measure_id)
        )
    )


def define_computation(
    db: Session,
    *,
    measure_id: uuid.UUID,
    key: str,
    parameters: Mapping[str, Any],
    description: str,
    reason: str,
    by: str,
    at: datetime,
) -> Definition:
    """Define a measure by a computation the registry holds (outcomes/indicators.py): the key must be
    registered and the parameters right for it, each typed or kept; a parameter left out takes its default, and
    the definition keeps every parameter's value, so that a later change of default changes no version."""
    try:
        checked = indicators.indicator(key).checked(parameters)
    except indicators.ParameterError as error:
        raise InvalidInputError(
            str(error),
            field="key" if error.parameter == "key" else "parameters",
            fix="Choose a registered computation and give its parameters as name = value."
            if error.parameter == "key"
            else "Correct the parameter named, or leave it out for its default.",
        ) from error
    return define(
        db,
        measure_id=measure_id,
        key=key,
        parameters=checked,
        description=description,
        reason=reason,
        by=by,
        at=at,
    )
