"""The partnerships service on SQLite and PostgreSQL: a partnership keeps its chair, member agencies, results and
programmes, changes whole, is listed by name, and refuses bad input naming the field, storing or changing
nothing."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.outcomes import factories as make
from tests.support import factories
from tests.support.factories import MOMENT
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.outcomes.models import Partnership
from wholeplace.outcomes.schemas import PartnershipTerms
from wholeplace.outcomes.service import partnerships


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Partnership)) or 0


def test_a_partnership_keeps_its_chair_members_results_and_programmes(db: Session) -> None:
    chair = make.owner(db)
    police, council = factories.agency(db, "Vale Police"), factories.agency(db, "Testford Council")
    safe, ready = make.result(db, priority=False), make.result(db, priority=True)
    programme = make.programme(db)
    added = partnerships.add_partnership(
        db,
        terms=PartnershipTerms(
            name="  Testford Community Safety Partnership ",
            purpose=" Keep residents safe at home. ",
            chair=chair.username.upper(),
            member_ids=[police.id, council.id, police.id],
            result_ids=[safe.id, ready.id],
            programme_ids=[programme.id],
        ),
        by="lead",
        at=MOMENT,
    )
    db.expire_all()
    kept = partnerships.partnership(db, added.id)
    assert (kept.name, kept.purpose, kept.chair, kept.created_by, kept.created_at) == (
        "Testford Community Safety Partnership",
        "Keep residents safe at home.",
        chair.username,
        "lead",
        MOMENT,
    )
    assert [one.name for one in partnerships.members_of(db, kept.id)] == ["Testford Council", "Vale Police"]
    assert partnerships.results_of(db, kept.id) == [ready, safe]  # the priority first, as the framework lists
    assert partnerships.programmes_of(db, kept.id) == [programme]


def test_a_partnership_may_own_no_results_and_oversee_no_programmes(db: Session) -> None:
    added = make.partnership(db)
    assert (partnerships.results_of(db, added.id), partnerships.programmes_of(db, added.id)) == ([], [])


def test_a_result_or_programme_may_belong_to_several_partnerships(db: Session) -> None:
    result, programme = make.result(db), make.programme(db)
    both = [
        make.partnership(db, name=name, result_ids=[result.id], programme_ids=[programme.id])
        for name in ("Safer Testford", "Children and Families")
    ]
    other = make.partnership(db, name="Health and Wellbeing Board")
    assert partnerships.partnerships_of_result(db, result.id) == sorted(both, key=lambda one: one.name)
    assert partnerships.partnerships_of_programme(db, programme.id) == sorted(both, key=lambda one: one.name)
    assert other not in partnerships.partnerships_of_result(db, result.id)


def test_partnerships_are_listed_by_name(db: Session) -> None:
    for name in ("Safer Testford", "Children and Families", "Health and Wellbeing Board"):
        make.partnership(db, name=name)
    assert [one.name for one in partnerships.partnerships(db)] == [
        "Children and Families",
        "Health and Wellbeing Board",
        "Safer Testford",
    ]


def test_a_change_replaces_the_name_purpose_chair_members_results_and_programmes(db: Session) -> None:
    first_result, second_result = make.result(db), make.result(db)
    programme = make.programme(db)
    added = make.partnership(db, result_ids=[first_result.id], programme_ids=[programme.id])
    kept_member = partnerships.members_of(db, added.id)[0]
    new_member, new_chair = factories.agency(db, "Testford Homes"), make.owner(db)
    partnerships.change_partnership(
        db,
        partnership_id=added.id,
        terms=PartnershipTerms(
            name="Safer Testford",
            purpose="Fewer victims of domestic abuse.",
            chair=new_chair.username,
            member_ids=[kept_member.id, new_member.id],
            result_ids=[second_result.id],
        ),
    )
    db.expire_all()
    changed = partnerships.partnership(db, added.id)
    assert (changed.name, changed.purpose, changed.chair) == (
        "Safer Testford",
        "Fewer victims of domestic abuse.",
        new_chair.username,
    )
    assert {one.id for one in partnerships.members_of(db, added.id)} == {kept_member.id, new_member.id}
    assert partnerships.results_of(db, added.id) == [second_result]
    assert partnerships.programmes_of(db, added.id) == []


def test_a_partnership_may_keep_its_own_name_when_it_changes(db: Session) -> None:
    added = make.partnership(db, name="Safer Testford")
    terms = make.terms(db, name="Safer Testford", purpose="Safe streets.")
    partnerships.change_partnership(db, partnership_id=added.id, terms=terms)
    assert partnerships.partnership(db, added.id).purpose == "Safe streets."


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"purpose": " "}, "purpose"),
        ({"chair": "nobody"}, "chair"),
        ({"member_ids": []}, "members"),
        ({"member_ids": [uuid.uuid4()]}, "members"),
        ({"result_ids": [uuid.uuid4()]}, "results"),
        ({"programme_ids": [uuid.uuid4()]}, "programmes"),
    ],
)
def test_bad_terms_are_refused_naming_the_field_and_nothing_is_stored(
    db: Session, bad: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        partnerships.add_partnership(db, terms=make.terms(db, **bad), by="lead", at=MOMENT)
    assert raised.value.field == field
    assert raised.value.fix
    assert _count(db) == 0


def test_an_inactive_user_cannot_chair(db: Session) -> None:
    retired = make.owner(db)
    retired.is_active = False
    with pytest.raises(InvalidInputError) as raised:
        make.partnership(db, chair=retired.username)
    assert raised.value.field == "chair"


def test_a_name_another_partnership_has_is_refused(db: Session) -> None:
    make.partnership(db, name="Safer Testford")
    with pytest.raises(ConflictError):
        make.partnership(db, name="Safer Testford")
    assert _count(db) == 1


def test_a_refused_change_changes_nothing(db: Session) -> None:
    result = make.result(db)
    added = make.partnership(db, name="Safer Testford", result_ids=[result.id])
    members = partnerships.members_of(db, added.id)
    bad = replace(make.terms(db, name="Renamed", result_ids=[]), programme_ids=[uuid.uuid4()])
    with pytest.raises(InvalidInputError) as raised:
        partnerships.change_partnership(db, partnership_id=added.id, terms=bad)
    assert raised.value.field == "programmes"
    db.expire_all()
    assert partnerships.partnership(db, added.id).name == "Safer Testford"
    assert partnerships.members_of(db, added.id) == members
    assert partnerships.results_of(db, added.id) == [result]


def test_an_unknown_partnership_is_not_found(db: Session) -> None:
    with pytest.raises(NotFoundError):
        partnerships.partnership(db, uuid.uuid4())
