"""Turning the curve, for each indicator: the baseline with its forecast if nothing changes, and the partners'
record of the story behind the curve, who has a role, what works (low-cost and no-cost ideas too) and the action
plan. Each review is a new dated version by a named person; earlier reviews are kept as they were."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.core.errors import ConflictError, InvalidInputError
from wholeplace.outcomes import forecast, periods
from wholeplace.outcomes.models import CurveReview, Measure
from wholeplace.outcomes.schemas import (
    Action,
    ActionStatus,
    BaselineForecast,
    Cost,
    Idea,
    MeasureKind,
    Partner,
    SeriesPoint,
)
from wholeplace.outcomes.service import framework, values


def review_curve(
    db: Session,
    *,
    measure_id: uuid.UUID,
    reviewed_on: date,
    story: str,
    partners: Sequence[Partner],
    what_works: Sequence[Idea],
    actions: Sequence[Action],
    by: str,
    at: datetime,
) -> CurveReview:
    """Record a review of an indicator's turn-the-curve record as its next version."""
    indicator = _indicator(db, measure_id)
    if reviewed_on > at.date():
        raise InvalidInputError(
            "The review date is in the future.", field="reviewed_on", fix="Enter the day it was held."
        )
    latest = latest_review(db, indicator.id)
    if latest is not None and reviewed_on < latest.reviewed_on:
        raise InvalidInputError(
            f"The last review was on {latest.reviewed_on:%-d %B %Y}.",
            field="reviewed_on",
            fix="Enter a day on or after it: each review follows the one before.",
        )
    story = story.strip()
    if not story:
        raise InvalidInputError(
            "Tell the story behind the curve.", field="story", fix="Say why the indicator is where it is."
        )
    _each_filled(partners, "partners", "Give each partner a name and a role.")
    _each_filled(what_works, "what_works", "Describe each idea.")
    _each_filled(actions, "actions", "Say what each action is and who will do it.")
    review = CurveReview(
        measure_id=indicator.id,
        version=latest.version + 1 if latest else 1,
        reviewed_on=reviewed_on,
        reviewed_by=by,
        story=story,
        partners=[_as_json(partner) for partner in partners],
        what_works=[_as_json(idea) for idea in what_works],
        actions=[_as_json(action) for action in actions],
        recorded_at=at,
    )
    db.add(review)
    db.flush()
    return review


def _indicator(db: Session, measure_id: uuid.UUID) -> Measure:
    found = framework.measure(db, measure_id)
    if found.kind != MeasureKind.INDICATOR:
        raise ConflictError(
            "Curves are turned for indicators, not performance measures.",
            fix="Choose an indicator of a result.",
        )
    return found


def _each_filled(items: Sequence[Partner | Idea | Action], field: str, fix: str) -> None:
    for position, item in enumerate(items):
        texts = [value for value in asdict(item).values() if isinstance(value, str)]
        if any(not text.strip() for text in texts):
            raise InvalidInputError(
                f"Item {position + 1} is not filled in.", field=f"{field}.{position}", fix=fix
            )


def _as_json(item: Partner | Idea | Action) -> dict[str, Any]:
    return {
        name: value.isoformat()
        if isinstance(value, date)
        else value.strip()
        if isinstance(value, str)
        else value
        for name, value in asdict(item).items()
    }


def reviews_of(db: Session, measure_id: uuid.UUID) -> list[CurveReview]:
    """Every review of the indicator's record, the latest first."""
    return list(
        db.scalars(
            select(CurveReview)
            .where(CurveReview.measure_id == measure_id)
            .order_by(CurveReview.version.desc())
        )
    )


def latest_review(db: Session, measure_id: uuid.UUID) -> CurveReview | None:
    reviews = reviews_of(db, measure_id)
    return reviews[0] if reviews else None


def partners_of(review: CurveReview) -> list[Partner]:
    return [Partner(**item) for item in review.partners]


def ideas_of(review: CurveReview) -> list[Idea]:
    return [Idea(idea=item["idea"], cost=Cost(item["cost"])) for item in review.what_works]


def actions_of(review: CurveReview) -> list[Action]:
    return [
        Action(
            action=item["action"],
            who=item["who"],
            due_on=date.fromisoformat(item["due_on"]) if item["due_on"] else None,
            # Reviews recorded before actions had a status read as not started.
            status=ActionStatus(item.get("status", ActionStatus.NOT_STARTED)),
        )
        for item in review.actions
    ]


def baseline_forecast(db: Session, *, measure_id: uuid.UUID, ahead: int) -> BaselineForecast:
    """The indicator's whole-place baseline series (its values up to its baseline period, or all of them), the
    straight-line trend through it, and that trend carried on for `ahead` periods after the baseline."""
    indicator = _indicator(db, measure_id)
    points = values.series(db, measure_id=indicator.id).points
    if indicator.baseline_period:
        end = periods.parse(indicator.baseline_period).start
        points = [point for point in points if periods.parse(point.period).start <= end]
    if len(points) < 2:
        raise ConflictError(
            "A forecast needs at least two values up to the baseline.",
            fix="Import the indicator's values for earlier periods.",
        )
    return BaselineForecast(
        baseline=points,
        trend=forecast.linear_trend([point.value for point in points]),
        forecast=list(
            zip(
                (period.text for period in _periods_after(points, ahead)),
                forecast.forecast([point.value for point in points], ahead=ahead),
                strict=True,
            )
        ),
    )


def _periods_after(points: Sequence[SeriesPoint], ahead: int) -> list[periods.Period]:
    last, before = periods.parse(points[-1].period), periods.parse(points[-2].period)
    days = (last.start - before.start).days if last.kind is periods.PeriodKind.DAY else 1
    return periods.following(last, ahead, days=days)
