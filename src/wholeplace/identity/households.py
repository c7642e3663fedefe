"""People into households: those whose current address is the same dwelling live together; someone with no known
address joins the household of a person a source says they are related to. Pure: data in, data out.

A dwelling is a property reference, or a normalised first address line with its postcode; two spellings of an
address that some record gives the same property reference are one dwelling, and an address line without a
postcode is the one dwelling in the place with that line, if there is only one. A person's current address is the
one on their most recently active record.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def dwellings(addresses: pd.DataFrame) -> pd.Series:
    """The dwelling of each row of `addresses` (columns address, postcode, uprn), or None without one."""
    text = _text_keys(addresses)
    uprn = ("U:" + addresses["uprn"]).where(addresses["uprn"].notna())
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            key = parent[key]
        return key

    both = text.notna() & uprn.notna()
    for text_key, uprn_key in zip(text[both], uprn[both], strict=True):
        joined = sorted({root(text_key), root(uprn_key)}, key=_property_references_first)
        for key in joined[1:]:
            parent[key] = joined[0]
    chosen = uprn.where(uprn.notna(), text)
    merged = chosen.map({key: root(key) for key in parent})
    chosen = merged.where(merged.notna(), chosen)
    return chosen.where(chosen.notna(), _by_address_alone(addresses["address"], chosen))


def _by_address_alone(address: pd.Series, dwelling: pd.Series) -> pd.Series:
    """For a record with an address line but no postcode: the dwelling of that line, when only one dwelling in
    the place has it."""
    known = pd.DataFrame({"address": address, "dwelling": dwelling}).dropna().drop_duplicates()
    unique = known[~known["address"].duplicated(keep=False)]
    return address.map(dict(zip(unique["address"], unique["dwelling"], strict=True)))


def _property_references_first(key: str) -> tuple[bool, str]:
    return (not key.startswith("U:"), key)


def _text_keys(addresses: pd.DataFrame) -> pd.Series:
    both = addresses["address"].notna() & addresses["postcode"].notna()
    return ("A:" + addresses["address"] + "|" + addresses["postcode"]).where(both)


def households(records: pd.DataFrame, related: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """One row per person: `person_id`, `dwelling`, `since` (first date seen there) and `label` (the household).

    `records` has one row per record: person_id, dwelling, first_seen, last_seen (dates, may be missing)."""
    housed = records[records["dwelling"].notna()].assign(
        recent=lambda frame: frame["last_seen"].where(frame["last_seen"].notna(), frame["first_seen"])
    )
    housed = housed.sort_values(["person_id", "recent", "first_seen", "dwelling"], na_position="first")
    current = housed.groupby("person_id", sort=False).tail(1)[["person_id", "dwelling"]]
    since = housed.merge(current, on=["person_id", "dwelling"]).groupby("person_id")["first_seen"].min()
    people = pd.DataFrame({"person_id": pd.unique(records["person_id"])})
    people = people.merge(current, on="person_id", how="left")
    people["since"] = since.reindex(people["person_id"]).to_numpy()
    people["label"] = _labels(people, related)
    return people


def _labels(people: pd.DataFrame, related: Iterable[tuple[str, str]]) -> list[int]:
    codes, _uniques = pd.factorize(people["dwelling"], use_na_sentinel=True)
    label = dict(zip(people["person_id"], codes.tolist(), strict=True))
    next_label = int(codes.max()) + 1 if len(codes) else 0
    for person in people["person_id"][codes < 0]:
        label[person] = next_label
        next_label += 1
    housed = set(people["person_id"][codes >= 0])
    for first, second in related:
        if first in label and second in label and (first in housed) != (second in housed):
            homeless, home = (second, first) if first in housed else (first, second)
            label[homeless] = label[home]
    return [label[person] for person in people["person_id"]]
