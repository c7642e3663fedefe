"""Duplication in the place's linked data: what the households many agencies work with cost them together in a
year, priced by a cost book (see money.duplication for the rules and the suppression of small numbers); and the
place's cost book, each loaded file kept version by version, the latest in use."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import IngestError, InvalidInputError, NotFoundError
from wholeplace.identity import service as identity
from wholeplace.money.cost_book import CostBook, cost_book_from_text
from wholeplace.money.duplication import Duplication, duplication, financial_year_bounds
from wholeplace.money.models import NAME, CostBookVersion
from wholeplace.outcomes.service.computing import gather
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

LONGEST_FILE = 1 << 20


def measure(db: Session, lake: Lake, book: CostBook, *, year: str) -> Duplication:
    """Duplication in the financial year `year` ("2025-26") across the latest linkage run's households."""
    try:
        bounds = financial_year_bounds(year)
    except ValueError as error:
        raise InvalidInputError(
            str(error), field="year", fix="Give a financial year such as 2025-26."
        ) from error
    require_linked(db)
    return duplication(gather(db, lake), agencies=agencies_by_source(db), prices=book.as_table(), year=bounds)


def agencies_by_source(db: Session) -> dict[str, str]:
    """Each source's name with the name of the agency that holds it."""
    names = {agency.id: agency.name for agency in core.list_agencies(db)}
    return {source.name: names[source.agency_id] for source in sources.list_sources(db)}


def require_linked(db: Session) -> None:
    """Refuse before the place's records are linked: the figures follow people and households."""
    if identity.latest_run(db) is None:
        raise NotFoundError(
            "The linked data hold no households yet.",
            fix="Load the agencies' records and link them (wholeplace link) first.",
        )


def load_book(db: Session, *, text: str, file_name: str, by: str, at: datetime) -> CostBookVersion:
    """Check a cost book's file and keep it as the place's cost book."""
    if len(text.encode("utf-8")) > LONGEST_FILE:
        raise IngestError("The file is larger than a cost book can be (1 MB).", file=file_name)
    book = cost_book_from_text(text, path=Path(file_name), folder=None)
    version = CostBookVersion(
        name=book.name[:NAME], text=text, file_name=Path(file_name).name[:NAME], loaded_by=by, loaded_at=at
    )
    db.add(version)
    db.flush()
    return version


def place_cost_book(db: Session) -> CostBook:
    """The place's cost book in use, or an error saying how to keep one."""
    kept = current_book(db)
    if kept is None:
        raise NotFoundError(
            "The place has no cost book yet.",
            fix="Name a cost book file, or keep one with: wholeplace spend load-cost-book FILE",
        )
    return kept[1]


def current_book(db: Session) -> tuple[CostBookVersion, CostBook] | None:
    """The place's cost book in use, with the version it was read from; None before one is loaded."""
    version = db.scalars(select(CostBookVersion).order_by(CostBookVersion.id.desc()).limit(1)).first()
    if version is None:
        return None
    return version, cost_book_from_text(version.text, path=Path(version.file_name), folder=None)
