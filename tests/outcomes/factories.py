"""One-line builders of the outcomes framework for tests: a result, an indicator, a programme, a measure, a
partnership."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.factories import MOMENT
from wholeplace.core.models import Agency, User
from wholeplace.outcomes.models import Measure, Partnership, Programme, Result
from wholeplace.outcomes.schemas import Accountability, MeasureKind, PartnershipTerms
from wholeplace.outcomes.service import framework, partnerships
from wholeplace.outcomes.spc import Polarity

_numbers = itertools.count(1)


def owner(db: Session) -> User:
    return factories.user(db, username=f"owner{next(_numbers)}")


def accountable(
    who: User, *, polarity: Polarity = Polarity.HIGHER_IS_BETTER, **overrides: Any
) -> Accountability:
    return replace(Accountability(owner=who.username, polarity=polarity, unit="%"), **overrides)


def result(db: Session, *, priority: bool = True, who: User | None = None) -> Result:
    return framework.add_result(
        db,
        title=f"Children are safe at home {next(_numbers)}",
        population_group=None,
        is_priority=priority,
        accountability=accountable(who or owner(db)),
        by="lead",
        at=MOMENT,
    )


def indicator(
    db: Session,
    *,
    polarity: Polarity = Polarity.HIGHER_IS_BETTER,
    who: User | None = None,
    **overrides: Any,
) -> Measure:
    return framework.add_indicator(
        db,
        result_id=result(db).id,
        title="Pupils persistently absent",
        accountability=accountable(who or owner(db), polarity=polarity, **overrides),
        by="lead",
        at=MOMENT,
    )


def programme(db: Session, *, agency: Agency | None = None) -> Programme:
    return framework.add_programme(
        db,
        agency_id=(agency or factories.agency(db)).id,
        name=f"Early help {next(_numbers)}",
        description="Family support before things reach crisis.",
        owner=owner(db).username,
        by="lead",
        at=MOMENT,
    )


def measure(
    db: Session,
    *,
    kind: MeasureKind = MeasureKind.BETTER_OFF,
    of: Programme | None = None,
    polarity: Polarity = Polarity.HIGHER_IS_BETTER,
) -> Measure:
    return framework.add_performance_measure(
        db,
        programme_id=(of or programme(db)).id,
        kind=kind,
        title=f"Families whose needs were met {next(_numbers)}",
        accountability=accountable(owner(db), polarity=polarity),
        by="lead",
        at=MOMENT,
    )


def terms(db: Session, **overrides: Any) -> PartnershipTerms:
    """Valid terms of a partnership: a new chair and one new member agency, no results or programmes."""
    return replace(
        PartnershipTerms(
            name=f"Testford Community Safety Partnership {next(_numbers)}",
            purpose="Keep residents safe at home.",
            chair=owner(db).username,
            member_ids=[factories.agency(db).id],
        ),
        **overrides,
    )


def partnership(db: Session, **overrides: Any) -> Partnership:
    return partnerships.add_partnership(db, terms=terms(db, **overrides), by="lead", at=MOMENT)


def values_csv(folder: Path, rows: list[tuple[str, str]] | str, name: str = "values.csv") -> Path:
    """A CSV of period,value rows, or of the text given."""
    path = folder / name
    text = rows if isinstance(rows, str) else "period,value\n" + "".join(f"{p},{v}\n" for p, v in rows)
    path.write_text(text, encoding="utf-8")
    return path


def months(values: Sequence[int | str | Decimal], *, year: int = 2024) -> list[tuple[str, str]]:
    """Monthly rows from January of the year, one for each value."""
    return [(f"{year + index // 12}-{index % 12 + 1:02d}", str(value)) for index, value in enumerate(values)]
