"""Duplication in the place's linked data: what the households many agencies work with cost them together in a
year, priced by a cost book (see money.duplication for the rules and the suppression of small numbers)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.identity import service as identity
from wholeplace.money.cost_book import CostBook
from wholeplace.money.duplication import Duplication, duplication, financial_year_bounds
from wholeplace.outcomes.service.computing import gather
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake


def measure(db: Session, lake: Lake, book: CostBook, *, year: str) -> Duplication:
    """Duplication in the financial year `year` ("2025-26") across the latest linkage run's households."""
    try:
        bounds = financial_year_bounds(year)
    except ValueError as error:
        raise InvalidInputError(
            str(error), field="year", fix="Give a financial year such as 2025-26."
        ) from error
    if identity.latest_run(db) is None:
        raise NotFoundError(
            "The linked data hold no households yet.",
            fix="Load the agencies' records and link them (wholeplace link) first.",
        )
    names = {agency.id: agency.name for agency in core.list_agencies(db)}
    agencies = {source.name: names[source.agency_id] for source in sources.list_sources(db)}
    return duplication(gather(db, lake), agencies=agencies, prices=book.as_table(), year=bounds)
