"""Cracks in the jigsaw: a place of seven excluded pupils worked by hand (matching on the most recent sex and
neighbourhood, the comparison people chosen by md5, an earlier exclusion that keeps someone out of the comparison
group, one event on two records, an involvement straddling the window's start and open-ended ones, a source's own
price, an unpriced type, a source no agency names, windows cut short by as_of), suppression of small rows and of
the rows subtraction would reveal, refused inputs, and properties that hold for any place."""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wholeplace.core.errors import InvalidInputError
from wholeplace.money.cost_book import PRICES
from wholeplace.money.cracks import Cracks, Following, Trigger, cracks
from wholeplace.money.duplication import Unpriced
from wholeplace.outcomes.indicators import LinkedData

AGENCIES = {
    "school": "Education",
    "police": "Police",
    "social_care": "Council",
    "yot": "Youth Justice",
    "hospital": "NHS",
}  # "gp" is no agency's
EXCLUSION = Trigger(
    agency="Education",
    event_type="school_exclusion",
    months=12,
    first=date(2024, 1, 1),
    last=date(2024, 12, 31),
)
AS_OF = date(2025, 6, 30)
DAYS_PER_YEAR = 365.25


def d(text: str) -> date:
    return date.fromisoformat(text)


def record(
    person: str,
    source: str,
    *,
    sex: str | None = None,
    neighbourhood: str | None = None,
    born: str | None = None,
    updated: str | None = None,
    record_id: str | None = None,
) -> dict[str, Any]:
    return {
        "source": source,
        "record_id": record_id or f"{source}-{person}",
        "person_id": person,
        "sex": sex,
        "neighbourhood": neighbourhood,
        "date_of_birth": None if born is None else d(born),
        "updated_at": None if updated is None else d(updated),
    }


def event(person: str, source: str, kind: str, day: str, *, record_id: str | None = None) -> dict[str, Any]:
    return {"source": source, "record_id": record_id or f"{source}-{person}", "type": kind, "date": d(day)}


def involvement(person: str, source: str, kind: str, start: str | None, end: str | None) -> dict[str, Any]:
    return {
        "source": source,
        "record_id": f"{source}-{person}",
        "type": kind,
        "start": None if start is None else d(start),
        "end": None if end is None else d(end),
    }


def price_table(*rows: tuple[str, str | None, str, str, float]) -> pa.Table:
    return pa.table(
        {name: [row[index] for row in rows] for index, name in enumerate(PRICES.names)}, schema=PRICES
    )


PRICES_2024 = price_table(
    ("event", None, "school_exclusion", "Education", 100.0),
    ("event", None, "arrest", "Police", 500.0),
    ("event", None, "missing_episode", "Police", 1000.0),
    ("event", "social_care", "missing_episode", "Council", 300.0),  # social care's own price wins
    ("event", None, "ae_attendance", "NHS", 250.0),
    ("event", None, "gp_visit", "NHS", 40.0),  # priced, but the GP source is no agency's
    ("involvement", None, "yot_supervision", "Youth Justice", 3652.5),  # £10 a day
    ("involvement", None, "child_in_need", "Council", 1826.25),  # £5 a day
)  # "mentoring_session" has no price


def school(
    person: str, sex: str | None, neighbourhood: str, born: str, updated: str | None = None
) -> dict[str, Any]:
    return record(person, "school", sex=sex, neighbourhood=neighbourhood, born=born, updated=updated)


