"""Duplication: a place of thirteen households worked by hand (pro-rated and open involvements, events in and out of
the year, one event on two members' records, someone in no household, an unpriced type, a source's own price, a
source no agency names), suppression of small bands and of the bands subtraction would reveal, a leap year, and
properties that hold for any place."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholeplace.core.errors import InvalidInputError
from wholeplace.money.cost_book import PRICES
from wholeplace.money.duplication import (
    AgencyCost,
    Band,
    Duplication,
    ServicePair,
    Unpriced,
    duplication,
    financial_year_bounds,
)
from wholeplace.outcomes.indicators import LinkedData

YEAR = (date(2025, 4, 1), date(2026, 3, 31))  # 365 days
AGENCIES = {
    "social_care": "Council",
    "housing": "Council",
    "police": "Police",
    "hospital": "NHS",
    "dwp": "DWP",
    "probation": "Probation",
}  # "gp" is no agency's

CIN, DA, AE, UC = "child_in_need", "domestic_abuse_incident", "emergency_attendance", "UC"


def d(text: str) -> date:
    return date.fromisoformat(text)


def record(person: str, source: str, household: str | None) -> dict[str, Any]:
    return {
        "source": source,
        "record_id": f"{source}-{person}",
        "person_id": person,
        "household_id": household,
    }


def involvement(person: str, source: str, kind: str, start: str | None, end: str | None) -> dict[str, Any]:
    return {
        "source": source,
        "record_id": f"{source}-{person}",
        "type": kind,
        "start": None if start is None else d(start),
        "end": None if end is None else d(end),
    }


def event(person: str, source: str, kind: str, day: str) -> dict[str, Any]:
    return {"source": source, "record_id": f"{source}-{person}", "type": kind, "date": d(day)}


def price_table(*rows: tuple[str, str | None, str, str, float]) -> pa.Table:
    return pa.table(
        {name: [row[index] for row in rows] for index, name in enumerate(PRICES.names)}, schema=PRICES
    )


PRICES_2025 = price_table(
    ("involvement", None, CIN, "Council", 3650.0),  # £10 a day
    ("involvement", None, UC, "DWP", 1825.0),  # £5 a day
    ("involvement", None, "Licence", "Probation", 3650.0),  # £10 a day
    ("event", None, DA, "Police", 1000.0),
    ("event", "hospital", DA, "NHS", 400.0),  # the hospital's own price wins over the police's
    ("event", None, AE, "NHS", 300.0),
    ("event", "housing", "eviction", "Council", 2000.0),
    ("event", None, "gp_appointment", "NHS", 40.0),  # priced, but the GP source is no agency's
)  # "Day care" and "homelessness_application" have no price


def worked_place() -> LinkedData:
    """Thirteen households: H1-H5 and H7 with one agency, H6, H8, H9 with two, H10 and H11 three, H12 four, H13
    five. Each line's cost is worked out beside it."""
    return LinkedData.of(
        records=[
            record("p1", "social_care", "H1"),
            record("p2", "dwp", "H2"),
            record("p3", "police", "H3"),
            record("p4", "social_care", "H4"),
            record("p5", "hospital", None),  # in no household: a household of one
            record("p5", "gp", None),
            record("p6a", "police", "H6"),
            record("p6b", "police", "H6"),
            record("p6b", "hospital", "H6"),
            record("p7", "social_care", "H7"),
            record("p7", "housing", None),  # the same person's household comes from their other record
            record("p8", "dwp", "H8"),
            record("p8", "hospital", "H8"),
            record("p9a", "social_care", "H9"),
            record("p9b", "police", "H9"),
            *(record("p10", source, "H10") for source in ("social_care", "police", "hospital")),
            record("p11a", "housing", "H11"),
            record("p11b", "dwp", "H11"),
            record("p11b", "hospital", "H11"),
            *(record("p12", source, "H12") for source in ("probation", "police", "dwp", "hospital")),
            record("p13a", "social_care", "H13"),
            record("p13a", "police", "H13"),
            *(record("p13b", source, "H13") for source in ("police", "hospital", "dwp", "probation")),
        ],
        involvements=[
            involvement("p1", "social_care", CIN, "2025-01-01", None),  # open all year: 3650
            involvement("p2", "dwp", UC, "2025-10-01", "2026-06-30"),  # Oct-Mar, 182 days: 5 x 182 = 910
            involvement("p4", "social_care", "Day care", "2024-06-01", "2025-04-01"),  # 1 day, unpriced: 0
            involvement("p4", "social_care", CIN, "2023-01-01", "2025-03-31"),  # ended before the year
            involvement("p7", "social_care", CIN, "2025-04-01", "2025-04-30"),  # 30 days: 300
            involvement("p8", "dwp", UC, None, "2025-04-30"),  # no start: from 1 April, 30 days: 150
            involvement("p9a", "social_care", "Day care", "2025-06-01", None),  # 304 days, unpriced: 0
            involvement("p10", "social_care", CIN, "2024-01-01", None),  # 3650
            involvement("p11b", "dwp", UC, "2025-04-01", "2026-03-31"),  # the whole year: 1825
            involvement("p12", "probation", "Licence", "2025-10-01", None),  # 182 days: 1820
            involvement("p12", "dwp", UC, "2025-04-01", "2025-09-30"),  # 183 days: 915
            involvement("p13a", "social_care", CIN, "2025-04-01", "2025-04-10"),  # 10 days: 100
            involvement("p13b", "dwp", UC, "2026-03-01", None),  # 31 days: 155
            involvement("p13b", "probation", "Licence", "2025-04-01", "2025-04-30"),  # 30 days: 300
        ],
        events=[
            event("p3", "police", DA, "2025-05-10"),  # 1000
            event("p3", "police", DA, "2025-03-31"),  # the day before the year
            event("p3", "police", DA, "2026-04-01"),  # the day after it
            event("p5", "hospital", AE, "2025-12-25"),  # 300
            event("p5", "gp", "gp_appointment", "2025-07-01"),  # no agency's source: not counted
            event("p6a", "police", DA, "2025-08-01"),  # 1000, and the same event on p6b's record
            event("p6b", "police", DA, "2025-08-01"),
            event("p6b", "hospital", DA, "2025-08-01"),  # another source's event: NHS 400
            event("p7", "housing", "eviction", "2025-09-15"),  # 2000
            event("p8", "hospital", AE, "2026-03-31"),  # the year's last day: 300
            event("p9b", "police", DA, "2025-11-11"),  # 1000
            event("p10", "police", DA, "2025-06-01"),  # 1000
            event("p10", "hospital", AE, "2025-06-01"),  # 300
            event("p11a", "housing", "eviction", "2025-05-05"),  # 2000
            event("p11a", "housing", "homelessness_application", "2025-05-01"),  # unpriced: 0
            event("p11b", "hospital", DA, "2025-07-07"),  # NHS 400
            event("p12", "police", DA, "2025-10-02"),  # 1000
            event("p12", "hospital", AE, "2025-10-03"),  # 300
            event("p13a", "police", DA, "2025-12-01"),  # 1000, and the same event on p13b's record
            event("p13b", "police", DA, "2025-12-01"),
            event("p13b", "hospital", AE, "2026-01-15"),  # 300
        ],
    )


