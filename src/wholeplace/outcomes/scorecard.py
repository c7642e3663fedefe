"""Scorecards, Results-Based Accountability's way: a tile for each measure with its latest whole-place value,
what an XmR chart says of that value, and whether it met the period's target; and each point of a series with the
reading its chart and its table show. Pure: plain data in, plain data out."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from wholeplace.core.figures import readable
from wholeplace.outcomes import spc
from wholeplace.outcomes.schemas import MeasureKind, SeriesPoint
from wholeplace.outcomes.spc import Polarity


class Signal(StrEnum):
    """What the XmR rules say of a point, or that there are too few points for limits."""

    IMPROVEMENT = "improvement"
    CONCERN = "concern"
    COMMON_CAUSE = "common_cause"
    NOT_ENOUGH_DATA = "not_enough_data"


class TargetStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NO_TARGET = "no_target"  # none for the latest period
    NO_VALUE = "no_value"  # nothing yet to hold to a target


SIGNAL_LABELS = {
    Signal.IMPROVEMENT: "Special cause: improvement",
    Signal.CONCERN: "Special cause: concern",
    Signal.COMMON_CAUSE: "Common cause",
    Signal.NOT_ENOUGH_DATA: "Not enough data",
}
TARGET_LABELS = {
    TargetStatus.MET: "Target met",
    TargetStatus.NOT_MET: "Target not met",
    TargetStatus.NO_TARGET: "No target",
    TargetStatus.NO_VALUE: "No value yet",
}
KIND_LABELS = {
    MeasureKind.INDICATOR: "Indicator",
    MeasureKind.HOW_MUCH: "How much did we do?",
    MeasureKind.HOW_WELL: "How well did we do it?",
    MeasureKind.BETTER_OFF: "Is anyone better off?",
}
POLARITY_LABELS = {Polarity.HIGHER_IS_BETTER: "Higher is better", Polarity.LOWER_IS_BETTER: "Lower is better"}
RULE_LABELS = {
    spc.Rule.OUTSIDE_LIMITS: "outside the process limits",
    spc.Rule.SHIFT: "a run on one side of the mean",
    spc.Rule.TREND: "a run rising or falling",
    spc.Rule.TWO_OF_THREE: "two of three near a limit",
}
EXPORT_HEADINGS = (
    "Result or programme",
    "Measure",
    "Kind",
    "Owner",
    "Unit",
    "Polarity",
    "Latest period",
    "Latest value",
    "Variation",
    "Target",
    "Target status",
)
ExportCell = str | Decimal | None


@dataclass(frozen=True)
class Measured:
    """What a tile says of a measure besides its values; `belongs_to` names its result or programme and `owner`
    is the accountable person as people should read it."""

    id: uuid.UUID
    title: str
    kind: MeasureKind
    belongs_to: str
    owner: str
    unit: str
    polarity: Polarity
    targets: Mapping[str, Decimal] = field(default_factory=dict)
    on_data_agenda: bool = False
    data_agenda_note: str = ""


@dataclass(frozen=True)
class Charted:
    """A point of a series with the XmR chart's reading of it; `limits` is None when there are too few points."""

    period: str
    value: Decimal
    definition_version: int | None
    limits: spc.Limits | None
    rules: tuple[spc.Rule, ...]
    signal: Signal


@dataclass(frozen=True)
class Tile:
    measure: Measured
    points: list[Charted]  # empty on the data development agenda
    target: Decimal | None  # for the latest period
    target_status: TargetStatus

    @property
    def latest(self) -> Charted | None:
        return self.points[-1] if self.points else None

    @property
    def signal(self) -> Signal:
        return self.points[-1].signal if self.points else Signal.NOT_ENOUGH_DATA


def chart(points: Sequence[SeriesPoint], polarity: Polarity) -> list[Charted]:
    """Each point with its limits, the rules that flag it and its signal; limits from every point, as the early
    warning takes them. Too few points for limits (spc's own rule) makes every point "not enough data"."""
    try:
        analysed = spc.analyse([point.value for point in points], polarity=polarity)
    except spc.TooFewPointsError:
        return [
            Charted(point.period, point.value, point.definition_version, None, (), Signal.NOT_ENOUGH_DATA)
            for point in points
        ]
    return [
        Charted(
            point.period, point.value, point.definition_version, one.limits, one.rules, Signal(one.variation)
        )
        for point, one in zip(points, analysed, strict=True)
    ]


def target_status(value: Decimal | None, target: Decimal | None, polarity: Polarity) -> TargetStatus:
    """Whether a value reaches its target: at or above it where higher is better, at or below where lower is."""
    if value is None:
        return TargetStatus.NO_VALUE
    if target is None:
        return TargetStatus.NO_TARGET
    reached = value >= target if polarity is Polarity.HIGHER_IS_BETTER else value <= target
    return TargetStatus.MET if reached else TargetStatus.NOT_MET


def tile(measure: Measured, points: Sequence[SeriesPoint]) -> Tile:
    """The tile of a measure from its whole-place series in period order; a measure on the data development agenda
    shows no values, since its data are not yet to be relied on."""
    charted = [] if measure.on_data_agenda else chart(points, measure.polarity)
    latest = charted[-1] if charted else None
    target = measure.targets.get(latest.period) if latest else None
    return Tile(
        measure=measure,
        points=charted,
        target=target,
        target_status=target_status(latest.value if latest else None, target, measure.polarity),
    )


def describe(points: Sequence[Charted], unit: str) -> str:
    """A sentence saying what a small chart of the points shows, for those who cannot see it."""
    if not points:
        return "No values yet."
    if len(points) == 1:
        return f"One value: {with_unit(points[0].value, unit)} in {points[0].period}."
    lowest = min(points, key=lambda point: point.value)
    highest = max(points, key=lambda point: point.value)
    return (
        f"{len(points)} values from {points[0].period} to {points[-1].period}: lowest "
        f"{with_unit(lowest.value, unit)} in {lowest.period}, highest {with_unit(highest.value, unit)} in "
        f"{highest.period}, latest {with_unit(points[-1].value, unit)}."
    )


def with_unit(value: Decimal, unit: str) -> str:
    """A value as a reader needs it (see core.figures), then its unit: "12.5 %", "340 families"."""
    return f"{readable(value)} {unit}".strip()


def rules_text(rules: Sequence[spc.Rule]) -> str:
    """The rules that flag a point, by letter and in words: "a (outside the process limits)"."""
    return "; ".join(f"{rule.value} ({RULE_LABELS[rule]})" for rule in rules)


def export_row(one: Tile) -> tuple[ExportCell, ...]:
    """A tile as a row under EXPORT_HEADINGS; a measure on the data development agenda says so for its value."""
    latest = one.latest
    measure = one.measure
    return (
        measure.belongs_to,
        measure.title,
        KIND_LABELS[measure.kind],
        measure.owner,
        measure.unit,
        POLARITY_LABELS[measure.polarity],
        latest.period if latest else None,
        latest.value if latest else None,
        "On the data development agenda" if measure.on_data_agenda else SIGNAL_LABELS[one.signal],
        one.target,
        TARGET_LABELS[one.target_status],
    )


def figure(value: Fraction) -> str:
    """A computed figure (a mean, a limit, a forecast) to two decimal places, exactly rounded."""
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.2f}"
