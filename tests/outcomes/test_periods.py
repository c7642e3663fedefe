from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.outcomes import periods
from wholeplace.outcomes.periods import PeriodError, PeriodKind

starts = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
kinds = st.sampled_from(list(PeriodKind))


def _aligned(kind: PeriodKind, day: date) -> date:
    """The first day of the period of this kind that holds the day."""
    if kind is PeriodKind.DAY:
        return day
    if kind is PeriodKind.MONTH:
        return day.replace(day=1)
    if kind is PeriodKind.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if kind is PeriodKind.FINANCIAL_YEAR:
        return date(day.year, 4, 1)
    return date(day.year, 1, 1)


@pytest.mark.parametrize(
    ("text", "kind", "start"),
    [
        ("2024", PeriodKind.YEAR, date(2024, 1, 1)),
        ("2024/25", PeriodKind.FINANCIAL_YEAR, date(2024, 4, 1)),
        ("1999/00", PeriodKind.FINANCIAL_YEAR, date(1999, 4, 1)),
        ("2024-Q3", PeriodKind.QUARTER, date(2024, 7, 1)),
        ("2024-09", PeriodKind.MONTH, date(2024, 9, 1)),
        (" 2024-09-02 ", PeriodKind.DAY, date(2024, 9, 2)),
    ],
)
def test_each_kind_of_period_is_read_with_the_day_it_starts(text: str, kind: PeriodKind, start: date) -> None:
    period = periods.parse(text)
    assert (period.kind, period.start, period.text) == (kind, start, text.strip())


@pytest.mark.parametrize(
    "text", ["2024/26", "2024-13", "2024-Q5", "2024-02-30", "24", "Jan 2024", "", "2024-1"]
)
def test_text_that_names_no_period_is_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        periods.parse(text)


@given(kinds, starts)
def test_a_period_written_out_reads_back_as_itself(kind: PeriodKind, day: date) -> None:
    start = _aligned(kind, day)
    period = periods.parse(periods.text_of(kind, start))
    assert (period.kind, period.start) == (kind, start)


@given(kinds, starts, st.integers(min_value=1, max_value=30))
def test_following_periods_are_of_the_same_kind_in_time_order(
    kind: PeriodKind, day: date, count: int
) -> None:
    first = periods.parse(periods.text_of(kind, _aligned(kind, day)))
    after = periods.following(first, count)
    assert [one.kind for one in after] == [kind] * count
    assert [first, *after] == sorted([first, *after])
    assert len({one.text for one in after}) == count
    assert all(periods.parse(one.text) == one for one in after)


def test_the_quarter_after_the_last_of_a_year_is_the_first_of_the_next() -> None:
    assert [p.text for p in periods.following(periods.parse("2024-Q4"), 2)] == ["2025-Q1", "2025-Q2"]


def test_weeks_follow_seven_days_apart() -> None:
    assert [p.text for p in periods.following(periods.parse("2024-12-30"), 2, days=7)] == [
        "2025-01-06",
        "2025-01-13",
    ]
