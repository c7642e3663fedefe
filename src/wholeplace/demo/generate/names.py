"""Name frequency lists of a British town's naming traditions, and drawing names from them in bulk."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA = Path(__file__).parent / "data"

# Shares of households by naming tradition in a town like Riverford; see docs/demo-place.md.
TRADITIONS = {
    "english": 0.80,
    "south_asian": 0.075,
    "polish": 0.04,
    "west_african": 0.03,
    "caribbean": 0.02,
    "chinese": 0.012,
    "arabic_somali": 0.023,
}
TRADITION_NAMES = tuple(TRADITIONS)
FASHION_SPREAD_YEARS = 18  # how far either side of its peak decade a given name stays common


@dataclass(frozen=True)
class WeightedNames:
    names: npt.NDArray[np.str_]
    probabilities: npt.NDArray[np.float64]

    def draw(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.str_]:
        return self.names[rng.choice(len(self.names), size=size, p=self.probabilities)]


def _weighted(rows: list[tuple[str, int]]) -> WeightedNames:
    names = np.array([name for name, _ in rows])
    weights = np.array([weight for _, weight in rows], dtype=np.float64)
    return WeightedNames(names, weights / weights.sum())


def _read(file: str) -> list[dict[str, str]]:
    with (DATA / file).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def given_names(tradition: str, sex: str, decade: int | None = None) -> WeightedNames:
    """A tradition's given names for one sex; for people born in a decade, weighted towards names then in fashion."""
    rows = [r for r in _read("given_names.csv") if r["tradition"] == tradition and r["sex"] == sex]
    weights = np.array([int(r["weight"]) for r in rows], dtype=np.float64)
    if decade is not None:
        peaks = np.array([int(r["peak_decade"]) for r in rows], dtype=np.float64)
        weights = weights * (np.exp(-0.5 * ((decade - peaks) / FASHION_SPREAD_YEARS) ** 2) + 1e-3)
    return WeightedNames(np.array([r["name"] for r in rows]), weights / weights.sum())


@cache
def surnames(tradition: str) -> WeightedNames:
    return _weighted(
        [(r["surname"], int(r["weight"])) for r in _read("surnames.csv") if r["tradition"] == tradition]
    )


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for row in _read("nicknames.csv"):
        found.setdefault(row["name"], []).append(row["nickname"])
    return {name: tuple(sorted(options)) for name, options in found.items()}


@cache
def street_names() -> npt.NDArray[np.str_]:
    return np.array([row["street"] for row in _read("streets.csv")])


@cache
def neighbourhood_names() -> npt.NDArray[np.str_]:
    return np.array([row["name"] for row in _read("neighbourhoods.csv")])


def draw_given_names(
    rng: np.random.Generator,
    traditions: npt.NDArray[np.str_],
    sexes: npt.NDArray[np.str_],
    birth_years: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.object_]:
    """A given name for each person, from their tradition's list for their sex (and birth decade, if known)."""
    drawn = np.empty(len(traditions), dtype=object)
    decades = (
        np.zeros(len(traditions), dtype=np.int64)
        if birth_years is None
        else np.clip(birth_years // 10 * 10, 1920, 2020)
    )
    for tradition in TRADITION_NAMES:
        for sex in ("female", "male"):
            group = (traditions == tradition) & (sexes == sex)
            for decade in np.unique(decades[group]).tolist():
                chosen = np.flatnonzero(group & (decades == decade))
                names_then = given_names(tradition, sex, None if birth_years is None else int(decade))
                drawn[chosen] = names_then.draw(rng, len(chosen))
    return drawn


def draw_surnames(rng: np.random.Generator, traditions: npt.NDArray[np.str_]) -> npt.NDArray[np.object_]:
    drawn = np.empty(len(traditions), dtype=object)
    for tradition in TRADITION_NAMES:
        chosen = np.flatnonzero(traditions == tradition)
        if len(chosen):
            drawn[chosen] = surnames(tradition).draw(rng, len(chosen))
    return drawn
