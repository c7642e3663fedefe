"""Ids that survive re-linking: kept by the cluster holding most of an earlier one, with merges, splits and ends
named."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from wholeplace.identity.stable_ids import Change, carry_ids


class Issuer:
    """A `new_id` that remembers what it issued."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def __call__(self) -> str:
        self.issued.append(f"N{len(self.issued) + 1}")
        return self.issued[-1]


def _carried(
    groups: list[list[str]], previous: dict[str, str]
) -> tuple[dict[str, str], list[Change], list[str]]:
    """Carry ids onto clusters given as lists of members; each member's new id, the changes, the ids issued."""
    members = [member for group in groups for member in group]
    labels = [label for label, group in enumerate(groups) for _member in group]
    issuer = Issuer()
    ids, changes = carry_ids(members, labels, previous, issuer)
    return dict(zip(members, ids, strict=True)), changes, issuer.issued


def _previous(**old: list[str]) -> dict[str, str]:
    return {member: old_id for old_id, members in old.items() for member in members}


# Worked examples


def test_the_same_clusters_keep_every_id_and_change_nothing() -> None:
    ids, changes, issued = _carried([["r1", "r2"], ["r3"]], _previous(A=["r1", "r2"], B=["r3"]))
    assert ids == {"r1": "A", "r2": "A", "r3": "B"}
    assert changes == []
    assert issued == []


def test_a_merge_keeps_the_larger_persons_id_and_names_the_absorbed_one() -> None:
    ids, changes, _issued = _carried(
        [["r1", "r2", "r3", "r4", "r5"]], _previous(A=["r1", "r2", "r3"], B=["r4", "r5"])
    )
    assert set(ids.values()) == {"A"}
    assert changes == [Change("merge", "A", "B", 2)]


def test_a_merge_keeps_the_larger_id_whichever_comes_first() -> None:
    ids, changes, _issued = _carried(
        [["r1", "r2", "r3", "r4", "r5"]], _previous(A=["r1", "r2"], B=["r3", "r4", "r5"])
    )
    assert set(ids.values()) == {"B"}
    assert changes == [Change("merge", "B", "A", 2)]


def test_a_merge_of_equal_people_keeps_the_smaller_id() -> None:
    ids, changes, _issued = _carried([["r3", "r4", "r1", "r2"]], _previous(B=["r1", "r2"], A=["r3", "r4"]))
    assert set(ids.values()) == {"A"}
    assert changes == [Change("merge", "A", "B", 2)]


def test_a_split_keeps_the_id_on_the_larger_part_and_names_the_other() -> None:
    ids, changes, issued = _carried(
        [["r1", "r2"], ["r3", "r4", "r5"]], _previous(A=["r1", "r2", "r3", "r4", "r5"])
    )
    assert ids == {"r1": "N1", "r2": "N1", "r3": "A", "r4": "A", "r5": "A"}
    assert issued == ["N1"]
    assert changes == [Change("split", "A", "N1", 2)]


def test_an_even_split_keeps_the_id_on_neither_part() -> None:
    ids, changes, issued = _carried([["r1", "r2"], ["r3", "r4"]], _previous(A=["r1", "r2", "r3", "r4"]))
    assert "A" not in ids.values()
    assert sorted(issued) == ["N1", "N2"]
    assert sorted(changes, key=lambda change: change.other) == [
        Change("split", "A", "N1", 2),
        Change("split", "A", "N2", 2),
    ]


def test_a_withdrawn_person_ends() -> None:
    ids, changes, _issued = _carried([["r1"]], _previous(A=["r1"], C=["gone1", "gone2"]))
    assert ids == {"r1": "A"}
    assert changes == [Change("ended", "C", "", 0)]


def test_a_person_keeps_their_id_when_some_of_their_records_are_withdrawn() -> None:
    ids, changes, _issued = _carried([["r1"]], _previous(A=["r1", "gone1", "gone2"]))
    assert ids == {"r1": "A"}
    assert changes == []


def test_a_person_keeps_their_id_when_new_records_join_them() -> None:
    ids, changes, issued = _carried([["r1", "new1", "new2", "new3"]], _previous(A=["r1"]))
    assert set(ids.values()) == {"A"}
    assert changes == []
    assert issued == []


def test_new_people_get_distinct_ids_from_new_id() -> None:
    ids, changes, issued = _carried([["r1"], ["r2"], ["r3", "r4"]], {})
    assert issued == ["N1", "N2", "N3"]
    assert ids == {"r1": "N1", "r2": "N2", "r3": "N3", "r4": "N3"}
    assert changes == []


def test_a_cluster_keeps_the_id_it_holds_wholly_even_when_a_minority_of_a_larger_person_joins_it() -> None:
    # A's three records are all in the first cluster, beside five of B's twenty; B keeps its id on the other
    # fifteen. The first cluster carries on A rather than taking a new id.
    b = [f"b{number}" for number in range(20)]
    ids, changes, _issued = _carried(
        [["a1", "a2", "a3", *b[:5]], b[5:]], _previous(A=["a1", "a2", "a3"], B=b)
    )
    assert ids["a1"] == "A"
    assert ids["b19"] == "B"
    assert Change("merge", "A", "B", 5) in changes
    assert Change("split", "B", "A", 5) in changes


def test_no_members_give_no_ids_and_end_every_previous_id() -> None:
    ids, changes, issued = _carried([], _previous(A=["r1"], B=["r2"]))
    assert ids == {}
    assert issued == []
    assert changes == [Change("ended", "A", "", 0), Change("ended", "B", "", 0)]


# Properties


