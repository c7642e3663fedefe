"""The partners' framework, Results-Based Accountability's way: results (conditions of wellbeing for the place or
a group in it) with their indicators, and programmes with their performance measures (how much, how well, is
anyone better off). Each result, indicator and measure has an accountable owner, a polarity, a unit, a baseline,
targets, and a place on the data development agenda while its data do not yet exist."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.outcomes import periods
from wholeplace.outcomes.models import NAME, SHORT, Accountable, Measure, Programme, Result
from wholeplace.outcomes.schemas import PERFORMANCE_KINDS, Accountability, MeasureKind
from wholeplace.outcomes.values_file import LONGEST_VALUE


def add_result(
    db: Session,
    *,
    title: str,
    population_group: str | None,
    is_priority: bool,
    accountability: Accountability,
    by: str,
    at: datetime,
) -> Result:
    """Add a result for the whole place (no group) or for a named group in it."""
    title = _required(title, "title", "Enter the result, as a condition of wellbeing.")
    if db.scalars(select(Result).where(Result.title == title)).first() is not None:
        raise ConflictError(f"There is already a result {title!r}.", fix="Give this result another title.")
    result = Result(
        title=title,
        population_group=_optional(population_group, "population_group"),
        is_priority=is_priority,
        created_by=by,
        created_at=at,
    )
    _hold_to_account(db, result, accountability)
    db.add(result)
    db.flush()
    return result


def add_programme(
    db: Session, *, agency_id: uuid.UUID, name: str, description: str, owner: str, by: str, at: datetime
) -> Programme:
    """Add a programme or service an agency runs."""
    agency = core.get_agency(db, agency_id)
    name = _required(name, "name", "Enter the programme's name.")
    clash = select(Programme).where(Programme.agency_id == agency.id, Programme.name == name)
    if db.scalars(clash).first() is not None:
        raise ConflictError(f"{agency.name} already has a programme {name!r}.", fix="Give it another name.")
    programme = Programme(
        agency_id=agency.id,
        name=name,
        description=description.strip(),
        owner=_owner(db, owner),
        created_by=by,
        created_at=at,
    )
    db.add(programme)
    db.flush()
    return programme


def add_indicator(
    db: Session, *, result_id: uuid.UUID, title: str, accountability: Accountability, by: str, at: datetime
) -> Measure:
    """Add an indicator that tells how the result is doing."""
    return _add_measure(
        db,
        Measure(kind=MeasureKind.INDICATOR.value, result_id=result(db, result_id).id),
        title=title,
        accountability=accountability,
        by=by,
        at=at,
    )


def add_performance_measure(
    db: Session,
    *,
    programme_id: uuid.UUID,
    kind: MeasureKind,
    title: str,
    accountability: Accountability,
    by: str,
    at: datetime,
) -> Measure:
    """Add a measure of how much a programme did, how well, or whether anyone is better off."""
    if kind not in PERFORMANCE_KINDS:
        raise InvalidInputError(
            "Choose how much, how well, or is anyone better off.",
            field="kind",
            fix="An indicator belongs to a result, not a programme.",
        )
    return _add_measure(
        db,
        Measure(kind=kind.value, programme_id=programme(db, programme_id).id),
        title=title,
        accountability=accountability,
        by=by,
        at=at,
    )


def change_accountability(db: Session, *, measure_id: uuid.UUID, accountability: Accountability) -> Measure:
    """Change a measure's owner, polarity, unit, baseline, targets or place on the data development agenda."""
    found = measure(db, measure_id)
    _hold_to_account(db, found, accountability)
    db.flush()
    return found


def change_result(
    db: Session,
    *,
    result_id: uuid.UUID,
    title: str,
    population_group: str | None,
    is_priority: bool,
    accountability: Accountability,
) -> Result:
    """Change a result's title, population group, priority or accountability."""
    found = result(db, result_id)
    title = _required(title, "title", "Enter the result, as a condition of wellbeing.")
    clash = select(Result).where(Result.title == title, Result.id != found.id)
    if db.scalars(clash).first() is not None:
        raise ConflictError(f"There is already a result {title!r}.", fix="Give this result another title.")
    population_group = _optional(population_group, "population_group")
    _hold_to_account(db, found, accountability)
    found.title = title
    found.population_group = population_group
    found.is_priority = is_priority
    db.flush()
    return found


def _add_measure(
    db: Session, measure: Measure, *, title: str, accountability: Accountability, by: str, at: datetime
) -> Measure:
    measure.title = _required(title, "title", "Enter what the measure counts.")
    measure.created_by = by
    measure.created_at = at
    _hold_to_account(db, measure, accountability)
    db.add(measure)
    db.flush()
    return measure


