"""The place's pooled budgets: each file a finance lead loads is checked whole and kept as written, version by
version; the latest version of a name and financial year is the budget, and where it stands is worked out from it
each time it is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wholeplace.core.errors import IngestError, NotFoundError
from wholeplace.money.models import NAME, PooledBudgetVersion
from wholeplace.money.pooled import PooledBudget, Position, pooled_budget_from_text, position

LONGEST_FILE = 1 << 20


@dataclass(frozen=True)
class KeptPooledBudget:
    """A version of a pooled budget as the place keeps it, with where it stands."""

    version: PooledBudgetVersion
    budget: PooledBudget
    position: Position
    versions: int  # how many times a file of this name and year was loaded
    latest: bool


def load(db: Session, *, text: str, file_name: str, by: str, at: datetime) -> KeptPooledBudget:
    """Check a pooled budget's file and keep it as the latest version of its name and year."""
    if len(text.encode("utf-8")) > LONGEST_FILE:
        raise IngestError("The file is larger than a pooled budget's file can be (1 MB).", file=file_name)
    budget = pooled_budget_from_text(text, path=Path(file_name))
    if len(budget.name) > NAME:
        raise IngestError(f"The name is longer than {NAME} characters.", file=file_name, fix="Shorten it.")
    version = PooledBudgetVersion(
        name=budget.name,
        financial_year=budget.financial_year,
        text=text,
        file_name=Path(file_name).name[:NAME],
        loaded_by=by,
        loaded_at=at,
    )
    db.add(version)
    db.flush()
    return _kept(db, version)


def current(db: Session) -> list[KeptPooledBudget]:
    """The latest version of each pooled budget, the latest year first."""
    latest = (
        select(func.max(PooledBudgetVersion.id))
        .group_by(PooledBudgetVersion.name, PooledBudgetVersion.financial_year)
        .scalar_subquery()
    )
    versions = db.scalars(
        select(PooledBudgetVersion)
        .where(PooledBudgetVersion.id.in_(latest))
        .order_by(PooledBudgetVersion.financial_year.desc(), PooledBudgetVersion.name)
    )
    return [_kept(db, version) for version in versions]


def find(db: Session, version_id: int) -> KeptPooledBudget:
    version = db.get(PooledBudgetVersion, version_id)
    if version is None:
        raise NotFoundError(
            "There is no such pooled budget.", fix="Choose one from the list of pooled budgets."
        )
    return _kept(db, version)


def history(db: Session, kept: KeptPooledBudget) -> list[PooledBudgetVersion]:
    """Every version of the budget's name and year, the latest first."""
    return list(
        db.scalars(
            select(PooledBudgetVersion)
            .where(
                PooledBudgetVersion.name == kept.version.name,
                PooledBudgetVersion.financial_year == kept.version.financial_year,
            )
            .order_by(PooledBudgetVersion.id.desc())
        )
    )


def _kept(db: Session, version: PooledBudgetVersion) -> KeptPooledBudget:
    budget = pooled_budget_from_text(version.text, path=Path(version.file_name))
    ids = list(
        db.scalars(
            select(PooledBudgetVersion.id).where(
                PooledBudgetVersion.name == version.name,
                PooledBudgetVersion.financial_year == version.financial_year,
            )
        )
    )
    return KeptPooledBudget(version, budget, position(budget), len(ids), version.id == max(ids))
