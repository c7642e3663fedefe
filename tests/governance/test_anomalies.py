"""The anomaly rules over plain access-log rows: casework without involvement, unusual days and bursts of refusals,
with examples and with properties (more looking never makes an unusual day usual; a burst is found exactly when
some window holds enough refusals; the order of the rows changes nothing)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from wholeplace.governance.anomalies import (
    Access,
    BurstRule,
    VolumeRule,
    denial_bursts,
    find_anomalies,
    place_fence,
    uninvolved_casework,
    unusual_days,
)

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CASEWORK = frozenset({"early_help", "front_door_triage"})
_positions = itertools.count(1)


def access(
    *,
    minutes: float = 0,
    username: str = "sam",
    agency: str = "Homes",
    purpose: str = "early_help",
    subject: str = "P-1",
    kind: str = "person",
    permitted: bool = True,
    break_glass: bool = False,
) -> Access:
    return Access(
        position=next(_positions),
        at=START + timedelta(minutes=minutes),
        username=username,
        agency=agency,
        purpose=purpose,
        subject_kind=kind,
        subject_id=subject,
        permitted=permitted,
        break_glass=break_glass,
    )


def looking_at(
    count: int, *, username: str = "sam", day: int = 0, first: int = 0, purpose: str = "early_help"
) -> list[Access]:
    """A user looking at `count` different people on one day."""
    return [
        access(
            minutes=day * 24 * 60 + number % 600,
            username=username,
            subject=f"P-{first + number}",
            purpose=purpose,
        )
        for number in range(count)
    ]


# ---------------------------------------------------------------- casework without involvement


def test_casework_on_someone_the_agency_is_not_involved_with_is_found_once_per_agency_and_person() -> None:
    found = uninvolved_casework(
        [
            access(minutes=0, username="sam"),
            access(minutes=5, username="ali"),
            access(minutes=9, subject="P-2"),
        ],
        casework_purposes=CASEWORK,
        involved={("Homes", "person", "P-2")},
    )
    assert [(one.agency, one.subject_id, one.accesses, one.usernames) for one in found] == [
        ("Homes", "P-1", 2, ("ali", "sam"))
    ]
    assert (found[0].first_at, found[0].last_at) == (START, START + timedelta(minutes=5))


def test_refusals_break_glass_and_other_purposes_are_not_casework_without_involvement() -> None:
    found = uninvolved_casework(
        [
            access(permitted=False),
            access(break_glass=True, purpose="vital_interests"),
            access(purpose="record_linkage"),
        ],
        casework_purposes=CASEWORK,
        involved=set(),
    )
    assert found == []


def test_an_involvement_of_another_agency_does_not_count() -> None:
    found = uninvolved_casework(
        [access(agency="Schools")], casework_purposes=CASEWORK, involved={("Homes", "person", "P-1")}
    )
    assert [one.agency for one in found] == ["Schools"]


# ---------------------------------------------------------------- unusual days


def test_a_day_above_every_bar_is_unusual() -> None:
    usual_days = [one for day in range(1, 6) for one in looking_at(10, day=day, first=day * 100)]
    found = unusual_days([*usual_days, *looking_at(40)])
    assert [(one.username, one.day, one.subjects, one.usual) for one in found] == [
        ("sam", START.date(), 40, 10.0)
    ]
    assert found[0].threshold == 30.0


def test_a_busy_day_below_the_minimum_is_not_unusual() -> None:
    usual_days = [one for day in range(1, 6) for one in looking_at(2, day=day, first=day * 100)]
    assert unusual_days([*usual_days, *looking_at(30)]) == []


def test_a_day_within_three_times_the_users_usual_is_not_unusual() -> None:
    usual_days = [one for day in range(1, 6) for one in looking_at(20, day=day, first=day * 100)]
    assert unusual_days([*usual_days, *looking_at(60)]) == []


def test_a_user_the_place_often_sees_this_busy_is_not_unusual() -> None:
    colleagues = [
        one
        for number in range(8)
        for one in looking_at(50, username=f"colleague{number}", first=number * 100)
    ]
    newcomer = looking_at(50, username="new")
    assert unusual_days([*colleagues, *newcomer], rule=VolumeRule(minimum=10)) == []


def test_looking_at_the_same_person_again_counts_them_once() -> None:
    assert unusual_days([access(minutes=number) for number in range(100)], rule=VolumeRule(minimum=1)) == []


def test_the_place_fence_uses_nearest_rank_quartiles() -> None:
    assert place_fence([1, 2, 3, 4, 5, 6, 7, 8], fence_iqrs=3) == 6 + 3 * (6 - 2)
    assert place_fence([], fence_iqrs=3) == 0.0


# ---------------------------------------------------------------- bursts of refusals


def test_five_refusals_in_ten_minutes_are_one_burst() -> None:
    refusals = [access(minutes=minute, permitted=False, subject=f"P-{minute}") for minute in (0, 2, 4, 6, 10)]
    [burst] = denial_bursts(refusals)
    assert (burst.username, burst.start, burst.end, burst.denials, burst.subjects) == (
        "sam",
        START,
        START + timedelta(minutes=10),
        5,
        5,
    )


def test_four_refusals_or_five_spread_out_are_no_burst() -> None:
    assert denial_bursts([access(minutes=minute, permitted=False) for minute in (0, 1, 2, 3)]) == []
    assert denial_bursts([access(minutes=minute * 3, permitted=False) for minute in range(5)]) == []


def test_overlapping_windows_are_reported_as_one_burst() -> None:
    [burst] = denial_bursts([access(minutes=minute * 2, permitted=False) for minute in range(12)])
    assert (burst.start, burst.end, burst.denials) == (START, START + timedelta(minutes=22), 12)


def test_bursts_are_per_user_and_permits_do_not_count() -> None:
    mixed = [access(minutes=minute, permitted=False, username=f"user{minute % 2}") for minute in range(8)]
    mixed += [access(minutes=minute) for minute in range(10)]
    assert denial_bursts(mixed) == []


def test_find_anomalies_gathers_the_three_kinds() -> None:
    analyst = [
        one
        for day in range(1, 7)
        for one in looking_at(5, username="ali", day=day, first=day * 100, purpose="record_linkage")
    ]
    found = find_anomalies(
        [*looking_at(40), *analyst, *(access(minutes=minute, permitted=False) for minute in range(5))],
        casework_purposes=CASEWORK,
        involved=set(),
    )
    assert (len(found.uninvolved), len(found.unusual_days), len(found.bursts)) == (40, 1, 1)
    assert found.count == 42


# ---------------------------------------------------------------- properties

usernames = st.sampled_from(["sam", "ali", "jo"])
moments = st.integers(min_value=0, max_value=3 * 24 * 60)


@st.composite
def logs(draw: st.DrawFn) -> list[Access]:
    """A small log: a few users, a few agencies, a few people, over three days."""
    rows = draw(
        st.lists(
            st.tuples(
                moments,
                usernames,
                st.sampled_from(["Homes", "Schools"]),
                st.sampled_from(["early_help", "front_door_triage", "record_linkage"]),
                st.integers(min_value=1, max_value=60),
                st.booleans(),
            ),
            max_size=120,
        )
    )
    return [
        Access(
            position=position,
            at=START + timedelta(minutes=minute),
            username=username,
            agency=agency,
            purpose=purpose,
            subject_kind="person",
            subject_id=f"P-{person}",
            permitted=permitted,
        )
        for position, (minute, username, agency, purpose, person, permitted) in enumerate(rows, 1)
    ]


volume_rules = st.builds(
    VolumeRule,
    minimum=st.integers(min_value=0, max_value=20),
    own_factor=st.floats(min_value=0, max_value=5),
    fence_iqrs=st.floats(min_value=0, max_value=5),
)
burst_rules = st.builds(
    BurstRule,
    denials=st.integers(min_value=1, max_value=6),
    window=st.integers(min_value=0, max_value=120).map(lambda minutes: timedelta(minutes=minutes)),
)


@given(logs(), volume_rules, st.integers(min_value=1, max_value=40))
def test_looking_at_more_people_never_makes_an_unusual_day_usual(
    log: list[Access], rule: VolumeRule, more: int
) -> None:
    for found in unusual_days(log, rule=rule):
        on_that_day = next(
            one for one in log if one.username == found.username and one.at.date() == found.day
        )
        extra = [
            replace(on_that_day, position=10_000 + number, subject_id=f"NEW-{number}")
            for number in range(more)
        ]
        again = unusual_days([*log, *extra], rule=rule)
        assert (found.username, found.day) in {(one.username, one.day) for one in again}


@given(logs(), burst_rules)
def test_a_burst_is_found_exactly_when_some_window_holds_enough_refusals(
    log: list[Access], rule: BurstRule
) -> None:
    bursts = denial_bursts(log, rule=rule)
    for username in {one.username for one in log}:
        times = sorted(one.at for one in log if one.username == username and not one.permitted)
        some_window = any(
            sum(1 for other in times if start <= other <= start + rule.window) >= rule.denials
            for start in times
        )
        mine = [burst for burst in bursts if burst.username == username]
        assert bool(mine) == some_window
        assert all(burst.denials >= rule.denials for burst in mine)
        assert all(earlier.end < later.start for earlier, later in itertools.pairwise(mine))


@given(logs(), st.randoms(use_true_random=False))
def test_the_order_of_the_rows_changes_nothing(log: list[Access], random: Random) -> None:
    shuffled = list(log)
    random.shuffle(shuffled)
    involved = {("Homes", "person", f"P-{number}") for number in range(0, 60, 3)}
    assert find_anomalies(
        shuffled, casework_purposes=CASEWORK, involved=involved, volume=VolumeRule(minimum=3)
    ) == find_anomalies(log, casework_purposes=CASEWORK, involved=involved, volume=VolumeRule(minimum=3))
