"""One-way sensitivity of an appraisal's public value net present value: a tornado (each input at a low and a
high value, everything else as stated) and switching values (the value of each input, everything else as stated,
at which the net present value is zero).

Shares (engagement, success, deadweight, drop-off) are searched between 0 and 1; cohorts, unit values and cost
amounts between 0 and `UNBOUNDED_REACH` times their stated value (or that many pounds or people, if the stated
value is below 1). A switching value is found by scanning that range for a change of sign and narrowing the
bracket nearest the stated value; where the sign never changes in the range there is none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from wholeplace.money.cba import Appraisal, FloatArray, Input, evaluate

DEFAULT_SWING = 0.2  # a tornado varies an input without a stated range by 20% either way
UNBOUNDED_REACH = 1000.0
_GRID = 65
_NARROWINGS = 4


@dataclass(frozen=True)
class Bar:
    """One bar of a tornado: the net present value with the input at its low and at its high value."""

    input: Input
    value: float
    low: float
    high: float
    npv_low: float
    npv_high: float

    @property
    def swing(self) -> float:
        return abs(self.npv_high - self.npv_low)


@dataclass(frozen=True)
class SwitchingValue:
    input: Input
    value: float
    switching_value: float | None  # None when the net present value keeps its sign over the searched range
    searched: tuple[float, float]

    @property
    def change(self) -> float | None:
        """How far the input must move, as a fraction of its stated value (-0.25 is a fall of a quarter)."""
        if self.switching_value is None or self.value == 0:
            return None
        return self.switching_value / self.value - 1


def search_range(appraisal: Appraisal, input: Input) -> tuple[float, float]:
    """The values an input can take: 0 to 1 for a share, otherwise 0 to UNBOUNDED_REACH times its value."""
    if input.is_share:
        return 0.0, 1.0
    return 0.0, max(appraisal.value_of(input), 1.0) * UNBOUNDED_REACH


def swing_range(appraisal: Appraisal, input: Input, swing: float = DEFAULT_SWING) -> tuple[float, float]:
    """The input's value `swing` lower and higher, kept within the values it can take."""
    value = appraisal.value_of(input)
    lowest, highest = search_range(appraisal, input)
    return max(lowest, value * (1 - swing)), min(highest, value * (1 + swing))


def tornado(
    appraisal: Appraisal,
    ranges: Mapping[Input, tuple[float, float]] | None = None,
    *,
    swing: float = DEFAULT_SWING,
) -> list[Bar]:
    """A bar for every input, widest swing first: each input at its stated range if `ranges` gives one,
    otherwise `swing` either side of its value."""
    given = ranges or {}
    inputs = appraisal.inputs()
    bounds = [given.get(input) or swing_range(appraisal, input, swing) for input in inputs]
    values = [appraisal.value_of(input) for input in inputs]
    samples = {
        input: np.full(2 * len(inputs), value, dtype=np.float64)
        for input, value in zip(inputs, values, strict=True)
    }
    for position, (input, (low, high)) in enumerate(zip(inputs, bounds, strict=True)):
        samples[input][2 * position : 2 * position + 2] = (low, high)
    npv = evaluate(appraisal, samples).public_value_npv if inputs else np.array([])
    bars = [
        Bar(input, value, low, high, float(npv[2 * position]), float(npv[2 * position + 1]))
        for position, (input, value, (low, high)) in enumerate(zip(inputs, values, bounds, strict=True))
    ]
    return sorted(bars, key=lambda bar: bar.swing, reverse=True)


def switching_values(appraisal: Appraisal, inputs: Iterable[Input] | None = None) -> list[SwitchingValue]:
    """Each input's switching value, in the appraisal's order of inputs unless others are given."""
    return [
        _switching_value(appraisal, input) for input in (appraisal.inputs() if inputs is None else inputs)
    ]


def _switching_value(appraisal: Appraisal, input: Input) -> SwitchingValue:
    value = appraisal.value_of(input)
    low, high = search_range(appraisal, input)
    grid = np.unique(np.append(np.linspace(low, high, _GRID), value))
    found = _nearest_zero(appraisal, input, grid, value)
    for _ in range(_NARROWINGS):
        if found is None or isinstance(found, float):
            break
        found = _nearest_zero(appraisal, input, np.linspace(*found, _GRID), value)
    if isinstance(found, tuple):
        found = _interpolated(appraisal, input, found)
    return SwitchingValue(input, value, found, (low, high))


def _nearest_zero(
    appraisal: Appraisal, input: Input, grid: FloatArray, value: float
) -> float | tuple[float, float] | None:
    """A grid value where the net present value is exactly 0, or the bracket around a change of its sign, the
    one nearest the stated value; None where there is neither."""
    npv = _npv(appraisal, input, grid)
    zeros = grid[npv == 0]
    if zeros.size:
        return float(zeros[np.argmin(np.abs(zeros - value))])
    changes = np.flatnonzero(np.sign(npv[:-1]) != np.sign(npv[1:]))
    if changes.size == 0:
        return None
    nearest = changes[np.argmin(np.abs((grid[changes] + grid[changes + 1]) / 2 - value))]
    return float(grid[nearest]), float(grid[nearest + 1])


def _interpolated(appraisal: Appraisal, input: Input, bracket: tuple[float, float]) -> float:
    low, high = bracket
    npv_low, npv_high = _npv(appraisal, input, np.array(bracket))
    return float(low - npv_low * (high - low) / (npv_high - npv_low))


def _npv(appraisal: Appraisal, input: Input, values: FloatArray) -> FloatArray:
    return evaluate(appraisal, {input: np.asarray(values, dtype=np.float64)}).public_value_npv