def worked(smallest_shown: int) -> Duplication:
    return duplication(
        worked_place(), agencies=AGENCIES, prices=PRICES_2025, year=YEAR, smallest_shown=smallest_shown
    )


# ---------------------------------------------------------------- worked by hand

TOTAL = 8160 + 2850 + 9175 + 4035 + 1855  # the bands' costs below: 26,075


def test_bands_count_households_by_their_agencies_with_what_they_cost() -> None:
    found = worked(smallest_shown=1)

    assert found.year == YEAR
    assert found.households == 13
    assert found.cost == TOTAL
    assert found.bands == (
        # H1 3650, H2 910, H3 1000, H4 0, H5 300, H7 300 + 2000 (social care and housing: both the Council's)
        Band("1", 6, 7, 8160.0, 1360.0, pytest.approx(8160 / TOTAL, abs=5e-5)),
        # H6 1000 + 400 (its police event on two records once), H8 150 + 300, H9 0 + 1000
        Band("2", 3, 6, 2850.0, 950.0, pytest.approx(2850 / TOTAL, abs=5e-5)),
        # H10 3650 + 1000 + 300; H11 2000 + 0 + 1825 + 400
        Band("3", 2, 7, 9175.0, 4587.5, pytest.approx(9175 / TOTAL, abs=5e-5)),
        # H12 1820 + 1000 + 915 + 300
        Band("4", 1, 4, 4035.0, 4035.0, pytest.approx(4035 / TOTAL, abs=5e-5)),
        # H13 100 + 1000 (on two records) + 300 + 155 + 300
        Band("5 or more", 1, 5, 1855.0, 1855.0, pytest.approx(1855 / TOTAL, abs=5e-5)),
    )


