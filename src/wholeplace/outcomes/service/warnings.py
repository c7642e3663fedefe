"""Early warning: when new values are recorded for a measure, its whole-place series is put through the XmR rules,
and if the newest value is special cause concern, the measure's owner is told, once for each measure and period."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import NotFoundError
from wholeplace.outcomes import spc
from wholeplace.outcomes.models import MeasureValue, MeasureWarning
from wholeplace.outcomes.service import framework

WHOLE_PLACE = ""  # the neighbourhood of a value for the whole place
EVERYONE = ""  # the group of a value for everyone


def warn_if_concern(db: Session, *, measure_id: uuid.UUID, at: datetime) -> MeasureWarning | None:
    """Warn the owner if the newest whole-place value is special cause concern and no warning has been given for
    its period; the warning, or None."""
    found = framework.measure(db, measure_id)
    series = whole_place_values(db, found.id)
    if len(series) < 2:  # no limits from a single value
        return None
    newest = spc.analyse([value.value for value in series], polarity=spc.Polarity(found.polarity))[-1]
    period = series[-1].period
    if newest.variation is not spc.Variation.CONCERN or _warning_for(db, found.id, period) is not None:
        return None
    warning = MeasureWarning(
        measure_id=found.id,
        period=period,
        rules="".join(rule.value for rule in newest.rules),
        username=found.owner,
        created_at=at,
        read_at=None,
    )
    db.add(warning)
    db.flush()
    return warning


def whole_place_values(db: Session, measure_id: uuid.UUID) -> list[MeasureValue]:
    """The measure's values for the whole place and everyone, in period order."""
    return list(
        db.scalars(
            select(MeasureValue)
            .where(
                MeasureValue.measure_id == measure_id,
                MeasureValue.neighbourhood == WHOLE_PLACE,
                MeasureValue.population_group == EVERYONE,
            )
            .order_by(MeasureValue.period_start)
        )
    )


def _warning_for(db: Session, measure_id: uuid.UUID, period: str) -> MeasureWarning | None:
    return db.scalars(
        select(MeasureWarning).where(MeasureWarning.measure_id == measure_id, MeasureWarning.period == period)
    ).first()


def warnings_for(db: Session, username: str, *, unread_only: bool = False) -> list[MeasureWarning]:
    """A person's warnings, the newest first."""
    query = select(MeasureWarning).where(MeasureWarning.username == core.normalise_username(username))
    if unread_only:
        query = query.where(MeasureWarning.read_at.is_(None))
    return list(db.scalars(query.order_by(MeasureWarning.created_at.desc(), MeasureWarning.period.desc())))


def mark_read(db: Session, *, warning_id: uuid.UUID, username: str, at: datetime) -> MeasureWarning:
    """Mark one of a person's warnings read; reading it again keeps the first time."""
    warning = db.get(MeasureWarning, warning_id)
    if warning is None or warning.username != core.normalise_username(username):
        raise NotFoundError("There is no such warning.", fix="Go back to your warnings.")
    if warning.read_at is None:
        warning.read_at = at
        db.flush()
    return warning