def worked_place() -> LinkedData:
    """T1-T7 excluded in 2024, T6 (sex unknown) and T7 (no other boy in N2 born in 2009) unmatched; C* the
    candidates; X1 excluded in 2023, so never a candidate. The windows (day after the exclusion to a year on, or
    to 30 June 2025): T1 366 days, T2 365, T3 365, T4 302, T5 222."""
    return LinkedData.of(
        records=[
            school("T1", "F", "N1", "2010-03-01"),
            record("T1", "police"),
            record("T1", "police", record_id="police-T1-old"),
            record("T1", "yot"),
            record("T1", "gp"),
            school("T2", None, "N1", "2011-05-05", updated="2024-01-01"),
            record("T2", "police", sex="M", updated="2022-01-01"),  # the most recent record giving a sex
            record("T2", "social_care"),
            school("T3", "F", "N2", "2012-01-20", updated="2023-09-01"),
            record("T3", "hospital", neighbourhood="N1", updated="2020-01-01"),  # an older neighbourhood
            record("T3", "police"),
            record("T3", "yot"),
            school("T4", "M", "N2", "2010-09-09"),
            record("T4", "police"),
            record("T4", "yot"),
            school("T5", "F", "N1", "2011-11-11"),
            record("T5", "police"),
            school("T6", None, "N1", "2010-01-01"),
            record("T6", "police"),
            school("T7", "M", "N2", "2009-04-04"),
            school("C1a", "F", "N1", "2010-02-02"),
            school("C1b", "F", "N1", "2010-07-07"),
            school("C1c", "F", "N1", "2010-12-31"),
            record("C1a", "police"),
            record("C1b", "police"),
            school("X1", "F", "N1", "2010-06-06"),
            record("X1", "police"),
            school("C2a", "M", "N1", "2011-02-02"),
            record("C2a", "police"),
            school("C3a", "F", "N2", "2012-03-03"),
            school("C3b", "F", "N2", "2012-09-09"),
            record("C3a", "hospital"),
            record("C3a", "yot"),
            school("C4a", "M", "N2", "2010-12-12"),
            record("C4a", "yot"),
            school("C5a", "F", "N1", "2011-08-08"),
            record("C5a", "hospital"),
        ],
        events=[
            *(
                event(person, "school", "school_exclusion", day)
                for person, day in (
                    ("T1", "2024-02-10"),
                    ("T2", "2024-03-01"),
                    ("T3", "2024-06-15"),
                    ("T4", "2024-09-01"),
                    ("T5", "2023-10-01"),  # before the trigger's first day
                    ("T5", "2024-11-20"),  # T5's index
                    ("T5", "2024-12-05"),  # in T5's window: Education 100
                    ("T6", "2024-05-01"),
                    ("T7", "2024-04-04"),
                    ("X1", "2023-05-01"),  # outside the trigger's dates, yet X1 is never a candidate
                )
            ),
            event("T1", "police", "arrest", "2024-04-01"),  # Police 500, the same event on two records
            event("T1", "police", "arrest", "2024-04-01", record_id="police-T1-old"),
            event("T1", "gp", "gp_visit", "2024-05-01"),  # no agency's source: not counted
            event("T2", "police", "missing_episode", "2024-05-05"),  # Police 1000
            event("T2", "social_care", "missing_episode", "2024-05-05"),  # Council 300, social care's price
            event("T3", "police", "arrest", "2024-07-01"),  # Police 500
            event("T3", "police", "arrest", "2025-07-01"),  # after the window
            event("T3", "hospital", "ae_attendance", "2024-08-08"),  # NHS 250
            event("T3", "yot", "mentoring_session", "2024-09-09"),  # unpriced
            event("T4", "police", "arrest", "2025-05-05"),  # Police 500
            event("T4", "police", "arrest", "2025-08-01"),  # after as_of
            event("T5", "police", "arrest", "2025-01-10"),  # Police 500
            event("T6", "police", "arrest", "2024-06-01"),  # unmatched: in no figure
            event("C1a", "police", "arrest", "2024-06-01"),  # in T1's window: 500
            event("C1b", "police", "arrest", "2024-10-10"),  # 500, but C1b is not chosen
            event("X1", "police", "arrest", "2024-06-01"),
            event("C2a", "police", "missing_episode", "2024-08-08"),  # in T2's window: 1000
            event("C3a", "hospital", "ae_attendance", "2024-12-12"),  # in T3's window: 250
            event("C3a", "yot", "mentoring_session", "2024-12-13"),  # unpriced, but a comparison person's
            event("C5a", "hospital", "ae_attendance", "2025-03-03"),  # in T5's window: 250
        ],
        involvements=[
            # From the window's start, 11 February, to 31 March: 19 + 31 = 50 days, 500
            involvement("T1", "yot", "yot_supervision", "2024-01-01", "2024-03-31"),
            # Open: 1 December to the window's end on 1 March 2025, 31 + 31 + 28 + 1 = 91 days, 455
            involvement("T2", "social_care", "child_in_need", "2024-12-01", None),
            # Open: 1 January to as_of, 31 + 28 + 31 + 30 + 31 + 30 = 181 days, 1810
            involvement("T4", "yot", "yot_supervision", "2025-01-01", None),
            # In T4's window: 31 days, 310
            involvement("C4a", "yot", "yot_supervision", "2024-10-01", "2024-10-31"),
        ],
    )


