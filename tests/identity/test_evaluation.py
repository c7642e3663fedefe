"""Pairwise and B-cubed scores agree with counting every pair and every record by hand."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.identity.evaluation import bcubed_scores, pair_counts, pairwise_scores

labelings = st.integers(min_value=0, max_value=40).flatmap(
    lambda size: st.tuples(
        st.lists(st.integers(0, 6), min_size=size, max_size=size),
        st.lists(st.integers(0, 6), min_size=size, max_size=size),
    )
)


def _joined(labels: list[int]) -> set[tuple[int, int]]:
    return {(a, b) for a, b in combinations(range(len(labels)), 2) if labels[a] == labels[b]}


@given(labelings)
def test_pair_counts_match_every_pair_counted_by_hand(labels: tuple[list[int], list[int]]) -> None:
    predicted, truth = labels
    counts = pair_counts(predicted, truth)
    assert counts.predicted == len(_joined(predicted))
    assert counts.true == len(_joined(truth))
    assert counts.both == len(_joined(predicted) & _joined(truth))


@given(labelings)
def test_bcubed_matches_the_average_over_records_by_hand(labels: tuple[list[int], list[int]]) -> None:
    predicted, truth = labels
    if not predicted:
        return
    precision = recall = 0.0
    for record in range(len(predicted)):
        cluster = {other for other in range(len(predicted)) if predicted[other] == predicted[record]}
        group = {other for other in range(len(truth)) if truth[other] == truth[record]}
        precision += len(cluster & group) / len(cluster)
        recall += len(cluster & group) / len(group)
    scores = bcubed_scores(predicted, truth)
    assert scores.precision == pytest.approx(precision / len(predicted))
    assert scores.recall == pytest.approx(recall / len(predicted))


@given(labelings)
def test_scores_do_not_depend_on_what_the_labels_are(labels: tuple[list[int], list[int]]) -> None:
    predicted, truth = labels
    renamed = [f"P{label * 7 + 3}" for label in predicted]
    assert pairwise_scores(renamed, truth) == pairwise_scores(predicted, truth)
    assert bcubed_scores(renamed, truth) == bcubed_scores(predicted, truth)


@given(st.lists(st.integers(0, 5), min_size=1, max_size=30))
def test_the_truth_scores_perfectly_against_itself(truth: list[int]) -> None:
    assert pairwise_scores(truth, truth).f1 == 1.0
    assert bcubed_scores(truth, truth).as_dict() == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_linking_nothing_is_precise_and_misses_every_true_pair() -> None:
    scores = pairwise_scores(["a", "b", "c", "d"], [1, 1, 2, 2])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)


def test_one_wrong_join_of_two_people_halves_pairwise_precision() -> None:
    scores = pairwise_scores([1, 1, 1, 1], ["x", "x", "y", "y"])
    assert scores.precision == pytest.approx(2 / 6) and scores.recall == 1.0


def test_labels_must_come_one_per_record() -> None:
    with pytest.raises(ValueError, match="one of each per record"):
        pairwise_scores([1, 2], [1])
    with pytest.raises(ValueError, match="every record needs a label"):
        pairwise_scores([1, None], [1, 2])
