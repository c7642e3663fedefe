"""Finding a person in the register by what a practitioner knows about them: names, date of birth, postcode or
a national identifier. Searches too broad to point at someone are refused; every lookup uses an index."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from wholeplace.coordination.models import RegisterRecord
from wholeplace.coordination.service.register import fold, identifier_key, postcode_key
from wholeplace.core.errors import InvalidInputError
from wholeplace.core.models import Agency

GIVEN = "Given name"
FAMILY = "Family name"
BIRTH = "Date of birth"
POSTCODE = "Postcode"
IDENTIFIERS = {
    "nhs_number": "NHS number",
    "ni_number": "National Insurance number",
    "upn": "Unique pupil number",
}
LABEL_ORDER = (FAMILY, GIVEN, BIRTH, POSTCODE, *IDENTIFIERS.values())

T = TypeVar("T")


@dataclass(frozen=True)
class Criteria:
    """What the practitioner typed; empty strings and None mean "not given"."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    postcode: str = ""
    identifier: str = ""


@dataclass(frozen=True)
class FoundRecord:
    """One agency's record of a candidate: what a page may show of it once the access decision allows."""

    agency: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    postcode: str | None
    recorded_on: date | None


@dataclass(frozen=True)
class Candidate:
    person_id: str
    household_id: str | None
    given_name: str
    family_name: str
    date_of_birth: date | None
    postcode: str
    matched: tuple[str, ...]  # labels of the criteria the person's records matched
    records: tuple[FoundRecord, ...]

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)


@dataclass(frozen=True)
class _Keys:
    given: str
    family: str
    born: date | None
    postcode: str
    identifier: str


def search(db: Session, *, criteria: Criteria, limit: int = 10) -> list[Candidate]:
    """People whose records match, most criteria matched first, then by name; refused when too broad."""
    keys = _keys(criteria)
    _check_narrow(keys)
    rows = db.scalars(select(RegisterRecord).where(or_(*_anchors(keys)))).all()
    matched: dict[str, set[str]] = {}
    for row in rows:
        matched.setdefault(row.person_id, set()).update(_matches(row, keys))
    records = _records_of(db, list(matched))
    candidates = [_candidate(person, labels, records[person]) for person, labels in matched.items()]
    candidates.sort(
        key=lambda found: (-len(found.matched), found.family_name.lower(), found.given_name.lower())
    )
    return candidates[:limit]


def _keys(criteria: Criteria) -> _Keys:
    return _Keys(
        given=fold(criteria.given_name),
        family=fold(criteria.family_name),
        born=criteria.date_of_birth,
        postcode=postcode_key(criteria.postcode),
        identifier=identifier_key(criteria.identifier),
    )


def _check_narrow(keys: _Keys) -> None:
    """Allowed: an identifier alone; a family name with a given name, date of birth or postcode; or a date of
    birth with a postcode. Anything broader would list strangers."""
    if keys.identifier:
        return
    if keys.family and (keys.given or keys.born or keys.postcode):
        return
    if keys.born and keys.postcode:
        return
    if keys.family:
        raise InvalidInputError(
            "A family name alone matches too many people.",
            field="given_name",
            fix="Add a given name, a date of birth or a postcode.",
        )
    if keys.born or keys.postcode:
        raise InvalidInputError(
            "Enter a family name, or both a date of birth and a postcode.",
            field="family_name" if keys.given else ("postcode" if keys.born else "dob"),
            fix="A search needs enough to point at one person.",
        )
    raise InvalidInputError(
        "Enter a family name with a given name, date of birth or postcode, or an NHS number, "
        "National Insurance number or unique pupil number.",
        field="family_name" if keys.given else "identifier",
        fix="A search needs enough to point at one person.",
    )


def _anchors(keys: _Keys) -> list[ColumnElement[bool]]:
    """The indexed conditions a record must meet to be a candidate at all."""
    anchors: list[ColumnElement[bool]] = []
    if keys.identifier:
        anchors += [getattr(RegisterRecord, column) == keys.identifier for column in IDENTIFIERS]
    if keys.family:
        others = [
            condition
            for condition, wanted in (
                (_given_condition(keys.given), keys.given),
                (RegisterRecord.date_of_birth == keys.born, keys.born),
                (RegisterRecord.postcode_key == keys.postcode, keys.postcode),
            )
            if wanted
        ]
        if others:
            anchors.append(and_(RegisterRecord.family_key == keys.family, or_(*others)))
    if keys.born and keys.postcode:
        anchors.append(
            and_(RegisterRecord.postcode_key == keys.postcode, RegisterRecord.date_of_birth == keys.born)
        )
    return anchors


def _given_condition(given: str) -> ColumnElement[bool]:
    # fold leaves only letters and digits, so the key cannot hold a LIKE wildcard
    return or_(RegisterRecord.given_key == given, RegisterRecord.given_key.like(given + "%"))


def _matches(row: RegisterRecord, keys: _Keys) -> Iterable[str]:
    if keys.family and row.family_key == keys.family:
        yield FAMILY
    if keys.given and row.given_key.startswith(keys.given):
        yield GIVEN
    if keys.born and row.date_of_birth == keys.born:
        yield BIRTH
    if keys.postcode and row.postcode_key == keys.postcode:
        yield POSTCODE
    for column, label in IDENTIFIERS.items():
        if keys.identifier and getattr(row, column) == keys.identifier:
            yield label


def _records_of(db: Session, people: Sequence[str]) -> dict[str, list[tuple[RegisterRecord, str]]]:
    found: dict[str, list[tuple[RegisterRecord, str]]] = {person: [] for person in people}
    if not people:
        return found
    rows = db.execute(
        select(RegisterRecord, Agency.name)
        .join(Agency, Agency.id == RegisterRecord.agency_id)
        .where(RegisterRecord.person_id.in_(people))
    ).all()
    for record, agency in rows:
        found[record.person_id].append((record, agency))
    return found


def _candidate(person: str, labels: set[str], held: list[tuple[RegisterRecord, str]]) -> Candidate:
    records = tuple(
        FoundRecord(
            agency=agency,
            given_name=record.given_name,
            family_name=record.family_name,
            date_of_birth=record.date_of_birth,
            postcode=record.postcode,
            recorded_on=record.recorded_on,
        )
        for record, agency in held
    )
    return Candidate(
        person_id=person,
        household_id=most_common(record.household_id for record, _ in held),
        given_name=most_common(record.given_name for record in records) or "",
        family_name=most_common(record.family_name for record in records) or "",
        date_of_birth=most_common(record.date_of_birth for record in records),
        postcode=latest_postcode(records),
        matched=tuple(label for label in LABEL_ORDER if label in labels),
        records=records,
    )


def most_common(values: Iterable[T | None]) -> T | None:
    """The value most records agree on (the first seen, on a tie); None when none is given."""
    counted = Counter(value for value in values if value is not None and value != "")
    return counted.most_common(1)[0][0] if counted else None


def latest_postcode(records: Iterable[FoundRecord]) -> str:
    dated = [record for record in records if record.postcode]
    dated.sort(key=lambda record: record.recorded_on or date.min, reverse=True)
    return dated[0].postcode or "" if dated else ""
