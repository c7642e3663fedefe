"""Tables of the money domain: investment cases, scenarios kept version by version (each version the scenario
file's structure as JSON, with who saved it and when); the place's own unit costs beside the Unit Cost
Database's; pooled budgets and the cost book, each loaded file kept as it was written."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wholeplace.core.models import Base, new_id

NAME = 200
WHO = 200
CODE = 40


class StoredScenario(Base):
    """An investment case: its latest name and version number, and who started it."""

    __tablename__ = "cba_scenario"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(NAME))  # the latest version's
    latest_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(WHO))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    versions: Mapped[list[ScenarioVersion]] = relationship(
        back_populates="scenario", order_by="ScenarioVersion.version", cascade="all, delete-orphan"
    )


class ScenarioVersion(Base):
    """One saved version of a scenario, never changed once written: a new save is a new version."""

    __tablename__ = "cba_scenario_version"
    __table_args__ = (UniqueConstraint("scenario_id", "version", name="uq_cba_scenario_version_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cba_scenario.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # money.scenario.ScenarioFile's structure
    # For an outcome whose cohort was drawn from the linked data, by its index in body["outcomes"]: the count
    # and how it was drawn. Aggregate figures only, never a list of people.
    cohorts: Mapped[dict[str, Any]] = mapped_column(JSON)
    how: Mapped[str] = mapped_column(String(NAME))  # "built on the form", "uploaded from family.yaml"
    saved_by: Mapped[str] = mapped_column(String(WHO))
    saved_at: Mapped[datetime]

    scenario: Mapped[StoredScenario] = relationship(back_populates="versions")


class PlaceUnitCost(Base):
    """A unit cost the place found for itself, used in scenarios by its code like the database's own."""

    __tablename__ = "place_unit_cost"

    code: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(String(NAME))
    unit: Mapped[str] = mapped_column(String(NAME))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    price_year: Mapped[int] = mapped_column(Integer)  # the financial year, by the calendar year it starts in
    source: Mapped[str] = mapped_column(Text)
    flag: Mapped[str] = mapped_column(String(1))  # the Unit Cost Database's confidence flag: G, A or R
    added_by: Mapped[str] = mapped_column(String(WHO))
    added_at: Mapped[datetime]


class PooledBudgetVersion(Base):
    """One load of a pooled budget's file, never changed once written: the latest of a name and year is the
    budget; the earlier ones are its history."""

    __tablename__ = "pooled_budget_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME))
    financial_year: Mapped[str] = mapped_column(String(7))  # 2024/25
    text: Mapped[str] = mapped_column(Text)  # the file, as it was loaded
    file_name: Mapped[str] = mapped_column(String(NAME))
    loaded_by: Mapped[str] = mapped_column(String(WHO))
    loaded_at: Mapped[datetime]


class CostBookVersion(Base):
    """One load of the place's cost book, never changed once written: the latest is the book in use."""

    __tablename__ = "cost_book_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(NAME))
    text: Mapped[str] = mapped_column(Text)  # the file, as it was loaded
    file_name: Mapped[str] = mapped_column(String(NAME))
    loaded_by: Mapped[str] = mapped_column(String(WHO))
    loaded_at: Mapped[datetime]
