"""From banded pairs to people and households with lasting ids: the part of a run that needs no model and no
database, so a full linkage, a day's new records and a reviewer's decision all end the same way. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from wholeplace.identity import bands, households
from wholeplace.identity.clustering import cluster_records, identifier_rows
from wholeplace.identity.model import STRONG_IDENTIFIERS
from wholeplace.identity.stable_ids import Change, carry_ids

Pair = tuple[str, str]


@dataclass(frozen=True)
class Previous:
    """The last run's answer: each record's person (indexed by record) and each person's household (indexed by
    person)."""

    people: pd.Series
    households: pd.Series


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
    uids = pd.Index(records.column("unique_id").to_pandas())
    automatic = _automatic_links(pairs, records.column("unique_id").combine_chunks())
    labels, _refused = cluster_records(
        len(uids),
        automatic,
        identifiers=_strong_identifiers(records),
        same=_positions(decisions.same, uids),
        different=_positions(decisions.different, uids),
    )
    person_ids, person_changes = carry_ids(uids, labels, previous.people, new_person_id)
    cluster = np.asarray(labels, dtype=np.int64)
    clusters, first_record = np.unique(cluster, return_index=True)
    person_of_cluster = pd.Series(np.asarray(person_ids, dtype=object)[first_record], index=clusters)
    frame = records.select(["dwelling", "first_seen", "last_seen"]).to_pandas(date_as_object=False)
    frame["person_id"] = cluster  # clusters by number: households sort and group numbers far faster than ids
    related_clusters = [
        (labels[a], labels[b]) for a, b in _positions(related, uids) if labels[a] != labels[b]
    ]
    homes = households.households(frame, related_clusters)
    home_of_cluster = np.empty(len(cluster), dtype=np.int64)  # clusters are named by record positions
    home_of_cluster[homes["person_id"].to_numpy(dtype=np.int64)] = np.arange(len(homes))
    homes["person_id"] = person_of_cluster.reindex(homes["person_id"]).to_numpy()
    household_ids, household_changes = carry_ids(
        homes["person_id"].tolist(), homes["label"].tolist(), previous.households, new_household_id
    )
    homes["household_id"] = household_ids
    slot = np.empty(len(cluster), dtype=np.int64)
    slot[clusters] = np.arange(len(clusters))
    people = records.select(["unique_id", "source", "record_id"]).append_column(
        "person_id", pa.array(person_of_cluster.to_numpy(), pa.string()).take(slot[cluster])
    )
    people = people.append_column(
        "household_id", pa.array(household_ids, pa.string()).take(home_of_cluster[cluster])
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
    # one lookup table for both sides, not two
    found = pc.index_in(both, value_set=uids.cast(both.type)).to_numpy(zero_copy_only=False)
    left, right = found[: chosen.num_rows], found[chosen.num_rows :]
    known = ~(np.isnan(left) | np.isnan(right)) if left.dtype.kind == "f" else np.ones(len(left), dtype=bool)
    left, right = left[known].astype(np.int64), right[known].astype(np.int64)
    order = np.lexsort((right, left, -chosen.column("match_weight").to_numpy()[known]))
    return np.column_stack([left[order], right[order]])


def _strong_identifiers(records: pa.Table) -> pd.DataFrame:
    """Each record's values of the identifiers only one person can hold: record (position), kind, value."""
    held = []
    for name in STRONG_IDENTIFIERS:
        if name not in records.column_names:
            continue
        values = records.column(name).to_pandas()
        present = values.notna() & (values != "")
        held.append(
            pd.DataFrame(
                {
                    "record": np.flatnonzero(present.to_numpy()),
                    "kind": name,
                    "value": values[present].to_numpy(),
                }
            )
        )
    if not held:
        return identifier_rows({})
    return pd.concat(held, ignore_index=True)


def _positions(pairs: Sequence[Pair], uids: pd.Index) -> list[tuple[int, int]]:
    """The pairs of records as record positions, leaving out any record not among `uids`."""
    if not pairs:
        return []
    left = uids.get_indexer(pd.Index([a for a, _ in pairs], dtype="str"))
    right = uids.get_indexer(pd.Index([b for _, b in pairs], dtype="str"))
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
