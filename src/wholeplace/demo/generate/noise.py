"""The mess real extracts carry, applied in bulk at configurable rates.

Each function takes clean values and returns them with a share of rows altered; which rows is decided
by the generator passed in, so the same seed gives the same mess.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.names import nicknames

Objects = npt.NDArray[np.object_]
Mask = npt.NDArray[np.bool_]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
KEYBOARD_NEIGHBOURS = {
    "a": "qwsz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}


@dataclass(frozen=True)
class NoiseRates:
    """Shares of records each kind of mess touches, before a source's own habits scale them."""

    name_typo: float = 0.02
    nickname: float = 0.08
    upper_case: float = 0.10
    day_month_swap: float = 0.01
    missing_date_of_birth: float = 0.01
    partial_date_of_birth: float = 0.01
    stale_address: float = 0.04
    missing_postcode: float = 0.02
    malformed_postcode: float = 0.03
    identifier_typo: float = 0.01
    missing_identifier: float = 0.05
    duplicate_record: float = 0.01

    def scaled(self, factor: float) -> NoiseRates:
        return replace(self, **{f.name: min(1.0, getattr(self, f.name) * factor) for f in fields(self)})


def chosen(rng: np.random.Generator, size: int, rate: float) -> Mask:
    return rng.random(size) < rate


def typos(values: Objects, mask: Mask, rng: np.random.Generator) -> Objects:
    """One keyboard slip in each chosen name: a neighbouring key, a dropped, doubled or swapped letter."""
    out = values.copy()
    for index in np.flatnonzero(mask):
        out[index] = _slip(str(values[index]), rng)
    return out


def _slip(word: str, rng: np.random.Generator) -> str:
    if len(word) < 3:
        return word
    at = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        near = KEYBOARD_NEIGHBOURS.get(word[at].lower(), LETTERS)
        return word[:at] + near[int(rng.integers(0, len(near)))] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    if kind == 2:
        return word[:at] + word[at] + word[at:]
    return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]


def with_nicknames(given: Objects, mask: Mask, rng: np.random.Generator) -> Objects:
    known = nicknames()
    out = given.copy()
    for index in np.flatnonzero(mask):
        options = known.get(str(given[index]))
        if options:
            out[index] = options[int(rng.integers(0, len(options)))]
    return out


def upper(values: Objects, mask: Mask) -> Objects:
    out = values.copy()
    out[mask] = np.array([v.upper() if isinstance(v, str) else v for v in values[mask]], dtype=object)
    return out


def swap_day_and_month(dates: npt.NDArray[np.datetime64], mask: Mask) -> npt.NDArray[np.datetime64]:
    """Day and month exchanged where the result is still a date (the day is 12 or less)."""
    days = dates.astype("datetime64[D]")
    year = days.astype("datetime64[Y]")
    month = (days.astype("datetime64[M]") - year).astype(np.int64) + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    swappable = mask & (day <= 12) & (day != month)
    swapped = year + (day - 1).astype("timedelta64[M]")
    swapped = swapped.astype("datetime64[D]") + (month - 1).astype("timedelta64[D]")
    return np.where(swappable, swapped, days)


def malformed_postcodes(postcodes: Objects, mask: Mask, rng: np.random.Generator) -> Objects:
    """Lower case, no space, the outward part alone, or a letter for a digit."""
    out = postcodes.copy()
    for index in np.flatnonzero(mask):
        code = str(postcodes[index])
        kind = int(rng.integers(0, 4))
        out[index] = (
            code.lower()
            if kind == 0
            else code.replace(" ", "")
            if kind == 1
            else code.split(" ")[0]
            if kind == 2
            else code.replace("0", "O").replace("1", "I")
            if any(c in code for c in "01")
            else code.lower().replace(" ", "")
        )
    return out


def identifier_typos(identifiers: Objects, mask: Mask, rng: np.random.Generator) -> Objects:
    """One digit changed or two neighbouring digits swapped."""
    out = identifiers.copy()
    for index in np.flatnonzero(mask & pd.notna(identifiers).astype(bool)):
        text = str(identifiers[index])
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        if len(digits) < 2:
            continue
        at = digits[int(rng.integers(0, len(digits) - 1))]
        if rng.random() < 0.5 and at + 1 < len(text) and text[at + 1].isdigit() and text[at] != text[at + 1]:
            out[index] = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        else:
            out[index] = text[:at] + str((int(text[at]) + int(rng.integers(1, 10))) % 10) + text[at + 1 :]
    return out


def blank(values: npt.NDArray[np.object_], mask: Mask) -> Objects:
    out = values.astype(object).copy()
    out[mask] = None
    return out