def worked(smallest_shown: int = 1) -> Cracks:
    return cracks(
        worked_place(),
        agencies=AGENCIES,
        prices=PRICES_2024,
        trigger=EXCLUSION,
        as_of=AS_OF,
        comparison_per_person=2,
        smallest_shown=smallest_shown,
    )


# ---------------------------------------------------------------- worked by hand

DAYS = [366, 365, 365, 302, 222]  # T1 to T5's windows
YEARS = sum(DAYS) / DAYS_PER_YEAR


def chosen_for_t1() -> list[str]:
    """T1's two comparison people of the three candidates: the lowest md5 of "T1|candidate"."""

    def rank(candidate: str) -> str:
        return hashlib.md5(f"T1|{candidate}".encode(), usedforsecurity=False).hexdigest()

    return sorted(["C1a", "C1b", "C1c"], key=rank)[:2]


def interval(differences: Sequence[float]) -> tuple[float, float]:
    years = [days / DAYS_PER_YEAR for days in DAYS]
    ratio = sum(differences) / sum(years)
    squares = sum((own - ratio * own_years) ** 2 for own, own_years in zip(differences, years, strict=True))
    error = math.sqrt(5 / 4 * squares) / sum(years)
    return round(ratio - 1.96 * error, 2), round(ratio + 1.96 * error, 2)


def test_the_comparison_people_are_chosen_by_md5() -> None:
    assert chosen_for_t1() == ["C1c", "C1a"]  # C1b, with its arrest, is left out


def test_who_is_followed_and_for_how_long() -> None:
    found = worked()

    assert (found.shown, found.as_of, found.trigger) == (True, AS_OF, EXCLUSION)
    assert (found.triggered, found.unmatched, found.cohort) == (7, 2, 5)  # T6 and T7 unmatched
    assert found.comparison == 7  # C1a, C1c, C2a, C3a, C3b, C4a, C5a
    assert found.person_years == round(YEARS, 2)
    assert found.mean_follow_up_days == 1620 / 5


def test_every_figure_of_the_police() -> None:
    police = next(row for row in worked().by_agency if row.label == "Police")

    cost = [500, 1000, 500, 500, 500]  # T1's arrest on two records once, T2's missing episode, three arrests
    arrests_in_t1s_window = {"C1a": 500, "C1b": 500, "C1c": 0}
    t1 = sum(arrests_in_t1s_window[person] for person in chosen_for_t1()) / 2  # C1a's arrest and C1c: 250
    expected = [t1, 1000, 0, 0, 0]  # T2: C2a's missing episode
    differences = [own - other for own, other in zip(cost, expected, strict=True)]
    assert police == Following(
        label="Police",
        cohort_rate=round(3000 / YEARS, 2),
        comparison_rate=round((t1 + 1000) / YEARS, 2),
        difference=round((3000 - t1 - 1000) / YEARS, 2),
        interval=interval(differences),
        excess=3000 - t1 - 1000,
        cohort_with_cost=5,
        comparison_share_with_cost=round((1 / 2 + 1) / 5, 4),  # C1a of T1's two, C2a of T2's one
    )


def test_the_other_agencies_and_all_of_them() -> None:
    found = worked()

    # T1 500 + 500, T2 455 + 1000 + 300, T3 500 + 250, T4 500 + 1810, T5 500
    cost = [1000, 1755, 750, 2310, 500]
    # T1 (500 + 0) / 2, T2 1000, T3 (250 + 0) / 2, T4 310, T5 250
    expected = [250, 1000, 125, 310, 250]
    differences = [own - other for own, other in zip(cost, expected, strict=True)]
    assert found.other_agencies == Following(
        label="Other agencies",
        cohort_rate=round(6315 / YEARS, 2),
        comparison_rate=round(1935 / YEARS, 2),
        difference=round(4380 / YEARS, 2),
        interval=interval(differences),
        excess=4380.0,
        cohort_with_cost=5,
        comparison_share_with_cost=round((1 / 2 + 1 + 1 / 2 + 1 + 1) / 5, 4),
    )
    assert found.all_agencies is not None
    assert found.all_agencies.excess == 4380 + 100  # T5's second exclusion, Education's
    assert found.all_agencies.cohort_rate == round(6415 / YEARS, 2)


