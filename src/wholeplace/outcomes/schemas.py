"""Shapes of the outcomes domain's input and output: what the service takes and returns besides its tables."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from fractions import Fraction

from wholeplace.outcomes.forecast import Trend
from wholeplace.outcomes.spc import Polarity


class MeasureKind(StrEnum):
    """An indicator of a result, or one of the three kinds of performance measure of a programme."""

    INDICATOR = "indicator"
    HOW_MUCH = "how_much"  # how much did we do?
    HOW_WELL = "how_well"  # how well did we do it?
    BETTER_OFF = "better_off"  # is anyone better off?


PERFORMANCE_KINDS = (MeasureKind.HOW_MUCH, MeasureKind.HOW_WELL, MeasureKind.BETTER_OFF)


class ContributionLevel(IntEnum):
    """How much an agency contributes to a priority result, as it rates itself."""

    NONE = 0  # does nothing that moves this result
    MINOR = 1  # does something that helps, but it is not a main part of its work
    SIGNIFICANT = 2  # a main part of its work moves this result
    LEAD = 3  # leads the partners' work on this result


class Cost(StrEnum):
    NO_COST = "no_cost"
    LOW_COST = "low_cost"
    OTHER = "other"


@dataclass(frozen=True)
class Baseline:
    value: Decimal
    period: str


@dataclass(frozen=True)
class Accountability:
    """What every result, indicator and performance measure carries. `owner` is the username of the accountable
    person; `targets` maps periods to target values; a measure on the data development agenda (its data do not
    yet exist) says why in `data_agenda_note`."""

    owner: str
    polarity: Polarity
    unit: str
    baseline: Baseline | None = None
    targets: Mapping[str, Decimal] = field(default_factory=dict)
    on_data_agenda: bool = False
    data_agenda_note: str = ""


@dataclass(frozen=True)
class Partner:
    """A partner with a role in turning an indicator's curve: an agency or anyone else, by name."""

    name: str
    role: str


@dataclass(frozen=True)
class Idea:
    """What works, or might: from evidence, from the partners or from the community; with how much it costs."""

    idea: str
    cost: Cost


class ActionStatus(StrEnum):
    NOT_STARTED = "not_started"
    UNDER_WAY = "under_way"
    DONE = "done"
    DROPPED = "dropped"


ACTION_STATUS_LABELS = {
    ActionStatus.NOT_STARTED: "Not started",
    ActionStatus.UNDER_WAY: "Under way",
    ActionStatus.DONE: "Done",
    ActionStatus.DROPPED: "Dropped",
}


@dataclass(frozen=True)
class Action:
    """A step of the action plan: what, who, by when, and where it stands at the review."""

    action: str
    who: str
    due_on: date | None = None
    status: ActionStatus = ActionStatus.NOT_STARTED


@dataclass(frozen=True)
class ComputedValue:
    """A value a definition computed, for a period and optionally a neighbourhood and a group; with, where the
    value counts people, households or events, how many (`count`, a share's numerator) and of how many (`base`, a
    share's denominator), so that values resting on too few can be withheld."""

    period: str
    value: Decimal
    neighbourhood: str | None = None
    group: str | None = None
    count: int | None = None
    base: int | None = None


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: values added, replaced (the old ones kept in history) and left as they were."""

    file: str
    added: int
    replaced: int
    unchanged: int


@dataclass(frozen=True)
class SeriesPoint:
    period: str
    value: Decimal
    definition_version: int | None  # None: imported from a file


@dataclass(frozen=True)
class ChangePoint:
    """Where a chart marks that the definition changed: the first period computed under the new version."""

    period: str
    version: int
    changed_by: str
    changed_at: datetime
    reason: str


@dataclass(frozen=True)
class Series:
    measure_id: uuid.UUID
    neighbourhood: str | None
    group: str | None
    points: list[SeriesPoint]
    change_points: list[ChangePoint]


@dataclass(frozen=True)
class ValueVersion:
    """A value as it is now or was once, with who recorded it, when and from where; `replaced_at` is None for
    the value as it stands."""

    value: Decimal
    definition_version: int | None
    source: str
    recorded_by: str
    recorded_at: datetime
    replaced_at: datetime | None


@dataclass(frozen=True)
class BaselineForecast:
    """The baseline series, its trend and where the trend leads if nothing changes."""

    baseline: list[SeriesPoint]
    trend: Trend
    forecast: list[tuple[str, Fraction]]  # (period, value) for the periods after the baseline


@dataclass(frozen=True)
class MatrixCell:
    level: ContributionLevel
    measure_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class Gap:
    """A hole in who delivers what: a priority result no agency contributes significantly to (agency_id None),
    or an agency's rating with no performance measure of its own linked to it."""

    result_id: uuid.UUID
    agency_id: uuid.UUID | None
    problem: str


@dataclass(frozen=True)
class ContributionMatrix:
    """Agencies by priority results: each agency's rating and linked measures, and the gaps."""

    agency_ids: list[uuid.UUID]
    result_ids: list[uuid.UUID]
    cells: dict[tuple[uuid.UUID, uuid.UUID], MatrixCell]  # (agency_id, result_id); absent: not rated
    gaps: list[Gap]


@dataclass(frozen=True)
class PartnershipTerms:
    """What a partnership is: its name, what it is for, its chair (the username of the accountable person), the
    agencies that sit on it (at least one), the results it owns and the programmes it oversees."""

    name: str
    purpose: str
    chair: str
    member_ids: Sequence[uuid.UUID]
    result_ids: Sequence[uuid.UUID] = ()
    programme_ids: Sequence[uuid.UUID] = ()
