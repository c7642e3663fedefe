"""National and local identifiers with their real check rules, drawn unique in bulk."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

NI_FIRST = list("ABCEGHJKLMNOPRSTWXYZ")
NI_SECOND = list("ABCEGHJKLMNPRSTWXYZ")
NI_BANNED = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
NI_PREFIXES = np.array([a + b for a in NI_FIRST for b in NI_SECOND if a + b not in NI_BANNED])
UPN_CHECK_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))


def unique_integers(rng: np.random.Generator, size: int, low: int, high: int) -> npt.NDArray[np.int64]:
    """`size` distinct integers in [low, high), in random order."""
    found = np.empty(0, dtype=np.int64)
    while len(found) < size:
        draw = rng.integers(low, high, size=int((size - len(found)) * 1.1) + 16)
        combined = np.concatenate([found, draw])
        _, first = np.unique(combined, return_index=True)
        found = combined[np.sort(first)]
    return found[:size]


def nhs_check_digits(bodies: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The modulus-11 check digit of nine-digit NHS number bodies; 10 means the body cannot be used."""
    total = np.zeros(len(bodies), dtype=np.int64)
    for position in range(9):
        digit = (bodies // 10 ** (8 - position)) % 10
        total += digit * (10 - position)
    check = 11 - total % 11
    return np.where(check == 11, 0, check)


def nhs_numbers(rng: np.random.Generator, size: int) -> npt.NDArray[np.str_]:
    bodies = unique_integers(rng, int(size * 1.15) + 16, 400_000_000, 800_000_000)
    checks = nhs_check_digits(bodies)
    usable = checks != 10
    whole = bodies[usable][:size] * 10 + checks[usable][:size]
    return whole.astype(str)


def ni_numbers(rng: np.random.Generator, size: int) -> npt.NDArray[np.object_]:
    serials = unique_integers(rng, size, 0, len(NI_PREFIXES) * 1_000_000)
    prefixes = NI_PREFIXES[serials // 1_000_000]
    digits = np.char.zfill((serials % 1_000_000).astype(str), 6)
    suffixes = np.array(list("ABCD"))[rng.integers(0, 4, size=size)]
    return prefixes.astype(object) + digits.astype(object) + suffixes.astype(object)


def upns(rng: np.random.Generator, size: int, *, local_authority: int = 877) -> npt.NDArray[np.object_]:
    """Unique pupil numbers: a check letter then 12 digits (authority, school, year, serial)."""
    bodies = local_authority * 10**9 + unique_integers(rng, size, 0, 10**9)
    total = np.zeros(size, dtype=np.int64)
    for position in range(12):
        total += ((bodies // 10 ** (11 - position)) % 10) * (position + 2)
    return UPN_CHECK_LETTERS[total % 23].astype(object) + np.char.zfill(bodies.astype(str), 12).astype(object)
