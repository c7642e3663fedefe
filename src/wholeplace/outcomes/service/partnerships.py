"""The place's partnerships: named boards of its agencies, such as a children and families partnership or a
community safety partnership, each chaired by one accountable person, owning some of the partners' results and
overseeing some of their programmes. A result or a programme may belong to several partnerships."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, InvalidInputError, NotFoundError
from wholeplace.core.models import Agency
from wholeplace.outcomes.models import (
    NAME,
    Partnership,
    PartnershipMember,
    PartnershipProgramme,
    PartnershipResult,
    Programme,
    Result,
)
from wholeplace.outcomes.schemas import PartnershipTerms


def add_partnership(db: Session, *, terms: PartnershipTerms, by: str, at: datetime) -> Partnership:
    """Add a partnership with its chair, its member agencies, the results it owns and the programmes it
    oversees; a refusal stores nothing."""
    checked = _checked(db, terms, partnership_id=None)
    partnership = Partnership(
        name=checked.name, purpose=checked.purpose, chair=checked.chair, created_by=by, created_at=at
    )
    db.add(partnership)
    db.flush()
    _link(db, partnership.id, checked)
    return partnership


def change_partnership(db: Session, *, partnership_id: uuid.UUID, terms: PartnershipTerms) -> Partnership:
    """Change a partnership's name, purpose, chair, members, results or programmes; a refusal changes nothing."""
    found = partnership(db, partnership_id)
    checked = _checked(db, terms, partnership_id=found.id)
    found.name = checked.name
    found.purpose = checked.purpose
    found.chair = checked.chair
    for link in (PartnershipMember, PartnershipResult, PartnershipProgramme):
        db.execute(delete(link).where(link.partnership_id == found.id))
    _link(db, found.id, checked)
    return found


def partnership(db: Session, partnership_id: uuid.UUID) -> Partnership:
    found = db.get(Partnership, partnership_id)
    if found is None:
        raise NotFoundError("There is no such partnership.", fix="Go back to the partnerships.")
    return found


def partnerships(db: Session) -> list[Partnership]:
    """Every partnership, by name."""
    return list(db.scalars(select(Partnership).order_by(Partnership.name)))


def members_of(db: Session, partnership_id: uuid.UUID) -> list[Agency]:
    """The agencies that sit on the partnership, by name."""
    member_ids = set(
        db.scalars(
            select(PartnershipMember.agency_id).where(PartnershipMember.partnership_id == partnership_id)
        )
    )
    return [agency for agency in core.list_agencies(db) if agency.id in member_ids]


def results_of(db: Session, partnership_id: uuid.UUID) -> list[Result]:
    """The results the partnership owns, the priorities first, then by title (as the framework lists them)."""
    owned = select(PartnershipResult.result_id).where(PartnershipResult.partnership_id == partnership_id)
    found = select(Result).where(Result.id.in_(owned)).order_by(Result.is_priority.desc(), Result.title)
    return list(db.scalars(found))


def programmes_of(db: Session, partnership_id: uuid.UUID) -> list[Programme]:
    """The programmes the partnership oversees, by name."""
    overseen = select(PartnershipProgramme.programme_id).where(
        PartnershipProgramme.partnership_id == partnership_id
    )
    return list(db.scalars(select(Programme).where(Programme.id.in_(overseen)).order_by(Programme.name)))


def partnerships_of_result(db: Session, result_id: uuid.UUID) -> list[Partnership]:
    """The partnerships that own a result, by name."""
    owners = select(PartnershipResult.partnership_id).where(PartnershipResult.result_id == result_id)
    return list(db.scalars(select(Partnership).where(Partnership.id.in_(owners)).order_by(Partnership.name)))


def partnerships_of_programme(db: Session, programme_id: uuid.UUID) -> list[Partnership]:
    """The partnerships that oversee a programme, by name."""
    overseers = select(PartnershipProgramme.partnership_id).where(
        PartnershipProgramme.programme_id == programme_id
    )
    return list(
        db.scalars(select(Partnership).where(Partnership.id.in_(overseers)).order_by(Partnership.name))
    )


def _checked(db: Session, terms: PartnershipTerms, *, partnership_id: uuid.UUID | None) -> PartnershipTerms:
    """The terms cleaned and checked whole, or the first thing wrong with them, by field."""
    name = _name(db, terms.name, partnership_id=partnership_id)
    purpose = terms.purpose.strip()
    if not purpose:
        raise InvalidInputError(
            "Say what the partnership is for.",
            field="purpose",
            fix="Describe in a sentence or two what its agencies come together to do.",
        )
    chair = _chair(db, terms.chair)
    member_ids = _unique(terms.member_ids)
    if not member_ids:
        raise InvalidInputError(
            "A partnership needs at least one member agency.",
            field="members",
            fix="Choose the agencies that sit on it.",
        )
    _check_known(
        member_ids,
        {agency.id for agency in core.list_agencies(db)},
        field="members",
        problem="An agency chosen is not one of the place's agencies.",
    )
    result_ids = _unique(terms.result_ids)
    _check_known(
        result_ids,
        set(db.scalars(select(Result.id))),
        field="results",
        problem="A result chosen is not in the outcomes framework.",
    )
    programme_ids = _unique(terms.programme_ids)
    _check_known(
        programme_ids,
        set(db.scalars(select(Programme.id))),
        field="programmes",
        problem="A programme chosen is not in the outcomes framework.",
    )
    return PartnershipTerms(
        name=name,
        purpose=purpose,
        chair=chair,
        member_ids=member_ids,
        result_ids=result_ids,
        programme_ids=programme_ids,
    )


def _name(db: Session, text: str, *, partnership_id: uuid.UUID | None) -> str:
    name = text.strip()
    if not name:
        raise InvalidInputError(
            "This cannot be empty.",
            field="name",
            fix="Enter the partnership's name, such as Riverford Community Safety Partnership.",
        )
    if len(name) > NAME:
        raise InvalidInputError(f"This is longer than {NAME} characters.", field="name", fix="Shorten it.")
    clash = select(Partnership.id).where(Partnership.name == name, Partnership.id != partnership_id)
    if db.scalars(clash).first() is not None:
        raise ConflictError(
            f"There is already a partnership {name!r}.", fix="Give this partnership another name."
        )
    return name


def _chair(db: Session, username: str) -> str:
    user = core.find_user(db, username)
    if user is None or not user.is_active:
        raise InvalidInputError(
            f"There is no active user {username.strip()!r}.",
            field="chair",
            fix="Choose the chair from the place's users.",
        )
    return user.username


def _unique(ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


def _check_known(ids: Sequence[uuid.UUID], known: set[uuid.UUID], *, field: str, problem: str) -> None:
    if not set(ids) <= known:
        raise InvalidInputError(problem, field=field, fix="Choose again from the list.")


def _link(db: Session, partnership_id: uuid.UUID, terms: PartnershipTerms) -> None:
    db.add_all(PartnershipMember(partnership_id=partnership_id, agency_id=one) for one in terms.member_ids)
    db.add_all(PartnershipResult(partnership_id=partnership_id, result_id=one) for one in terms.result_ids)
    db.add_all(
        PartnershipProgramme(partnership_id=partnership_id, programme_id=one) for one in terms.programme_ids
    )
    db.flush()
