"""The access decision as the rest of the platform calls it: gather the facts (the purpose, the agreements in
force, the agency's involvement, the people's choices, any first inquiry), decide with the pure core, and write
one access-log entry for what was asked, permitted or denied. Break-glass opens a review for the information
governance officer; a front door's first inquiry starts its clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session

from wholeplace.core.errors import InvalidInputError
from wholeplace.governance import chain, vocabulary
from wholeplace.governance.decision import (
    AgreementTerms,
    Decision,
    Facts,
    FirstInquiry,
    Request,
    Subject,
    decide,
)
from wholeplace.governance.models import AgreementStatusChange, BreakGlassReview, Purpose
from wholeplace.governance.models import FirstInquiry as FirstInquiryRow
from wholeplace.governance.service import agreements, consent, involvements, log
from wholeplace.governance.vocabulary import PurposeTerms
from wholeplace.identity import service as identity
from wholeplace.sources.lake import Lake

CHECKPOINT_EVERY = 1000


@dataclass(frozen=True)
class Asker:
    """Who asks: a signed-in user, acting for their agency in one of their roles."""

    username: str
    agency_id: uuid.UUID
    agency: str
    role: str


@dataclass(frozen=True)
class Disclosure:
    """What one page, response or export may show, decided category by category and logged once."""

    decisions: dict[str, Decision]
    position: int  # the access-log entry

    @property
    def permitted(self) -> bool:
        return any(decision.permitted for decision in self.decisions.values())

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(
                name for decision in self.decisions.values() if decision.permitted for name in decision.fields
            )
        )

    def allows(self, category: str) -> bool:
        found = self.decisions.get(category)
        return found is not None and found.permitted


def disclose(
    db: Session,
    lake: Lake,
    *,
    asker: Asker,
    purpose: str,
    subject: Subject,
    categories: tuple[str, ...],
    case_reference: str,
    at: datetime,
    break_glass_reason: str | None = None,
    signing_key: Callable[[], Ed25519PrivateKey] | None = None,
) -> Disclosure:
    """Decide each category of data about a person or household for one purpose, and log it as one entry;
    with the place's signing key, sign a checkpoint of the log's head every CHECKPOINT_EVERY entries."""
    if not categories:
        raise InvalidInputError("Say which categories of data are asked for.")
    facts = gather_facts(
        db, lake, asker=asker, purpose=purpose, subject=subject, case_reference=case_reference, at=at
    )
    decisions = _decide_each(
        asker, purpose, subject, categories, case_reference, at, facts, break_glass_reason=break_glass_reason
    )
    entry = log_entry(asker, purpose, subject, case_reference, at, decisions)
    position = _append(db, entry, at, signing_key)
    _follow_up(db, asker, purpose, subject, case_reference, at, facts, decisions, position)
    return Disclosure(decisions, position)


def refer(
    db: Session,
    lake: Lake,
    *,
    referrer: Asker,
    to: Asker,
    purpose: str,
    subject: Subject,
    categories: tuple[str, ...],
    case_reference: str,
    at: datetime,
    signing_key: Callable[[], Ed25519PrivateKey] | None = None,
) -> Disclosure:
    """Decide and log what a referral tells the receiving agency (`to`, in the role it takes the referral in):
    decided as if that agency asked, with its agreements and the people's choices, the referral standing in for
    its involvement (the referral is why it will know the person), and only from the referrer's agency as
    provider. Logged once, under the referrer's name, with the receiving agency as the one that learns."""
    if not categories:
        raise InvalidInputError("Say which categories of data the referral passes on.")
    facts = gather_facts(
        db, lake, asker=to, purpose=purpose, subject=subject, case_reference=case_reference, at=at
    )
    decided = _decide_each(
        to, purpose, subject, categories, case_reference, at, replace(facts, involved=True)
    )
    decisions = {
        category: _provided_by(referrer, to, category, decision) for category, decision in decided.items()
    }
    entry = log_entry(
        replace(to, username=referrer.username), purpose, subject, case_reference, at, decisions
    )
    referred = replace(entry, reason=f"Referral from {referrer.agency}: {entry.reason}")
    return Disclosure(decisions, _append(db, referred, at, signing_key))


def _provided_by(referrer: Asker, to: Asker, category: str, decision: Decision) -> Decision:
    """A permit holds for a referral only where the referrer's agency is one the agreements let provide."""
    if not decision.permitted or referrer.agency in decision.providers:
        return decision
    label = vocabulary.category(category)
    return Decision(
        permitted=False,
        reason=(
            f"No sharing agreement in force lets {referrer.agency} pass "
            f"{label.label.lower() if label else category} to {to.agency}."
        ),
    )


