"""Who delivers which part: each agency rates its contribution to each priority result (schemas.ContributionLevel:
0 none, 1 minor, 2 significant, 3 lead) and links performance measures of its own programmes to it. The matrix of
agencies by priority results shows the ratings and the gaps: a priority result that no agency rates significant
or lead, and a rating above none with no measure linked to show the contribution."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import InvalidInputError
from wholeplace.outcomes.models import Contribution, ContributionMeasure, Measure, Programme, Result
from wholeplace.outcomes.schemas import ContributionLevel, ContributionMatrix, Gap, MatrixCell
from wholeplace.outcomes.service import framework


def rate_contribution(
    db: Session,
    *,
    agency_id: uuid.UUID,
    result_id: uuid.UUID,
    level: ContributionLevel,
    measure_ids: Sequence[uuid.UUID],
    by: str,
    at: datetime,
) -> Contribution:
    """Set an agency's rating of its contribution to a priority result and the measures it links to it,
    replacing any rating it gave before."""
    agency = core.get_agency(db, agency_id)
    result = framework.result(db, result_id)
    if not result.is_priority:
        raise InvalidInputError(
            f"{result.title!r} is not a priority result.",
            field="result_id",
            fix="Rate contributions to the partnership's priority results.",
        )
    if level not in set(ContributionLevel):
        raise InvalidInputError(
            "Choose a rating from 0 (none) to 3 (lead).",
            field="level",
            fix="0 none, 1 minor, 2 significant, 3 lead.",
        )
    _check_own_measures(db, agency.id, measure_ids)
    contribution = db.scalars(
        select(Contribution).where(Contribution.agency_id == agency.id, Contribution.result_id == result.id)
    ).first()
    if contribution is None:
        contribution = Contribution(agency_id=agency.id, result_id=result.id)
        db.add(contribution)
    contribution.rating = ContributionLevel(level).value
    contribution.rated_by = by
    contribution.rated_at = at
    db.flush()
    db.execute(delete(ContributionMeasure).where(ContributionMeasure.contribution_id == contribution.id))
    db.add_all(
        ContributionMeasure(contribution_id=contribution.id, measure_id=one)
        for one in dict.fromkeys(measure_ids)
    )
    db.flush()
    return contribution


def _check_own_measures(db: Session, agency_id: uuid.UUID, measure_ids: Sequence[uuid.UUID]) -> None:
    own = set(
        db.scalars(
            select(Measure.id)
            .join(Programme, Measure.programme_id == Programme.id)
            .where(Programme.agency_id == agency_id, Measure.id.in_(measure_ids))
        )
    )
    if set(measure_ids) - own:
        raise InvalidInputError(
            "A linked measure is not a performance measure of the agency's own programmes.",
            field="measure_ids",
            fix="Link only measures of programmes the agency runs.",
        )


def contribution_matrix(db: Session) -> ContributionMatrix:
    """Every agency of the place by every priority result, with the gaps."""
    agency_ids = [agency.id for agency in core.list_agencies(db)]
    result_ids = list(db.scalars(select(Result.id).where(Result.is_priority).order_by(Result.title)))
    linked: dict[uuid.UUID, list[uuid.UUID]] = {}
    for link in db.scalars(select(ContributionMeasure).order_by(ContributionMeasure.measure_id)):
        linked.setdefault(link.contribution_id, []).append(link.measure_id)
    cells = {
        (contribution.agency_id, contribution.result_id): MatrixCell(
            level=ContributionLevel(contribution.rating), measure_ids=tuple(linked.get(contribution.id, ()))
        )
        for contribution in db.scalars(select(Contribution).where(Contribution.result_id.in_(result_ids)))
    }
    return ContributionMatrix(
        agency_ids=agency_ids, result_ids=result_ids, cells=cells, gaps=_gaps(agency_ids, result_ids, cells)
    )


def _gaps(
    agency_ids: Sequence[uuid.UUID],
    result_ids: Sequence[uuid.UUID],
    cells: dict[tuple[uuid.UUID, uuid.UUID], MatrixCell],
) -> list[Gap]:
    gaps: list[Gap] = []
    for result_id in result_ids:
        column = [(agency_id, cells.get((agency_id, result_id))) for agency_id in agency_ids]
        if all(cell is None or cell.level < ContributionLevel.SIGNIFICANT for _, cell in column):
            gaps.append(
                Gap(result_id=result_id, agency_id=None, problem="No agency contributes significantly.")
            )
        gaps.extend(
            Gap(
                result_id=result_id,
                agency_id=agency_id,
                problem="The rating has no performance measure linked.",
            )
            for agency_id, cell in column
            if cell is not None and cell.level > ContributionLevel.NONE and not cell.measure_ids
        )
    return gaps
