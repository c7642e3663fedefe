"""What the Sources pages say about a source's data: completeness and validity from the quality counts, and
value distributions of current rows with small counts suppressed, read from DuckDB views and from a real lake."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.sources import ingest
from wholeplace.sources.lake import Lake, LakeBatch
from wholeplace.sources.mapping import parse_mapping
from wholeplace.sources.profile import (
    BLANK,
    OTHER_VALUES,
    Count,
    distributions,
    field_label,
    field_quality,
    percent,
    summarise,
)
from wholeplace.sources.readers import open_source_file


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as opened:
        yield opened


def people(connection: duckdb.DuckDBPyConnection, rows: list[tuple[object, ...]]) -> None:
    connection.execute(
        "CREATE TABLE person (source VARCHAR, record_id VARCHAR, sex VARCHAR, "
        "postcode_district VARCHAR, date_of_birth DATE)"
    )
    connection.executemany("INSERT INTO person VALUES (?, ?, ?, ?, ?)", rows)


def as_pairs(found: tuple[Count, ...]) -> list[tuple[str, str]]:
    return [(count.value, count.shown) for count in found]


# ---------------------------------------------------------------- labels and shares


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("date_of_birth", "Date of birth"),
        ("nhs_number", "NHS number"),
        ("ni_number", "NI number"),
        ("uprn", "UPRN"),
        ("postcode", "Postcode"),
        ("identifiers.case_ref", "Identifier: case_ref"),
    ],
)
def test_a_field_is_labelled_as_a_person_reads_it(name: str, label: str) -> None:
    assert field_label(name) == label


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (3, 4, "75%"),
        (2, 3, "66.7%"),
        (4, 4, "100%"),
        (0, 4, "0%"),
        (9_999, 10_000, "over 99.9%"),
        (1, 100_000, "under 0.1%"),
        (0, 0, "n/a"),
    ],
)
def test_a_share_is_given_to_one_decimal_place(part: int, whole: int, shown: str) -> None:
    assert percent(part, whole) == shown


@given(
    st.integers(min_value=2, max_value=10**9).flatmap(
        lambda whole: st.tuples(st.integers(1, whole - 1), st.just(whole))
    )
)
def test_a_share_short_of_the_whole_never_reads_as_all_or_nothing(part_and_whole: tuple[int, int]) -> None:
    assert percent(*part_and_whole) not in {"100%", "0%"}


# ---------------------------------------------------------------- quality


def test_field_quality_gives_completeness_and_validity_in_the_standard_order() -> None:
    quality = {
        "rows": 4,
        "fields": {
            "sex": {"present": 3, "problems": {"unknown_code": 1}},
            "postcode": {"present": 4, "problems": {"bad_shape": 1, "non_uk": 2}},
            "given_name": {"present": 4, "problems": {}},
            "identifiers.case_ref": {"present": 0, "problems": {}},
        },
    }
    found = field_quality(quality, order=["given_name", "sex", "postcode"])
    assert [(one.label, one.completeness, one.validity) for one in found] == [
        ("Given name", "100%", "100%"),
        ("Sex", "75%", "66.7%"),
        ("Postcode", "100%", "25%"),
        ("Identifier: case_ref", "0%", "n/a"),
    ]
    assert [(problem.text, problem.count) for problem in found[2].problems] == [
        ("not a UK postcode", 2),
        ("not in the expected shape", 1),
    ]


def test_a_problem_code_without_words_of_its_own_is_still_readable() -> None:
    (one,) = field_quality({"rows": 1, "fields": {"sex": {"present": 1, "problems": {"odd_thing": 1}}}})
    assert one.problems[0].text == "odd thing"


# ---------------------------------------------------------------- summarising values


def test_counts_under_five_are_suppressed() -> None:
    found = summarise([("female", 6), ("male", 4), ("other", 5)])
    assert as_pairs(found) == [("female", "6"), ("other", "5"), ("male", "fewer than 5")]


def test_only_the_most_common_values_are_listed_and_the_rest_are_counted_together() -> None:
    groups = [(f"RF{n}", 100 - n) for n in range(1, 13)]
    found = summarise(groups, top=10)
    assert [count.value for count in found] == [f"RF{n}" for n in range(1, 11)] + [OTHER_VALUES]
    assert found[-1].count == (100 - 11) + (100 - 12)


def test_blanks_are_counted_together_and_listed_last() -> None:
    found = summarise([(None, 3), ("", 4), ("  ", 1), ("female", 9)])
    assert as_pairs(found) == [("female", "9"), (BLANK, "8")]


def test_years_and_decades_are_listed_in_order_not_by_count() -> None:
    found = summarise([("1990s", 7), ("1980s", 9), ("2000s", 8)], top=1, in_value_order=True)
    assert [count.value for count in found] == ["1980s", "1990s", "2000s"]


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", None]), st.integers(0, 20)), max_size=20))
def test_no_count_under_five_is_ever_shown(groups: list[tuple[str | None, int]]) -> None:
    assert all(count.count is None or count.count >= 5 for count in summarise(groups, top=2))


# ---------------------------------------------------------------- distributions from DuckDB


def test_distributions_of_people_cover_sex_district_and_decade_of_birth(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    people(
        connection,
        [("tenants", f"T{n}", "female", "RF1", dt.date(1984, 1, n)) for n in range(1, 7)]
        + [("tenants", "T7", None, "RF2", dt.date(1991, 5, 1))]
        + [("schools", f"S{n}", "male", "RF9", dt.date(2015, 1, n)) for n in range(1, 9)],
    )
    found = {
        one.title: as_pairs(one.counts)
        for one in distributions(connection, source="tenants", entity="person")
    }
    assert found == {
        "Sex": [("female", "6"), (BLANK, "fewer than 5")],
        "Postcode district": [("RF1", "6"), ("RF2", "fewer than 5")],
        "Decade of birth": [("1980s", "6"), ("1990s", "fewer than 5")],
    }


def test_a_field_the_source_never_fills_and_a_view_the_lake_lacks_are_left_out(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    people(connection, [("tenants", f"T{n}", None, "RF1", None) for n in range(1, 7)])
    found = distributions(connection, source="tenants", entity="person")
    assert [one.field for one in found] == ["postcode_district"]


def test_spend_lines_are_described_by_service_theme_and_period(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "CREATE TABLE spend_line AS SELECT 'spend_police' AS source, * FROM (VALUES "
        "('Response', 'crime', 'response', '2024-25'), ('Response', 'crime', 'response', '2023-24'), "
        "('Response', 'crime', 'response', '2024-25'), ('Response', 'crime', 'response', '2024-25'), "
        "('Response', 'crime', 'response', '2024-25'), ('Schools', 'youth', 'prevention', '2024-25')) "
        "t(service, theme, prevention_or_response, period)"
    )
    found = {
        one.title: as_pairs(one.counts)
        for one in distributions(connection, source="spend_police", entity="spend_line")
    }
    assert found["Service"] == [("Response", "5"), ("Schools", "fewer than 5")]
    assert found["Period"] == [("2023-24", "fewer than 5"), ("2024-25", "5")]
    assert set(found) == {"Service", "Theme", "Prevention or response", "Period"}


def test_distributions_read_the_lake_as_a_load_leaves_it(tmp_path: Path) -> None:
    mapping = parse_mapping(
        """\