def _decide_each(
    asker: Asker,
    purpose: str,
    subject: Subject,
    categories: tuple[str, ...],
    case_reference: str,
    at: datetime,
    facts: Facts,
    *,
    break_glass_reason: str | None = None,
) -> dict[str, Decision]:
    return {
        category: decide(
            Request(
                username=asker.username,
                agency=asker.agency,
                role=asker.role,
                purpose=purpose,
                subject=subject,
                category=category,
                case_reference=case_reference,
                at=at,
                break_glass_reason=break_glass_reason,
            ),
            facts,
        )
        for category in categories
    }


def _append(
    db: Session, entry: chain.LogEntry, at: datetime, signing_key: Callable[[], Ed25519PrivateKey] | None
) -> int:
    """Write the entry; with the place's signing key, sign a checkpoint every CHECKPOINT_EVERY entries."""
    position = log.append(db, entry).position
    if signing_key is not None and position % CHECKPOINT_EVERY == 0:
        log.checkpoint(db, key=signing_key(), at=at)
    return position


def gather_facts(
    db: Session,
    lake: Lake,
    *,
    asker: Asker,
    purpose: str,
    subject: Subject,
    case_reference: str,
    at: datetime,
) -> Facts:
    """Everything the decision weighs, read fresh: an objection recorded a moment ago counts."""
    standing = _standing(db, asker, subject, case_reference, at)
    if standing.latest_run is not None and standing.latest_run != standing.indexed_run:
        involvements.rebuild(db, lake, at=at)
        standing = _standing(db, asker, subject, case_reference, at)
    involved, opened_at, closes_at = standing.involved, standing.opened_at, standing.closes_at
    people = _people_of(db, lake, subject)
    return Facts(
        purpose=purpose_terms(db, purpose),
        agreements=_in_force(db, at.date(), changed=standing[5:]),
        involved=bool(involved),
        people=people,
        choices=consent.choices_of(db, people),
        first_inquiry=FirstInquiry(_aware(opened_at), _aware(closes_at)) if opened_at else None,
    )


# Each may be NULL: no run yet, no index, no inquiry, no agreement yet.
Standing = Row[int, int, bool, datetime, datetime, int, uuid.UUID, str]


def _standing(db: Session, asker: Asker, subject: Subject, case_reference: str, at: datetime) -> Standing:
    """In one round trip: the latest linkage run and the one the involvements were built from, whether the
    agency is involved, and any first inquiry of its for the case."""
    return (
        db.connection()
        .execute(
            _STANDING[subject.kind == "person"],
            {
                "agency_id": asker.agency_id,
                "subject_kind": subject.kind,
                "subject_id": subject.id,
                "case_reference": case_reference,
                "on": at.date(),
            },
        )
        .one()
    )


def _standing_statement(kind: str) -> Select[int, int, bool, datetime, datetime, int, uuid.UUID, str]:
    inquiry = (
        FirstInquiryRow.agency_id == bindparam("agency_id"),
        FirstInquiryRow.subject_kind == bindparam("subject_kind"),
        FirstInquiryRow.subject_id == bindparam("subject_id"),
        FirstInquiryRow.case_reference == bindparam("case_reference"),
    )
    involved = involvements.current_involvement(
        kind, agency_id=bindparam("agency_id"), subject_id=bindparam("subject_id"), on=bindparam("on")
    )
    return select(
        identity.latest_sequence_query().label("latest_run"),
        involvements.indexed_run_query().label("indexed_run"),
        involved.label("involved"),
        select(FirstInquiryRow.opened_at).where(*inquiry).scalar_subquery().label("opened_at"),
        select(FirstInquiryRow.closes_at).where(*inquiry).scalar_subquery().label("closes_at"),
        *(_latest_status_change(column) for column in _STATUS_CHANGE_STAMP),
    )


# Which agreement last changed status, how, and as which row: enough to tell that the agreements in force changed,
# even where a rolled-back change leaves its row number to be used again.
_STATUS_CHANGE_STAMP = (
    AgreementStatusChange.id,
    AgreementStatusChange.agreement_id,
    AgreementStatusChange.status,
)


def _latest_status_change(column: Any) -> Any:
    return (
        select(column)
        .order_by(AgreementStatusChange.id.desc())
        .limit(1)
        .scalar_subquery()
        .label(f"latest_change_{column.key}")
    )


