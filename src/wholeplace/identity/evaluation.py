"""How good a clustering of records is against the truth: pairwise and B-cubed precision, recall and F1.

Pure: two equally long sequences of cluster labels in, scores out. Each record appears once; what a label is
(a person id, a household id, a number) does not matter, only which records share one.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

Counts = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class PairCounts:
    """Pairs of records put together by the clustering, by the truth, and by both."""

    predicted: int
    true: int
    both: int

    @property
    def scores(self) -> Scores:
        # With no pair predicted nothing was wrongly joined; with no true pair nothing was missed.
        precision = 1.0 if self.predicted == 0 else self.both / self.predicted
        recall = 1.0 if self.true == 0 else self.both / self.true
        return Scores(precision, recall)


def pair_counts(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> PairCounts:
    joint, predicted_sizes, true_sizes = _contingency(predicted, truth)
    return PairCounts(_pairs(predicted_sizes), _pairs(true_sizes), _pairs(joint))


def pairwise_scores(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> Scores:
    """Precision: of the pairs the clustering joins, the share truly the same; recall: of the true pairs, the
    share the clustering joins."""
    return pair_counts(predicted, truth).scores


def bcubed_scores(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> Scores:
    """B-cubed: for each record, the share of its cluster that truly belongs with it (precision) and the share
    of its true group that its cluster holds (recall), averaged over records. Unlike pairwise scores, a large
    cluster weighs no more than its records."""
    joint, predicted_sizes, true_sizes, joint_predicted, joint_true = _contingency(
        predicted, truth, with_margins=True
    )
    records = int(joint.sum())
    if records == 0:
        return Scores(1.0, 1.0)
    precision = float((joint**2 / predicted_sizes[joint_predicted]).sum()) / records
    recall = float((joint**2 / true_sizes[joint_true]).sum()) / records
    return Scores(precision, recall)


def _contingency(
    predicted: Sequence[Hashable], truth: Sequence[Hashable], *, with_margins: bool = False
) -> tuple[Counts, ...]:
    """The records in each (predicted, true) cell, and the sizes of each predicted and each true cluster."""
    if len(predicted) != len(truth):
        raise ValueError(
            f"{len(predicted)} predicted labels but {len(truth)} true ones: give one of each per record"
        )
    predicted_codes, _ = pd.factorize(pd.Series(list(predicted), dtype=object))
    true_codes, _ = pd.factorize(pd.Series(list(truth), dtype=object))
    if (predicted_codes < 0).any() or (true_codes < 0).any():
        raise ValueError("every record needs a label: a missing one cannot be scored")
    cells = pd.DataFrame({"p": predicted_codes, "t": true_codes}).value_counts()
    joint = cells.to_numpy().astype(np.int64)
    predicted_sizes = np.bincount(predicted_codes).astype(np.int64)
    true_sizes = np.bincount(true_codes).astype(np.int64)
    if not with_margins:
        return joint, predicted_sizes, true_sizes
    index = cells.index
    return (
        joint,
        predicted_sizes,
        true_sizes,
        index.get_level_values("p").to_numpy(),
        index.get_level_values("t").to_numpy(),
    )


def _pairs(sizes: Counts) -> int:
    return int((sizes * (sizes - 1) // 2).sum())
