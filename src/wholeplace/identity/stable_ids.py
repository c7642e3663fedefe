"""Ids that survive re-linking: a new cluster keeps the id of an earlier one when it holds most of that earlier
cluster's members, and the merges and splits between the two clusterings are named. Used for people (members are
records) and households (members are people). Pure: data in, data out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One step of a cluster's history. `merge`: `other` was absorbed into `kept`; `split`: `other` was formed
    from members that left `kept`; `ended`: `kept` has no members any more (`other` is empty)."""

    kind: str
    kept: str
    other: str
    members: int


def carry_ids(
    members: Sequence[str],
    labels: Sequence[int],
    previous: Mapping[str, str],
    new_id: Callable[[], str],
) -> tuple[list[str], list[Change]]:
    """Name the new clusters (`labels[i]` is member i's cluster) from the previous ids of their members.

    A new cluster inherits an earlier id when it holds more than half of that id's current members; when it
    holds most of several, the one contributing most members; every other cluster gets `new_id()`."""
    overlap: Counter[tuple[int, str]] = Counter(
        (label, previous[member]) for member, label in zip(members, labels, strict=True) if member in previous
    )
    old_sizes: Counter[str] = Counter(previous[member] for member in members if member in previous)
    heirs = _heirs(overlap, old_sizes)
    names = {label: heirs.get(label) or new_id() for label in dict.fromkeys(labels)}
    return [names[label] for label in labels], _changes(overlap, names, old_sizes, previous)


def _heirs(overlap: Counter[tuple[int, str]], old_sizes: Counter[str]) -> dict[int, str]:
    """Each new cluster that inherits an id, and the id: the largest contributor among the ids it holds most of
    (ties to the smaller id, so the choice does not depend on order)."""
    best: dict[int, tuple[int, str]] = {}
    for (label, old), count in overlap.items():
        if 2 * count <= old_sizes[old]:
            continue
        candidate = (-count, old)
        if label not in best or candidate < best[label]:
            best[label] = candidate
    return {label: old for label, (_count, old) in best.items()}


def _changes(
    overlap: Counter[tuple[int, str]],
    names: Mapping[int, str],
    old_sizes: Counter[str],
    previous: Mapping[str, str],
) -> list[Change]:
    contributors = Counter(label for label, _old in overlap)
    destinations = Counter(old for _label, old in overlap)
    moved = sorted(
        (pair, count)
        for pair, count in overlap.items()
        if contributors[pair[0]] > 1 or destinations[pair[1]] > 1
    )
    merges = [
        Change("merge", names[label], old, count)
        for (label, old), count in moved
        if contributors[label] > 1 and old != names[label]
    ]
    splits = [
        Change("split", old, names[label], count)
        for (label, old), count in sorted(moved, key=lambda item: (item[0][1], item[0][0]))
        if destinations[old] > 1 and names[label] != old
    ]
    changes = merges + splits
    changes += [Change("ended", old, "", 0) for old in sorted(set(previous.values()) - set(old_sizes))]
    return changes