def test_each_agency_highest_cohort_rate_first() -> None:
    found = worked()

    assert [(row.label, row.cohort_rate, row.excess) for row in found.by_agency] == [
        ("Police", round(3000 / YEARS, 2), 1750.0),
        ("Youth Justice", round(2310 / YEARS, 2), 2310 - 310.0),
        ("Council", round(755 / YEARS, 2), 755.0),
        ("NHS", round(250 / YEARS, 2), 250 - 125 - 250.0),
        ("Education", round(100 / YEARS, 2), 100.0),
    ]


def test_a_type_gives_its_events_or_years_per_100_person_years() -> None:
    by_type = {row.label: row for row in worked().by_type}

    supervision = by_type["Youth Justice: yot_supervision"]
    assert (supervision.kind, supervision.type, supervision.agency) == (
        "involvement",
        "yot_supervision",
        "Youth Justice",
    )
    assert supervision.cohort_per_100 == round(100 * (50 + 181) / 1620, 2)  # days over days: years over years
    assert supervision.comparison_per_100 == round(100 * 31 / 1620, 2)
    arrests = by_type["Police: arrest"]
    assert (arrests.cohort_per_100, arrests.comparison_per_100) == (
        round(100 * 4 / YEARS, 2),
        round(100 * 0.5 / YEARS, 2),
    )
    assert by_type["Council: missing_episode"].cohort_rate == round(300 / YEARS, 2)
    assert [row.label for row in worked().by_type][:2] == ["Youth Justice: yot_supervision", "Police: arrest"]


def test_events_with_no_price_are_counted_for_the_cohort_only() -> None:
    assert worked().unpriced == (Unpriced("event", "mentoring_session", 1),)  # T3's; C3a's is not counted


def test_one_comparison_person_may_serve_several() -> None:
    place = LinkedData.of(
        records=[
            school("A", "F", "N1", "2010-01-01"),
            school("B", "F", "N1", "2010-02-02"),
            school("C", "F", "N1", "2010-03-03"),
        ],
        events=[
            event("A", "school", "school_exclusion", "2024-03-01"),
            event("B", "school", "school_exclusion", "2024-04-01"),
        ],
    )

    found = cracks(
        place, agencies=AGENCIES, prices=PRICES_2024, trigger=EXCLUSION, as_of=AS_OF, smallest_shown=1
    )

    assert (found.cohort, found.comparison) == (2, 1)


def test_an_event_on_as_of_counts_the_person_but_no_years() -> None:
    place = LinkedData.of(
        records=[school("A", "F", "N1", "2010-01-01"), school("B", "F", "N1", "2010-02-02")],
        events=[event("A", "school", "school_exclusion", "2025-06-30")],
    )

    found = cracks(
        place,
        agencies=AGENCIES,
        prices=PRICES_2024,
        trigger=Trigger("Education", "school_exclusion"),
        smallest_shown=1,
    )

    assert (found.as_of, found.cohort, found.person_years) == (date(2025, 6, 30), 1, 0.0)
    assert found.all_agencies is not None
    assert (found.all_agencies.cohort_rate, found.all_agencies.interval) == (None, None)


# ---------------------------------------------------------------- suppression


def hidden(label: str) -> Following:
    return Following(label, None, None, None, None, None, None, None)


def test_on_the_worked_place_only_the_other_agencies_are_shown() -> None:
    found = worked(smallest_shown=5)

    assert (found.shown, found.triggered, found.unmatched, found.cohort) == (True, 7, 2, 5)
    # Five cohort people and five comparison people (C1a, C2a, C3a, C4a, C5a) with a cost of another agency
    assert found.other_agencies == worked().other_agencies
    # Only T5 has a cost of Education: all agencies less the others would show it
    assert found.all_agencies == hidden("All agencies")
    # Police: two comparison people with a cost; every other agency fewer than five cohort people
    assert all(row.cohort_rate is None for row in found.by_agency)
    assert {row.label for row in found.by_agency} == {
        "Police",
        "Youth Justice",
        "Council",
        "NHS",
        "Education",
    }
    assert all(row.cohort_rate is None and row.cohort_per_100 is None for row in found.by_type)


