"""Ids that survive re-linking: a new cluster keeps the id of an earlier one when it holds most of that earlier
cluster's members, and the merges and splits between the two clusterings are named. Used for people (members are
records) and households (members are people). Pure: data in, data out.

Clusters and earlier ids are counted as integer codes: a million residents' re-run carries well over a million
ids, and only the few clusters that changed are looked at one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Change:
    """One step of a cluster's history. `merge`: `other` was absorbed into `kept`; `split`: `other` was formed
    from members that left `kept`; `ended`: `kept` has no members any more (`other` is empty)."""

    kind: str
    kept: str
    other: str
    members: int


@dataclass(frozen=True)
class _Overlap:
    """How many members each new cluster (by label code) holds of each earlier id (by code, in id order)."""

    label: np.ndarray
    old: np.ndarray
    count: np.ndarray


def carry_ids(
    members: Sequence[str],
    labels: Sequence[Hashable],
    previous: Mapping[str, str] | pd.Series,
    new_id: Callable[[], str],
) -> tuple[list[str], list[Change]]:
    """Name the new clusters (`labels[i]` is member i's cluster) from the previous ids of their members
    (`previous`: member → id, as a mapping or a Series indexed by member).

    A new cluster inherits an earlier id when it holds more than half of that id's current members; when it
    holds most of several, the one contributing most members; every other cluster gets `new_id()`."""
    earlier = previous if isinstance(previous, pd.Series) else pd.Series(dict(previous), dtype="str")
    old_codes, old_ids = earlier.factorize(sort=True)  # codes compare as the ids do
    label_codes, label_values = pd.Series(list(labels)).factorize()
    found = earlier.index.get_indexer(_as_index(members))
    old_of_member = np.append(old_codes, -1)[found]  # a member with no earlier id is found at -1
    overlap = _overlap(label_codes[old_of_member >= 0], old_of_member[old_of_member >= 0], len(old_ids))
    old_sizes = np.bincount(overlap.old, weights=overlap.count, minlength=len(old_ids)).astype(np.int64)
    heirs = _heirs(overlap, old_sizes, len(label_values))
    old_names = np.asarray(old_ids, dtype=object)
    names = np.append(old_names, [None])[heirs]
    unnamed = np.flatnonzero(heirs < 0)
    names[unnamed] = [new_id() for _ in range(len(unnamed))]
    changes = _changes(overlap, names, old_names, list(label_values))
    ended = old_names[old_sizes == 0]
    return names[label_codes].tolist(), changes + [Change("ended", old, "", 0) for old in ended]


def _as_index(members: Sequence[str]) -> pd.Index:
    """The members as an index of strings, as given when they already are one (a million records' ids)."""
    if isinstance(members, pd.Index):
        return members
    return pd.Index(pd.Series(list(members), dtype="str"))


def _overlap(labels: np.ndarray, olds: np.ndarray, old_count: int) -> _Overlap:
    keys, counts = np.unique(labels.astype(np.int64) * max(old_count, 1) + olds, return_counts=True)
    label, old = np.divmod(keys, max(old_count, 1))
    return _Overlap(label=label, old=old, count=counts)


def _heirs(overlap: _Overlap, old_sizes: np.ndarray, label_count: int) -> np.ndarray:
    """Each new cluster's inherited id (as a code, -1 for none): the largest contributor among the ids it holds
    most of (ties to the smaller id, so the choice does not depend on order)."""
    most = 2 * overlap.count > old_sizes[overlap.old]
    label, old, count = overlap.label[most], overlap.old[most], overlap.count[most]
    order = np.lexsort((old, -count, label))
    first = np.ones(len(order), dtype=bool)
    first[1:] = label[order][1:] != label[order][:-1]
    heirs = np.full(label_count, -1, dtype=np.int64)
    heirs[label[order][first]] = old[order][first]
    return heirs


def _changes(
    overlap: _Overlap, names: np.ndarray, old_ids: np.ndarray, label_values: list[Hashable]
) -> list[Change]:
    contributors = np.bincount(overlap.label, minlength=len(names))[overlap.label] > 1
    destinations = np.bincount(overlap.old, minlength=len(old_ids))[overlap.old] > 1
    moved = [
        (label_values[label], str(old_ids[old]), str(names[label]), int(count), merged, split)
        for label, old, count, merged, split in zip(
            overlap.label.tolist(),
            overlap.old.tolist(),
            overlap.count.tolist(),
            contributors.tolist(),
            destinations.tolist(),
            strict=True,
        )
        if merged or split
    ]
    merges = [
        Change("merge", name, old, count)
        for _label, old, name, count, merged, _split in sorted(moved, key=lambda row: (row[0], row[1]))
        if merged and old != name
    ]
    splits = [
        Change("split", old, name, count)
        for _label, old, name, count, _merged, split in sorted(moved, key=lambda row: (row[1], row[0]))
        if split and name != old
    ]
    return merges + splits
