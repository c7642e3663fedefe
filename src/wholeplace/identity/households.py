"""People into households: those whose current address is the same dwelling live together; someone with no known
address joins the household of a person a source says they are related to. Pure: data in, data out.

A dwelling is a property reference, or a normalised first address line with its postcode; two spellings of an
address that some record gives the same property reference are one dwelling, and an address line without a
postcode is the one dwelling in the place with that line, if there is only one. A person's current address is the
one on their most recently active record, unless everyone seen living there with them has since moved on together:
then they moved with them (a household that moves is often seen at its new address through some members only).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from wholeplace.identity.clustering import components


def dwellings(addresses: pd.DataFrame) -> pd.Series:
    """The dwelling of each row of `addresses` (columns address, postcode, uprn), or None without one."""
    text = _text_keys(addresses)
    uprn = ("U:" + addresses["uprn"]).where(addresses["uprn"].notna())
    both = text.notna() & uprn.notna()
    chosen = _one_key_per_property(uprn.where(uprn.notna(), text), text[both], uprn[both])
    return chosen.where(chosen.notna(), _by_address_alone(addresses["address"], chosen))


def _one_key_per_property(keys: pd.Series, text: pd.Series, uprn: pd.Series) -> pd.Series:
    """`keys` with every key that some record gives together with another (an address line with a property
    reference) replaced by one key for them all: a property reference if there is one, else the smallest."""
    codes, joined = pd.factorize(pd.concat([text, uprn], ignore_index=True), sort=True)
    if len(joined) == 0:
        return keys
    groups = components(len(joined), np.column_stack([codes[: len(text)], codes[len(text) :]]))
    order = np.where(pd.Index(joined).str.startswith("U:"), 0, len(joined)) + np.arange(len(joined))
    first = np.full(len(joined), 2 * len(joined), dtype=np.int64)
    np.minimum.at(first, groups, order)
    kept = np.asarray(joined, dtype=object)[first[groups] % len(joined)]
    found = pd.Index(joined).get_indexer(keys)
    return keys.where(found < 0, pd.Series(np.append(kept, [None])[found], index=keys.index))


def _by_address_alone(address: pd.Series, dwelling: pd.Series) -> pd.Series:
    """For a record with an address line but no postcode: the dwelling of that line, when only one dwelling in
    the place has it."""
    wanted = address[dwelling.isna() & address.notna()]
    if wanted.empty:
        return pd.Series(None, index=address.index, dtype="str")
    candidates = address.isin(wanted.unique()) & dwelling.notna()
    known = pd.DataFrame({"address": address[candidates], "dwelling": dwelling[candidates]}).drop_duplicates()
    unique = known[~known["address"].duplicated(keep=False)]
    return wanted.map(dict(zip(unique["address"], unique["dwelling"], strict=True))).reindex(address.index)


def _text_keys(addresses: pd.DataFrame) -> pd.Series:
    both = addresses["address"].notna() & addresses["postcode"].notna()
    return ("A:" + addresses["address"] + "|" + addresses["postcode"]).where(both)


def households(records: pd.DataFrame, related: Iterable[tuple[Hashable, Hashable]]) -> pd.DataFrame:
    """One row per person: `person_id`, `dwelling`, `since` (first date seen there) and `label` (the household).

    `records` has one row per record: person_id (an id or a number), dwelling, first_seen, last_seen (dates, may
    be missing); `related` holds pairs of person_ids a source says are related."""
    dwelling, names = pd.factorize(records["dwelling"], sort=True)  # numbers in the order of the names
    housed = records.assign(dwelling=dwelling)[dwelling >= 0]
    housed = housed.assign(
        recent=housed["last_seen"].where(housed["last_seen"].notna(), housed["first_seen"])
    )
    housed = housed.sort_values(["person_id", "recent", "first_seen", "dwelling"], na_position="first")
    current = housed.groupby("person_id", sort=False).tail(1)[["person_id", "dwelling"]]
    stays = housed.groupby(["person_id", "dwelling"], sort=False).agg(
        first=("first_seen", "min"), last=("recent", "max")
    )
    current = current.join(stays, on=["person_id", "dwelling"]).rename(columns={"first": "since"})
    current = _moved_with_their_household(current, stays.reset_index())
    current["dwelling"] = names.take(current["dwelling"].to_numpy())
    people = pd.DataFrame({"person_id": pd.unique(records["person_id"])})
    people = people.merge(current[["person_id", "dwelling", "since"]], on="person_id", how="left")
    people["label"] = _labels(people, related)
    return people


def _moved_with_their_household(current: pd.DataFrame, stays: pd.DataFrame) -> pd.DataFrame:
    """Move to the new dwelling each person whose every housemate (anyone seen at their current dwelling while
    they were) lives now at one other dwelling, first seen there after this person was last seen anywhere; they
    join from the day the first of them was seen there.

    `current` has person_id, dwelling, since and last (each person's dwelling now, the first and last dates they
    were seen there); `stays` has person_id, dwelling, first and last for every dwelling a person was seen at."""
    seen = stays.rename(columns={"person_id": "mate", "first": "mate_from", "last": "mate_to"})
    mates = current.merge(seen, on="dwelling")
    mates = mates[
        (mates["mate"] != mates["person_id"])
        & (mates["mate_from"] <= mates["last"])
        & (mates["mate_to"] >= mates["since"])
    ]
    now = current.set_index("person_id")
    mates = mates.assign(
        moved_to=now["dwelling"].reindex(mates["mate"]).to_numpy(),
        arrived=now["since"].reindex(mates["mate"]).to_numpy(),
    )
    verdict = mates.groupby("person_id").agg(
        places=("moved_to", "nunique"),
        moved_to=("moved_to", "first"),
        arrived=("arrived", "min"),
        home=("dwelling", "first"),
        last=("last", "first"),
    )
    followed = verdict[
        (verdict["places"] == 1)
        & (verdict["moved_to"] != verdict["home"])
        & (verdict["arrived"] > verdict["last"])
    ]
    moved = current["person_id"].isin(followed.index)
    movers = current.loc[moved, "person_id"]
    current = current.copy()
    current.loc[moved, "dwelling"] = followed["moved_to"].reindex(movers).to_numpy()
    current.loc[moved, "since"] = followed["arrived"].reindex(movers).to_numpy()
    return current


def _labels(people: pd.DataFrame, related: Iterable[tuple[Hashable, Hashable]]) -> np.ndarray:
    codes, _uniques = pd.factorize(people["dwelling"], use_na_sentinel=True)
    labels = codes.copy()
    homeless = codes < 0
    labels[homeless] = (codes.max(initial=-1) + 1) + np.arange(int(homeless.sum()))
    position = pd.Series(np.arange(len(people)), index=people["person_id"])
    pairs = pd.DataFrame(list(related), columns=["first", "second"], dtype=object)
    both_ways = pd.concat([pairs, pairs.rename(columns={"first": "second", "second": "first"})])
    both_ways = both_ways[both_ways["first"].isin(position.index) & both_ways["second"].isin(position.index)]
    mover, home = position[both_ways["first"]].to_numpy(), position[both_ways["second"]].to_numpy()
    joins = homeless[mover] & ~homeless[home]
    labels[mover[joins]] = codes[home[joins]]
    return labels
