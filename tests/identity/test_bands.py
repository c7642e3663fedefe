"""The three bands: thresholds chosen from the model's own estimates, and pairs that never link automatically."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.identity.bands import (
    AUTO,
    GIVEN_NAMES_DIFFER,
    IDENTIFIERS_CONFLICT,
    IN_BAND,
    NO_LINK,
    REVIEW,
    REVIEW_YIELD,
    Thresholds,
    banded,
    chosen_thresholds,
    estimate,
)

TOLERANCE = 1e-9
THRESHOLDS = Thresholds(upper=0.9, lower=0.5)


def _pairs(rows: list[dict[str, Any]], *, strong: tuple[str, ...] = ("nhs_number",)) -> pa.Table:
    """Scored pairs; each row gives `probability` and may give `conflict`, `given_name` and strong gammas."""

    def weight(probability: float) -> float:
        return math.log2(probability / (1 - probability)) if 0 < probability < 1 else 0.0

    columns: dict[str, pa.Array] = {
        "unique_id_l": pa.array([f"a:{number}" for number in range(len(rows))], pa.string()),
        "unique_id_r": pa.array([f"b:{number}" for number in range(len(rows))], pa.string()),
        "match_weight": pa.array([weight(row["probability"]) for row in rows], pa.float64()),
        "match_probability": pa.array([row["probability"] for row in rows], pa.float64()),
        "conflict": pa.array([row.get("conflict", False) for row in rows], pa.bool_()),
        "gamma_given_name": pa.array([row.get("given_name", 3) for row in rows], pa.int8()),
    }
    for name in strong:
        columns[f"gamma_{name}"] = pa.array([row.get(name, -1) for row in rows], pa.int8())
    return pa.table(columns)


def _band_and_reason(
    rows: list[dict[str, Any]], thresholds: Thresholds = THRESHOLDS
) -> list[tuple[str, Any]]:
    table = banded(_pairs(rows), thresholds)
    return list(zip(table.column("band").to_pylist(), table.column("reason").to_pylist(), strict=True))


# Thresholds


@pytest.mark.parametrize(("upper", "lower"), [(0.9, 0.5), (0.5, 0.5), (0.999, 0.001)])
def test_thresholds_accept_lower_at_or_below_upper_inside_zero_and_one(upper: float, lower: float) -> None:
    assert Thresholds(upper=upper, lower=lower).lower == lower


@pytest.mark.parametrize(("upper", "lower"), [(0.5, 0.9), (0.9, 0.0), (1.0, 0.5), (0.9, -0.1), (1.2, 0.5)])
def test_thresholds_refuse_bounds_out_of_order_or_outside_zero_and_one(upper: float, lower: float) -> None:
    with pytest.raises(ValueError, match="0 < lower ≤ upper < 1"):
        Thresholds(upper=upper, lower=lower)


def test_no_scores_give_the_default_thresholds() -> None:
    assert chosen_thresholds(np.array([])) == Thresholds(upper=0.99, lower=0.5)


def test_upper_is_the_lowest_score_whose_automatic_links_reach_the_precision() -> None:
    scores = np.array([1.0, 0.98, 0.9, 0.6, 0.2])
    # Running means: 1.0, 0.99, 0.96, 0.87, 0.736.
    assert chosen_thresholds(scores, precision=0.95, recall=0.5).upper == 0.9


def test_lower_is_the_highest_score_above_which_the_recall_is_reached() -> None:
    scores = np.array([0.95, 0.9, 0.6, 0.2, 0.05])
    # Expected matches 2.7; 0.95 + 0.9 + 0.6 = 2.45 holds 90% of them, 2.65 holds 98%.
    thresholds = chosen_thresholds(scores, precision=0.999, recall=0.9)
    assert thresholds.lower == 0.6
    assert chosen_thresholds(scores, precision=0.999, recall=0.95).lower == REVIEW_YIELD  # not 0.2: long odds


def test_upper_is_the_top_score_when_no_automatic_links_reach_the_precision() -> None:
    thresholds = chosen_thresholds(np.array([0.7, 0.6, 0.3]), precision=0.999, recall=0.5)
    assert thresholds.upper == 0.7
    assert thresholds.lower == 0.6


def test_certain_scores_still_leave_upper_below_one() -> None:
    thresholds = chosen_thresholds(np.array([1.0, 1.0, 1.0]))
    assert thresholds.upper == 0.999
    assert thresholds.lower == 0.999


def test_the_upper_threshold_never_takes_in_tied_pairs_that_spoil_the_precision() -> None:
    # The top three reach 0.9 precision, but the fourth scores the same as the third, so linking at 0.7 links
    # both and the model expects only 0.85 of them right.
    scores = np.array([1.0, 1.0, 0.7, 0.7])
    thresholds = chosen_thresholds(scores, precision=0.88, recall=0.5)
    assert estimate(scores, thresholds).precision >= 0.88


def test_scores_of_zero_do_not_stop_thresholds_being_chosen() -> None:
    # A pair the model thinks certainly not a match should neither lower the upper threshold to zero (where the
    # precision of every pair's mean is still reached) nor make the thresholds invalid.
    assert chosen_thresholds(np.array([1.0, 0.0]), precision=0.5).lower > 0
    assert chosen_thresholds(np.array([0.0, 0.0])).lower > 0


probabilities = st.lists(
    st.one_of(
        st.floats(min_value=1e-6, max_value=1.0),
        st.sampled_from([0.2, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999, 1.0]),
    ),
    max_size=40,
).map(np.array)
some_probabilities = probabilities.filter(lambda scores: scores.size > 0)
precisions = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
recalls = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99])


@given(probabilities, precisions, recalls)
def test_chosen_thresholds_lie_inside_zero_and_one_in_order(
    scores: np.ndarray, precision: float, recall: float
) -> None:
    thresholds = chosen_thresholds(scores, precision=precision, recall=recall)
    assert 0 < thresholds.lower <= thresholds.upper < 1


@given(probabilities, precisions)
def test_automatic_links_reach_the_precision_whenever_some_top_pairs_do(
    scores: np.ndarray, precision: float
) -> None:
    ordered = np.sort(scores)[::-1]
    running = np.cumsum(ordered) / np.arange(1, ordered.size + 1)
    if not (running >= precision).any():
        return
    thresholds = chosen_thresholds(scores, precision=precision)
    assert estimate(scores, thresholds).precision >= precision - TOLERANCE


@given(some_probabilities, recalls)
def test_links_and_review_together_reach_the_recall_unless_review_would_be_long_odds(
    scores: np.ndarray, recall: float
) -> None:
    thresholds = chosen_thresholds(scores, recall=recall)
    if estimate(scores, thresholds).recall_with_review >= recall - TOLERANCE:
        return
    assert thresholds.lower in (REVIEW_YIELD, thresholds.upper)


@given(probabilities, precisions, recalls)
def test_no_higher_lower_threshold_would_reach_the_recall(
    scores: np.ndarray, precision: float, recall: float
) -> None:
    thresholds = chosen_thresholds(scores, precision=precision, recall=recall)
    if thresholds.lower < thresholds.upper:
        above_lower = scores[scores > thresholds.lower]
        assert above_lower.sum() < recall * scores.sum() + TOLERANCE


# Estimates


def test_estimate_counts_expected_matches_in_each_band() -> None:
    scores = np.array([0.99, 0.95, 0.6, 0.3])
    result = estimate(scores, Thresholds(upper=0.9, lower=0.5))
    assert result.precision == pytest.approx(0.97)
    assert result.recall == pytest.approx(1.94 / 2.84)
    assert result.recall_with_review == pytest.approx(2.54 / 2.84)
    assert result.expected_matches_in_review == pytest.approx(0.6)


def test_a_score_on_a_threshold_belongs_to_the_band_above_it() -> None:
    result = estimate(np.array([0.9, 0.5]), Thresholds(upper=0.9, lower=0.5))
    assert result.precision == 0.9
    assert result.expected_matches_in_review == 0.5


def test_no_automatic_links_are_estimated_precise_and_recall_nothing() -> None:
    result = estimate(np.array([0.4, 0.2]), Thresholds(upper=0.9, lower=0.5))
    assert (result.precision, result.recall, result.recall_with_review) == (1.0, 0.0, 0.0)


def test_no_scores_estimate_nothing_to_find() -> None:
    result = estimate(np.array([]), Thresholds(upper=0.9, lower=0.5))
    assert (result.precision, result.recall, result.expected_matches_in_review) == (1.0, 0.0, 0.0)


# Bands


def test_each_pair_falls_in_the_band_of_its_score() -> None:
    assert _band_and_reason([{"probability": 0.95}, {"probability": 0.7}, {"probability": 0.1}]) == [
        (AUTO, None),
        (REVIEW, IN_BAND),
        (NO_LINK, None),
    ]


def test_scores_on_the_thresholds_belong_to_the_band_above() -> None:
    assert _band_and_reason([{"probability": 0.9}, {"probability": 0.5}]) == [(AUTO, None), (REVIEW, IN_BAND)]


def test_a_pair_with_conflicting_identifiers_goes_to_review_however_high_it_scores() -> None:
    assert _band_and_reason([{"probability": 0.9999, "conflict": True}]) == [(REVIEW, IDENTIFIERS_CONFLICT)]


def test_a_conflicting_pair_in_the_review_band_says_why_it_is_doubtful() -> None:
    assert _band_and_reason([{"probability": 0.7, "conflict": True}]) == [(REVIEW, IDENTIFIERS_CONFLICT)]


def test_a_conflicting_pair_below_the_lower_threshold_does_not_link() -> None:
    assert _band_and_reason([{"probability": 0.1, "conflict": True}]) == [(NO_LINK, None)]


def test_twins_whose_given_names_differ_go_to_review_however_high_they_score() -> None:
    assert _band_and_reason([{"probability": 0.9999, "given_name": 0}]) == [(REVIEW, GIVEN_NAMES_DIFFER)]


def test_differing_given_names_link_when_the_nhs_number_agrees() -> None:
    assert _band_and_reason([{"probability": 0.9999, "given_name": 0, "nhs_number": 1}]) == [(AUTO, None)]


def test_differing_given_names_link_when_the_national_insurance_number_agrees() -> None:
    table = banded(
        _pairs(
            [{"probability": 0.9999, "given_name": 0, "ni_number": 1}], strong=("nhs_number", "ni_number")
        ),
        THRESHOLDS,
    )
    assert table.column("band").to_pylist() == [AUTO]


def test_given_names_that_agree_in_some_way_do_not_hold_a_pair_back() -> None:
    assert _band_and_reason([{"probability": 0.95, "given_name": 1}]) == [(AUTO, None)]


def test_an_unknown_given_name_does_not_hold_a_pair_back() -> None:
    assert _band_and_reason([{"probability": 0.95, "given_name": -1}]) == [(AUTO, None)]


def test_an_unknown_conflict_counts_as_none() -> None:
    assert _band_and_reason([{"probability": 0.95, "conflict": None}]) == [(AUTO, None)]


def test_without_given_name_comparisons_only_conflicts_are_held_back() -> None:
    table = _pairs([{"probability": 0.95}, {"probability": 0.95, "conflict": True}])
    result = banded(table.drop_columns(["gamma_given_name"]), THRESHOLDS)
    assert result.column("band").to_pylist() == [AUTO, REVIEW]


def test_banding_keeps_every_pair_and_column_in_order() -> None:
    table = _pairs([{"probability": 0.95}, {"probability": 0.1}, {"probability": 0.7}])
    result = banded(table, THRESHOLDS)
    assert result.column_names == [*table.column_names, "band", "reason"]
    assert result.select(table.column_names).equals(table)


@st.composite
def banding_cases(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Thresholds]:
    lower, upper = sorted(draw(st.lists(st.floats(min_value=0.001, max_value=0.999), min_size=2, max_size=2)))
    row = st.fixed_dictionaries(
        {
            "probability": st.floats(min_value=0.0, max_value=1.0) | st.sampled_from([lower, upper]),
            "conflict": st.none() | st.booleans(),
            "given_name": st.sampled_from([-1, 0, 1, 2, 3]),
            "nhs_number": st.sampled_from([-1, 0, 1]),
            "ni_number": st.sampled_from([-1, 0, 1]),
        }
    )
    return draw(st.lists(row, max_size=30)), Thresholds(upper=upper, lower=lower)


@given(banding_cases())
def test_every_pair_is_banded_by_its_score_and_held_back_only_for_a_reason(
    case: tuple[list[dict[str, Any]], Thresholds],
) -> None:
    rows, thresholds = case
    table = banded(_pairs(rows, strong=("nhs_number", "ni_number")), thresholds)
    for row, band, reason in zip(
        rows, table.column("band").to_pylist(), table.column("reason").to_pylist(), strict=True
    ):
        conflict = bool(row["conflict"])
        twins = row["given_name"] == 0 and 1 not in (row["nhs_number"], row["ni_number"])
        if row["probability"] < thresholds.lower:
            assert (band, reason) == (NO_LINK, None)
        elif row["probability"] < thresholds.upper or conflict or twins:
            assert band == REVIEW
        else:
            assert (band, reason) == (AUTO, None)
        if band == REVIEW:
            assert reason == (IDENTIFIERS_CONFLICT if conflict else GIVEN_NAMES_DIFFER if twins else IN_BAND)
        else:
            assert reason is None
