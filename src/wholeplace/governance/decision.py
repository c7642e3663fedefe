"""The access decision, as a pure function: who asks, for what purpose, about whom, for which category of data,
and the facts that bear on it (the purpose's terms, the agreements, the agency's involvement, the person's
choices) in; permit or deny, with the agreements, lawful basis, fields released and reason, out.

Deny by default: every path to a permit is spelled out below, and anything else is a denial with its reason.
The service (governance.service.decisions) gathers the facts, calls `decide`, and logs what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.schemas import AgreementBody, Party
from wholeplace.governance.vocabulary import Category, PurposeTerms

SubjectKind = Literal["person", "household", "batch"]  # a batch: rows of an extract not yet linked to anyone
BREAK_GLASS_REASON_MIN = 20  # long enough to say what the emergency is, not just "urgent"


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str


@dataclass(frozen=True)
class Request:
    username: str
    agency: str
    role: str
    purpose: str
    subject: Subject
    category: str
    case_reference: str
    at: datetime
    break_glass_reason: str | None = None


@dataclass(frozen=True)
class AgreementTerms:
    reference: str
    version: int
    status: str
    effective_from: date
    expires_on: date | None
    body: AgreementBody

    @property
    def label(self) -> str:
        return f"{self.reference} v{self.version}"

    @property
    def key(self) -> str:
        return f"{self.reference}@{self.version}"

    def in_force(self, on: date) -> bool:
        return (
            self.status == "active"
            and self.effective_from <= on
            and (self.expires_on is None or on <= self.expires_on)
        )


@dataclass(frozen=True)
class Choice:
    """A consent or objection of one person, as recorded and not superseded."""

    person_id: str
    kind: Literal["consent", "objection"]
    status: Literal["given", "refused", "withdrawn", "expired"]
    purposes: frozenset[str] = frozenset()  # empty: every purpose
    recipients: frozenset[str] = frozenset()  # empty: every agency
    categories: frozenset[str] = frozenset()  # empty: every category
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def covers(self, *, purpose: str, recipient: str, category: str) -> bool:
        return (
            (not self.purposes or purpose in self.purposes)
            and (not self.recipients or recipient in self.recipients)
            and (not self.categories or category in self.categories)
        )

    def current(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )


@dataclass(frozen=True)
class FirstInquiry:
    opened_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class Facts:
    purpose: PurposeTerms | None
    agreements: tuple[AgreementTerms, ...]
    involved: bool
    people: tuple[str, ...]  # the subject's people: the person, or the household's current members
    choices: tuple[Choice, ...] = ()
    first_inquiry: FirstInquiry | None = None


@dataclass(frozen=True)
class Decision:
    permitted: bool
    reason: str
    agreements: tuple[str, ...] = ()  # "reference@version"
    lawful_basis: str = ""
    fields: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()  # whose data in the category may be shown
    withheld: tuple[str, ...] = ()  # people of a household whose own choices keep them out
    break_glass: bool = False
    opens_first_inquiry: bool = False

    @property
    def outcome(self) -> str:
        return "permit" if self.permitted else "deny"


@dataclass(frozen=True)
class _Grant:
    agreement: AgreementTerms
    recipient: Party
    providers: tuple[Party, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class _ChoiceVerdict:
    allowed: bool
    note: str = ""
    withheld: tuple[str, ...] = field(default_factory=tuple)


def decide(request: Request, facts: Facts) -> Decision:
    """Permit or deny one disclosure, with the reason either way."""
    purpose, category = facts.purpose, vocabulary.category(request.category)
    refusal = _refusal_before_agreements(request, purpose, category)
    if refusal:
        return _deny(refusal)
    assert purpose is not None and category is not None
    if purpose.vital_interests:
        return _break_glass(request, category)
    if purpose.deidentified and category.identifying:
        return _deny(
            f"{purpose.label} works on de-identified data; {category.label.lower()} identifies people."
        )
    grants = _grants(request, facts.agreements, category)
    if not grants:
        return _deny(
            f"No sharing agreement in force lets {request.agency} see {category.label.lower()} "
            f"for {purpose.label.lower()} as {_role_label(request.role)}."
        )
    involvement = _involvement_refusal(request, purpose, facts)
    if involvement:
        return _deny(involvement)
    choices = _choices_verdict(request, facts, grants)
    if not choices.allowed:
        return _deny(choices.note)
    return _permit(request, purpose, category, grants, facts, choices)


def _refusal_before_agreements(
    request: Request, purpose: PurposeTerms | None, category: Category | None
) -> str | None:
    if purpose is None:
        return f"{request.purpose!r} is not a purpose this place recognises."
    if request.role not in purpose.roles:
        return f"{purpose.label} is not a purpose {_role_label(request.role)} may act for."
    if category is None:
        return f"{request.category!r} is not a data category."
    if purpose.needs_case_reference and not request.case_reference.strip():
        return f"{purpose.label} needs a case reference."
    return None


def _break_glass(request: Request, category: Category) -> Decision:
    reason = (request.break_glass_reason or "").strip()
    if len(reason) < BREAK_GLASS_REASON_MIN:
        return _deny(
            f"Emergency access needs a stated reason of at least {BREAK_GLASS_REASON_MIN} characters: "
            "say whose life or safety is at risk and why there is no time to ask."
        )
    basis = "6(1)(d) Vital interests" + ("; 9(2)(c) Vital interests" if category.special == "health" else "")
    return Decision(
        permitted=True,
        reason=f"Emergency access (break-glass): {reason}. An information governance officer will review it.",
        lawful_basis=basis,
        fields=category.fields,
        break_glass=True,
    )


def _grants(request: Request, agreements: Iterable[AgreementTerms], category: Category) -> list[_Grant]:
    on = request.at.date()
    grants = []
    for agreement in agreements:
        if not agreement.in_force(on) or request.purpose not in agreement.body.purposes:
            continue
        if agreement.body.roles and request.role not in agreement.body.roles:
            continue
        recipient = agreement.body.party(request.agency)
        fields = _granted_fields(agreement.body, category.code)
        if recipient is None or "recipient" not in recipient.roles or not fields:
            continue
        providers = tuple(
            party
            for party in agreement.body.parties
            if "provider" in party.roles and party.agency != request.agency and _may_provide(party, category)
        )
        if providers and _may_receive(recipient, category):
            grants.append(_Grant(agreement, recipient, providers, fields))
    return grants


def _granted_fields(body: AgreementBody, category: str) -> tuple[str, ...]:
    return next((grant.fields for grant in body.categories if grant.category == category), ())


def _may_provide(party: Party, category: Category) -> bool:
    if category.special == "health":
        return party.special_category_condition is not None
    if category.special == "criminal_offence":
        return party.statutory_gateway is not None
    return True


def _may_receive(party: Party, category: Category) -> bool:
    return category.special != "health" or party.special_category_condition is not None


def _involvement_refusal(request: Request, purpose: PurposeTerms, facts: Facts) -> str | None:
    if purpose.first_inquiry_hours is not None and not facts.involved:
        inquiry = facts.first_inquiry
        if inquiry is not None and request.at >= inquiry.closes_at:
            return (
                f"The first inquiry for case {request.case_reference} closed at "
                f"{inquiry.closes_at:%d %B %Y %H:%M}; to go on, an agency must take the case on "
                "(accept a referral)."
            )
        return None
    if purpose.needs_involvement and not facts.involved:
        return f"{request.agency} has no current involvement with this {request.subject.kind}."
    return None


def _choices_verdict(request: Request, facts: Facts, grants: list[_Grant]) -> _ChoiceVerdict:
    """Each of the subject's people either may be shown or is withheld; a person's no outweighs a grant
    unless the agreement shares over objections, and where the basis is consent only a current yes will do."""
    if not facts.people:
        return _ChoiceVerdict(True)  # rows linked to no one yet: nobody's choices are known to weigh
    if facts.purpose is not None and facts.purpose.answers_the_person:
        return _ChoiceVerdict(True)
    needs_consent = all(_rests_on_consent(grant.recipient) for grant in grants)
    overrides = any(grant.agreement.body.overrides_objection for grant in grants)
    withheld, notes = [], []
    for person in facts.people:
        mine = [
            choice
            for choice in facts.choices
            if choice.person_id == person
            and choice.covers(purpose=request.purpose, recipient=request.agency, category=request.category)
        ]
        objection = _objection(mine, request.at)
        consent = _consent(mine, request.at)
        if objection and (needs_consent or not overrides):
            withheld.append(person)
            notes.append(objection)
        elif needs_consent and not consent:
            withheld.append(person)
            notes.append("the sharing rests on consent and there is no current consent")
        elif objection:
            notes.append(f"{objection}, but the agreement shares over objections")
    if len(withheld) == len(facts.people):
        subject = "The person" if request.subject.kind == "person" else "No member of the household"
        return _ChoiceVerdict(False, f"{subject}'s own choices stop it: {notes[0]}.")
    return _ChoiceVerdict(True, "; ".join(dict.fromkeys(notes)), tuple(withheld))


def _rests_on_consent(party: Party) -> bool:
    return party.lawful_basis in vocabulary.CONSENT_BASES


def _objection(choices: list[Choice], at: datetime) -> str | None:
    for choice in choices:
        if not choice.current(at):
            continue
        if choice.kind == "objection" and choice.status == "given":
            return "the person objects to this sharing"
        if choice.kind == "consent" and choice.status in ("refused", "withdrawn"):
            return f"the person {choice.status} consent"
    return None


def _consent(choices: list[Choice], at: datetime) -> bool:
    return any(
        choice.kind == "consent" and choice.status == "given" and choice.current(at) for choice in choices
    )


def _permit(
    request: Request,
    purpose: PurposeTerms,
    category: Category,
    grants: list[_Grant],
    facts: Facts,
    choices: _ChoiceVerdict,
) -> Decision:
    fields = tuple(dict.fromkeys(name for grant in grants for name in grant.fields))
    providers = tuple(dict.fromkeys(party.agency for grant in grants for party in grant.providers))
    opens = purpose.first_inquiry_hours is not None and not facts.involved and facts.first_inquiry is None
    reason = (
        f"{request.agency} may see {category.label.lower()} for {purpose.label.lower()} under "
        f"{', '.join(grant.agreement.label for grant in grants)}"
    )
    if purpose.first_inquiry_hours is not None and not facts.involved:
        reason += f", as a first inquiry for up to {purpose.first_inquiry_hours} hours"
    elif purpose.needs_involvement:
        reason += f", because it is working with this {request.subject.kind}"
    if choices.note:
        reason += f"; {choices.note}"
    return Decision(
        permitted=True,
        reason=reason + ".",
        agreements=tuple(grant.agreement.key for grant in grants),
        lawful_basis=_lawful_basis(grants, category),
        fields=fields,
        providers=providers,
        withheld=choices.withheld,
        opens_first_inquiry=opens,
    )


def _lawful_basis(grants: list[_Grant], category: Category) -> str:
    statements = []
    for grant in grants:
        party = grant.recipient
        parts = [_term_label(party.lawful_basis)]
        if category.special == "health" and party.special_category_condition:
            parts.append(_term_label(party.special_category_condition))
        if party.statutory_gateway:
            parts.append(party.statutory_gateway)
        statements.append("; ".join(parts))
    return " | ".join(dict.fromkeys(statements))


def _term_label(code: str) -> str:
    term = vocabulary.lawful_basis(code)
    return f"{code} {term.label}" if term else code


def _role_label(role: str) -> str:
    known = {member.value: member.label for member in Role}
    label = known.get(role, role.replace("_", " ")).lower()
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label}"


def _deny(reason: str) -> Decision:
    return Decision(permitted=False, reason=reason)
