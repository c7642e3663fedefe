"""People into households: dwellings from addresses and property references, current addresses from the most
recently active record, and people without an address placed with their relatives."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.identity.households import dwellings, households

HIGH_STREET, POSTCODE = "10 high street", "AB1 2CD"


def _addresses(
    *rows: tuple[str | None, str | None, str | None], index: list[int] | None = None
) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["address", "postcode", "uprn"], index=index, dtype=object)


def _dwellings(*rows: tuple[str | None, str | None, str | None]) -> list[Any]:
    return [None if pd.isna(value) else value for value in dwellings(_addresses(*rows))]


# Dwellings


def test_the_same_address_and_postcode_are_one_dwelling() -> None:
    first, second = _dwellings((HIGH_STREET, POSTCODE, None), (HIGH_STREET, POSTCODE, None))
    assert first is not None and first == second


def test_the_same_address_line_in_another_postcode_is_another_dwelling() -> None:
    first, second = _dwellings((HIGH_STREET, POSTCODE, None), (HIGH_STREET, "ZZ9 9ZZ", None))
    assert first is not None and second is not None and first != second


def test_two_spellings_of_an_address_sharing_a_property_reference_are_one_dwelling() -> None:
    first, second, third = _dwellings(
        (HIGH_STREET, POSTCODE, "100023"),
        ("flat a 10 high st", POSTCODE, "100023"),
        ("flat a 10 high st", POSTCODE, None),
    )
    assert first == second == third


def test_a_property_reference_joins_spellings_seen_before_it() -> None:
    first, second, third = _dwellings(
        (HIGH_STREET, POSTCODE, None),
        ("10 high st", POSTCODE, None),
        (HIGH_STREET, POSTCODE, "100023"),
    )
    fourth = _dwellings(
        (HIGH_STREET, POSTCODE, None),
        ("10 high st", POSTCODE, None),
        (HIGH_STREET, POSTCODE, "100023"),
        ("10 high st", POSTCODE, "100023"),
    )
    assert first == third != second
    assert len(set(fourth)) == 1


def test_a_dwelling_is_named_by_its_property_reference() -> None:
    names = _dwellings(
        (HIGH_STREET, POSTCODE, None), ("10 high st", POSTCODE, "100023"), (HIGH_STREET, POSTCODE, "100023")
    )
    assert len(set(names)) == 1
    assert "100023" in names[0] and "high" not in names[0]


def test_different_property_references_are_different_dwellings() -> None:
    first, second = _dwellings((None, None, "100023"), (None, None, "100024"))
    assert first is not None and second is not None and first != second


def test_a_record_without_an_address_has_no_dwelling() -> None:
    assert _dwellings((None, None, None), (None, POSTCODE, None)) == [None, None]


def test_an_address_line_without_a_postcode_takes_the_one_dwelling_with_that_line() -> None:
    known, alone = _dwellings((HIGH_STREET, POSTCODE, None), (HIGH_STREET, None, None))
    assert known is not None and alone == known


def test_an_address_line_without_a_postcode_takes_a_dwelling_known_by_its_property_reference() -> None:
    known, alone = _dwellings((HIGH_STREET, None, "100023"), (HIGH_STREET, None, None))
    assert known is not None and alone == known


def test_an_address_line_two_dwellings_share_gives_no_dwelling_without_a_postcode() -> None:
    _first, _second, alone = _dwellings(
        (HIGH_STREET, POSTCODE, None), (HIGH_STREET, "ZZ9 9ZZ", None), (HIGH_STREET, None, None)
    )
    assert alone is None


def test_an_address_line_nobody_else_gives_has_no_dwelling_without_a_postcode() -> None:
    assert _dwellings((HIGH_STREET, None, None)) == [None]


def test_dwellings_follow_the_rows_index() -> None:
    frame = _addresses(
        (HIGH_STREET, POSTCODE, None), (None, None, None), (HIGH_STREET, None, None), index=[30, 10, 20]
    )
    result = dwellings(frame)
    assert list(result.index) == [30, 10, 20]
    assert result[30] == result[20] and pd.isna(result[10])


addresses = st.lists(
    st.tuples(
        st.sampled_from([HIGH_STREET, "12 high street", "flat 1", None]),
        st.sampled_from([POSTCODE, "ZZ9 9ZZ", None]),
        st.sampled_from(["100", "200", "300", None]),
    ),
    max_size=12,
)


def _linked(rows: list[tuple[str | None, str | None, str | None]]) -> list[int]:
    """Rows with a key, each named by the first row of its group: rows sharing a property reference or an address
    line and postcode, directly or through other rows. -1 for rows without a key."""
    keys = [
        {
            key
            for key in ((f"{address}|{postcode}" if address and postcode else None), (uprn and f"U{uprn}"))
            if key
        }
        for address, postcode, uprn in rows
    ]
    group = [row if keys[row] else -1 for row in range(len(rows))]
    changed = True
    while changed:
        changed = False
        for row in range(len(rows)):
            for other in range(len(rows)):
                if keys[row] & keys[other] and group[other] < group[row]:
                    group[row], changed = group[other], True
    return group


@given(addresses)
def test_rows_share_a_dwelling_exactly_when_a_property_reference_or_address_connects_them(
    rows: list[tuple[str | None, str | None, str | None]],
) -> None:
    names = _dwellings(*rows)
    groups = _linked(rows)
    keyed = [row for row in range(len(rows)) if groups[row] >= 0]
    assert all(names[row] is not None for row in keyed)
    for row in keyed:
        for other in keyed:
            assert (names[row] == names[other]) == (groups[row] == groups[other])


@given(addresses)
def test_an_address_line_alone_takes_a_dwelling_only_when_it_is_the_only_one_with_that_line(
    rows: list[tuple[str | None, str | None, str | None]],
) -> None:
    names = _dwellings(*rows)
    groups = _linked(rows)
    for row, (address, _postcode, _uprn) in enumerate(rows):
        if groups[row] >= 0:
            continue
        candidates = {
            names[other] for other in range(len(rows)) if groups[other] >= 0 and rows[other][0] == address
        }
        expected = candidates.pop() if address is not None and len(candidates) == 1 else None
        assert names[row] == expected


# Households


def _records(*rows: tuple[str, str | None, str | None, str | None]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["person_id", "dwelling", "first_seen", "last_seen"])
    frame["first_seen"] = pd.to_datetime(frame["first_seen"])
    frame["last_seen"] = pd.to_datetime(frame["last_seen"])
    return frame


def _by_person(result: pd.DataFrame) -> dict[str, dict[Hashable, Any]]:
    return {row["person_id"]: row for row in result.to_dict("records")}


def test_a_persons_current_dwelling_is_that_of_their_most_recently_active_record() -> None:
    lives = _dwellings_now(
        ("p1", "new home", "2023-01-01", "2024-06-01"),
        ("p1", "old home", "2015-01-01", "2022-12-31"),
        ("p1", "older home", "2010-01-01", "2014-12-31"),
    )
    assert lives["p1"] == "new home"


def test_since_is_the_earliest_date_a_person_was_seen_at_their_current_dwelling() -> None:
    result = _by_person(
        households(
            _records(
                ("p1", "home", "2021-03-01", "2024-06-01"),
                ("p1", "home", "2019-05-01", "2020-01-01"),
                ("p1", "elsewhere", "2010-01-01", "2023-01-01"),
            ),
            [],
        )
    )
    assert result["p1"]["dwelling"] == "home"
    assert result["p1"]["since"] == pd.Timestamp("2019-05-01")


def test_people_sharing_a_current_dwelling_share_a_household() -> None:
    result = _by_person(
        households(
            _records(
                ("p1", "home", "2020-01-01", "2024-01-01"),
                ("p2", "home", "2021-01-01", "2024-01-01"),
                ("p3", "next door", "2020-01-01", "2024-01-01"),
            ),
            [],
        )
    )
    assert result["p1"]["label"] == result["p2"]["label"] != result["p3"]["label"]


def test_someone_who_moved_out_leaves_the_household() -> None:
    result = _by_person(
        households(
            _records(
                ("p1", "home", "2010-01-01", "2024-01-01"),
                ("p2", "home", "2010-01-01", "2019-12-31"),
                ("p2", "flat", "2020-01-01", "2024-01-01"),
            ),
            [],
        )
    )
    assert result["p1"]["label"] != result["p2"]["label"]


def test_a_record_without_a_dwelling_does_not_make_a_person_homeless() -> None:
    result = _by_person(
        households(
            _records(("p1", "home", "2010-01-01", "2015-01-01"), ("p1", None, "2023-01-01", "2024-01-01")), []
        )
    )
    assert result["p1"]["dwelling"] == "home"


def test_a_person_with_no_dwelling_joins_a_related_persons_household() -> None:
    records = _records(
        ("parent", "home", "2010-01-01", "2024-01-01"),
        ("other", "flat", "2010-01-01", "2024-01-01"),
        ("child", None, None, None),
    )
    for pair in [("parent", "child"), ("child", "parent")]:
        result = _by_person(households(records, [pair]))
        assert result["child"]["label"] == result["parent"]["label"] != result["other"]["label"]
        assert pd.isna(result["child"]["dwelling"])


def test_a_person_with_no_dwelling_and_no_relation_is_a_household_alone() -> None:
    result = _by_person(
        households(
            _records(
                ("p1", "home", "2010-01-01", "2024-01-01"),
                ("p2", None, "2010-01-01", "2024-01-01"),
                ("p3", None, None, None),
            ),
            [("p1", "someone unknown")],
        )
    )
    assert len({row["label"] for row in result.values()}) == 3


def test_related_people_at_different_dwellings_stay_in_their_own_households() -> None:
    result = _by_person(
        households(
            _records(("p1", "home", "2010-01-01", "2024-01-01"), ("p2", "flat", "2010-01-01", "2024-01-01")),
            [("p1", "p2")],
        )
    )
    assert result["p1"]["label"] != result["p2"]["label"]


def test_one_row_per_person_in_order_of_first_record() -> None:
    result = households(
        _records(
            ("p2", "home", "2010-01-01", "2024-01-01"),
            ("p1", None, None, None),
            ("p2", "flat", "2001-01-01", "2002-01-01"),
            ("p3", "home", "2010-01-01", "2024-01-01"),
        ),
        [],
    )
    assert result["person_id"].tolist() == ["p2", "p1", "p3"]
    assert list(result.columns) == ["person_id", "dwelling", "since", "label"]


def test_people_none_of_whom_has_a_dwelling_are_each_a_household_alone() -> None:
    # A source with no addresses (a health extract holding only NHS numbers) leaves nobody housed.
    result = households(_records(("p1", None, "2020-01-01", "2021-01-01"), ("p2", None, None, None)), [])
    assert result["label"].nunique() == 2
    assert result["since"].isna().all()


def test_no_records_give_no_households() -> None:
    assert len(households(_records(), [])) == 0


dated_records = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2", "p3", "p4", "p5"]),
        st.sampled_from(["home", "flat", "house", None]),
        # A short span, so that records often meet or touch on the same day.
        st.dates(min_value=pd.Timestamp("2024-01-01").date(), max_value=pd.Timestamp("2024-01-20").date()),
        st.integers(min_value=0, max_value=10),
    ),
    max_size=15,
).map(
    lambda rows: _records(
        *[
            (person, dwelling, str(first), str(first + pd.Timedelta(days=days).to_pytimedelta()))
            for person, dwelling, first, days in rows
        ]
    )
)


@given(dated_records)
def test_people_share_a_household_exactly_when_they_share_a_current_dwelling(records: pd.DataFrame) -> None:
    result = _by_person(households(records, []))
    expected = _current_dwellings(records)
    assert set(result) == set(records["person_id"])
    for person, row in result.items():
        if person not in expected:
            assert pd.isna(row["dwelling"])
            continue
        assert (row["dwelling"], row["since"]) == expected[person]
    for first in result.values():
        for second in result.values():
            same_home = not pd.isna(first["dwelling"]) and first["dwelling"] == second["dwelling"]
            one_person = first["person_id"] == second["person_id"]
            assert (first["label"] == second["label"]) == (same_home or one_person)


def _current_dwellings(records: pd.DataFrame) -> dict[str, tuple[str, pd.Timestamp]]:
    """Where each housed person lives now and since when, read plainly: the dwelling of their latest record,
    unless all who were seen there while they were now live at one other dwelling, first seen there after."""
    housed = records[records["dwelling"].notna()]
    stays = {
        (person, dwelling): (rows["first_seen"].min(), rows["last_seen"].max())
        for (person, dwelling), rows in housed.groupby(["person_id", "dwelling"])
    }
    latest = {
        person: rows.sort_values(["last_seen", "first_seen", "dwelling"]).iloc[-1]["dwelling"]
        for person, rows in housed.groupby("person_id")
    }
    expected = {}
    for person, home in latest.items():
        since, last = stays[(person, home)]
        mates = [
            mate
            for (mate, dwelling), (mate_from, mate_to) in stays.items()
            if dwelling == home and mate != person and mate_from <= last and mate_to >= since
        ]
        moved_to = {latest[mate] for mate in mates}
        arrived = min((stays[(mate, latest[mate])][0] for mate in mates), default=None)
        if len(moved_to) == 1 and home not in moved_to and arrived is not None and arrived > last:
            expected[person] = (moved_to.pop(), arrived)
        else:
            expected[person] = (home, since)
    return expected


def _dwellings_now(*rows: tuple[str, str | None, str | None, str | None]) -> dict[str, Any]:
    return {person: row["dwelling"] for person, row in _by_person(households(_records(*rows), [])).items()}


def test_someone_last_seen_with_housemates_who_all_moved_on_together_moved_with_them() -> None:
    result = _by_person(
        households(
            _records(
                ("parent", "old home", "2021-01-01", "2023-06-01"),
                ("parent", "new home", "2023-09-01", "2024-06-01"),
                ("child", "old home", "2022-01-01", "2022-01-01"),
                ("child", "new home", "2023-10-01", "2024-01-01"),
                ("baby", "old home", "2023-02-01", "2023-02-01"),
                ("new tenant", "old home", "2024-01-01", "2024-06-01"),
            ),
            [],
        )
    )
    assert result["baby"]["dwelling"] == "new home"
    assert result["baby"]["since"] == pd.Timestamp("2023-09-01")
    assert result["baby"]["label"] == result["parent"]["label"] != result["new tenant"]["label"]


def test_someone_whose_housemates_went_separate_ways_stays_where_they_were_seen() -> None:
    lives = _dwellings_now(
        ("p1", "old home", "2021-01-01", "2023-06-01"),
        ("p1", "flat", "2023-09-01", "2024-06-01"),
        ("p2", "old home", "2021-01-01", "2023-06-01"),
        ("p2", "house", "2023-09-01", "2024-06-01"),
        ("p3", "old home", "2023-02-01", "2023-02-01"),
    )
    assert lives["p3"] == "old home"


def test_someone_seen_after_their_housemates_arrived_elsewhere_has_not_followed_them() -> None:
    lives = _dwellings_now(
        ("p1", "old home", "2021-01-01", "2023-06-01"),
        ("p1", "new home", "2023-09-01", "2024-06-01"),
        ("p2", "old home", "2021-01-01", "2023-10-01"),
    )
    assert lives["p2"] == "old home"


def test_housemates_are_those_seen_there_at_the_same_time() -> None:
    lives = _dwellings_now(
        ("before", "home", "2019-01-01", "2020-01-01"),
        ("before", "elsewhere", "2021-01-01", "2024-01-01"),
        ("p1", "home", "2022-01-01", "2023-01-01"),
    )
    assert lives["p1"] == "home"


def test_housemates_who_arrived_elsewhere_on_the_day_someone_was_last_seen_are_not_followed() -> None:
    lives = _dwellings_now(
        ("p1", "old home", "2021-01-01", "2023-06-01"),
        ("p1", "new home", "2023-09-01", "2024-06-01"),
        ("p2", "old home", "2022-01-01", "2023-09-01"),
    )
    assert lives["p2"] == "old home"


def test_a_housemate_last_seen_there_on_the_day_someone_was_first_seen_there_counts() -> None:
    lives = _dwellings_now(
        ("p1", "old home", "2021-01-01", "2023-06-01"),
        ("p1", "new home", "2023-09-01", "2024-06-01"),
        ("p2", "old home", "2023-06-01", "2023-07-01"),
    )
    assert lives["p2"] == "new home"
