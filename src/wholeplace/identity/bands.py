"""The three bands: pairs at or above the upper threshold link automatically, pairs between the thresholds go to
clerical review, pairs below do not link. Defaults come from the model's own estimate of precision and recall
along its scores; a place may set its own. Pure: data in, data out.

Three kinds of pair never link automatically, whatever their score: records holding different values of an
identifier only one person can hold; and, unless a strong identifier agrees, records whose given names agree in
no way at all (the pattern of twins, who share a surname, a date of birth and an address) and records whose dates
of birth are years apart (the pattern of a parent and child, or two relatives, who share a name and a home).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from wholeplace.identity.model import DOB_YEARS_APART, GIVEN_NAMES_ELSE, STRONG_IDENTIFIERS

# Defaults: automatic links the model expects to be right 1,999 times in 2,000; the review band reaches down until
# the model expects automatic links and reviewed pairs together to hold 99% of the matches it scored, but no
# further than even odds.
TARGET_PRECISION = 0.9995
TARGET_RECALL = 0.99
REVIEW_YIELD = 0.5
AUTO, REVIEW, NO_LINK = "link", "review", "no link"
GIVEN_NAMES_DIFFER = "given names differ"
BORN_YEARS_APART = "born years apart"
IDENTIFIERS_CONFLICT = "different NHS or national insurance numbers"
IN_BAND = "between the thresholds"


@dataclass(frozen=True)
class Thresholds:
    upper: float
    lower: float

    def __post_init__(self) -> None:
        if not 0 < self.lower <= self.upper < 1:
            raise ValueError("The thresholds must satisfy 0 < lower ≤ upper < 1.")


@dataclass(frozen=True)
class Estimate:
    """The model's own view of its links at some thresholds: no truth is needed."""

    precision: float  # expected share of automatic links that are true
    recall: float  # expected share of the scored matches that link automatically
    recall_with_review: float  # the same, if every reviewed pair that is a match were accepted
    expected_matches_in_review: float


def chosen_thresholds(
    probabilities: np.ndarray, *, precision: float = TARGET_PRECISION, recall: float = TARGET_RECALL
) -> Thresholds:
    """The lowest upper threshold whose automatic links the model expects to be `precision` right; and a lower
    threshold above which it expects `recall` of its matches, but never below `REVIEW_YIELD`: a reviewer's time
    is not spent on pairs the model thinks more likely different people than not."""
    ordered = np.sort(np.asarray(probabilities, dtype=float))[::-1]
    ordered = ordered[ordered > 0]
    if ordered.size == 0:
        return Thresholds(upper=0.99, lower=0.5)
    expected = np.cumsum(ordered)
    last_of_ties = np.append(ordered[1:] < ordered[:-1], True)
    precise = np.flatnonzero((expected / np.arange(1, ordered.size + 1) >= precision) & last_of_ties)
    upper = float(ordered[precise[-1]]) if precise.size else float(ordered[0])
    reached = np.flatnonzero(expected >= recall * expected[-1])
    lower = float(ordered[reached[0]]) if reached.size else float(ordered[-1])
    upper = min(upper, 0.999)
    return Thresholds(upper=upper, lower=min(max(lower, REVIEW_YIELD), upper))


def estimate(probabilities: np.ndarray, thresholds: Thresholds) -> Estimate:
    scores = np.asarray(probabilities, dtype=float)
    total = float(scores.sum()) or 1.0
    automatic = scores[scores >= thresholds.upper]
    review = scores[(scores >= thresholds.lower) & (scores < thresholds.upper)]
    return Estimate(
        precision=float(automatic.mean()) if automatic.size else 1.0,
        recall=float(automatic.sum()) / total,
        recall_with_review=float(automatic.sum() + review.sum()) / total,
        expected_matches_in_review=float(review.sum()),
    )


def banded(pairs: pa.Table, thresholds: Thresholds) -> pa.Table:
    """The pairs with a `band` (link, review, no link) and, for review, the `reason` a pair is there."""
    probability = pairs.column("match_probability")
    above = pc.greater_equal(probability, thresholds.upper)
    rule = _never_automatic(pairs)
    held = pc.is_valid(rule)
    review = pc.or_(
        pc.and_(above, held),
        pc.and_(pc.greater_equal(probability, thresholds.lower), pc.invert(above)),
    )
    band = pc.if_else(pc.and_(above, pc.invert(held)), AUTO, pc.if_else(review, REVIEW, NO_LINK))
    reason = pc.if_else(review, pc.coalesce(rule, pa.scalar(IN_BAND)), pa.scalar(None, pa.string()))
    return pairs.append_column("band", band).append_column("reason", reason)


def _never_automatic(pairs: pa.Table) -> pa.ChunkedArray:
    """Why a pair may not link automatically whatever its score, or null when nothing stops it."""
    rows = pairs.num_rows
    confirmed = pa.array(np.zeros(rows, dtype=bool))
    for name in STRONG_IDENTIFIERS:
        if f"gamma_{name}" in pairs.column_names:
            confirmed = pc.or_(confirmed, pc.fill_null(pc.equal(pairs.column(f"gamma_{name}"), 1), False))
    reason = pa.nulls(rows, pa.string())
    for column, levels, why in (
        ("gamma_date_of_birth", DOB_YEARS_APART, BORN_YEARS_APART),
        ("gamma_given_name", (GIVEN_NAMES_ELSE,), GIVEN_NAMES_DIFFER),
    ):
        if column in pairs.column_names:
            unconfirmed = pc.and_(pc.is_in(pairs.column(column), pa.array(levels)), pc.invert(confirmed))
            reason = pc.if_else(pc.fill_null(unconfirmed, False), why, reason)
    conflict = pc.fill_null(pairs.column("conflict"), False)
    return pc.if_else(conflict, IDENTIFIERS_CONFLICT, reason)
