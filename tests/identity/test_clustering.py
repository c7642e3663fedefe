"""Records into people: links joined strongest first, never joining two values of a one-person identifier or two
records someone said are different people."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.identity.clustering import cluster_records

Pair = tuple[int, int]
Identifiers = dict[int, dict[str, str]]


@dataclass
class Problem:
    count: int
    links: list[Pair]
    identifiers: Identifiers = field(default_factory=dict)
    same: list[Pair] = field(default_factory=list)
    different: list[Pair] = field(default_factory=list)

    def solve(self) -> tuple[list[int], list[Pair]]:
        return cluster_records(
            self.count, self.links, identifiers=self.identifiers, same=self.same, different=self.different
        )


@st.composite
def problems(
    draw: st.DrawFn, *, identifiers: bool = True, same: bool = True, different: bool = True
) -> Problem:
    count = draw(st.integers(min_value=1, max_value=12))
    record = st.integers(min_value=0, max_value=count - 1)
    pairs = st.lists(st.tuples(record, record), max_size=3 * count)
    values = st.dictionaries(
        st.sampled_from(["nhs_number", "ni_number"]), st.sampled_from(["111", "222", "333"]), max_size=2
    )
    return Problem(
        count=count,
        links=draw(pairs),
        identifiers=draw(st.dictionaries(record, values, max_size=count)) if identifiers else {},
        same=draw(st.lists(st.tuples(record, record), max_size=4)) if same else [],
        different=draw(st.lists(st.tuples(record, record), max_size=4)) if different else [],
    )


def _components(count: int, edges: Iterable[Pair]) -> list[int]:
    """Each record's connected component, named by its smallest record, found by breadth-first search."""
    neighbours: dict[int, set[int]] = {record: set() for record in range(count)}
    for left, right in edges:
        neighbours[left].add(right)
        neighbours[right].add(left)
    component = [-1] * count
    for start in range(count):
        if component[start] >= 0:
            continue
        component[start] = start
        queue = deque([start])
        while queue:
            for other in neighbours[queue.popleft()]:
                if component[other] < 0:
                    component[other] = start
                    queue.append(other)
    return component


def _clusters(labels: list[int]) -> dict[int, set[int]]:
    clusters: dict[int, set[int]] = {}
    for record, label in enumerate(labels):
        clusters.setdefault(label, set()).add(record)
    return clusters


def _values(records: Iterable[int], identifiers: Mapping[int, Mapping[str, str]]) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for record in records:
        for kind, value in identifiers.get(record, {}).items():
            held.setdefault(kind, set()).add(value)
    return held


def _kept_apart(first: set[int], second: set[int], different: Iterable[Pair]) -> bool:
    return any((a in first and b in second) or (a in second and b in first) for a, b in different)


# Properties


@given(problems(identifiers=False, same=False, different=False))
def test_without_constraints_clusters_are_the_connected_components_of_the_links(problem: Problem) -> None:
    labels, refused = problem.solve()
    assert labels == _components(problem.count, problem.links)
    assert refused == []


@given(problems())
def test_each_cluster_is_named_by_its_smallest_record(problem: Problem) -> None:
    labels, _refused = problem.solve()
    assert len(labels) == problem.count
    for label, members in _clusters(labels).items():
        assert label == min(members)


@given(problems(same=False))
def test_no_cluster_holds_two_values_of_an_identifier_only_one_person_can_hold(problem: Problem) -> None:
    labels, _refused = problem.solve()
    for members in _clusters(labels).values():
        assert all(len(values) == 1 for values in _values(members, problem.identifiers).values())


@given(problems())
def test_records_said_to_be_different_never_share_a_cluster(problem: Problem) -> None:
    labels, _refused = problem.solve()
    for left, right in problem.different:
        if left != right:
            assert labels[left] != labels[right]


@given(problems())
def test_records_said_to_be_the_same_share_a_cluster_unless_someone_said_their_clusters_differ(
    problem: Problem,
) -> None:
    labels, _refused = problem.solve()
    clusters = _clusters(labels)
    for left, right in problem.same:
        assert labels[left] == labels[right] or _kept_apart(
            clusters[labels[left]], clusters[labels[right]], problem.different
        )


@given(problems())
def test_a_link_is_refused_exactly_when_its_records_end_in_different_clusters(problem: Problem) -> None:
    labels, refused = problem.solve()
    assert refused == [(left, right) for left, right in problem.links if labels[left] != labels[right]]


