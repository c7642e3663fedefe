"""Tables of the outcomes domain: the partners' framework (results with their indicators, programmes with their
performance measures), the values of each measure by period, neighbourhood and group with the history of every
value replaced, the versioned definitions of computed values, turn-the-curve reviews, early warnings, each
agency's contribution to the priority results, and the partnerships that own results and oversee programmes.

Values are kept as decimal text, so that a value is read back exactly as it was given (SQLite has no exact
decimal type). Where a value is for the whole place or for everyone, its neighbourhood or group is the empty
string rather than NULL, so that the database itself keeps one value per measure, period, neighbourhood and group
(a unique constraint does not compare NULLs); the service shows the empty string as None."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from wholeplace.core.models import Base, new_id

USERNAME = 100
NAME = 200
SHORT = 60
PERIOD = 20
DECIMAL = 40


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal kept as its text, on SQLite as on PostgreSQL."""

    impl = String(DECIMAL)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Accountable:
    """What every result, indicator and performance measure carries: a named accountable owner (a username),
    which way is better, the unit, the baseline, targets by period (period -> decimal text), and whether it sits
    on the data development agenda because its data do not yet exist."""

    owner: Mapped[str] = mapped_column(String(USERNAME))
    polarity: Mapped[str] = mapped_column(String(20))  # spc.Polarity
    unit: Mapped[str] = mapped_column(String(SHORT))
    baseline_value: Mapped[Decimal | None] = mapped_column(DecimalText())
    baseline_period: Mapped[str | None] = mapped_column(String(PERIOD))
    targets: Mapped[dict[str, str]] = mapped_column(JSON)
    on_data_agenda: Mapped[bool] = mapped_column(Boolean)
    data_agenda_note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(USERNAME))
    created_at: Mapped[datetime]


class Result(Accountable, Base):
    """A condition of wellbeing for the whole population of the place (no group) or a named group in it."""

    __tablename__ = "outcomes_result"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(NAME), unique=True)
    population_group: Mapped[str | None] = mapped_column(String(NAME))
    is_priority: Mapped[bool] = mapped_column(Boolean)


class Programme(Base):
    """A programme or service an agency runs, accountable through its performance measures."""

    __tablename__ = "outcomes_programme"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    name: Mapped[str] = mapped_column(String(NAME))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(USERNAME))
    created_by: Mapped[str] = mapped_column(String(USERNAME))
    created_at: Mapped[datetime]


class Measure(Accountable, Base):
    """An indicator of a result (kind "indicator") or a performance measure of a programme (kind "how_much",
    "how_well" or "better_off"): the one thing that has values."""

    __tablename__ = "outcomes_measure"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'indicator' AND result_id IS NOT NULL AND programme_id IS NULL)"
            " OR (kind <> 'indicator' AND programme_id IS NOT NULL AND result_id IS NULL)",
            name="belongs_to_one",
        ),
        Index("ix_outcomes_measure_result_id", "result_id"),
        Index("ix_outcomes_measure_programme_id", "programme_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    result_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outcomes_result.id"))
    programme_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outcomes_programme.id"))
    title: Mapped[str] = mapped_column(String(NAME))


class MeasureValue(Base):
    """The value of a measure for a period, a neighbourhood ("" for the whole place) and a group ("" for
    everyone); imported from a file (`source` names it) or computed under a definition version."""

    __tablename__ = "outcomes_value"
    __table_args__ = (
        UniqueConstraint("measure_id", "period", "neighbourhood", "population_group"),
        Index("ix_outcomes_value_measure_start", "measure_id", "period_start"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_measure.id"))
    period: Mapped[str] = mapped_column(String(PERIOD))
    period_start: Mapped[date] = mapped_column(Date)
    neighbourhood: Mapped[str] = mapped_column(String(NAME))
    population_group: Mapped[str] = mapped_column(String(NAME))
    value: Mapped[Decimal] = mapped_column(DecimalText())
    definition_version: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(NAME))
    recorded_by: Mapped[str] = mapped_column(String(USERNAME))
    recorded_at: Mapped[datetime]


class ReplacedValue(Base):
    """A value as it was before another replaced it: who recorded it, when and from where, and what replaced it."""

    __tablename__ = "outcomes_value_history"
    __table_args__ = (Index("ix_outcomes_value_history_value_id", "value_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    value_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_value.id"))
    value: Mapped[Decimal] = mapped_column(DecimalText())
    definition_version: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(NAME))
    recorded_by: Mapped[str] = mapped_column(String(USERNAME))
    recorded_at: Mapped[datetime]
    replaced_by: Mapped[str] = mapped_column(String(USERNAME))
    replaced_at: Mapped[datetime]
    replaced_from: Mapped[str] = mapped_column(String(NAME))