def test_cost_each_agency_bears_for_the_households_many_agencies_work_with() -> None:
    found = worked(smallest_shown=1)

    # H10-H13 against every household's
    assert found.cost_by_agency_for_many == (
        AgencyCost("Council", 5750.0, pytest.approx(5750 / 11700, abs=5e-5)),  # 3650 + 2000 + 100 of 11,700
        AgencyCost("Police", 3000.0, 0.5),  # H10, H12, H13 of six households' 1000
        AgencyCost("DWP", 2895.0, pytest.approx(2895 / 3955, abs=5e-5)),  # 1825 + 915 + 155 of 3955
        AgencyCost("Probation", 2120.0, 1.0),  # 1820 + 300, all in H12 and H13
        AgencyCost("NHS", 1300.0, pytest.approx(1300 / 2300, abs=5e-5)),  # 300 + 400 + 300 + 300 of 2300
    )


def test_service_pairs_most_shared_first_without_those_of_few_households() -> None:
    found = worked(smallest_shown=2)

    assert found.service_pairs == (
        ServicePair("DWP: UC", "NHS: emergency_attendance", 3),  # H8, H12, H13
        ServicePair("NHS: emergency_attendance", "Police: domestic_abuse_incident", 3),  # H10, H12, H13
        ServicePair("Council: child_in_need", "NHS: emergency_attendance", 2),  # H10, H13
        ServicePair("Council: child_in_need", "Police: domestic_abuse_incident", 2),  # H10, H13
        ServicePair("DWP: UC", "Police: domestic_abuse_incident", 2),  # H12, H13
        ServicePair("DWP: UC", "Probation: Licence", 2),  # H12, H13
        ServicePair("NHS: emergency_attendance", "Probation: Licence", 2),  # H12, H13
        ServicePair("Police: domestic_abuse_incident", "Probation: Licence", 2),  # H12, H13
    )


def test_at_most_fifteen_pairs_by_name_among_equals_whatever_the_case() -> None:
    found = worked(smallest_shown=1)

    # 19 pairs: the 8 above, then 7 of the 11 shared by one household, by name ignoring case ("child" before "Day")
    assert len(found.service_pairs) == 15
    assert found.service_pairs[8:] == (
        ServicePair("Council: child_in_need", "Council: eviction", 1),  # H7
        ServicePair("Council: child_in_need", "DWP: UC", 1),  # H13
        ServicePair("Council: child_in_need", "Probation: Licence", 1),  # H13
        ServicePair("Council: Day care", "Police: domestic_abuse_incident", 1),  # H9
        ServicePair("Council: eviction", "Council: homelessness_application", 1),  # H11
        ServicePair("Council: eviction", "DWP: UC", 1),  # H11
        ServicePair("Council: eviction", "NHS: domestic_abuse_incident", 1),  # H11
    )