CONTACTS = price_table(*(("event", source, "contact", agency, 100.0) for source, agency in AGENCIES.items()))


def crowd(
    cohort: Mapping[str, int],
    comparison: Mapping[str, int] = {},
    *,
    triggered: int = 10,
    matched: int | None = None,
) -> LinkedData:
    """`triggered` pupils excluded on 1 March 2024, the first `matched` (all unless said) each with one
    comparison person in a neighbourhood of their own; for each source, its number of the first pupils, and of
    the first comparison people, with a contact in their window costing its agency 100."""
    records, events = [], []
    for number in range(triggered):
        pupil, other = f"T{number:02}", f"C{number:02}"
        records.append(school(pupil, "F", f"N{number}", "2010-01-01"))
        events.append(event(pupil, "school", "school_exclusion", "2024-03-01"))
        if number < (triggered if matched is None else matched):
            records.append(school(other, "F", f"N{number}", "2010-06-01"))
        for source in AGENCIES:
            for person, having in ((pupil, cohort), (other, comparison)):
                if number < having.get(source, 0):
                    if source != "school":  # the pupils' school records are above
                        records.append(record(person, source))
                    events.append(event(person, source, "contact", "2024-06-01"))
    return LinkedData.of(records=records, events=events)


def crowded(place: LinkedData) -> Cracks:
    return cracks(place, agencies=AGENCIES, prices=CONTACTS, trigger=EXCLUSION, as_of=AS_OF)


def test_agencies_with_a_few_people_with_a_cost_are_hidden() -> None:
    found = crowded(crowd({"police": 10, "hospital": 3, "social_care": 2}, {"police": 6}))

    assert [row.label for row in found.by_agency] == ["Police", "Council", "NHS"]
    assert found.by_agency[0].cohort_with_cost == 10
    assert found.by_agency[1:] == (hidden("Council"), hidden("NHS"))  # five together: nothing more hidden
    assert found.other_agencies is not None and found.other_agencies.cohort_with_cost == 10
    assert found.all_agencies is not None and found.all_agencies.excess == (10 + 3 + 2 - 6) * 100.0


def test_an_agency_with_a_few_comparison_people_with_a_cost_is_hidden() -> None:
    found = crowded(
        crowd({"police": 10, "hospital": 6, "social_care": 7}, {"police": 6, "hospital": 2, "social_care": 3})
    )

    # NHS: two comparison people, the Council three; five together, so the Police are shown
    assert [(row.label, row.cohort_with_cost) for row in found.by_agency] == [
        ("Police", 10),
        ("Council", None),
        ("NHS", None),
    ]


def test_the_fewest_shown_are_hidden_too_when_subtraction_would_reveal_a_small_group() -> None:
    found = crowded(crowd({"police": 10, "yot": 7, "hospital": 3}, {"police": 6}))

    # The other agencies less the Police would be the three with an NHS cost: Youth Justice's seven are hidden too
    assert [(row.label, row.cohort_with_cost) for row in found.by_agency] == [
        ("Police", 10),
        ("NHS", None),
        ("Youth Justice", None),
    ]
    # A hidden agency's types would add up to it
    assert {row.label: row.cohort_with_cost for row in found.by_type} == {
        "Police: contact": 10,
        "NHS: contact": None,
        "Youth Justice: contact": None,
    }


def test_all_agencies_are_hidden_when_the_trigger_agency_is() -> None:
    found = crowded(crowd({"police": 10, "school": 2}, {"police": 6}))

    assert found.all_agencies == hidden("All agencies")  # all less the others would be Education's two
    assert found.other_agencies is not None and found.other_agencies.cohort_with_cost == 10
    assert [row.label for row in found.by_agency] == ["Police", "Education"]
    assert found.by_agency[1] == hidden("Education")


def test_with_fewer_than_five_triggered_nothing_is_shown() -> None:
    found = crowded(crowd({"police": 4}, triggered=4))

    assert found == Cracks(
        trigger=EXCLUSION,
        as_of=AS_OF,
        shown=False,
        triggered=None,
        unmatched=None,
        cohort=None,
        comparison=None,
        person_years=None,
        mean_follow_up_days=None,
        all_agencies=None,
        other_agencies=None,
        by_agency=(),
        by_type=(),
        unpriced=(),
    )