@dataclass
class Relinking:
    members: list[str]
    labels: list[int]
    previous: dict[str, str]

    def carry(self) -> tuple[list[str], list[Change], list[str]]:
        issuer = Issuer()
        ids, changes = carry_ids(self.members, self.labels, self.previous, issuer)
        return ids, changes, issuer.issued

    def clusters(self) -> dict[int, list[str]]:
        clusters: dict[int, list[str]] = {}
        for member, label in zip(self.members, self.labels, strict=True):
            clusters.setdefault(label, []).append(member)
        return clusters

    def old_members(self) -> dict[str, set[str]]:
        """Each previous id's members that are still members now."""
        old: dict[str, set[str]] = {}
        for member in self.members:
            if member in self.previous:
                old.setdefault(self.previous[member], set()).add(member)
        return old


@st.composite
def relinkings(draw: st.DrawFn) -> Relinking:
    count = draw(st.integers(min_value=0, max_value=16))
    members = [f"r{number}" for number in range(count)]
    labels = draw(st.lists(st.integers(0, 5), min_size=count, max_size=count))
    old_id = st.sampled_from(["A", "B", "C", "D", "E"])
    previous = {
        member: old
        for member, old in zip(
            members, draw(st.lists(st.none() | old_id, min_size=count, max_size=count)), strict=True
        )
        if old is not None
    }
    withdrawn = draw(st.lists(old_id, max_size=3))
    previous |= {f"gone{number}": old for number, old in enumerate(withdrawn)}
    order = draw(st.permutations(range(count)))
    return Relinking([members[i] for i in order], [labels[i] for i in order], previous)


@given(relinkings())
def test_every_cluster_gets_one_id_and_no_id_names_two_clusters(relinking: Relinking) -> None:
    ids, _changes, _issued = relinking.carry()
    names: dict[int, set[str]] = {}
    for label, name in zip(relinking.labels, ids, strict=True):
        names.setdefault(label, set()).add(name)
    assert all(len(name) == 1 for name in names.values())
    assert len({next(iter(name)) for name in names.values()}) == len(names)


@given(relinkings())
def test_every_id_is_an_earlier_one_or_a_new_one_issued_once(relinking: Relinking) -> None:
    ids, _changes, issued = relinking.carry()
    assert len(set(issued)) == len(issued)
    assert set(ids) <= set(relinking.previous.values()) | set(issued)
    assert set(issued) <= set(ids)


@given(relinkings())
def test_a_kept_id_is_kept_by_the_cluster_holding_more_than_half_its_members(relinking: Relinking) -> None:
    ids, _changes, _issued = relinking.carry()
    old_members = relinking.old_members()
    for label, members in relinking.clusters().items():
        name = ids[relinking.labels.index(label)]
        if name in old_members:
            assert 2 * len(old_members[name] & set(members)) > len(old_members[name])


@given(relinkings())
def test_a_cluster_keeps_the_id_it_holds_most_of_when_that_id_contributes_most(relinking: Relinking) -> None:
    ids, _changes, _issued = relinking.carry()
    old_members = relinking.old_members()
    for label, members in relinking.clusters().items():
        contributions = Counter(
            relinking.previous[member] for member in members if member in relinking.previous
        )
        ranked = contributions.most_common()
        if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            continue
        largest, count = ranked[0]
        if 2 * count > len(old_members[largest]):
            assert ids[relinking.labels.index(label)] == largest


@given(relinkings())
def test_a_cluster_unchanged_since_the_last_linking_keeps_its_id(relinking: Relinking) -> None:
    ids, _changes, _issued = relinking.carry()
    old_members = relinking.old_members()
    for label, members in relinking.clusters().items():
        olds = {relinking.previous.get(member) for member in members}
        if len(olds) == 1 and (old := olds.pop()) is not None and old_members[old] == set(members):
            assert ids[relinking.labels.index(label)] == old


@given(relinkings())
def test_exactly_the_ids_with_no_members_left_end(relinking: Relinking) -> None:
    _ids, changes, _issued = relinking.carry()
    ended = {change.kept for change in changes if change.kind == "ended"}
    assert ended == set(relinking.previous.values()) - set(relinking.old_members())
    assert all(change.other == "" and change.members == 0 for change in changes if change.kind == "ended")


@given(relinkings())
def test_merges_and_splits_count_the_members_that_moved(relinking: Relinking) -> None:
    ids, changes, _issued = relinking.carry()
    name_of = dict(zip(relinking.members, ids, strict=True))
    moved = Counter(
        (relinking.previous[member], name_of[member])
        for member in relinking.members
        if member in relinking.previous
    )
    for change in changes:
        if change.kind == "merge":
            assert change.kept != change.other
            assert change.members == moved[change.other, change.kept] > 0
        elif change.kind == "split":
            assert change.kept != change.other
            assert change.members == moved[change.kept, change.other] > 0
        else:
            assert change.kind == "ended"


@given(st.data())
def test_which_members_keep_an_earlier_id_does_not_depend_on_their_order(data: st.DataObject) -> None:
    relinking = data.draw(relinkings())
    order = data.draw(st.permutations(range(len(relinking.members))))
    shuffled = Relinking(
        [relinking.members[i] for i in order], [relinking.labels[i] for i in order], relinking.previous
    )

    def keepers(one: Relinking) -> dict[str, set[str]]:
        ids, _changes, _issued = one.carry()
        kept: dict[str, set[str]] = {}
        for member, name in zip(one.members, ids, strict=True):
            if name in one.previous.values():
                kept.setdefault(name, set()).add(member)
        return kept

    assert keepers(shuffled) == keepers(relinking)
