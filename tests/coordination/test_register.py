"""The register on a small linked place, on SQLite and PostgreSQL: every linked record copied with its person and
household, events with the data category their agency's sector gives them, relationships resolved to people, a
rebuild only when a newer linkage run exists; and the folding that search keys use."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.identity.conftest import place, trained  # noqa: F401 - fixtures, found by pytest through this import
from tests.identity.test_views import LinkedPlace, connection, linked_place  # noqa: F401 - fixtures, as above
from tests.support.factories import MOMENT
from wholeplace.coordination.models import RegisterEvent, RegisterRecord, RegisterRelationship
from wholeplace.coordination.service import register
from wholeplace.core.models import Agency
from wholeplace.identity import service as identity
from wholeplace.sources.lake import Lake


@pytest.fixture
def lake(linked_place: LinkedPlace) -> Lake:  # noqa: F811 - the fixture imported above
    return Lake.in_data_dir(linked_place.data_dir)


@pytest.fixture
def built(db: Session, lake: Lake) -> register.RegisterCounts:
    return register.rebuild(db, lake, at=MOMENT)


def test_every_linked_record_is_in_the_register_with_its_person_and_household(
    db: Session, lake: Lake, built: register.RegisterCounts
) -> None:
    linked = identity.linked_people(db, lake).to_pylist()
    held = db.execute(
        select(
            RegisterRecord.source,
            RegisterRecord.record_id,
            RegisterRecord.person_id,
            RegisterRecord.household_id,
        )
    ).all()
    assert sorted(map(tuple, held)) == sorted(
        (row["source"], row["record_id"], row["person_id"], row["household_id"]) for row in linked
    )
    assert built.records == len(linked)


def test_events_fall_in_the_category_their_agency_s_sector_gives(db: Session, lake: Lake) -> None:
    sectors = {"Vale Police": "police", "Riverford Health Partnership": "health"}
    for agency in db.scalars(select(Agency).where(Agency.name.in_(sectors))):
        agency.sector = sectors[agency.name]
    built = register.rebuild(db, lake, at=MOMENT)
    categories = dict(
        db.execute(
            select(Agency.name, func.min(RegisterEvent.category))
            .join(Agency, Agency.id == RegisterEvent.agency_id)
            .group_by(Agency.name)
        ).all()
    )
    assert categories["Vale Police"] == "criminal_offence"
    assert categories["Riverford Health Partnership"] == "health"
    assert {category for name, category in categories.items() if name not in sectors} == {"events"}
    assert built.events == db.scalar(select(func.count()).select_from(RegisterEvent))


def test_a_relationship_names_the_linked_person_its_source_points_to(
    db: Session, built: register.RegisterCounts
) -> None:
    resolved = db.scalars(
        select(RegisterRelationship.other_person_id).where(RegisterRelationship.other_person_id.is_not(None))
    ).all()
    assert resolved
    people = set(db.scalars(select(RegisterRecord.person_id)))
    assert set(resolved) <= people


def test_search_keys_are_folded_from_the_names_and_postcodes_held(
    db: Session, built: register.RegisterCounts
) -> None:
    rows = db.execute(
        select(
            RegisterRecord.family_name,
            RegisterRecord.family_key,
            RegisterRecord.postcode,
            RegisterRecord.postcode_key,
        )
    ).all()
    assert all(key == register.fold(name) for name, key, _postcode, _postcode_key in rows)
    assert all(key == register.postcode_key(code) for _name, _key, code, key in rows)
    assert Counter(bool(key) for _n, key, _p, _k in rows)[True] > len(rows) * 0.9


def test_the_register_is_rebuilt_only_when_a_newer_linkage_run_exists(db: Session, lake: Lake) -> None:
    assert register.refresh_if_stale(db, lake, at=MOMENT) is True
    assert register.link_run(db) == identity.latest_sequence(db)
    assert register.refresh_if_stale(db, lake, at=MOMENT) is False


@given(st.text(max_size=30))
def test_folding_is_idempotent_and_ignores_case(text: str) -> None:
    folded = register.fold(text)
    assert register.fold(folded) == folded
    if text.isascii():
        assert register.fold(text.upper()) == register.fold(text.lower())
    assert folded == "" or folded.isalnum()


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Zoë", "zoe"),
        ("O'Brien", "obrien"),
        ("  Anne-Marie ", "annemarie"),
        ("Søren", "soren"),
        ("Strauß", "strauss"),
    ],
)
def test_folding_drops_accents_punctuation_and_spaces(name: str, key: str) -> None:
    assert register.fold(name) == key
