"""The periods a measure's values are for, written as people write them and put in time order by the day each
starts: a calendar year (2024), a financial year from April (2024/25), a quarter of a calendar year (2024-Q3), a
month (2024-09) or a day, which also names a week by its first day (2024-09-02). One measure's values all have
the same kind of period, so that they make one series."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PeriodKind(StrEnum):
    YEAR = "year"
    FINANCIAL_YEAR = "financial year"
    QUARTER = "quarter"
    MONTH = "month"
    DAY = "day"


EXAMPLES = "2024, 2024/25, 2024-Q3, 2024-09 or 2024-09-02"
FINANCIAL_YEAR_STARTS = 4  # April, as the public sector's years do

_PATTERNS = (
    (PeriodKind.YEAR, re.compile(r"(\d{4})")),
    (PeriodKind.FINANCIAL_YEAR, re.compile(r"(\d{4})/(\d{2})")),
    (PeriodKind.QUARTER, re.compile(r"(\d{4})-Q([1-4])")),
    (PeriodKind.MONTH, re.compile(r"(\d{4})-(\d{2})")),
    (PeriodKind.DAY, re.compile(r"(\d{4})-(\d{2})-(\d{2})")),
)


@dataclass(frozen=True, order=True)
class Period:
    """A period: compared by the day it starts, then by its text."""

    start: date
    text: str
    kind: PeriodKind


class PeriodError(ValueError):
    """Text that names no period; the message says what was expected."""


def parse(text: str) -> Period:
    """The period the text names, or a PeriodError."""
    cleaned = text.strip()
    for kind, pattern in _PATTERNS:
        found = pattern.fullmatch(cleaned)
        if found:
            return Period(
                start=_start(kind, [int(part) for part in found.groups()], cleaned), text=cleaned, kind=kind
            )
    raise PeriodError(f"{cleaned!r} is not a period such as {EXAMPLES}.")


def _start(kind: PeriodKind, parts: list[int], text: str) -> date:
    year = parts[0]
    try:
        if kind is PeriodKind.FINANCIAL_YEAR:
            if parts[1] != (year + 1) % 100:
                raise PeriodError(f"{text!r} is not a financial year: the second year must follow the first.")
            return date(year, FINANCIAL_YEAR_STARTS, 1)
        if kind is PeriodKind.QUARTER:
            return date(year, 3 * (parts[1] - 1) + 1, 1)
        if kind is PeriodKind.MONTH:
            return date(year, parts[1], 1)
        if kind is PeriodKind.DAY:
            return date(year, parts[1], parts[2])
        return date(year, 1, 1)
    except ValueError as error:
        if isinstance(error, PeriodError):
            raise
        raise PeriodError(f"{text!r} is not a real {kind.value}.") from error


def text_of(kind: PeriodKind, start: date) -> str:
    """How a period of this kind starting on this day is written (the inverse of `parse`)."""
    if kind is PeriodKind.YEAR:
        return f"{start.year:04d}"
    if kind is PeriodKind.FINANCIAL_YEAR:
        return f"{start.year:04d}/{(start.year + 1) % 100:02d}"
    if kind is PeriodKind.QUARTER:
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    if kind is PeriodKind.MONTH:
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def following(period: Period, count: int, *, days: int = 1) -> list[Period]:
    """The `count` periods of the same kind after this one, in order; days are `days` apart (7 for weeks)."""
    found: list[Period] = []
    start = period.start
    for _ in range(count):
        start = _next_start(period.kind, start, days)
        found.append(Period(start=start, text=text_of(period.kind, start), kind=period.kind))
    return found


def _next_start(kind: PeriodKind, start: date, days: int) -> date:
    if kind is PeriodKind.DAY:
        return date.fromordinal(start.toordinal() + days)
    months = {PeriodKind.YEAR: 12, PeriodKind.FINANCIAL_YEAR: 12, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}[
        kind
    ]
    month_index = start.year * 12 + start.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)