def test_involvements_and_events_with_no_price_are_counted_but_not_costed() -> None:
    assert worked(smallest_shown=1).unpriced == (
        Unpriced("event", "homelessness_application", 1),  # H11
        Unpriced("involvement", "Day care", 2),  # H4 for a day, H9
    )


def test_people_in_no_household_are_each_a_household_of_their_own() -> None:
    place = LinkedData.of(
        records=[record("p1", "police", None), record("p2", "police", None)],
        events=[event("p1", "police", DA, "2025-06-01"), event("p2", "police", DA, "2025-06-01")],
    )

    found = duplication(place, agencies=AGENCIES, prices=PRICES_2025, year=YEAR, smallest_shown=1)

    assert found.households == 2
    assert found.cost == 2000.0  # one event each, not one event of one household


# ---------------------------------------------------------------- suppression


def test_on_the_worked_place_only_the_band_of_six_households_is_shown() -> None:
    found = worked(smallest_shown=5)

    assert found.bands == (
        Band("1", 6, 7, 8160.0, 1360.0, pytest.approx(8160 / TOTAL, abs=5e-5)),
        # 3, 2, 1 and 1 households: seven together
        *(Band(label, None, None, None, None, None) for label in ("2", "3", "4", "5 or more")),
    )
    assert (found.households, found.cost) == (13, TOTAL)
    assert found.cost_by_agency_for_many is None  # four households
    assert found.service_pairs == ()  # none shared by five


def place_of_bands(*households_in_band: int) -> LinkedData:
    """For each band, that many households, each with one event of £100 from each of as many agencies."""
    sources = ["social_care", "police", "hospital", "dwp", "probation"]
    records, events = [], []
    for band, many in enumerate(households_in_band, start=1):
        for number in range(many):
            person = f"b{band}-{number}"
            for source in sources[:band]:
                records.append(record(person, source, f"H-{person}"))
                events.append(event(person, source, "visit", "2025-06-01"))
    return LinkedData.of(records=records, events=events)


VISITS = price_table(("event", None, "visit", "Council", 100.0))


def test_a_band_of_four_households_is_suppressed_while_the_totals_stay_exact() -> None:
    found = duplication(place_of_bands(10, 6, 4, 1), agencies=AGENCIES, prices=VISITS, year=YEAR)

    assert found.bands == (
        Band("1", 10, 10, 1000.0, 100.0, pytest.approx(1000 / 3800, abs=5e-5)),
        Band("2", 6, 12, 1200.0, 200.0, pytest.approx(1200 / 3800, abs=5e-5)),
        Band("3", None, None, None, None, None),  # 4
        Band("4", None, None, None, None, None),  # 1: with band 3, five hidden
        Band("5 or more", None, None, None, None, None),  # none
    )
    assert (found.households, found.cost) == (21, 1000 + 1200 + 4 * 300 + 400)
    assert found.cost_by_agency_for_many == (
        AgencyCost("Council", 1600.0, pytest.approx(1600 / 3800, abs=5e-5)),
    )


def test_the_smallest_band_shown_is_hidden_too_when_subtraction_would_reveal_a_small_one() -> None:
    found = duplication(place_of_bands(10, 6, 4), agencies=AGENCIES, prices=VISITS, year=YEAR)

    # Alone, the four households of band 3 would be 20 less the 10 and 6 shown.
    assert [band.households for band in found.bands] == [10, None, None, None, None]
    assert [band.cost for band in found.bands] == [1000.0, None, None, None, None]
    assert (found.households, found.cost) == (20, 1000 + 1200 + 1200)
    assert found.cost_by_agency_for_many is None


def test_smallest_shown_of_one_shows_every_band_with_a_household() -> None:
    found = duplication(
        place_of_bands(10, 6, 4, 1), agencies=AGENCIES, prices=VISITS, year=YEAR, smallest_shown=1
    )

    assert [band.households for band in found.bands] == [10, 6, 4, 1, None]
    assert [band.cost for band in found.bands] == [1000.0, 1200.0, 1200.0, 400.0, None]


# ---------------------------------------------------------------- the year