def _hold_to_account(db: Session, subject: Accountable, accountability: Accountability) -> None:
    """Check an accountability whole, then write it on a result or a measure: a refusal changes nothing."""
    owner = _owner(db, accountability.owner)
    unit = _required(accountability.unit, "unit", "Enter the unit, such as % of pupils or per 1,000.")
    if len(unit) > SHORT:
        raise InvalidInputError(f"The unit is longer than {SHORT} characters.", field="unit")
    baseline = accountability.baseline
    baseline_value = _number(baseline.value, "baseline_value") if baseline else None
    baseline_period = _period(baseline.period, "baseline_period").text if baseline else None
    targets = _targets(accountability.targets, baseline_period=baseline_period)
    note = accountability.data_agenda_note.strip()
    if accountability.on_data_agenda and not note:
        raise InvalidInputError(
            "Say what data are missing.",
            field="data_agenda_note",
            fix="Name the data and who might hold them.",
        )
    subject.owner = owner
    subject.polarity = accountability.polarity.value
    subject.unit = unit
    subject.baseline_value = baseline_value
    subject.baseline_period = baseline_period
    subject.targets = targets
    subject.on_data_agenda = accountability.on_data_agenda
    subject.data_agenda_note = note if accountability.on_data_agenda else ""


def _owner(db: Session, username: str) -> str:
    user = core.find_user(db, username)
    if user is None or not user.is_active:
        raise InvalidInputError(
            f"There is no active user {username.strip()!r}.",
            field="owner",
            fix="Choose the accountable person from the place's users.",
        )
    return user.username


def _targets(targets: Mapping[str, Decimal], *, baseline_period: str | None) -> dict[str, str]:
    parsed = {_period(text, "targets"): _number(value, "targets") for text, value in targets.items()}
    kinds = {period.kind for period in parsed} | (
        {periods.parse(baseline_period).kind} if baseline_period else set()
    )
    if len(kinds) > 1:
        raise InvalidInputError(
            "The baseline and the targets are for different kinds of period.",
            field="targets",
            fix="Give every target, and the baseline, the same kind of period (all years, or all quarters).",
        )
    return {period.text: str(value) for period, value in sorted(parsed.items())}


def _period(text: str, field: str) -> periods.Period:
    try:
        return periods.parse(text)
    except periods.PeriodError as error:
        raise InvalidInputError(str(error), field=field, fix=f"Write it as {periods.EXAMPLES}.") from error


def _number(value: Decimal, field: str) -> Decimal:
    if not value.is_finite() or len(str(value)) > LONGEST_VALUE:
        raise InvalidInputError(f"{value} is not a number that can be kept.", field=field)
    return value


def _required(text: str, field: str, fix: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInputError("This cannot be empty.", field=field, fix=fix)
    if len(cleaned) > NAME:
        raise InvalidInputError(f"This is longer than {NAME} characters.", field=field, fix="Shorten it.")
    return cleaned


def _optional(text: str | None, field: str) -> str | None:
    if text is None or not text.strip():
        return None
    return _required(text, field, "")


def result(db: Session, result_id: uuid.UUID) -> Result:
    found = db.get(Result, result_id)
    if found is None:
        raise NotFoundError("There is no such result.", fix="Go back to the framework.")
    return found


def programme(db: Session, programme_id: uuid.UUID) -> Programme:
    found = db.get(Programme, programme_id)
    if found is None:
        raise NotFoundError("There is no such programme.", fix="Go back to the framework.")
    return found


def measure(db: Session, measure_id: uuid.UUID) -> Measure:
    found = db.get(Measure, measure_id)
    if found is None:
        raise NotFoundError("There is no such measure.", fix="Go back to the framework.")
    return found


def results(db: Session) -> list[Result]:
    """Every result, the priorities first, then by title."""
    return list(db.scalars(select(Result).order_by(Result.is_priority.desc(), Result.title)))


def programmes(db: Session) -> list[Programme]:
    return list(db.scalars(select(Programme).order_by(Programme.name)))


def indicators_of(db: Session, result_id: uuid.UUID) -> list[Measure]:
    return list(db.scalars(select(Measure).where(Measure.result_id == result_id).order_by(Measure.title)))


def measures_of(db: Session, programme_id: uuid.UUID) -> list[Measure]:
    """A programme's performance measures: how much, then how well, then better off."""
    found = db.scalars(select(Measure).where(Measure.programme_id == programme_id).order_by(Measure.title))
    order = {kind.value: position for position, kind in enumerate(PERFORMANCE_KINDS)}
    return sorted(found, key=lambda one: order[one.kind])


def data_agenda(db: Session) -> list[Result | Measure]:
    """Every result and measure whose data do not yet exist."""
    flagged_results: list[Result | Measure] = list(
        db.scalars(select(Result).where(Result.on_data_agenda).order_by(Result.title))
    )
    flagged_measures = db.scalars(select(Measure).where(Measure.on_data_agenda).order_by(Measure.title))
    return flagged_results + list(flagged_measures)


def owned_by(db: Session, username: str) -> list[Measure]:
    """The measures a person is accountable for."""
    owner = core.normalise_username(username)
    return list(db.scalars(select(Measure).where(Measure.owner == owner).order_by(Measure.title)))
