"""Cracks in the jigsaw over the place's linked data: the costs that follow one agency's event across the agencies
of the place, beside a comparison group matched on age, sex and neighbourhood (see money.cracks for the rules and
the suppression of small numbers), priced by the place's cost book."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from wholeplace.money.cost_book import CostBook
from wholeplace.money.cracks import Cracks, Trigger, cracks
from wholeplace.money.service.duplication import agencies_by_source, require_linked
from wholeplace.outcomes.indicators import LinkedData
from wholeplace.outcomes.service.computing import gather
from wholeplace.sources.lake import Lake


@dataclass(frozen=True)
class Study:
    """The events that could open a window, (agency, event type), and what followed the one asked about."""

    offered: list[tuple[str, str]]
    found: Cracks | None


def measure(db: Session, lake: Lake, book: CostBook, trigger: Trigger | None) -> Study:
    """What follows the trigger's events in the latest linkage run's people, at the cost book's prices; with no
    trigger, only what could be asked about."""
    require_linked(db)
    linked, agencies = gather(db, lake), agencies_by_source(db)
    found = None
    if trigger is not None:
        found = cracks(linked, agencies=agencies, prices=book.as_table(), trigger=trigger)
    return Study(recorded_event_types(linked, agencies), found)


def recorded_event_types(linked: LinkedData, agencies: dict[str, str]) -> list[tuple[str, str]]:
    """Each agency with each type of event its sources record in the linked data, in order."""
    pairs = linked.events.select(["source", "type"]).group_by(["source", "type"]).aggregate([])
    found = {
        (agencies[source], kind)
        for source, kind in zip(pairs["source"].to_pylist(), pairs["type"].to_pylist(), strict=True)
        if source in agencies and kind
    }
    return sorted(found)