def test_with_fewer_than_five_matched_only_the_triggered_are_counted() -> None:
    few = crowded(crowd({"police": 6}, triggered=6, matched=4))
    none = crowded(crowd({"police": 6}, triggered=6, matched=0))

    assert (few.shown, few.triggered, few.unmatched, few.cohort, few.all_agencies) == (
        False,
        6,
        None,
        None,
        None,
    )
    assert (none.shown, none.triggered, none.unmatched, none.cohort, none.all_agencies) == (
        False,
        6,
        6,
        0,
        None,
    )


# ---------------------------------------------------------------- refused and empty


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"trigger": Trigger("Education", "school_exclusion", months=0)}, "at least one month"),
        (
            {
                "trigger": Trigger(
                    "Education", "school_exclusion", first=d("2024-12-31"), last=d("2024-01-01")
                )
            },
            "end",
        ),
        ({"comparison_per_person": 0}, "at least one comparison"),
        ({"smallest_shown": 0}, "at least 1"),
    ],
)
def test_settings_that_make_no_sense_are_refused(changes: dict[str, Any], problem: str) -> None:
    arguments: dict[str, Any] = {"agencies": AGENCIES, "prices": PRICES_2024, "trigger": EXCLUSION, **changes}

    with pytest.raises(ValueError, match=problem):
        cracks(worked_place(), **arguments)


def test_prices_without_an_amount_column_are_refused() -> None:
    prices = pa.table({"kind": ["event"], "source": [None], "type": ["arrest"], "agency": ["Police"]})

    with pytest.raises(InvalidInputError, match="no amount column"):
        cracks(worked_place(), agencies=AGENCIES, prices=prices, trigger=EXCLUSION)


def test_an_agency_with_no_sources_triggers_no_one() -> None:
    found = cracks(
        worked_place(),
        agencies=AGENCIES,
        prices=PRICES_2024,
        trigger=Trigger("Probation", "school_exclusion"),
    )

    assert (found.shown, found.as_of, found.triggered) == (False, date(2025, 8, 1), None)  # the latest event


def test_without_events_there_is_no_end_of_the_data_and_no_one_is_triggered() -> None:
    place = LinkedData.of(records=[school("A", "F", "N1", "2010-01-01")])

    found = cracks(place, agencies=AGENCIES, prices=PRICES_2024, trigger=EXCLUSION)

    assert (found.shown, found.as_of, found.triggered, found.by_agency) == (False, None, None, ())


# ---------------------------------------------------------------- properties

# Each example computes in a DuckDB of its own: fewer examples keep the file quick.
COMPUTED = settings(max_examples=40)
SOURCES = ["school", "police", "hospital", "gp"]
TYPES = ["school_exclusion", "arrest", "ae_attendance"]
DAYS_DRAWN = st.dates(date(2023, 6, 1), date(2025, 9, 30))
EXCLUDED_ON = st.dates(date(2023, 10, 1), date(2025, 6, 30))
DRAWN_AS_OF = date(2025, 6, 30)