# Built once: the decision asks this on every call, and building a statement costs more than running it.
_STANDING = {
    is_person: _standing_statement("person" if is_person else "household") for is_person in (True, False)
}


def _people_of(db: Session, lake: Lake, subject: Subject) -> tuple[str, ...]:
    if subject.kind == "person":
        return (subject.id,)
    if subject.kind == "household":
        return tuple(identity.household_members(db, lake, subject.id))
    return ()


def purpose_terms(db: Session, code: str) -> PurposeTerms | None:
    """A built-in purpose, or one the place added."""
    built_in = vocabulary.purpose_terms(code)
    if built_in is not None:
        return built_in
    added = db.get(Purpose, code)
    if added is None:
        return None
    return PurposeTerms(
        code=added.code,
        label=added.label,
        description=added.description,
        roles=frozenset(added.roles),
        needs_involvement=added.needs_involvement,
        needs_case_reference=added.needs_case_reference,
        first_inquiry_hours=added.first_inquiry_hours,
        deidentified=added.deidentified,
        vital_interests=added.vital_interests,
    )


def _in_force(db: Session, on: date, *, changed: tuple[object, ...]) -> tuple[AgreementTerms, ...]:
    """The agreements in force on the day. Every change of an agreement's status writes a row of its history,
    so while the latest such row is the same, so are the agreements in force on a given day: they are read
    again only when it changes (or the day does)."""
    key = (on, *changed)
    found = _IN_FORCE.get(key)
    if found is None:
        if len(_IN_FORCE) >= IN_FORCE_KEPT:
            _IN_FORCE.clear()
        found = _IN_FORCE[key] = tuple(
            AgreementTerms(
                one.reference, one.version, one.status, one.effective_from, one.expires_on, one.body
            )
            for one in agreements.active_agreements(db, on=on)
        )
    return found


_IN_FORCE: dict[tuple[object, ...], tuple[AgreementTerms, ...]] = {}
IN_FORCE_KEPT = 64


def _aware(moment: datetime) -> datetime:
    """A time read in a bare select, where the column's type does not apply: SQLite gives it back naive."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def log_entry(
    asker: Asker,
    purpose: str,
    subject: Subject,
    case_reference: str,
    at: datetime,
    decisions: dict[str, Decision],
) -> chain.LogEntry:
    permitted = [decision for decision in decisions.values() if decision.permitted]
    return chain.LogEntry(
        at=chain.log_time(at),
        username=asker.username,
        agency=asker.agency,
        role=asker.role,
        purpose=purpose,
        case_reference=case_reference,
        subject_kind=subject.kind,
        subject_id=subject.id,
        categories=tuple(decisions),
        fields=tuple(dict.fromkeys(name for decision in permitted for name in decision.fields)),
        agreements=tuple(dict.fromkeys(key for decision in permitted for key in decision.agreements)),
        lawful_basis=" | ".join(
            dict.fromkeys(decision.lawful_basis for decision in permitted if decision.lawful_basis)
        ),
        outcome="permit" if permitted else "deny",
        reason=_reasons(decisions),
        break_glass=any(decision.break_glass for decision in permitted),
    )


def _reasons(decisions: dict[str, Decision]) -> str:
    """One reason when every category was decided for the same one; otherwise each category's."""
    reasons = {decision.reason for decision in decisions.values()}
    if len(reasons) == 1:
        return reasons.pop()
    return " ".join(f"{category}: {decision.reason}" for category, decision in decisions.items())


def _follow_up(
    db: Session,
    asker: Asker,
    purpose: str,
    subject: Subject,
    case_reference: str,
    at: datetime,
    facts: Facts,
    decisions: dict[str, Decision],
    position: int,
) -> None:
    permitted = [decision for decision in decisions.values() if decision.permitted]
    if any(decision.break_glass for decision in permitted):
        db.add(BreakGlassReview(position=position, status="awaiting"))
    if any(decision.opens_first_inquiry for decision in permitted) and facts.purpose is not None:
        hours = facts.purpose.first_inquiry_hours or 0
        db.add(
            FirstInquiryRow(
                agency_id=asker.agency_id,
                subject_kind=subject.kind,
                subject_id=subject.id,
                case_reference=case_reference,
                purpose=purpose,
                opened_at=at,
                closes_at=at + timedelta(hours=hours),
            )
        )
    db.flush()
