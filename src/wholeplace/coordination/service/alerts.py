"""Alerts: what reaches a worker's inbox about a household they work with. Each alert says only what the access
decision behind it released, and the same thing alerts the same worker once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.coordination.models import Alert


def notify(
    db: Session,
    *,
    username: str,
    household_id: str,
    kind: str,
    about: str,
    summary: str,
    occurred_on: date | None,
    at: datetime,
    decision_position: int | None,
) -> Alert | None:
    """Put an alert in the worker's inbox, unless one about the same thing is there already (then None)."""
    already = db.scalar(select(Alert.id).where(Alert.username == username, Alert.about == about))
    if already is not None:
        return None
    alert = Alert(
        username=username,
        household_id=household_id,
        kind=kind,
        about=about,
        summary=summary,
        occurred_on=occurred_on,
        created_at=at,
        decision_position=decision_position,
        read_at=None,
    )
    db.add(alert)
    db.flush()
    return alert
