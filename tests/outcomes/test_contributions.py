import pytest
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support import factories
from tests.support.factories import MOMENT
from wholeplace.core.errors import InvalidInputError
from wholeplace.core.models import Agency
from wholeplace.outcomes.models import Measure, Result
from wholeplace.outcomes.schemas import ContributionLevel, Gap
from wholeplace.outcomes.service import contributions


def _rate(db: Session, agency: Agency, result: Result, level: int, *measures: Measure) -> None:
    contributions.rate_contribution(
        db,
        agency_id=agency.id,
        result_id=result.id,
        level=ContributionLevel(level),
        measure_ids=[measure.id for measure in measures],
        by="lead",
        at=MOMENT,
    )


def test_the_matrix_shows_ratings_and_linked_measures(db: Session) -> None:
    police, schools = factories.agency(db), factories.agency(db)
    result = make.result(db)
    patrols = make.measure(db, of=make.programme(db, agency=police))
    _rate(db, police, result, 3, patrols)
    _rate(db, schools, result, 1)
    _rate(db, schools, result, 0)  # a second rating replaces the first
    matrix = contributions.contribution_matrix(db)
    assert result.id in matrix.result_ids and {police.id, schools.id} <= set(matrix.agency_ids)
    assert matrix.cells[police.id, result.id].level is ContributionLevel.LEAD
    assert matrix.cells[police.id, result.id].measure_ids == (patrols.id,)
    assert matrix.cells[schools.id, result.id].level is ContributionLevel.NONE
    assert [gap for gap in matrix.gaps if gap.result_id == result.id] == []


def test_a_priority_result_nobody_contributes_significantly_to_is_a_gap(db: Session) -> None:
    agency = factories.agency(db)
    result, other = make.result(db), make.result(db, priority=False)
    _rate(db, agency, result, 1, make.measure(db, of=make.programme(db, agency=agency)))
    matrix = contributions.contribution_matrix(db)
    assert other.id not in matrix.result_ids
    assert [gap.agency_id for gap in matrix.gaps if gap.result_id == result.id] == [None]


def test_a_rating_with_no_measure_of_its_own_is_a_gap(db: Session) -> None:
    agency = factories.agency(db)
    result = make.result(db)
    _rate(db, agency, result, 2)
    matrix = contributions.contribution_matrix(db)
    assert [gap for gap in matrix.gaps if gap.result_id == result.id] == [
        Gap(result_id=result.id, agency_id=agency.id, problem="The rating has no performance measure linked.")
    ]


def test_an_agency_links_only_its_own_measures(db: Session) -> None:
    agency, other = factories.agency(db), factories.agency(db)
    theirs = make.measure(db, of=make.programme(db, agency=other))
    with pytest.raises(InvalidInputError) as raised:
        _rate(db, agency, make.result(db), 2, theirs)
    assert raised.value.field == "measure_ids"


def test_contributions_are_rated_for_priority_results_only(db: Session) -> None:
    with pytest.raises(InvalidInputError) as raised:
        _rate(db, factories.agency(db), make.result(db, priority=False), 2)
    assert raised.value.field == "result_id"
