"""The three-year window the demo place covers, and date helpers over numpy day counts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

WINDOW_START = np.datetime64("2023-04-01", "D")
EXTRACT_DATE = np.datetime64("2026-03-31", "D")
WINDOW_DAYS = int((EXTRACT_DATE - WINDOW_START).astype(int)) + 1
FINANCIAL_YEARS = ("2023-24", "2024-25", "2025-26")
DAYS_PER_YEAR = 365.25

Days = npt.NDArray[np.datetime64]


def financial_year_index(days: Days) -> npt.NDArray[np.int64]:
    """0, 1 or 2 for a date in the window's first, second or third financial year."""
    offset = (days - WINDOW_START).astype(np.int64)
    return np.clip((offset / DAYS_PER_YEAR).astype(np.int64), 0, len(FINANCIAL_YEARS) - 1)


def random_days_in_window(rng: np.random.Generator, size: int) -> Days:
    return WINDOW_START + rng.integers(0, WINDOW_DAYS, size=size).astype("timedelta64[D]")


def ages_on(dates_of_birth: Days, on: np.datetime64 = EXTRACT_DATE) -> npt.NDArray[np.int64]:
    """Whole years of age on a date."""
    birth = dates_of_birth.astype("datetime64[D]")
    years = on.astype("datetime64[Y]").astype(np.int64) - birth.astype("datetime64[Y]").astype(np.int64)
    birthday_this_year = birth + (on.astype("datetime64[Y]") - birth.astype("datetime64[Y]"))
    return years - (birthday_this_year > on).astype(np.int64)
