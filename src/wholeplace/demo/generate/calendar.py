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


def random_days_in_window(rng: np.random.Generator, size: int) -> Days:
    return WINDOW_START + rng.integers(0, WINDOW_DAYS, size=size).astype("timedelta64[D]")