class Definition(Base):
    """One version of how a measure's values are computed: a key naming the computation, its parameters, the
    computation in plain words, and who changed it, when and why."""

    __tablename__ = "outcomes_definition"
    __table_args__ = (UniqueConstraint("measure_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_measure.id"))
    version: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(SHORT))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(USERNAME))
    changed_at: Mapped[datetime]


class CurveReview(Base):
    """One dated review of an indicator's turn-the-curve record; each review is a new version, none is changed.
    `partners`, `what_works` and `actions` are lists of objects shaped by schemas.Partner, Idea and Action."""

    __tablename__ = "outcomes_curve_review"
    __table_args__ = (UniqueConstraint("measure_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_measure.id"))
    version: Mapped[int] = mapped_column(Integer)
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewed_by: Mapped[str] = mapped_column(String(USERNAME))
    story: Mapped[str] = mapped_column(Text)
    partners: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    what_works: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recorded_at: Mapped[datetime]


class MeasureWarning(Base):
    """Special cause concern at a measure's newest whole-place value, told once to the measure's owner."""

    __tablename__ = "outcomes_warning"
    __table_args__ = (
        UniqueConstraint("measure_id", "period"),
        Index("ix_outcomes_warning_username_read", "username", "read_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_measure.id"))
    period: Mapped[str] = mapped_column(String(PERIOD))
    rules: Mapped[str] = mapped_column(String(10))  # the letters of the SPC rules, as "ab"
    username: Mapped[str] = mapped_column(String(USERNAME))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class Contribution(Base):
    """How much an agency contributes to a priority result, on the scale in service.contributions."""

    __tablename__ = "outcomes_contribution"
    __table_args__ = (UniqueConstraint("agency_id", "result_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"))
    result_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_result.id"))
    rating: Mapped[int] = mapped_column(Integer)
    rated_by: Mapped[str] = mapped_column(String(USERNAME))
    rated_at: Mapped[datetime]


class ContributionMeasure(Base):
    """A performance measure of the agency's own that it links to its contribution."""

    __tablename__ = "outcomes_contribution_measure"

    contribution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outcomes_contribution.id", ondelete="CASCADE"), primary_key=True
    )
    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_measure.id"), primary_key=True)


class Partnership(Base):
    """A named board of the place's agencies that owns some of the partners' results and oversees some of their
    programmes, chaired by one accountable person (a username). A result or a programme may belong to several."""

    __tablename__ = "outcomes_partnership"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(NAME), unique=True)
    purpose: Mapped[str] = mapped_column(Text)
    chair: Mapped[str] = mapped_column(String(USERNAME))
    created_by: Mapped[str] = mapped_column(String(USERNAME))
    created_at: Mapped[datetime]


class PartnershipMember(Base):
    """An agency that sits on a partnership."""

    __tablename__ = "outcomes_partnership_member"

    partnership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outcomes_partnership.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agency.id"), primary_key=True)


class PartnershipResult(Base):
    """A result a partnership owns."""

    __tablename__ = "outcomes_partnership_result"

    partnership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outcomes_partnership.id", ondelete="CASCADE"), primary_key=True
    )
    result_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_result.id"), primary_key=True)


class PartnershipProgramme(Base):
    """A programme a partnership oversees."""

    __tablename__ = "outcomes_partnership_programme"

    partnership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("outcomes_partnership.id", ondelete="CASCADE"), primary_key=True
    )
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outcomes_programme.id"), primary_key=True)