@given(problems())
def test_a_refused_link_would_have_broken_a_constraint(problem: Problem) -> None:
    labels, refused = problem.solve()
    clusters = _clusters(labels)
    for left, right in refused:
        first, second = clusters[labels[left]], clusters[labels[right]]
        two_values = any(len(values) > 1 for values in _values(first | second, problem.identifiers).values())
        assert two_values or _kept_apart(first, second, problem.different)


@given(problems())
def test_clusters_only_ever_join_records_connected_by_links_or_same_pairs(problem: Problem) -> None:
    labels, _refused = problem.solve()
    components = _components(problem.count, [*problem.links, *problem.same])
    for members in _clusters(labels).values():
        assert len({components[record] for record in members}) == 1


# Worked examples

A, B, C, D = 0, 1, 2, 3
DIFFERENT_NHS_AT_THE_ENDS: Identifiers = {A: {"nhs_number": "111"}, C: {"nhs_number": "222"}}


def test_a_chain_never_joins_its_ends_when_they_hold_different_nhs_numbers() -> None:
    labels, refused = cluster_records(3, [(A, B), (B, C)], identifiers=DIFFERENT_NHS_AT_THE_ENDS)
    assert labels == [A, A, C]
    assert refused == [(B, C)]


def test_the_weaker_link_of_the_chain_is_the_one_refused() -> None:
    labels, refused = cluster_records(3, [(B, C), (A, B)], identifiers=DIFFERENT_NHS_AT_THE_ENDS)
    assert labels == [A, B, B]
    assert refused == [(A, B)]


def test_a_chain_joins_its_ends_when_they_hold_the_same_nhs_number() -> None:
    same_number = {A: {"nhs_number": "111"}, C: {"nhs_number": "111"}}
    labels, refused = cluster_records(3, [(A, B), (B, C)], identifiers=same_number)
    assert labels == [A, A, A]
    assert refused == []


def test_different_kinds_of_identifier_never_conflict() -> None:
    one_of_each = {A: {"nhs_number": "111"}, B: {"ni_number": "QQ123456C"}}
    labels, refused = cluster_records(2, [(A, B)], identifiers=one_of_each)
    assert labels == [A, A]
    assert refused == []


def test_a_record_joined_to_a_cluster_brings_its_identifiers_to_later_decisions() -> None:
    identifiers = {B: {"nhs_number": "111"}, D: {"nhs_number": "222"}}
    labels, refused = cluster_records(4, [(A, B), (C, D), (A, C)], identifiers=identifiers)
    assert labels == [A, A, C, C]
    assert refused == [(A, C)]


def test_a_same_person_decision_joins_records_despite_different_nhs_numbers() -> None:
    labels, refused = cluster_records(3, [], identifiers=DIFFERENT_NHS_AT_THE_ENDS, same=[(A, C)])
    assert labels == [A, B, A]
    assert refused == []


def test_an_undone_link_is_refused() -> None:
    labels, refused = cluster_records(2, [(A, B)], identifiers={}, different=[(A, B)])
    assert labels == [A, B]
    assert refused == [(A, B)]


def test_records_said_to_be_different_stay_apart_through_a_chain_of_links() -> None:
    labels, refused = cluster_records(4, [(A, B), (C, D), (B, C)], identifiers={}, different=[(A, D)])
    assert labels == [A, A, C, C]
    assert refused == [(B, C)]


def test_a_different_people_decision_overrides_a_same_person_decision() -> None:
    labels, _refused = cluster_records(2, [], identifiers={}, same=[(A, B)], different=[(A, B)])
    assert labels == [A, B]


def test_no_records_give_no_clusters() -> None:
    assert cluster_records(0, [], identifiers={}) == ([], [])


@pytest.mark.parametrize("decision", [(A, B), (B, A)], ids=["as given", "reversed"])
def test_a_record_sharing_the_nhs_number_of_one_of_two_records_said_to_be_the_same_joins_them(
    decision: Pair,
) -> None:
    # A person can hold two NHS numbers (a duplicate registration); once someone has said A and B are the same
    # person, C holding B's number adds no new value to the cluster. Which of A's and B's numbers the cluster
    # remembers must not depend on how the decision's pair happens to be written.
    identifiers = {A: {"nhs_number": "111"}, B: {"nhs_number": "222"}, C: {"nhs_number": "222"}}
    labels, refused = cluster_records(3, [(B, C)], identifiers=identifiers, same=[decision])
    assert labels == [A, A, A]
    assert refused == []