source: tenants
agency: Testford Homes
entity: person
format: {type: csv}
record_id: ref
columns:
  given_name: first
  date_of_birth: {column: dob, format: "%d/%m/%Y"}
  postcode: postcode
events:
  - type: {column: what, codes: {EV: eviction, AR: arrears_letter}}
    date: {column: when, format: "%d/%m/%Y"}
    when_present: what
""",
        file="tenants.yaml",
    )
    extract = tmp_path / "tenants.csv"
    extract.write_text(
        "ref,first,dob,postcode,what,when\n"
        + "".join(f"T{n},Ann,0{n}/01/1975,RF1 {n}AB,AR,01/02/2025\n" for n in range(1, 8))
        + "T8,Bo,01/01/2001,rf2 1ab,EV,01/03/2025\n",
        encoding="utf-8",
    )
    lake, batch_id = Lake(tmp_path / "lake"), uuid.uuid4()
    staged = lake.stage(batch_id)
    with open_source_file(extract, mapping.file_format) as source:
        ingest.run(source.chunks(), mapping, staged, file=extract.name, today=dt.date(2026, 1, 1))
    lake.promote(staged, source="tenants", batch_id=batch_id)
    with lake.connect([LakeBatch("tenants", batch_id, 1)]) as connection:
        found = {
            one.title: as_pairs(one.counts)
            for one in distributions(connection, source="tenants", entity="person")
        }
    assert found == {
        "Postcode district": [("RF1", "7"), ("RF2", "fewer than 5")],
        "Decade of birth": [("1970s", "7"), ("2000s", "fewer than 5")],
        "Type of event": [("arrears_letter", "7"), ("eviction", "fewer than 5")],
    }
