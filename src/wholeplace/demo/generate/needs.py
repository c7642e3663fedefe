"""Household needs across the ten headline outcome areas, by year, clustering as multiple disadvantage does.

One latent risk per household, raised by the neighbourhood's deprivation and the household's make-up
and persistent from year to year, drives every area; each area adds its own noise. Thresholds are set
per area so that the share of eligible households with the need matches the target prevalence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.calendar import EXTRACT_DATE, FINANCIAL_YEARS, WINDOW_START
from wholeplace.demo.generate.population import HOUSEHOLD_TYPES, Population

RISK_FROM_DEPRIVATION = 1.1  # standard deviations of latent risk between least and most deprived deciles
YEAR_TO_YEAR_PERSISTENCE = 0.8
RISK_BY_HOUSEHOLD_TYPE = {
    "single_older": -0.3,
    "single_adult": 0.2,
    "couple_older": -0.5,
    "couple_no_children": -0.4,
    "couple_dependent_children": 0.0,
    "couple_grown_children": -0.2,
    "lone_parent_dependent": 0.7,
    "lone_parent_grown": 0.2,
    "shared": 0.1,
}


@dataclass(frozen=True)
class NeedArea:
    name: str
    prevalence: float  # share of eligible households with the need in a year
    loading: float  # how strongly the area follows the household's shared risk
    eligible: str  # which households can have it: all, children, under_fives, school_age


NEED_AREAS = (
    NeedArea("education", 0.18, 0.55, "school_age"),
    NeedArea("early_years", 0.12, 0.55, "under_fives"),
    NeedArea("health", 0.16, 0.5, "all"),
    NeedArea("substance_use", 0.035, 0.7, "all"),
    NeedArea("family_relationships", 0.08, 0.65, "children"),
    NeedArea("childrens_safety", 0.05, 0.8, "children"),
    NeedArea("crime", 0.04, 0.75, "all"),
    NeedArea("domestic_abuse", 0.05, 0.75, "all"),
    NeedArea("housing", 0.03, 0.75, "all"),
    NeedArea("financial_stability", 0.12, 0.7, "all"),
)
AREA_NAMES = tuple(area.name for area in NEED_AREAS)


def household_needs(population: Population, rng: np.random.Generator) -> pd.DataFrame:
    """One row per household and financial year: a 0/1 column per need area and the count of needs."""
    households = population.households
    eligible = _eligibility(population)
    base = (
        RISK_FROM_DEPRIVATION * (households["deprivation"].to_numpy() - 0.5)
        + np.array([RISK_BY_HOUSEHOLD_TYPE[t.name] for t in HOUSEHOLD_TYPES])[households["kind"].to_numpy()]
    )
    persistent = rng.standard_normal(len(households))
    frames = []
    for year, label in enumerate(FINANCIAL_YEARS):
        if year:
            persistent = YEAR_TO_YEAR_PERSISTENCE * persistent + np.sqrt(
                1 - YEAR_TO_YEAR_PERSISTENCE**2
            ) * rng.standard_normal(len(households))
        risk = base + persistent
        columns = {"household_id": households["household_id"].to_numpy(), "year": label}
        for area in NEED_AREAS:
            score = area.loading * risk + np.sqrt(1 - area.loading**2) * rng.standard_normal(len(households))
            can_have = eligible[area.eligible]
            columns[area.name] = (can_have & (score > _threshold(score[can_have], area.prevalence))).astype(
                np.int8
            )
        frames.append(pd.DataFrame(columns))
    needs = pd.concat(frames, ignore_index=True)
    needs["needs"] = needs[list(AREA_NAMES)].sum(axis=1).astype(np.int64)
    return needs


def _threshold(scores: npt.NDArray[np.float64], prevalence: float) -> float:
    return float(np.quantile(scores, 1 - prevalence)) if len(scores) else np.inf


def _eligibility(population: Population) -> dict[str, npt.NDArray[np.bool_]]:
    people = population.people
    age = (EXTRACT_DATE - people["date_of_birth"].to_numpy().astype("datetime64[D]")).astype(
        np.int64
    ) / 365.25
    age_mid_window = age - (EXTRACT_DATE - WINDOW_START).astype(np.int64) / 2 / 365.25
    household = people["household"].to_numpy()
    count = len(population.households)

    def any_member(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        return np.bincount(household[mask], minlength=count) > 0

    return {
        "all": np.ones(count, dtype=bool),
        "children": any_member(people["dependant"].to_numpy()),
        "under_fives": any_member((age_mid_window >= 0) & (age_mid_window < 5)),
        "school_age": any_member((age_mid_window >= 5) & (age_mid_window < 16)),
    }
