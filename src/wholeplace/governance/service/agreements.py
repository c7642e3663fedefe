"""Sharing agreements as data: drafts and versions, the checks before one comes into force, its lifecycle, the
agreements in force on a day, what changed between two versions, the purposes a place recognises, and agreement
files (YAML or JSON) read and imported. The only writer of the agreement and purpose tables.

A version's lifecycle: draft → active → suspended → active again (reinstated), and active or suspended →
expired, which is final. Only a draft can be edited; a change to an agreement in force is a new version, and
activating it retires the version it replaces.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, object_session

from wholeplace.core import service as core
from wholeplace.core.errors import ConflictError, IngestError, InvalidInputError, NotFoundError
from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.models import Agreement, AgreementStatusChange, Purpose
from wholeplace.governance.schemas import AgreementBody, CategoryGrant, Duties, Party, Signatory
from wholeplace.governance.vocabulary import PurposeTerms

DRAFT, ACTIVE, SUSPENDED, EXPIRED = "draft", "active", "suspended", "expired"
STANDING = (ACTIVE, SUSPENDED)  # signed and not yet ended: what review and expiry dates matter for
SYSTEM = "wholeplace"
REFERENCE_LENGTH = 60
TITLE_LENGTH = 200
REFERENCE = re.compile(r"[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?")
PURPOSE_CODE = re.compile(r"[a-z][a-z0-9_]*")

# What each change of status needs the version to be, and the words for refusing it.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (
        frozenset({DRAFT}),
        "Only a draft can be activated: make a new version to change an agreement.",
    ),
    "suspend": (frozenset({ACTIVE}), "Only an active agreement can be suspended."),
    "reinstate": (frozenset({SUSPENDED}), "Only a suspended agreement can be reinstated."),
    "expire": (
        frozenset({ACTIVE, SUSPENDED}),
        "Only an active or suspended agreement can be expired; a draft is edited, and expiry is final.",
    ),
}


class AgreementNotReadyError(InvalidInputError):
    """A draft that cannot come into force yet; each problem says what to put right."""

    def __init__(self, label: str, problems: list[str]) -> None:
        super().__init__(
            f"{label} cannot be activated yet. " + " ".join(problems),
            field="reason",
            fix="Edit the draft to put these right, then activate it.",
        )
        self.problems = problems


@dataclass(frozen=True)
class ActiveAgreement:
    """A version in force on a day, with what it says already parsed: what the access decision reads."""

    id: uuid.UUID
    reference: str
    version: int
    title: str
    status: str
    effective_from: date
    expires_on: date | None
    review_by: date | None
    body: AgreementBody

    @property
    def label(self) -> str:
        return f"{self.reference} v{self.version}"


@dataclass(frozen=True)
class Attention:
    """A date of a standing agreement that is close or past: its review, or its expiry."""

    agreement: Agreement
    what: Literal["review", "expiry"]
    on: date
    days: int  # from today; negative once the date has passed

    @property
    def overdue(self) -> bool:
        return self.days < 0


@dataclass(frozen=True)
class AgreementSummary:
    """One agreement as the list shows it: its latest version, the version standing if that is another one,
    and the dates that need attention."""

    latest: Agreement
    standing: Agreement | None
    attention: tuple[Attention, ...]

    @property
    def reference(self) -> str:
        return self.latest.reference


@dataclass(frozen=True)
class Difference:
    """One thing two versions say differently."""

    aspect: str
    change: Literal["added", "removed", "changed"]
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class AgreementHeader:
    """What an agreement file says about the version itself, beside its body."""

    reference: str
    title: str
    effective_from: date
    expires_on: date | None
    review_by: date | None


@dataclass(frozen=True)
class Imported:
    agreement: Agreement
    outcome: Literal["drafted", "updated draft", "activated", "unchanged"]


# ---------------------------------------------------------------- drafting


def draft(
    db: Session,
    *,
    reference: str,
    title: str,
    effective_from: date,
    expires_on: date | None,
    review_by: date | None,
    body: AgreementBody,
    by: str,
    at: datetime,
) -> Agreement:
    """Draft version 1 of a new agreement, or the next version of an existing one; a reference has one draft at
    a time."""
    reference = checked_reference(reference)
    existing = versions(db, reference)
    waiting = next((one for one in existing if one.status == DRAFT), None)
    if waiting is not None:
        raise ConflictError(
            f"{label(waiting)} is already a draft.",
            fix="Edit that draft, or activate it, before drafting another version.",
        )
    agreement = Agreement(
        reference=reference,
        version=existing[-1].version + 1 if existing else 1,
        title=_checked_title(title),
        status=DRAFT,
        effective_from=effective_from,
        expires_on=expires_on,
        review_by=review_by,
        body=_stored(body),
        created_by=by,
        created_at=at,
    )
    db.add(agreement)
    db.flush()
    return agreement


def update_draft(
    db: Session,
    *,
    agreement_id: uuid.UUID,
    title: str,
    effective_from: date,
    expires_on: date | None,
    review_by: date | None,
    body: AgreementBody,
) -> Agreement:
    """Change what a draft says; a version that has been active is never edited."""
    agreement = get(db, agreement_id)
    if agreement.status != DRAFT:
        raise ConflictError(
            f"{label(agreement)} is {agreement.status}, and only a draft can be edited.",
            fix="Make a new version from it instead.",
        )
    agreement.title = _checked_title(title)
    agreement.effective_from = effective_from
    agreement.expires_on = expires_on
    agreement.review_by = review_by
    agreement.body = _stored(body)
    db.flush()
    return agreement


def checked_reference(text: str) -> str:
    """An agreement's reference in capitals: letters, digits and hyphens, like ISA-2026-01."""
    reference = text.strip().upper()
    if not reference:
        raise InvalidInputError(
            "Enter the agreement's reference.", field="reference", fix="For example ISA-2026-01."
        )
    if len(reference) > REFERENCE_LENGTH or not REFERENCE.fullmatch(reference):
        raise InvalidInputError(
            f"{text.strip()!r} cannot be a reference: use letters, digits and hyphens only, up to "
            f"{REFERENCE_LENGTH} characters, starting and ending with a letter or digit.",
            field="reference",
            fix="For example ISA-2026-01.",
        )
    return reference


