"""Finding people in the register, on SQLite and PostgreSQL: searches too broad to point at someone are refused,
an identifier alone is enough, and people who match more of what was typed come first."""

from __future__ import annotations

import string
import unicodedata
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.support import factories
from wholeplace.coordination.models import RegisterRecord
from wholeplace.coordination.service import finding
from wholeplace.coordination.service.finding import Criteria
from wholeplace.coordination.service.register import fold, identifier_key, postcode_key
from wholeplace.core.errors import InvalidInputError
from wholeplace.core.models import Agency

BORN = date(2012, 3, 27)


@pytest.fixture
def homes(db: Session) -> Agency:
    return factories.agency(db, "Testford Homes")


_numbers = iter(range(1, 1_000_000))


def record(db: Session, agency: Agency, person_id: str, **values: Any) -> RegisterRecord:
    """A register row for a person, with the keys search compares worked out as the register does."""
    row = RegisterRecord(
        person_id=person_id,
        household_id=values.pop("household_id", f"H-{person_id}"),
        source="homes",
        agency_id=agency.id,
        record_id=f"R{next(_numbers)}",
        given_name=values.get("given_name"),
        family_name=values.get("family_name"),
        date_of_birth=values.get("date_of_birth"),
        sex=values.get("sex"),
        address=values.get("address"),
        postcode=values.get("postcode"),
        uprn=None,
        nhs_number=identifier_key(values.get("nhs_number")) or None,
        ni_number=identifier_key(values.get("ni_number")) or None,
        upn=identifier_key(values.get("upn")) or None,
        recorded_on=values.get("recorded_on"),
        given_key=fold(values.get("given_name")),
        family_key=fold(values.get("family_name")),
        postcode_key=postcode_key(values.get("postcode")),
    )
    db.add(row)
    db.flush()
    return row


@pytest.mark.parametrize(
    ("criteria", "field"),
    [
        (Criteria(family_name="Okafor"), "given_name"),
        (Criteria(given_name="Amara"), "family_name"),
        (Criteria(postcode="TF1 2AB"), "dob"),
        (Criteria(date_of_birth=BORN), "postcode"),
        (Criteria(), "identifier"),
    ],
)
def test_a_search_too_broad_to_point_at_someone_is_refused_with_what_to_add(
    db: Session, criteria: Criteria, field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        finding.search(db, criteria=criteria)
    assert refused.value.field == field
    assert refused.value.fix


def test_an_identifier_alone_finds_the_person_whichever_number_it_is(db: Session, homes: Agency) -> None:
    record(db, homes, "P-1", given_name="Amara", family_name="Okafor", nhs_number="943 476 5919")
    record(db, homes, "P-2", given_name="Ben", family_name="Okafor", ni_number="QQ 12 34 56 C")
    record(db, homes, "P-3", given_name="Cal", family_name="Okafor", upn="A123456789012")
    found = {
        typed: [
            (candidate.person_id, candidate.matched)
            for candidate in finding.search(db, criteria=Criteria(identifier=typed))
        ]
        for typed in ("9434765919", "qq123456c", " a123456789012 ")
    }
    assert found == {
        "9434765919": [("P-1", ("NHS number",))],
        "qq123456c": [("P-2", ("National Insurance number",))],
        " a123456789012 ": [("P-3", ("Unique pupil number",))],
    }


def test_a_date_of_birth_with_a_postcode_is_enough(db: Session, homes: Agency) -> None:
    record(db, homes, "P-1", given_name="Amara", family_name="Okafor", date_of_birth=BORN, postcode="TF1 2AB")
    record(db, homes, "P-2", given_name="Ben", family_name="Okafor", date_of_birth=BORN, postcode="TF9 9ZZ")
    found = finding.search(db, criteria=Criteria(date_of_birth=BORN, postcode="tf12ab"))
    assert [candidate.person_id for candidate in found] == ["P-1"]


def test_a_given_name_matches_from_its_start_ignoring_case_and_accents(db: Session, homes: Agency) -> None:
    record(db, homes, "P-1", given_name="Zoë", family_name="Okafor", date_of_birth=BORN)
    record(db, homes, "P-2", given_name="Amara", family_name="Okafor", date_of_birth=BORN)
    found = finding.search(db, criteria=Criteria(given_name="zo", family_name="OKAFOR"))
    assert [(candidate.person_id, candidate.matched) for candidate in found] == [
        ("P-1", ("Family name", "Given name"))
    ]


def test_people_matching_more_of_the_search_come_first_then_by_name(db: Session, homes: Agency) -> None:
    record(db, homes, "P-1", given_name="Ben", family_name="Okafor", postcode="TF1 2AB")
    record(db, homes, "P-2", given_name="Amara", family_name="Okafor", postcode="TF1 2AB", date_of_birth=BORN)
    record(db, homes, "P-3", given_name="Ada", family_name="Okafor", postcode="TF1 2AB")
    record(db, homes, "P-4", given_name="Ada", family_name="Smith", postcode="TF1 2AB")
    found = finding.search(
        db, criteria=Criteria(family_name="Okafor", postcode="TF1 2AB", date_of_birth=BORN)
    )
    assert [(candidate.person_id, len(candidate.matched)) for candidate in found] == [
        ("P-2", 3),
        ("P-3", 2),
        ("P-1", 2),
    ]


def test_a_person_s_records_make_one_candidate_named_as_most_records_say(db: Session, homes: Agency) -> None:
    record(
        db,
        homes,
        "P-1",
        given_name="Amara",
        family_name="Okafor",
        date_of_birth=BORN,
        postcode="TF1 2AB",
        recorded_on=date(2024, 1, 1),
    )
    record(
        db,
        homes,
        "P-1",
        given_name="Amara",
        family_name="Okafor",
        postcode="TF2 3CD",
        recorded_on=date(2025, 6, 1),
    )
    record(db, homes, "P-1", given_name="Amarah", family_name="Okafor", date_of_birth=BORN)
    [candidate] = finding.search(db, criteria=Criteria(given_name="Amara", family_name="Okafor"))
    assert (candidate.name, candidate.date_of_birth, candidate.postcode, len(candidate.records)) == (
        "Amara Okafor",
        BORN,
        "TF2 3CD",
        3,
    )


def test_no_more_candidates_than_the_limit(db: Session, homes: Agency) -> None:
    for number in range(5):
        record(db, homes, f"P-{number}", given_name="Amara", family_name="Okafor", date_of_birth=BORN)
    found = finding.search(db, criteria=Criteria(family_name="Okafor", date_of_birth=BORN), limit=3)
    assert len(found) == 3


def test_no_match_is_an_empty_list(db: Session, homes: Agency) -> None:
    record(db, homes, "P-1", given_name="Amara", family_name="Okafor", date_of_birth=BORN)
    assert finding.search(db, criteria=Criteria(family_name="Nobody", given_name="Amara")) == []


NAMES = st.text(alphabet=string.ascii_letters + " -'", max_size=30)
ACUTE = "\u0301"


@given(NAMES)
def test_folding_twice_is_folding_once(name: str) -> None:
    assert fold(fold(name)) == fold(name)


@given(NAMES)
def test_folding_ignores_case(name: str) -> None:
    assert fold(name.upper()) == fold(name.lower()) == fold(name)


@given(NAMES)
def test_folding_ignores_accents(name: str) -> None:
    accented = unicodedata.normalize(
        "NFC", "".join(letter + ACUTE if letter.isalpha() else letter for letter in name)
    )
    assert fold(accented) == fold(name)