@st.composite
def places(draw: st.DrawFn) -> LinkedData:
    """Two to twenty-four people, each with a school record and up to three more, each record giving the person's sex,
    date of birth and neighbourhood or none (or another neighbourhood), and more or less recent; exclusions at
    school, and other events and involvements on any record."""
    people = {
        f"p{person}": (
            draw(st.sampled_from(["F", "M"])),
            draw(st.sampled_from(["N1", "N2"])),
            draw(st.sampled_from(["2010-01-01", "2010-07-01", "2010-11-30", "2011-03-01"])),
        )
        for person in range(draw(st.integers(2, 24)))
    }
    records = [
        record(
            person,
            source,
            sex=draw(st.sampled_from([sex, sex, sex, sex, None])),
            neighbourhood=draw(st.sampled_from([home, home, home, home, None, "N1", "N2"])),
            born=draw(st.sampled_from([born, born, born, born, None])),
            updated=draw(st.sampled_from([None, "2023-01-01", "2024-01-01"])),
        )
        for person, (sex, home, born) in people.items()
        for source in ["school", *sorted(draw(st.sets(st.sampled_from(SOURCES[1:]), max_size=3)))]
    ]
    on_record = st.sampled_from(records)
    exclusions = draw(
        st.lists(st.tuples(st.sampled_from(sorted(people)), EXCLUDED_ON), min_size=1, max_size=12)
    )
    events = [event(person, "school", "school_exclusion", day.isoformat()) for person, day in exclusions] + [
        {"source": on["source"], "record_id": on["record_id"], "type": kind, "date": day}
        for on, kind, day in draw(
            st.lists(st.tuples(on_record, st.sampled_from(TYPES), DAYS_DRAWN), max_size=40)
        )
    ]
    involvements = [
        {"source": on["source"], "record_id": on["record_id"], "type": "care", "start": start, "end": end}
        for on, start, end in draw(
            st.lists(st.tuples(on_record, st.none() | DAYS_DRAWN, st.none() | DAYS_DRAWN), max_size=8)
        )
    ]
    return LinkedData.of(records=records, events=events, involvements=involvements)


PriceKey = tuple[str, str | None, str]
SOME_PRICES: dict[PriceKey, tuple[str, float] | None] = {
    ("event", None, "arrest"): ("Police", 250.0),
    ("event", None, "ae_attendance"): ("NHS", 40.0),
    ("involvement", None, "care"): ("NHS", 3652.5),
}


def some_prices(changes: Mapping[PriceKey, tuple[str, float] | None]) -> pa.Table:
    """SOME_PRICES, changed, added to or taken away (None)."""
    prices = {**SOME_PRICES, **changes}
    return price_table(*((*key, *price) for key, price in prices.items() if price is not None))


prices_drawn = st.dictionaries(
    st.tuples(
        st.sampled_from(["event", "involvement"]),
        st.none() | st.sampled_from(SOURCES),
        st.sampled_from([*TYPES, "care"]),
    ),
    st.none()
    | st.tuples(st.sampled_from(["Education", "Police", "NHS"]), st.sampled_from([0.0, 40.0, 3652.5])),
    max_size=8,
).map(some_prices)

triggers = st.builds(
    Trigger,
    agency=st.just("Education"),
    event_type=st.just("school_exclusion"),
    months=st.integers(1, 18),
    first=st.none() | st.just(date(2024, 1, 1)),
    last=st.none() | st.just(date(2024, 12, 31)),
)


def drawn(place: LinkedData, prices: pa.Table, trigger: Trigger, smallest_shown: int = 1) -> Cracks:
    return cracks(
        place,
        agencies=AGENCIES,
        prices=prices,
        trigger=trigger,
        as_of=DRAWN_AS_OF,
        comparison_per_person=2,
        smallest_shown=smallest_shown,
    )


def rows(found: Cracks) -> list[Following]:
    return [row for row in (found.all_agencies, found.other_agencies) if row] + [
        *found.by_agency,
        *found.by_type,
    ]


@COMPUTED
@given(places(), prices_drawn, triggers, st.integers(2, 4))
def test_no_row_shows_a_small_group(
    place: LinkedData, prices: pa.Table, trigger: Trigger, smallest_shown: int
) -> None:
    found = drawn(place, prices, trigger, smallest_shown)
    everything = drawn(place, prices, trigger)

    for count in (found.triggered, found.cohort):
        assert count is None or count == 0 or count >= smallest_shown
    assert all(not 0 < (row.cohort_with_cost or 0) < smallest_shown for row in rows(found))
    if found.other_agencies and found.other_agencies.cohort_rate is not None:
        full = {row.label: row.cohort_with_cost or 0 for row in everything.by_agency}
        hidden_others = sum(
            full[row.label] for row in found.by_agency if row.cohort_rate is None and row.label != "Education"
        )
        assert not 0 < hidden_others < smallest_shown


