"""Records into people: links joined strongest first, refusing any join that would put two different values of
an identifier only one person can hold, or two records a person said are different people, into one cluster.

Plain connected components would let a chain of links (A-B, B-C) join A and C even when A and C hold different
NHS numbers; joining strongest first under these constraints never does. Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class _Cluster:
    identifiers: dict[str, set[str]] = field(default_factory=dict)
    apart_from: set[int] = field(default_factory=set)  # records this cluster must never join


class Clusterer:
    """Union-find over record positions 0..count-1, with the constraints carried by each cluster's root."""

    def __init__(self, count: int, identifiers: Mapping[int, Mapping[str, str]]) -> None:
        self._parent = list(range(count))
        self._held = identifiers  # each lone record's own values, until its cluster first joins another
        self._clusters: dict[int, _Cluster] = {}

    def keep_apart(self, pairs: Iterable[tuple[int, int]]) -> None:
        for left, right in pairs:
            self._cluster(self.root(left)).apart_from.add(right)
            self._cluster(self.root(right)).apart_from.add(left)

    def join(self, left: int, right: int, *, despite_identifiers: bool = False) -> bool:
        """Join the two records' clusters unless a constraint forbids it; say whether they are now one."""
        left_root, right_root = self.root(left), self.root(right)
        if left_root == right_root:
            return True
        if self._kept_apart(left_root, right_root):
            return False
        if not despite_identifiers and self._identifiers_conflict(left_root, right_root):
            return False
        self._merge(left_root, right_root)
        return True

    def root(self, record: int) -> int:
        parent = self._parent
        root = record
        while parent[root] != root:
            root = parent[root]
        while parent[record] != root:  # path compression
            parent[record], record = root, parent[record]
        return root

    def labels(self, records: Sequence[int]) -> list[int]:
        """Each of `records`' cluster, named by the smallest record position among `records` in it (give every
        record of a cluster to name it by its smallest)."""
        smallest: dict[int, int] = {}
        roots = [self.root(record) for record in records]
        for record, root in zip(records, roots, strict=True):
            smallest[root] = min(smallest.get(root, record), record)
        return [smallest[root] for root in roots]

    def _cluster(self, root: int) -> _Cluster:
        cluster = self._clusters.get(root)
        if cluster is None:
            held = self._held.get(root, {})
            cluster = self._clusters[root] = _Cluster(
                identifiers={kind: {value} for kind, value in held.items()}
            )
        return cluster

    def _kept_apart(self, left_root: int, right_root: int) -> bool:
        left, right = self._clusters.get(left_root), self._clusters.get(right_root)
        return any(self.root(other) == right_root for other in (left.apart_from if left else ())) or any(
            self.root(other) == left_root for other in (right.apart_from if right else ())
        )

    def _identifiers_conflict(self, left_root: int, right_root: int) -> bool:
        left, right = self._identifiers(left_root), self._identifiers(right_root)
        return any(
            not (values <= right[kind] or right[kind] <= values)
            for kind, values in left.items()
            if kind in right
        )

    def _identifiers(self, root: int) -> dict[str, set[str]]:
        cluster = self._clusters.get(root)
        if cluster is not None:
            return cluster.identifiers
        return {kind: {value} for kind, value in self._held.get(root, {}).items()}

    def _merge(self, left_root: int, right_root: int) -> None:
        absorbed = self._cluster(right_root)
        kept = self._cluster(left_root)
        self._parent[right_root] = left_root
        del self._clusters[right_root]
        kept.apart_from |= absorbed.apart_from
        for kind, values in absorbed.identifiers.items():
            kept.identifiers.setdefault(kind, set()).update(values)


def cluster_records(
    count: int,
    links: Iterable[tuple[int, int]] | np.ndarray,
    *,
    identifiers: Mapping[int, Mapping[str, str]] | pd.DataFrame,
    same: Sequence[tuple[int, int]] = (),
    different: Sequence[tuple[int, int]] = (),
) -> tuple[list[int], list[tuple[int, int]]]:
    """Cluster `count` records: first the pairs people said are the same person, then `links` in the order
    given (strongest first). Returns each record's cluster label (the smallest record position in its cluster)
    and the links refused because of a constraint.

    `identifiers` holds, per record, the values of identifiers only one person can hold (a mapping, or a table
    with one row per record, kind and value); `different` the pairs people said are different people
    (including links someone undid).

    Most people's records hold no conflict at all, and for them joining under constraints is plain connected
    components, found here for every record at once; only components where a conflict could arise are joined
    link by link."""
    edges = np.asarray(list(links) if not isinstance(links, np.ndarray) else links, dtype=np.int64).reshape(
        -1, 2
    )
    bound = np.asarray(list(same), dtype=np.int64).reshape(-1, 2)
    plain = components(count, np.concatenate([bound, edges]))
    held = identifiers if isinstance(identifiers, pd.DataFrame) else identifier_rows(identifiers)
    troubled = _troubled(plain, held, different)
    if not troubled.any():
        return plain.tolist(), []
    inside = troubled[plain]
    clusterer = Clusterer(count, _as_mapping(held[inside[held["record"].to_numpy()]]))
    clusterer.keep_apart(different)
    for left, right in bound[inside[bound[:, 0]]].tolist():
        clusterer.join(left, right, despite_identifiers=True)
    chosen = edges[inside[edges[:, 0]]].tolist()
    refused = [(left, right) for left, right in chosen if not clusterer.join(left, right)]
    labels = plain.copy()
    troubled_records = np.flatnonzero(inside)
    labels[troubled_records] = clusterer.labels(troubled_records.tolist())
    return labels.tolist(), [
        (left, right) for left, right in refused if clusterer.root(left) != clusterer.root(right)
    ]


def identifier_rows(identifiers: Mapping[int, Mapping[str, str]]) -> pd.DataFrame:
    """The per-record identifier values as a table: record, kind, value."""
    rows = [(record, kind, value) for record, values in identifiers.items() for kind, value in values.items()]
    return pd.DataFrame(rows, columns=["record", "kind", "value"]).astype({"record": np.int64})


def _as_mapping(rows: pd.DataFrame) -> dict[int, dict[str, str]]:
    held: dict[int, dict[str, str]] = {}
    for record, kind, value in zip(rows["record"].tolist(), rows["kind"], rows["value"], strict=True):
        held.setdefault(record, {})[kind] = value
    return held


def components(count: int, edges: np.ndarray) -> np.ndarray:
    """Each record's connected component, named by its smallest record position: the smallest label spreads
    along every edge, and labels jump to their label's label, until nothing changes."""
    labels = np.arange(count, dtype=np.int64)
    if len(edges) == 0:
        return labels
    left, right = edges[:, 0], edges[:, 1]
    while True:
        smaller = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, smaller)
        np.minimum.at(labels, right, smaller)
        labels = labels[labels]
        if np.array_equal(labels, before):
            return labels


def _troubled(
    plain: np.ndarray, identifiers: pd.DataFrame, different: Sequence[tuple[int, int]]
) -> np.ndarray:
    """Per component label, whether some constraint could bite inside it: two different values of one
    identifier, or two records said to be different people."""
    troubled = np.zeros(len(plain), dtype=bool)
    values = identifiers.assign(component=plain[identifiers["record"].to_numpy()])
    distinct = values.groupby(["component", "kind"], sort=False)["value"].nunique()
    troubled[distinct[distinct > 1].index.get_level_values("component").to_numpy(dtype=np.int64)] = True
    for left, right in different:
        if plain[left] == plain[right]:
            troubled[plain[left]] = True
    return troubled
