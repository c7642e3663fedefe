"""The computations of the registry on small hand-made places whose values are worked out by hand, their
parameters, and properties that hold for any data: shares stay within 0 and `per`, an event of another type
changes nothing, and neighbourhoods add up to the place."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wholeplace.outcomes import indicators
from wholeplace.outcomes.indicators import LinkedData, ParameterError

Values = dict[tuple[str, str | None, str | None], Decimal]
NEIGHBOURHOODS = [{"code": "N1", "residents": 1000}, {"code": "N2", "residents": 500}, {"code": "N3"}]
NEEDS = {"housing": ["eviction"], "money": ["food_bank_visit", "UC"], "safety": ["child_protection"]}


def computed(data: LinkedData, key: str, *, smallest_shown: int = 1, **parameters: Any) -> Values:
    """The values computed; nothing withheld unless asked, the places worked by hand being tiny."""
    with indicators.workspace(data) as connection:
        found = indicators.compute(connection, key, parameters, smallest_shown=smallest_shown)
    return {(value.period, value.neighbourhood, value.group): value.value for value in found}


def record(person: str, source: str = "schools", place: str | None = "N1", **more: Any) -> dict[str, Any]:
    """A linked record of the person in the source, living in the neighbourhood given."""
    return {
        "source": source,
        "record_id": f"{source}-{person}",
        "person_id": person,
        "household_id": f"H-{person}",
        "postcode": None if place is None else "RF1 1AA",
        "neighbourhood": place,
        "loaded_on": date(2026, 4, 1),
        **more,
    }


def event(person: str, kind: str, day: date, source: str = "schools", **more: Any) -> dict[str, Any]:
    return {"source": source, "record_id": f"{source}-{person}", "type": kind, "date": day, **more}


def d(text: str) -> date:
    return date.fromisoformat(text)


# ---------------------------------------------------------------- worked by hand


def test_share_of_pupils_persistently_absent_by_year_neighbourhood_and_age() -> None:
    data = LinkedData.of(
        records=[
            record("p1", date_of_birth=d("2012-06-01")),
            record("p2", date_of_birth=d("2015-09-01")),
            record("p3", place="N2", date_of_birth=d("2009-04-01")),
            record("p3", place="N2", record_id="again-p3"),  # the same pupil twice on the roll
            record("p4", place="N2"),
            record("p5", source="health"),  # not a pupil
        ],
        events=[
            event("p1", "persistent_absence", d("2025-03-31")),
            event("p3", "persistent_absence", d("2025-03-31")),
            event("p3", "persistent_absence", d("2025-03-31"), record_id="again-p3"),
            event("p4", "persistent_absence", d("2024-01-10")),
            event("p5", "persistent_absence", d("2024-01-10"), source="health"),
        ],
    )

    assert computed(data, "share_of_people_with_event") == {
        ("2023/24", None, None): Decimal("25.0000"),  # p4 of four pupils
        ("2023/24", "N1", None): Decimal("0.0000"),
        ("2023/24", "N2", None): Decimal("50.0000"),
        ("2024/25", None, None): Decimal("50.0000"),  # p1 and p3
        ("2024/25", "N1", None): Decimal("50.0000"),
        ("2024/25", "N2", None): Decimal("50.0000"),
    }
    by_age = computed(data, "share_of_people_with_event", group="age_band", per=1)
    place_2024 = {
        group: value
        for (period, place, group), value in by_age.items()
        if (period, place) == ("2024/25", None)
    }
    assert place_2024 == {
        None: Decimal("0.5000"),
        "11-15": Decimal("1.0000"),  # p1 is 11 and p3 is 15 on 1 April 2024
        "5-10": Decimal("0.0000"),  # p2 is 8
        "age unknown": Decimal("0.0000"),  # p4
    }


def test_repeat_victims_within_twelve_months_counting_only_incidents_whose_months_have_passed() -> None:
    da = "domestic_abuse_incident"
    data = LinkedData.of(
        records=[
            record("v1", source="police"),
            record("v2", source="police"),
            record("v3", source="police", place="N2"),
            record("v3", source="police", place="N2", record_id="again-v3"),
            record("v4", source="police", place="N2"),
            record("v5", source="police", place="N3"),
        ],
        events=[
            event("v1", da, d("2023-05-01"), "police", role="VICTIM"),
            event("v1", da, d("2024-02-01"), "police", role="VICTIM"),  # within 12 months: a repeat
            event("v2", da, d("2023-06-01"), "police", role="VICTIM"),
            event("v2", da, d("2024-07-01"), "police", role="VICTIM"),  # 13 months later: not a repeat
            event("v3", da, d("2024-05-01"), "police", role="VICTIM"),
            event(
                "v3", da, d("2024-05-01"), "police", role="VICTIM", record_id="again-v3"
            ),  # the same incident
            event(
                "v3", da, d("2025-04-15"), "police", role="victim"
            ),  # a repeat; its own year has not passed
            event("v4", da, d("2023-08-01"), "police", role="SUSPECT"),
            event("v4", da, d("2023-09-01"), "police", role="SUSPECT"),
            event("v5", da, d("2026-03-30"), "police", role="VICTIM"),  # the latest incident recorded
        ],
    )

    assert computed(data, "repeat_events_within") == {
        ("2023/24", None, None): Decimal("50.0000"),  # v1 of v1 and v2
        ("2023/24", "N1", None): Decimal("50.0000"),
        ("2024/25", None, None): Decimal("50.0000"),  # v3 of v2 and v3
        ("2024/25", "N1", None): Decimal("0.0000"),
        ("2024/25", "N2", None): Decimal("100.0000"),
    }
    any_role = computed(data, "repeat_events_within", role="")
    assert any_role[("2023/24", None, None)] == Decimal("66.6667")  # v1 and v4 of v1, v2 and v4
    six_months = computed(data, "repeat_events_within", months=6)
    assert six_months[("2023/24", None, None)] == Decimal("0.0000")  # nine months apart is too far


def test_households_with_two_or_more_needs_from_events_and_open_involvements() -> None:
    data = LinkedData.of(
        records=[
            record("a", household_id="H1"),
            record("b", household_id="H1"),
            record("c", place="N2", household_id="H2"),
            record("d", household_id="H2"),  # H2 lives in N2, where two of its three members do
            record("e", place="N2", household_id="H2"),
            record("f", household_id=None),  # in no household: a household of one
            record("g"),
        ],
        events=[
            event("a", "eviction", d("2023-06-01")),
            event("b", "food_bank_visit", d("2023-07-01")),
            event("d", "food_bank_visit", d("2024-08-01")),
            event("f", "eviction", d("2025-01-01")),
            event("g", "emergency_attendance", d("2025-06-01")),  # no need, but the data run to 2025/26
        ],
        involvements=[
            {"source": "schools", "record_id": "schools-b", "type": "UC", "start": d("2024-05-01")},
            {
                "source": "schools",
                "record_id": "schools-c",
                "type": "child_protection",
                "start": d("2023-01-01"),
                "end": d("2024-06-30"),
            },
            {"source": "schools", "record_id": "schools-f", "type": "UC"},  # open, since before the data
        ],
        neighbourhoods=NEIGHBOURHOODS,
    )

    values = computed(data, "households_with_needs", needs=NEEDS, at_least=2)

    assert values == {
        ("2023/24", None, None): Decimal(1),  # H1: housing and money
        ("2023/24", "N1", None): Decimal(1),
        ("2023/24", "N2", None): Decimal(0),
        ("2023/24", "N3", None): Decimal(0),
        ("2024/25", None, None): Decimal(2),  # H2: safety and money; f: housing and money
        ("2024/25", "N1", None): Decimal(1),
        ("2024/25", "N2", None): Decimal(1),
        ("2024/25", "N3", None): Decimal(0),
        ("2025/26", None, None): Decimal(0),
        ("2025/26", "N1", None): Decimal(0),
        ("2025/26", "N2", None): Decimal(0),
        ("2025/26", "N3", None): Decimal(0),
    }


def test_emergency_attendances_per_thousand_residents_of_the_neighbourhoods_with_an_estimate() -> None:
    ae = "emergency_attendance"
    data = LinkedData.of(
        records=[
            record("a", "health"),
            record("a", "health", record_id="again-a"),
            record("b", "health", place="N2"),
            record("c", "health", place="N3"),  # no population estimate
            record("d", "health", place=None),  # outside the place
        ],
        events=[
            event("a", ae, d("2024-05-01"), "health"),
            event("a", ae, d("2024-05-01"), "health", record_id="again-a"),  # the same attendance
            event("a", ae, d("2024-06-01"), "health"),
            event("b", ae, d("2025-04-02"), "health"),
            event("c", ae, d("2024-07-01"), "health"),
            event("d", ae, d("2024-08-01"), "health"),
        ],
        neighbourhoods=NEIGHBOURHOODS,
    )

    assert computed(data, "events_per_thousand") == {
        ("2024/25", None, None): Decimal("1.3333"),  # 2 of 1,500 residents
        ("2024/25", "N1", None): Decimal("2.0000"),
        ("2024/25", "N2", None): Decimal("0.0000"),
        ("2025/26", None, None): Decimal("0.6667"),
        ("2025/26", "N1", None): Decimal("0.0000"),
        ("2025/26", "N2", None): Decimal("2.0000"),
    }
    quarters = computed(data, "events_per_thousand", period="quarter")
    assert sorted({period for period, _, _ in quarters}) == [
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
    ]
    assert quarters[("2024-Q2", None, None)] == Decimal("1.3333")


def test_a_person_lives_where_their_most_recent_record_with_a_postcode_says() -> None:
    data = LinkedData.of(
        records=[
            record("a", "health", place="N1", updated_at=d("2024-01-01")),
            record("a", "police", place="N2"),  # recent by its incident
            record(
                "a", "schools", place=None, updated_at=d("2026-01-01")
            ),  # the newest, but with no postcode
            record("b", "health", place="N1", loaded_on=d("2025-01-01")),
            record("b", "police", place="N2", loaded_on=d("2024-01-01")),
        ],
        events=[event("a", "crime", d("2025-02-01"), "police")],
    )

    with indicators.workspace(data) as connection:
        people = dict(connection.execute("SELECT person_id, neighbourhood FROM people").fetchall())

    assert people == {"a": "N2", "b": "N1"}


def test_per_thousand_needs_population_estimates() -> None:
    data = LinkedData.of(
        records=[record("a", "health")],
        events=[event("a", "emergency_attendance", d("2024-05-01"), "health")],
        neighbourhoods=[{"code": "N1"}],
    )
    with pytest.raises(ParameterError, match="population estimates"):
        computed(data, "events_per_thousand")


# ---------------------------------------------------------------- parameters


def closed_need(plan: str, day: str, area: str, result: str, *agencies: str, **more: Any) -> dict[str, Any]:
    plan_id = f"00000000-0000-0000-0000-{int(plan):012d}"
    return {
        "plan_id": plan_id,
        "closed_on": d(day),
        "outcome_area": area,
        "result": result,
        "agencies": list(agencies),
        **more,
    }


CLOSED = LinkedData.of(
    closed_needs=[
        closed_need("1", "2024-06-01", "housing", "achieved", "Council", "Police", sustainment="sustained"),
        closed_need("1", "2024-06-01", "education", "not_achieved", "Council", "Police"),
        closed_need("2", "2025-02-01", "housing", "partly_achieved", "Council"),
        closed_need("3", "2025-05-01", "housing", "achieved", "Police", sustainment="relapsed"),
    ]
)


def test_closed_plans_count_each_family_once_a_year_where_the_agency_worked() -> None:
    assert computed(CLOSED, "closed_plans", agency="Council") == {("2024/25", None, None): Decimal(2)}
    assert computed(CLOSED, "closed_plans", agency="Police") == {
        ("2024/25", None, None): Decimal(1),
        ("2025/26", None, None): Decimal(1),
    }


def test_closed_plan_outcomes_share_the_needs_better_off_by_the_rule() -> None:
    assert computed(CLOSED, "closed_plan_outcomes", agency="Council") == {
        ("2024/25", None, None): Decimal("33.3")
    }
    assert computed(
        CLOSED, "closed_plan_outcomes", agency="Council", areas="housing", counted="achieved, partly_achieved"
    ) == {("2024/25", None, None): Decimal("100.0")}
    assert computed(CLOSED, "closed_plan_outcomes", agency="Police", sustained_only="yes") == {
        ("2024/25", None, None): Decimal("50.0"),
        ("2025/26", None, None): Decimal("0.0"),
    }


def test_parameters_left_out_take_their_defaults_and_typed_ones_are_read() -> None:
    found = indicators.indicator("repeat_events_within")
    typed = indicators.parameters_from_lines(["months = 6", "", " period=quarter "])
    assert found.checked(typed) == {
        "event_type": "domestic_abuse_incident",
        "role": "victim",
        "months": 6,
        "period": "quarter",
        "group": "everyone",
        "per": 100,
    }


@pytest.mark.parametrize(
    ("key", "given", "parameter"),
    [
        ("repeat_events_within", {"months": "twelve"}, "months"),
        ("repeat_events_within", {"months": 0}, "months"),
        ("repeat_events_within", {"weeks": 3}, "weeks"),
        ("events_per_thousand", {"period": "month"}, "period"),
        ("households_with_needs", {"needs": "housing"}, "needs"),
        ("households_with_needs", {"needs": {"Housing!": ["eviction"]}}, "needs"),
        ("share_of_people_with_event", {"event_type": "a, b"}, "event_type"),
        ("closed_plans", {}, "agency"),
        ("closed_plan_outcomes", {"agency": "Police", "counted": "won"}, "counted"),
        ("closed_plan_outcomes", {"agency": "Police", "sustained_only": "maybe"}, "sustained_only"),
        ("closed_plan_outcomes", {"agency": "Police", "areas": "Housing!"}, "areas"),
    ],
)
def test_wrong_parameters_are_refused_naming_the_parameter(
    key: str, given: dict[str, Any], parameter: str
) -> None:
    with pytest.raises(ParameterError) as raised:
        indicators.indicator(key).checked(given)
    assert raised.value.parameter == parameter


def test_an_unknown_key_names_the_keys_there_are() -> None:
    with pytest.raises(ParameterError, match="events_per_thousand") as raised:
        indicators.indicator("attendances")
    assert raised.value.parameter == "key"


# ---------------------------------------------------------------- properties

PEOPLE = [f"p{number}" for number in range(8)]
WINDOW = (d("2023-04-01"), d("2026-03-31"))
people_st = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE), st.sampled_from(["N1", "N2", None]), st.sampled_from(["schools", "health"])
    ),
    min_size=1,
    max_size=12,
)
events_st = st.lists(
    st.tuples(
        st.sampled_from(PEOPLE),
        st.sampled_from(["persistent_absence", "eviction", "food_bank_visit", "domestic_abuse_incident"]),
        st.dates(*WINDOW),
        st.sampled_from(["VICTIM", None]),
    ),
    max_size=25,
)


def linked_data(
    people: list[tuple[str, str | None, str]], happened: list[tuple[str, str, date, str | None]]
) -> LinkedData:
    """Records for the people drawn (one per person and source), with the events drawn for people who have one."""
    records = {(person, source): record(person, source, place) for person, place, source in people}
    sources_of = dict(records.keys())
    return LinkedData.of(
        records=records.values(),
        events=[
            event(person, kind, day, sources_of[person], role=role)
            for person, kind, day, role in happened
            if person in sources_of
        ],
        neighbourhoods=NEIGHBOURHOODS,
    )


@given(people_st, events_st, st.sampled_from(["share_of_people_with_event", "repeat_events_within"]))
def test_shares_lie_between_none_and_all(people: Any, happened: Any, key: str) -> None:
    values = computed(linked_data(people, happened), key, per=100, group="age_band")
    assert all(Decimal(0) <= value <= Decimal(100) for value in values.values())


PARAMETERS_NEEDED: dict[str, dict[str, Any]] = {
    "households_with_needs": {"needs": NEEDS, "at_least": 1},
    "closed_plans": {"agency": "Council"},
    "closed_plan_outcomes": {"agency": "Council"},
}


@given(people_st, events_st, st.sampled_from(list(indicators.REGISTRY)), st.integers(0, 100))
def test_an_event_of_another_type_within_the_data_changes_nothing(
    people: Any, happened: Any, key: str, which: int
) -> None:
    linked = [one for one in happened if one[0] in {person for person, _, _ in people}]
    assume(linked)
    on_a_day_already_there = linked[which % len(linked)][2]
    data = linked_data(people, happened)
    more = linked_data(people, [*happened, (people[0][0], "library_visit", on_a_day_already_there, None)])
    parameters = PARAMETERS_NEEDED.get(key, {})
    assert computed(more, key, **parameters) == computed(data, key, **parameters)


@given(people_st, events_st, st.integers(1, 3))
def test_neighbourhoods_add_up_to_the_place_when_everyone_lives_in_one(
    people: Any, happened: Any, at_least: int
) -> None:
    placed = [(person, place or "N1", source) for person, place, source in people]
    values = computed(linked_data(placed, happened), "households_with_needs", needs=NEEDS, at_least=at_least)
    for period in {period for period, _, _ in values}:
        parts = sum(value for (when, place, _), value in values.items() if when == period and place)
        assert parts == values[(period, None, None)]


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
        st.lists(
            st.from_regex(r"[A-Za-z][A-Za-z0-9_ ]{0,15}[A-Za-z0-9]", fullmatch=True),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_needs_read_back_from_the_text_they_are_shown_as(needs: dict[str, list[str]]) -> None:
    parameter = next(p for p in indicators.indicator("households_with_needs").parameters if p.name == "needs")
    kept = parameter.read(needs)
    assert parameter.read(parameter.as_text(kept)) == kept