@COMPUTED
@given(places(), prices_drawn, triggers, st.integers(1, 4))
def test_the_agencies_excesses_with_the_hidden_ones_add_up_to_all_agencies(
    place: LinkedData, prices: pa.Table, trigger: Trigger, smallest_shown: int
) -> None:
    found = drawn(place, prices, trigger, smallest_shown)
    everything = drawn(place, prices, trigger)
    full = {row.label: row.excess or 0 for row in everything.by_agency}
    pennies = 0.01 * (len(full) + 1)

    if everything.all_agencies and everything.other_agencies:
        assert sum(full.values()) == pytest.approx(everything.all_agencies.excess, abs=pennies)
        others = sum(excess for label, excess in full.items() if label != "Education")
        assert others == pytest.approx(everything.other_agencies.excess, abs=pennies)
    if found.all_agencies and found.all_agencies.excess is not None:
        shown = sum(row.excess for row in found.by_agency if row.excess is not None)
        hidden_ones = sum(full[row.label] for row in found.by_agency if row.excess is None)
        assert shown + hidden_ones == pytest.approx(found.all_agencies.excess, abs=pennies)


@COMPUTED
@given(places(), triggers)
def test_when_everyone_costs_the_same_the_difference_is_none(place: LinkedData, trigger: Trigger) -> None:
    # Only the exclusions, unpriced, and one involvement open throughout for everyone, on a source of its own
    people = sorted(set(place.records.column("person_id").to_pylist()))
    same = LinkedData.of(
        records=[*place.records.to_pylist(), *(record(person, "ward") for person in people)],
        events=[row for row in place.events.to_pylist() if row["type"] == "school_exclusion"],
        involvements=[involvement(person, "ward", "care", None, None) for person in people],
    )
    prices = price_table(("involvement", None, "care", "NHS", 3652.5))

    found = cracks(
        same,
        agencies={**AGENCIES, "ward": "NHS"},
        prices=prices,
        trigger=trigger,
        as_of=DRAWN_AS_OF,
        smallest_shown=1,
    )

    for row in rows(found):
        assert row.difference in (None, 0.0)
        assert row.excess == 0.0
        assert row.cohort_rate == row.comparison_rate


def index_dates(place: LinkedData, trigger: Trigger) -> dict[str, date]:
    """Each triggered person's first exclusion within the trigger's dates, worked out from the rows."""
    person_of = {row["record_id"]: row["person_id"] for row in place.records.to_pylist()}
    first, last = trigger.first or date.min, min(trigger.last or DRAWN_AS_OF, DRAWN_AS_OF)
    found: dict[str, date] = {}
    for row in place.events.to_pylist():
        if row["source"] == "school" and row["type"] == "school_exclusion" and first <= row["date"] <= last:
            person = person_of[row["record_id"]]
            found[person] = min(found.get(person, row["date"]), row["date"])
    return found


@COMPUTED
@given(places(), prices_drawn, triggers, st.integers(0, 100), st.integers(1, 400))
def test_an_event_in_a_triggered_persons_window_never_lowers_the_cohort_rate(
    place: LinkedData, prices: pa.Table, trigger: Trigger, which: int, after: int
) -> None:
    indexes = index_dates(place, trigger)
    assume(indexes)
    person = sorted(indexes)[which % len(indexes)]
    day = min(indexes[person] + timedelta(days=after), DRAWN_AS_OF)
    assume(day > indexes[person])
    more = LinkedData.of(
        records=place.records.to_pylist(),
        events=[*place.events.to_pylist(), event(person, "school", "arrest", day.isoformat())],
        involvements=place.involvements.to_pylist(),
    )

    before, after_it = drawn(place, prices, trigger).all_agencies, drawn(more, prices, trigger).all_agencies

    if before and before.cohort_rate is not None:
        assert after_it is not None and after_it.cohort_rate is not None
        assert after_it.cohort_rate >= before.cohort_rate


def shuffled(table: pa.Table, order: random.Random) -> pa.Table:
    indices = list(range(table.num_rows))
    order.shuffle(indices)
    return table.take(pa.array(indices, pa.int64()))


@COMPUTED
@given(places(), prices_drawn, triggers, st.randoms(use_true_random=False))
def test_the_order_of_the_rows_changes_nothing(
    place: LinkedData, prices: pa.Table, trigger: Trigger, order: random.Random
) -> None:
    reordered = LinkedData(
        shuffled(place.records, order),
        shuffled(place.events, order),
        shuffled(place.involvements, order),
        place.neighbourhoods,
    )

    assert drawn(reordered, shuffled(prices, order), trigger) == drawn(place, prices, trigger)
