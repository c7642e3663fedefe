"""How a scorecard shows its tiles: each with its sparkline's spec and the sentence that stands for it, and the
words and tag colours the tile partial (outcomes/scorecard_parts.html) reads. The place's, a programme's and a
partnership's scorecards, and a measure's page, share them."""

from __future__ import annotations

from typing import Any

from wholeplace.outcomes import charts, scorecard
from wholeplace.outcomes.schemas import MeasureKind
from wholeplace.outcomes.scorecard import Signal, TargetStatus, Tile
from wholeplace.outcomes.views.exports import Section

SIGNAL_TAGS = {  # GOV.UK tag colours; the words say the same, so colour is never the only sign
    Signal.IMPROVEMENT: "",  # the tag's own blue
    Signal.CONCERN: "govuk-tag--orange",
    Signal.COMMON_CAUSE: "govuk-tag--grey",
    Signal.NOT_ENOUGH_DATA: "govuk-tag--grey",
}
TARGET_TAGS = {
    TargetStatus.MET: "govuk-tag--green",
    TargetStatus.NOT_MET: "govuk-tag--red",
    TargetStatus.NO_TARGET: "govuk-tag--grey",
    TargetStatus.NO_VALUE: "govuk-tag--grey",
}
LABELS = {
    "signals": scorecard.SIGNAL_LABELS,
    "signal_tags": SIGNAL_TAGS,
    "targets": scorecard.TARGET_LABELS,
    "target_tags": TARGET_TAGS,
    "kinds": scorecard.KIND_LABELS,
    "polarities": scorecard.POLARITY_LABELS,
}


def shown_section(section: Section) -> dict[str, Any]:
    return {"section": section, "tiles": [shown_tile(one) for one in section.tiles]}


def shown_tile(one: Tile) -> dict[str, Any]:
    """A tile with its sparkline's spec and the sentence that stands for it."""
    described = scorecard.describe(one.points, one.measure.unit)
    return {
        "tile": one,
        "id": f"spark-{one.measure.id}",
        "description": f"Small chart of {one.measure.title}. {described}",
        "spec": charts.sparkline(one.points, description=described) if len(one.points) > 1 else None,
        "turns_curve": one.measure.kind is MeasureKind.INDICATOR,
    }