def test_financial_year_bounds() -> None:
    assert financial_year_bounds("2025-26") == (date(2025, 4, 1), date(2026, 3, 31))
    assert financial_year_bounds("2027/2028") == (date(2027, 4, 1), date(2028, 3, 31))
    with pytest.raises(ValueError, match="not a financial year"):
        financial_year_bounds("2025")


def test_a_leap_year_has_366_days() -> None:
    place = LinkedData.of(
        records=[record("p1", "social_care", "H1"), record("p2", "social_care", "H2")],
        involvements=[
            involvement("p1", "social_care", CIN, "2028-02-01", None),  # 29 + 31 = 60 days: 3660 x 60 / 366
            involvement("p2", "social_care", CIN, "2027-01-01", "2028-12-31"),  # the whole year: 3660
        ],
        events=[event("p1", "social_care", "visit", "2028-02-29")],  # 100
    )
    prices = price_table(
        ("involvement", None, CIN, "Council", 3660.0), ("event", None, "visit", "Council", 100.0)
    )

    found = duplication(
        place, agencies=AGENCIES, prices=prices, year=financial_year_bounds("2027-28"), smallest_shown=1
    )

    assert found.bands[0].cost == 600.0 + 100.0 + 3660.0
    assert found.cost == 4360.0


# ---------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([("event", None, DA, "Police", 1.0), ("event", None, DA, "NHS", 2.0)], "is given twice"),
        ([("event", None, DA, "Police", -1.0)], "an amount of zero or more"),
        ([("visit", None, DA, "Police", 1.0)], "neither an event nor an involvement"),
        ([("event", None, DA, None, 1.0)], "the agency that bears it"),
    ],
)
def test_prices_that_do_not_say_one_cost_are_refused(
    rows: list[tuple[str, str | None, str, str, float]], problem: str
) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        duplication(worked_place(), agencies=AGENCIES, prices=price_table(*rows), year=YEAR)


def test_prices_without_an_amount_column_are_refused() -> None:
    prices = pa.table({"kind": ["event"], "source": [None], "type": [DA], "agency": ["Police"]})

    with pytest.raises(InvalidInputError, match="no amount column"):
        duplication(worked_place(), agencies=AGENCIES, prices=prices, year=YEAR)


def test_a_year_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends"):
        duplication(worked_place(), agencies=AGENCIES, prices=PRICES_2025, year=(YEAR[1], YEAR[0]))


# ---------------------------------------------------------------- properties

# Each example computes in a DuckDB of its own: fewer examples keep the file quick.
COMPUTED = settings(max_examples=40)
SOURCES = [*AGENCIES, "gp"]
TYPES = ["a", "b", "c"]
DAYS = st.dates(date(2024, 10, 1), date(2026, 9, 30))


@st.composite
def places(draw: st.DrawFn) -> LinkedData:
    records = [
        record(f"p{person}", source, draw(st.sampled_from([None, "H1", "H2", "H3", "H4"])))
        for person in range(draw(st.integers(1, 12)))
        for source in draw(st.sets(st.sampled_from(SOURCES), min_size=1, max_size=4))
    ]
    on_record = st.sampled_from(records)
    involvements = [
        {"source": on["source"], "record_id": on["record_id"], "type": kind, "start": start, "end": end}
        for on, kind, start, end in draw(
            st.lists(
                st.tuples(on_record, st.sampled_from(TYPES), st.none() | DAYS, st.none() | DAYS), max_size=15
            )
        )
    ]
    events = [
        {"source": on["source"], "record_id": on["record_id"], "type": kind, "date": day}
        for on, kind, day in draw(st.lists(st.tuples(on_record, st.sampled_from(TYPES), DAYS), max_size=15))
    ]
    return LinkedData.of(records=records, involvements=involvements, events=events)


prices_drawn = st.dictionaries(
    st.tuples(
        st.sampled_from(["event", "involvement"]),
        st.none() | st.sampled_from(SOURCES),
        st.sampled_from(TYPES),
    ),
    st.tuples(st.sampled_from(["Council", "NHS", "Police"]), st.floats(0, 10_000)),
    max_size=10,
).map(lambda drawn: price_table(*((*key, agency, amount) for key, (agency, amount) in drawn.items())))


