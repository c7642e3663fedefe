"""Optimism-bias correction by confidence grade, as the 2014 HM Treasury guidance for local partnerships does it:
each cost and each outcome carries a grade from 1 (most confident: no correction) to 6 (least), and the grade's
correction raises the cost (amount * (1 + correction)) and lowers the benefit (value * (1 - correction)).

The default percentages below are the ones we understand the guidance's New Economy model to use. We could not
check them against the published guidance ("Supporting public service transformation: cost benefit analysis
guidance for local partnerships", HM Treasury, April 2014) while writing this: confirm them against its table
before relying on them, and set a place's own table in the scenario (`optimism_bias:`) where they differ.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

GRADES = (1, 2, 3, 4, 5, 6)
SOURCE = (
    "HM Treasury (2014), Supporting public service transformation: cost benefit analysis guidance for local "
    "partnerships (New Economy model); values not yet checked against the published table"
)


@dataclass(frozen=True)
class OptimismBias:
    """The correction for each confidence grade, as a fraction (0.15 is 15%), and where the table comes from.

    Corrections never fall as confidence falls (a higher grade is never corrected less), so a lower confidence
    can never make an appraisal look better; each is at least 0 and below 1."""

    corrections: Mapping[int, float]
    source: str = SOURCE

    def __post_init__(self) -> None:
        if sorted(self.corrections) != list(GRADES):
            raise ValueError("An optimism-bias table needs a correction for each grade from 1 to 6.")
        values = [self.corrections[grade] for grade in GRADES]
        if not all(math.isfinite(value) and 0 <= value < 1 for value in values):
            raise ValueError("Each optimism-bias correction must be at least 0 and below 1 (0.15 is 15%).")
        if any(later < earlier for earlier, later in itertools.pairwise(values)):
            raise ValueError(
                "A lower confidence (a higher grade) cannot have a smaller optimism-bias correction."
            )
        object.__setattr__(self, "corrections", MappingProxyType(dict(self.corrections)))

    def correction(self, grade: int) -> float:
        if grade not in self.corrections:
            raise ValueError(f"{grade} is not a confidence grade: grades run from 1 to 6.")
        return self.corrections[grade]

    def overridden(self, overrides: Mapping[int, float], *, source: str) -> OptimismBias:
        """This table with some grades' corrections replaced, checked again as a whole."""
        return OptimismBias({**self.corrections, **overrides}, source=source)


DEFAULT = OptimismBias({1: 0.0, 2: 0.05, 3: 0.10, 4: 0.15, 5: 0.25, 6: 0.40})
