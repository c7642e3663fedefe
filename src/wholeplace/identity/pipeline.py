"""From banded pairs to people and households with lasting ids: the part of a run that needs no model and no
database, so a full linkage, a day's new records and a reviewer's decision all end the same way. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from wholeplace.identity import bands, households
from wholeplace.identity.clustering import cluster_records
from wholeplace.identity.model import STRONG_IDENTIFIERS
from wholeplace.identity.stable_ids import Change, carry_ids

Pair = tuple[str, str]


@dataclass(frozen=True)
class Previous:
    """The last run's answer: each record's person and each person's household."""

    people: Mapping[str, str]
    households: Mapping[str, str]


@dataclass(frozen=True)
class Decisions:
    same: Sequence[Pair] = ()
    different: Sequence[Pair] = ()


@dataclass(frozen=True)
class Outcome:
    people: pa.Table  # unique_id, source, record_id, person_id, household_id
    households: pa.Table  # person_id, household_id, dwelling, since
    person_changes: list[Change]
    household_changes: list[Change]
    review: pd.DataFrame  # the review band's pairs, with the records a decision would touch (impact)
    links: int


def resolve(
    records: pa.Table,
    pairs: pa.Table,
    *,
    decisions: Decisions,
    related: Sequence[Pair],
    previous: Previous,
    new_person_id: Callable[[], str],
    new_household_id: Callable[[], str],
) -> Outcome:
    """Cluster the records (columns unique_id, source, record_id, the strong identifiers, dwelling, first_seen,
    last_seen) from the banded `pairs`, then name the people and group them into households."""
    uids = pd.Index(records.column("unique_id").to_pylist(), dtype=object)
    automatic = _automatic_links(pairs, records.column("unique_id").combine_chunks())
    labels, _refused = cluster_records(
        len(uids),
        automatic,
        identifiers=_strong_identifiers(records),
        same=_positions(decisions.same, uids),
        different=_positions(decisions.different, uids),
    )
    person_ids, person_changes = carry_ids(uids, labels, previous.people, new_person_id)
    person_of_cluster = pd.Series(person_ids, index=labels).groupby(level=0).first()
    frame = records.select(["dwelling", "first_seen", "last_seen"]).to_pandas(date_as_object=False)
    frame["person_id"] = labels  # clusters by number: households sort and group numbers far faster than ids
    related_clusters = [
        (labels[a], labels[b]) for a, b in _positions(related, uids) if labels[a] != labels[b]
    ]
    homes = households.households(frame, related_clusters)
    homes["person_id"] = homes["person_id"].map(person_of_cluster)
    household_ids, household_changes = carry_ids(
        homes["person_id"].tolist(), homes["label"].tolist(), previous.households, new_household_id
    )
    homes["household_id"] = household_ids
    household_of = dict(zip(homes["person_id"], household_ids, strict=True))
    people = records.select(["unique_id", "source", "record_id"]).append_column(
        "person_id", pa.array(person_ids, pa.string())
    )
    people = people.append_column(
        "household_id", pa.array([household_of[person] for person in person_ids], pa.string())
    )
    return Outcome(
        people=people,
        households=pa.Table.from_pandas(
            homes[["person_id", "household_id", "dwelling", "since"]], preserve_index=False
        ),
        person_changes=person_changes,
        household_changes=household_changes,
        review=_review_with_impact(pairs, labels, uids),
        links=len(automatic),
    )


def _automatic_links(pairs: pa.Table, uids: pa.Array) -> np.ndarray:
    """The pairs that link automatically, strongest first (ties in a fixed order), as record positions."""
    chosen = pairs.filter(pc.equal(pairs.column("band"), bands.AUTO))
    both = pa.chunked_array(chosen.column("unique_id_l").chunks + chosen.column("unique_id_r").chunks)
    found = pc.index_in(both, value_set=uids).to_numpy(zero_copy_only=False)  # one lookup table, not two
    left, right = found[: chosen.num_rows], found[chosen.num_rows :]
    known = ~(np.isnan(left) | np.isnan(right)) if left.dtype.kind == "f" else np.ones(len(left), dtype=bool)
    left, right = left[known].astype(np.int64), right[known].astype(np.int64)
    order = np.lexsort((right, left, -chosen.column("match_weight").to_numpy()[known]))
    return np.column_stack([left[order], right[order]])


def _strong_identifiers(records: pa.Table) -> dict[int, dict[str, str]]:
    held: dict[int, dict[str, str]] = {}
    for name in STRONG_IDENTIFIERS:
        if name not in records.column_names:
            continue
        for index, value in enumerate(records.column(name).to_pylist()):
            if value:
                held.setdefault(index, {})[name] = value
    return held


def _positions(pairs: Sequence[Pair], uids: pd.Index) -> list[tuple[int, int]]:
    """The pairs of records as record positions, leaving out any record not among `uids`."""
    if not pairs:
        return []
    left = uids.get_indexer(pd.Index([a for a, _ in pairs], dtype=object))
    right = uids.get_indexer(pd.Index([b for _, b in pairs], dtype=object))
    return [(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True) if a >= 0 and b >= 0]


def _review_with_impact(pairs: pa.Table, labels: Sequence[int], uids: pd.Index) -> pd.DataFrame:
    """The review band, each pair with the records whose person a decision could change: both people's records
    when the pair's records are in two people, the one person's when other links already joined them."""
    review = pairs.filter(pc.equal(pairs.column("band"), bands.REVIEW)).to_pandas()
    cluster = np.asarray(labels, dtype=np.int64)
    sizes = np.bincount(cluster, minlength=len(cluster))
    left = cluster[uids.get_indexer(review["unique_id_l"])]
    right = cluster[uids.get_indexer(review["unique_id_r"])]
    review["impact"] = np.where(left == right, sizes[left], sizes[left] + sizes[right]).astype(np.int64)
    ordered: pd.DataFrame = review.sort_values(["impact", "match_probability"], ascending=[False, False])
    return ordered