def _checked_title(text: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise InvalidInputError("Enter the agreement's title.", field="title")
    if len(title) > TITLE_LENGTH:
        raise InvalidInputError(f"The title is longer than {TITLE_LENGTH} characters.", field="title")
    return title


def _stored(body: AgreementBody) -> dict[str, Any]:
    stored: dict[str, Any] = body.model_dump(mode="json")
    return stored


# ---------------------------------------------------------------- reading


def get(db: Session, agreement_id: uuid.UUID) -> Agreement:
    agreement = db.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFoundError("There is no such sharing agreement.", fix="Go back to the list of agreements.")
    return agreement


def get_version(db: Session, reference: str, version: int) -> Agreement:
    found = db.scalars(
        select(Agreement).where(
            Agreement.reference == reference.strip().upper(), Agreement.version == version
        )
    ).first()
    if found is None:
        raise NotFoundError(
            f"There is no version {version} of the agreement {reference}.",
            fix="Go back to the list of agreements.",
        )
    return found


def versions(db: Session, reference: str) -> list[Agreement]:
    """Every version of an agreement, oldest first."""
    query = (
        select(Agreement).where(Agreement.reference == reference.strip().upper()).order_by(Agreement.version)
    )
    return list(db.scalars(query))


def body_of(agreement: Agreement) -> AgreementBody:
    return AgreementBody.model_validate(agreement.body)


def label(agreement: Agreement) -> str:
    return f"{agreement.reference} version {agreement.version}"


def active_agreements(db: Session, *, on: date) -> list[ActiveAgreement]:
    """The versions in force on a day: active, already effective and not yet expired. One query of plain rows,
    and one more for the text of any version this process has not read before."""
    rows = db.connection().execute(_IN_FORCE, {"on": on}).all()
    bodies = _bodies_in_force(db, [row.id for row in rows])
    return [
        ActiveAgreement(
            id=row.id,
            reference=row.reference,
            version=row.version,
            title=row.title,
            status=row.status,
            effective_from=row.effective_from,
            expires_on=row.expires_on,
            review_by=row.review_by,
            body=bodies[row.id],
        )
        for row in rows
    ]


# Built once: the access decision asks it every time.
_IN_FORCE = (
    select(
        Agreement.id,
        Agreement.reference,
        Agreement.version,
        Agreement.title,
        Agreement.status,
        Agreement.effective_from,
        Agreement.expires_on,
        Agreement.review_by,
    )
    .where(
        Agreement.status == ACTIVE,
        Agreement.effective_from <= bindparam("on"),
        or_(Agreement.expires_on.is_(None), Agreement.expires_on >= bindparam("on")),
    )
    .order_by(Agreement.reference, Agreement.version)
)

# Parsed bodies of versions that have been active, by id. Such a body never changes (only a draft is edited),
# so each is parsed once per process rather than on every access decision.
_PARSED_BODIES: dict[uuid.UUID, AgreementBody] = {}
PARSED_BODIES_KEPT = 4096


def _bodies_in_force(db: Session, agreement_ids: list[uuid.UUID]) -> dict[uuid.UUID, AgreementBody]:
    unread = [agreement_id for agreement_id in agreement_ids if agreement_id not in _PARSED_BODIES]
    if unread:
        if len(_PARSED_BODIES) + len(unread) > PARSED_BODIES_KEPT:
            _PARSED_BODIES.clear()
        for agreement_id, stored in db.execute(
            select(Agreement.id, Agreement.body).where(Agreement.id.in_(unread))
        ):
            _PARSED_BODIES[agreement_id] = AgreementBody.model_validate(stored)
    return {agreement_id: _PARSED_BODIES[agreement_id] for agreement_id in agreement_ids}


def agreements_needing_attention(db: Session, *, today: date, within_days: int = 60) -> list[Attention]:
    """Review and expiry dates of standing agreements that fall within the window or have passed, soonest
    first."""
    standing = db.scalars(select(Agreement).where(Agreement.status.in_(STANDING)))
    return sorted(_attention(standing, today=today, within_days=within_days), key=lambda one: one.on)


def _attention(agreements: Iterable[Agreement], *, today: date, within_days: int) -> Iterator[Attention]:
    horizon = today + timedelta(days=within_days)
    for agreement in agreements:
        dates: tuple[tuple[Literal["review", "expiry"], date | None], ...] = (
            ("review", agreement.review_by),
            ("expiry", agreement.expires_on),
        )
        for what, on in dates:
            if on is not None and on <= horizon:
                yield Attention(agreement, what, on, (on - today).days)


def overview(db: Session, *, today: date, within_days: int = 60) -> list[AgreementSummary]:
    """Every agreement once, those with dates needing attention first (soonest first), then by reference."""
    by_reference: dict[str, list[Agreement]] = {}
    for agreement in db.scalars(select(Agreement).order_by(Agreement.reference, Agreement.version)):
        by_reference.setdefault(agreement.reference, []).append(agreement)
    summaries = [_summary(found, today=today, within_days=within_days) for found in by_reference.values()]
    return sorted(summaries, key=_attention_first)


def _summary(found: list[Agreement], *, today: date, within_days: int) -> AgreementSummary:
    latest = found[-1]
    standing = next((one for one in reversed(found) if one.status in STANDING), None)
    dated = _attention([standing] if standing is not None else [], today=today, within_days=within_days)
    attention = tuple(sorted(dated, key=lambda one: one.on))
    return AgreementSummary(
        latest=latest, standing=standing if standing is not latest else None, attention=attention
    )


def _attention_first(summary: AgreementSummary) -> tuple[int, date, str]:
    if summary.attention:
        return (0, summary.attention[0].on, summary.reference)
    return (1, date.max, summary.reference)


# ---------------------------------------------------------------- the lifecycle


def activate(db: Session, *, agreement_id: uuid.UUID, by: str, at: datetime, reason: str) -> Agreement:
    """Bring a draft into force once it passes every check; the version it replaces expires."""
    agreement = _changing(db, agreement_id, "activate")
    reason = _checked_reason(reason)
    problems = activation_problems(db, agreement, today=at.date())
    if problems:
        raise AgreementNotReadyError(label(agreement), problems)
    for other in versions(db, agreement.reference):
        if other.id != agreement.id and other.status in STANDING:
            _record(other, EXPIRED, by=by, at=at, reason=f"replaced by version {agreement.version}")
    _record(agreement, ACTIVE, by=by, at=at, reason=reason)
    db.flush()
    return agreement


def suspend(db: Session, *, agreement_id: uuid.UUID, by: str, at: datetime, reason: str) -> Agreement:
    """Stop sharing under an agreement for now, without ending it."""
    agreement = _changing(db, agreement_id, "suspend")
    _record(agreement, SUSPENDED, by=by, at=at, reason=_checked_reason(reason))
    db.flush()
    return agreement


def reinstate(db: Session, *, agreement_id: uuid.UUID, by: str, at: datetime, reason: str) -> Agreement:
    """Let a suspended agreement apply again, unless its expiry date has passed meanwhile."""
    agreement = _changing(db, agreement_id, "reinstate")
    reason = _checked_reason(reason)
    if agreement.expires_on is not None and agreement.expires_on < at.date():
        raise ConflictError(
            f"{label(agreement)} expired on {_day(agreement.expires_on)} while it was suspended.",
            fix="Expire it, and make a new version with a later expiry date.",
        )
    _record(agreement, ACTIVE, by=by, at=at, reason=reason)
    db.flush()
    return agreement


def expire(db: Session, *, agreement_id: uuid.UUID, by: str, at: datetime, reason: str) -> Agreement:
    """End an agreement for good."""
    agreement = _changing(db, agreement_id, "expire")
    _record(agreement, EXPIRED, by=by, at=at, reason=_checked_reason(reason))
    db.flush()
    return agreement


def expire_lapsed(db: Session, *, today: date) -> list[Agreement]:
    """Expire the standing agreements whose expiry date is before today, as of the start of today."""
    lapsed = list(
        db.scalars(
            select(Agreement)
            .where(Agreement.status.in_(STANDING), Agreement.expires_on < today)
            .order_by(Agreement.reference, Agreement.version)
        )
    )
    at = datetime.combine(today, time(), tzinfo=UTC)
    for agreement in lapsed:
        assert agreement.expires_on is not None  # the query chose only these
        _record(
            agreement,
            EXPIRED,
            by=SYSTEM,
            at=at,
            reason=f"its expiry date, {_day(agreement.expires_on)}, passed",
        )
    db.flush()
    return lapsed


def _changing(db: Session, agreement_id: uuid.UUID, action: str) -> Agreement:
    agreement = get(db, agreement_id)
    allowed, refusal = TRANSITIONS[action]
    if agreement.status not in allowed:
        raise ConflictError(f"{label(agreement)} is {agreement.status}.", fix=refusal)
    return agreement


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInputError(
            "Enter the reason for the change.", field="reason", fix="It is kept with the agreement's status."
        )
    return reason


def _record(agreement: Agreement, status: str, *, by: str, at: datetime, reason: str) -> None:
    agreement.status = status
    agreement.status_changed_by = by
    agreement.status_changed_at = at
    agreement.status_reason = reason
    session = object_session(agreement)
    assert session is not None
    session.add(
        AgreementStatusChange(
            agreement_id=agreement.id, status=status, changed_by=by, changed_at=at, reason=reason
        )
    )


def status_history(db: Session, agreement_id: uuid.UUID) -> list[AgreementStatusChange]:
    """Every change of a version's status, oldest first."""
    return list(
        db.scalars(
            select(AgreementStatusChange)
            .where(AgreementStatusChange.agreement_id == agreement_id)
            .order_by(AgreementStatusChange.changed_at, AgreementStatusChange.id)
        )
    )


# ---------------------------------------------------------------- the checks before activation


def activation_problems(db: Session, agreement: Agreement, *, today: date) -> list[str]:
    """Everything that stops a draft coming into force, each said so that the officer can put it right."""
    body = body_of(agreement)
    return [
        *_unknown_agencies(db, body),
        *_unknown_purposes(db, body),
        *_special_categories_without_condition(body),
        *_criminal_offence_without_gateway(body),
        *_unsigned(body),
        *_dates_wrong(agreement, today=today),
    ]


def _unknown_agencies(db: Session, body: AgreementBody) -> Iterator[str]:
    names = {agency.name for agency in core.list_agencies(db)}
    for party in body.parties:
        if party.agency not in names:
            near = core.find_agency(db, party.agency)
            hint = f" (did you mean {near.name}?)" if near is not None else ""
            yield (
                f"{party.agency} is not an agency of the place{hint}: correct the party, or ask an administrator "
                "to add the agency."
            )


def _unknown_purposes(db: Session, body: AgreementBody) -> Iterator[str]:
    known = {purpose.code for purpose in purposes(db)}
    for code in body.purposes:
        if code not in known:
            yield f"{code!r} is not a purpose of the place: choose a listed purpose, or add it as a place purpose first."


def _providers(body: AgreementBody) -> list[Party]:
    return [party for party in body.parties if "provider" in party.roles]


def _special_categories(body: AgreementBody, kind: str) -> list[vocabulary.Category]:
    found = (vocabulary.category(grant.category) for grant in body.categories)
    return [category for category in found if category is not None and category.special == kind]


def _special_categories_without_condition(body: AgreementBody) -> Iterator[str]:
    for category in _special_categories(body, "health"):
        for party in _providers(body):
            if party.special_category_condition is None:
                yield (
                    f"{party.agency} provides {category.label.lower()}, special category data: state the Article 9 "
                    "condition it relies on, such as 9(2)(h) for health or social care."
                )


def _criminal_offence_without_gateway(body: AgreementBody) -> Iterator[str]:
    """Criminal offence data is shared only by a provider naming the law that lets it (the access decision
    leaves the other providers out), so at least one provider must name one."""
    for category in _special_categories(body, "criminal_offence"):
        if not any((party.statutory_gateway or "").strip() for party in _providers(body)):
            yield (
                f"No provider names a statutory gateway, so nobody could share {category.label.lower()}, criminal "
                "offence data: name the gateway of the party that provides them, such as Crime and Disorder Act "
                "1998, s.115."
            )


def _unsigned(body: AgreementBody) -> Iterator[str]:
    parties = {party.agency for party in body.parties}
    signed = {signatory.agency for signatory in body.signatories if signatory.signed_on is not None}
    for party in body.parties:
        if party.agency not in signed:
            yield f"Nobody has signed for {party.agency}: add a signatory for it with the date they signed."
    for signatory in body.signatories:
        if signatory.agency not in parties:
            yield f"{signatory.name} signed for {signatory.agency}, which is not a party: correct the signatory's agency."


def _dates_wrong(agreement: Agreement, *, today: date) -> Iterator[str]:
    if agreement.expires_on is not None and agreement.expires_on < agreement.effective_from:
        yield (
            f"It expires on {_day(agreement.expires_on)}, before it takes effect on "
            f"{_day(agreement.effective_from)}: correct one of the dates."
        )
    elif agreement.expires_on is not None and agreement.expires_on < today:
        yield f"Its expiry date, {_day(agreement.expires_on)}, has passed: set a later one."
    if agreement.review_by is None:
        yield "Set a review date: the day by which the parties will look at the agreement again."


# ---------------------------------------------------------------- comparing versions


def compare(
    older: Agreement, newer: Agreement, *, purpose_labels: Mapping[str, str] | None = None
) -> list[Difference]:
    """What the newer version says differently from the older, field by field."""
    before, after = body_of(older), body_of(newer)
    named = purpose_labels or {purpose.code: purpose.label for purpose in vocabulary.PURPOSES}
    return [
        *_changed("Title", older.title, newer.title),
        *_changed("Takes effect", _day(older.effective_from), _day(newer.effective_from)),
        *_changed("Expires", _day(older.expires_on), _day(newer.expires_on)),
        *_changed("Review by", _day(older.review_by), _day(newer.review_by)),
        *_party_differences(before.parties, after.parties),
        *_set_differences(
            "Purpose",
            [named.get(code, code) for code in before.purposes],
            [named.get(code, code) for code in after.purposes],
        ),
        *_category_differences(before.categories, after.categories),
        *_set_differences("Recipient role", _role_names(before.roles), _role_names(after.roles)),
        *_changed(
            "Shares over objections", _yes_no(before.overrides_objection), _yes_no(after.overrides_objection)
        ),
        *_changed("Retention", before.retention, after.retention),
        *_changed("Onward sharing", before.onward_sharing, after.onward_sharing),
        *_duty_differences(before.duties, after.duties),
        *_signatory_differences(before.signatories, after.signatories),
    ]


def _changed(aspect: str, before: str, after: str) -> list[Difference]:
    return [] if before == after else [Difference(aspect, "changed", before, after)]


def _set_differences(aspect: str, before: Iterable[str], after: Iterable[str]) -> list[Difference]:
    old, new = list(dict.fromkeys(before)), list(dict.fromkeys(after))
    return [Difference(aspect, "removed", before=one) for one in old if one not in new] + [
        Difference(aspect, "added", after=one) for one in new if one not in old
    ]


def _party_differences(before: tuple[Party, ...], after: tuple[Party, ...]) -> list[Difference]:
    old = {party.agency: party for party in before}
    new = {party.agency: party for party in after}
    found = _keyed_differences("Party", old, new, _party_said)
    for name in (name for name in new if name in old):
        was, now = old[name], new[name]
        found += _changed(f"{name}: role", _roles_said(was), _roles_said(now))
        found += _changed(f"{name}: Article 6 basis", _basis(was.lawful_basis), _basis(now.lawful_basis))
        found += _changed(
            f"{name}: Article 9 condition",
            _basis(was.special_category_condition),
            _basis(now.special_category_condition),
        )
        found += _changed(
            f"{name}: statutory gateway", was.statutory_gateway or "None", now.statutory_gateway or "None"
        )
    return found


Compared = TypeVar("Compared")


def _keyed_differences(
    aspect: str, old: dict[str, Compared], new: dict[str, Compared], said: Callable[[Compared], str]
) -> list[Difference]:
    """What one version has under a key and the other lacks, each way; changes under a shared key are the
    caller's to find."""
    return [Difference(aspect, "removed", before=said(one)) for key, one in old.items() if key not in new] + [
        Difference(aspect, "added", after=said(one)) for key, one in new.items() if key not in old
    ]


def _party_said(party: Party) -> str:
    return f"{party.agency} ({_roles_said(party)}; {_basis(party.lawful_basis)})"


def _roles_said(party: Party) -> str:
    return " and ".join(party.roles)


def _basis(code: str | None) -> str:
    if code is None:
        return "None"
    term = vocabulary.lawful_basis(code)
    return f"{code} {term.label.lower()}" if term is not None else code


def _category_differences(
    before: tuple[CategoryGrant, ...], after: tuple[CategoryGrant, ...]
) -> list[Difference]:
    old = {grant.category: grant for grant in before}
    new = {grant.category: grant for grant in after}
    found = _keyed_differences("Data category", old, new, _category_said)
    for code in (code for code in new if code in old):
        found += _set_differences(
            f"{_category_label(code)}: field",
            map(field_label, old[code].fields),
            map(field_label, new[code].fields),
        )
    return found


FIELD_WORDS = {
    "nhs": "NHS",
    "ni": "National Insurance",
    "upn": "unique pupil number",
    "uprn": "UPRN",
    "id": "ID",
}


def field_label(name: str) -> str:
    """A standard field in words: event.type is "Event type", nhs_number is "NHS number"."""
    words = [FIELD_WORDS.get(word, word) for word in name.replace(".", " ").replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _category_label(code: str) -> str:
    category = vocabulary.category(code)
    return category.label if category is not None else code


def _category_said(grant: CategoryGrant) -> str:
    return f"{_category_label(grant.category)}: {', '.join(map(field_label, grant.fields))}"


def _role_names(roles: Iterable[str]) -> list[str]:
    known = {role.value: role.label for role in Role}
    return [known.get(role, role) for role in roles]


def _duty_differences(before: Duties, after: Duties) -> list[Difference]:
    return [
        *_changed("Log every access", _yes_no(before.log_every_access), _yes_no(after.log_every_access)),
        *_changed("Tell the person", _yes_no(before.tell_the_person), _yes_no(after.tell_the_person)),
        *_changed("Duties reviewed by", _day(before.review_by), _day(after.review_by)),
    ]


def _signatory_differences(before: tuple[Signatory, ...], after: tuple[Signatory, ...]) -> list[Difference]:
    return _set_differences("Signatory", map(_signatory_said, before), map(_signatory_said, after))


def _signatory_said(signatory: Signatory) -> str:
    signed = f"signed {_day(signatory.signed_on)}" if signatory.signed_on else "not signed"
    return f"{signatory.name}, {signatory.role}, {signatory.agency} ({signed})"


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value is not None else "Not set"


# ---------------------------------------------------------------- purposes


def purposes(db: Session) -> list[PurposeTerms]:
    """The purposes agreements may name: the built-in ones, then those the place added."""
    added = db.scalars(select(Purpose).order_by(Purpose.code))
    return [*vocabulary.PURPOSES, *(_terms(purpose) for purpose in added)]


def purpose_labels(db: Session) -> dict[str, str]:
    return {purpose.code: purpose.label for purpose in purposes(db)}


def add_purpose(
    db: Session,
    *,
    code: str,
    label: str,
    description: str,
    roles: Iterable[Role],
    at: datetime,
    needs_involvement: bool = True,
    needs_case_reference: bool = False,
    first_inquiry_hours: int | None = None,
    deidentified: bool = False,
    vital_interests: bool = False,
) -> Purpose:
    """Add a purpose of the place's own; its code may not be one already used, built in or added."""
    code = code.strip()
    if not PURPOSE_CODE.fullmatch(code) or len(code) > REFERENCE_LENGTH:
        raise InvalidInputError(
            f"{code!r} cannot be a purpose code: use small letters, digits and underscores, starting with a letter.",
            field="code",
            fix="For example youth_justice_prevention.",
        )
    if vocabulary.purpose_terms(code) is not None:
        raise ConflictError(
            f"{code!r} is a built-in purpose.", fix="Choose another code for the place's purpose."
        )
    if db.get(Purpose, code) is not None:
        raise ConflictError(f"The place already has a purpose {code!r}.", fix="Choose another code.")
    chosen = sorted({Role(role).value for role in roles})
    if not chosen:
        raise InvalidInputError("Choose the roles that may act for the purpose.", field="roles")
    if not label.strip() or not description.strip():
        raise InvalidInputError("Give the purpose a label and a description.", field="label")
    purpose = Purpose(
        code=code,
        label=label.strip(),
        description=description.strip(),
        roles=chosen,
        needs_involvement=needs_involvement,
        needs_case_reference=needs_case_reference,
        first_inquiry_hours=first_inquiry_hours,
        deidentified=deidentified,
        vital_interests=vital_interests,
        created_at=at,
    )
    db.add(purpose)
    db.flush()
    return purpose


def _terms(purpose: Purpose) -> PurposeTerms:
    return PurposeTerms(
        code=purpose.code,
        label=purpose.label,
        description=purpose.description,
        roles=frozenset(purpose.roles),
        needs_involvement=purpose.needs_involvement,
        needs_case_reference=purpose.needs_case_reference,
        first_inquiry_hours=purpose.first_inquiry_hours,
        deidentified=purpose.deidentified,
        vital_interests=purpose.vital_interests,
    )


# ---------------------------------------------------------------- agreement files


class _AgreementFile(AgreementBody):
    """An agreement file: the version's reference, title and dates, beside the body's keys."""

    reference: str
    title: str
    effective_from: date
    expires_on: date | None = None
    review_by: date | None = None


HEADER_KEYS = ("reference", "title", "effective_from", "expires_on", "review_by")
# The shape each list or block of the file holds, for naming the keys allowed where an unknown one was found.
NESTED_SHAPES: dict[str, type[BaseModel]] = {
    "parties": Party,
    "categories": CategoryGrant,
    "duties": Duties,
    "signatories": Signatory,
}

Location = tuple[str | int, ...]


def load_agreement_file(path: Path) -> tuple[AgreementHeader, AgreementBody]:
    """Read an agreement from YAML or JSON; an IngestError names the file, the line and the field at fault."""
    tree, lines = _read_tree(path)
    try:
        parsed = _AgreementFile.model_validate(tree)
    except ValidationError as error:
        raise _file_error(path, error, lines) from None
    try:
        reference = checked_reference(parsed.reference)
    except InvalidInputError as error:
        raise IngestError(
            error.problem, file=path.name, line=lines.get(("reference",)), fix=error.fix
        ) from None
    header = AgreementHeader(
        reference, parsed.title, parsed.effective_from, parsed.expires_on, parsed.review_by
    )
    body = AgreementBody.model_validate(parsed.model_dump(exclude=set(HEADER_KEYS)))
    return header, body


def import_agreement(db: Session, path: Path, *, by: str, at: datetime, activate: bool) -> Imported:
    """Keep an agreement file as a draft (the next version, or the waiting draft rewritten), and activate it if
    asked. The same file twice changes nothing."""
    header, body = load_agreement_file(path)
    existing = versions(db, header.reference)
    latest = existing[-1] if existing else None
    if latest is not None and latest.status != EXPIRED and _says(latest, header, body):
        if latest.status == DRAFT and activate:
            return Imported(_activate_imported(db, latest, path, by=by, at=at), "activated")
        return Imported(latest, "unchanged")
    if latest is not None and latest.status == DRAFT:
        agreement = update_draft(
            db,
            agreement_id=latest.id,
            title=header.title,
            effective_from=header.effective_from,
            expires_on=header.expires_on,
            review_by=header.review_by,
            body=body,
        )
        outcome: Literal["drafted", "updated draft"] = "updated draft"
    else:
        agreement = draft(
            db,
            reference=header.reference,
            title=header.title,
            effective_from=header.effective_from,
            expires_on=header.expires_on,
            review_by=header.review_by,
            body=body,
            by=by,
            at=at,
        )
        outcome = "drafted"
    if activate:
        return Imported(_activate_imported(db, agreement, path, by=by, at=at), "activated")
    return Imported(agreement, outcome)


def _activate_imported(db: Session, agreement: Agreement, path: Path, *, by: str, at: datetime) -> Agreement:
    try:
        return activate(db, agreement_id=agreement.id, by=by, at=at, reason=f"imported from {path.name}")
    except AgreementNotReadyError as error:
        raise IngestError(
            error.problem,
            file=path.name,
            fix="Correct the file and import it again, or import it without --activate to keep it as a draft.",
        ) from None


def _says(agreement: Agreement, header: AgreementHeader, body: AgreementBody) -> bool:
    return (agreement.title, agreement.effective_from, agreement.expires_on, agreement.review_by) == (
        header.title,
        header.effective_from,
        header.expires_on,
        header.review_by,
    ) and body_of(agreement) == body


def _read_tree(path: Path) -> tuple[Any, dict[Location, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise IngestError(
            "The file is not UTF-8 text.", file=path.name, fix="Save it as UTF-8 and try again."
        ) from None
    except OSError as error:
        raise IngestError(f"The file cannot be read: {error.strerror}.", file=path.name) from None
    tree, lines = _json_tree(text, path) if path.suffix.lower() == ".json" else _yaml_tree(text, path)
    if not isinstance(tree, dict):
        raise IngestError(
            "The file does not hold an agreement: it should be a set of keys such as reference, title and parties.",
            file=path.name,
            line=1,
            fix="Start from the example in the sharing agreements guide.",
        )
    return tree, lines


def _json_tree(text: str, path: Path) -> tuple[Any, dict[Location, int]]:
    try:
        return json.loads(text), {}
    except json.JSONDecodeError as error:
        raise IngestError(
            f"The file is not valid JSON: {error.msg}.",
            file=path.name,
            line=error.lineno,
            fix="Fix the JSON at that line (a missing comma, quote or bracket).",
        ) from None


def _yaml_tree(text: str, path: Path) -> tuple[Any, dict[Location, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise IngestError(
            f"The file is not valid YAML: {getattr(error, 'problem', None) or error}.",
            file=path.name,
            line=mark.line + 1 if mark is not None else None,
            fix="Fix the YAML at that line (indentation, a missing colon, or an unclosed quote).",
        ) from None
    lines: dict[Location, int] = {}
    return (_plain(node, (), lines) if node is not None else None), lines


def _plain(node: yaml.Node, at: Location, lines: dict[Location, int]) -> Any:
    """The node as plain values, noting the line (counting from 1) of every key and item on the way."""
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        found: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(yaml.safe_load(yaml.serialize(key_node)))
            found[key] = _plain(value_node, (*at, key), lines)
            lines[(*at, key)] = key_node.start_mark.line + 1
        return found
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, (*at, index), lines) for index, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _file_error(path: Path, error: ValidationError, lines: dict[Location, int]) -> IngestError:
    """Every problem pydantic found, each with its field (and its line, when there are several)."""
    found = _without_echoes(error.errors())
    if len(found) == 1:
        line = _line(tuple(found[0]["loc"]), lines)
        return IngestError(_problem(found[0]), file=path.name, line=line, fix=_fix(found[0]))
    problems = [_problem(one, _line(tuple(one["loc"]), lines)) for one in found]
    unknown = next((one for one in found if one["type"] == "extra_forbidden"), found[0])
    return IngestError(" ".join(problems), file=path.name, fix=_fix(unknown))


def _without_echoes(found: list[Any]) -> list[Any]:
    """Leave out "needs at least N" for a list whose items were refused: it only echoes their errors."""
    refused_within = [tuple(one["loc"]) for one in found if one["type"] != "too_short"]
    return [
        one
        for one in found
        if one["type"] != "too_short"
        or not any(at[: len(one["loc"])] == tuple(one["loc"]) for at in refused_within)
    ]


def _problem(found: Any, line: int | None = None) -> str:
    where = _field_path(tuple(found["loc"])) or "The file"
    said = f"{where}{f' (line {line})' if line is not None else ''}: {_said(found)}"
    return said if said.endswith(".") else f"{said}."


def _line(at: Location, lines: dict[Location, int]) -> int | None:
    """The line of the field, or of the nearest block holding it; none for the file as a whole."""
    while at and at not in lines:
        at = at[:-1]
    return lines.get(at) if at else None


def _field_path(at: Location) -> str:
    """A field's place in the file, counting items from 1: parties[2].lawful_basis."""
    path = ""
    for part in at:
        path += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def _said(found: Any) -> str:
    kind = found["type"]
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return "is not part of an agreement here"
    if kind.startswith("date"):
        return "should be a date written like 2026-04-01"
    if kind == "too_short":
        return f"needs at least {found['ctx']['min_length']}"
    if kind == "string_too_short":
        return "must not be empty"
    message: str = found["msg"]
    return message.removeprefix("Value error, ")


def _fix(found: Any) -> str:
    at = tuple(found["loc"])
    if found["type"] == "extra_forbidden":
        shape: type[BaseModel] = (
            _AgreementFile if len(at) == 1 else NESTED_SHAPES.get(str(at[0]), _AgreementFile)
        )
        return (
            f"Remove it or correct its spelling; the keys allowed there are {', '.join(shape.model_fields)}."
        )
    return "Correct the file and import it again; the sharing agreements guide describes every key."