def everything_shown(place: LinkedData, prices: pa.Table) -> Duplication:
    return duplication(place, agencies=AGENCIES, prices=prices, year=YEAR, smallest_shown=1)


@COMPUTED
@given(places(), prices_drawn)
def test_the_bands_partition_the_households_and_their_cost(place: LinkedData, prices: pa.Table) -> None:
    found = everything_shown(place, prices)

    assert sum(band.households or 0 for band in found.bands) == found.households
    assert sum(band.cost or 0 for band in found.bands) == pytest.approx(found.cost, abs=0.03)


@COMPUTED
@given(places(), prices_drawn)
def test_doubling_every_price_doubles_every_cost(place: LinkedData, prices: pa.Table) -> None:
    doubled = prices.set_column(4, "amount", pc.multiply(prices.column("amount"), 2.0))

    once, twice = everything_shown(place, prices), everything_shown(place, doubled)

    assert twice.cost == pytest.approx(2 * once.cost, abs=0.011)
    for single, double in zip(once.bands, twice.bands, strict=True):
        assert double.cost == (None if single.cost is None else pytest.approx(2 * single.cost, abs=0.011))
    assert {cost.agency: (cost.cost, cost.share) for cost in twice.cost_by_agency_for_many or ()} == {
        cost.agency: pytest.approx((2 * cost.cost, cost.share), abs=0.011)
        for cost in once.cost_by_agency_for_many or ()
    }


@COMPUTED
@given(places(), prices_drawn, st.integers(0, 100), DAYS)
def test_an_unpriced_involvement_changes_no_cost(
    place: LinkedData, prices: pa.Table, which: int, start: date
) -> None:
    on = place.records.to_pylist()[which % place.records.num_rows]
    more = pa.concat_tables(
        [
            place.involvements,
            pa.table(
                {
                    "source": [on["source"]],
                    "record_id": [on["record_id"]],
                    "type": ["unpriced"],
                    "start": [start],
                    "end": [None],
                },
                schema=place.involvements.schema,
            ),
        ]
    )
    widened = LinkedData(place.records, place.events, more, place.neighbourhoods)

    assert everything_shown(widened, prices).cost == pytest.approx(
        everything_shown(place, prices).cost, abs=0.011
    )


@COMPUTED
@given(places(), prices_drawn)
def test_no_cost_is_negative_and_no_share_above_one(place: LinkedData, prices: pa.Table) -> None:
    found = everything_shown(place, prices)

    assert found.cost >= 0
    for band in found.bands:
        assert (band.cost or 0) >= 0 and (band.mean_cost or 0) >= 0 and 0 <= (band.share_of_cost or 0) <= 1
    for cost in found.cost_by_agency_for_many or ():
        assert cost.cost >= 0 and 0 <= cost.share <= 1


@COMPUTED
@given(places(), prices_drawn)
def test_a_pair_shares_no_more_households_than_the_bands_it_could_come_from(
    place: LinkedData, prices: pa.Table
) -> None:
    found = everything_shown(place, prices)

    for pair in found.service_pairs:
        agencies = len({pair.first.split(": ")[0], pair.second.split(": ")[0]})
        assert pair.households <= sum(band.households or 0 for band in found.bands[agencies - 1 :])


@COMPUTED
@given(places(), prices_drawn, st.integers(1, 6))
def test_what_is_hidden_is_never_a_small_group_by_subtraction(
    place: LinkedData, prices: pa.Table, smallest_shown: int
) -> None:
    found = duplication(place, agencies=AGENCIES, prices=prices, year=YEAR, smallest_shown=smallest_shown)

    shown = [band.households for band in found.bands if band.households is not None]
    assert all(households >= smallest_shown for households in shown)
    assert found.households - sum(shown) == 0 or found.households - sum(shown) >= smallest_shown or not shown
