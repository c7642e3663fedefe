"""The demo place's governance: the sharing agreements Riverford's partners signed (one with an earlier
version, to compare), people's consents and objections, and a few weeks of access history made by the demo's
users through the real access decision, with a police access withheld from the person's report for a while
and an emergency access awaiting review. Running it twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.core.roles import Role
from wholeplace.governance import signing
from wholeplace.governance.decision import Subject
from wholeplace.governance.models import AccessLogEntry, ConsentRecord, Involvement
from wholeplace.governance.schemas import AgreementBody
from wholeplace.governance.service import agreements, consent, involvements, log, subject_access
from wholeplace.governance.service.decisions import Asker, disclose
from wholeplace.identity import service as identity
from wholeplace.sources.lake import Lake

COUNCIL = "Riverford Borough Council"
POLICE = "Vale Police"
HEALTH = "Riverford Health Partnership"
HOMES = "Riverford Homes"
PARTNERS = (
    COUNCIL,
    "Riverford Schools",
    "Riverford Children's Services",
    "Riverford Adult Social Care",
    POLICE,
    HEALTH,
    HOMES,
    "Jobcentre Plus Riverford",
    "Vale Probation Service",
    "Riverford Family Action",
)
NOTIFIED = (POLICE, COUNCIL, "Riverford Schools", "Riverford Children's Services", "Riverford Family Action")
SIGNED = date(2023, 3, 20)
CASEWORK_CATEGORIES = {
    "identity": (
        "given_name",
        "middle_names",
        "family_name",
        "previous_family_names",
        "date_of_birth",
        "sex",
    ),
    "identifiers": ("upn", "record_id"),
    "contact": ("address_line_1", "address_line_2", "locality", "town", "postcode", "phone", "email"),
    "household": ("relationship.type", "relationship.other_person", "relationship.other_record"),
    "involvement": (
        "involvement.agency",
        "involvement.type",
        "involvement.start",
        "involvement.end",
        "involvement.status",
    ),
    "events": ("event.type", "event.date", "event.role", "event.reference"),
}
NAMED_WORKERS = {
    "involvement_detail": ("involvement.reference", "involvement.role", "involvement.lead_worker")
}
SAFEGUARDING_EXTRA = {
    "identifiers": ("nhs_number", "ni_number", "upn", "record_id"),
    "event_detail": ("event.detail",),
    "health": ("event.type", "event.date", "event.detail"),
    "criminal_offence": ("event.type", "event.date", "event.role", "event.detail"),
}
LINKAGE_CATEGORIES = {
    "identity": CASEWORK_CATEGORIES["identity"],
    "identifiers": SAFEGUARDING_EXTRA["identifiers"],
    "contact": (*CASEWORK_CATEGORIES["contact"], "country", "uprn"),
}
GATEWAYS = {
    POLICE: "Crime and Disorder Act 1998, s.115",
    "Riverford Children's Services": "Children Act 1989, s.17 and s.47; Children Act 2004, s.10",
    "Riverford Adult Social Care": "Care Act 2014, s.6 and s.42",
    "Vale Probation Service": "Offender Management Act 2007, s.14",
}
HISTORY_DAYS = 42
SEED = 20_260_331


@dataclass(frozen=True)
class GovernanceSummary:
    agreements: int
    choices: int
    log_entries: int


def build_governance(db: Session, lake: Lake, *, data_dir: Path, now: datetime) -> GovernanceSummary:
    """Agreements, choices and an access history for the linked demo place; what exists is left alone."""
    made = _agreements(db, now=now)
    involvements.refresh_if_stale(db, lake, at=now)
    if db.scalar(select(func.count()).select_from(ConsentRecord)) == 0:
        _choices(db, lake, now=now)
    if db.scalar(select(func.count()).select_from(AccessLogEntry)) == 0:
        _history(db, lake, now=now)
        log.checkpoint(db, key=signing.place_key(data_dir), at=now)
    return GovernanceSummary(
        agreements=made,
        choices=db.scalar(select(func.count()).select_from(ConsentRecord)) or 0,
        log_entries=db.scalar(select(func.count()).select_from(AccessLogEntry)) or 0,
    )


# ---------------------------------------------------------------- agreements


def _agreements(db: Session, *, now: datetime) -> int:
    today = now.date()
    wanted = [
        (
            "RIV-EARLY-HELP",
            "Riverford early help information sharing",
            _early_help(named_workers=False),
            today,
        ),
        (
            "RIV-EARLY-HELP",
            "Riverford early help information sharing",
            _early_help(named_workers=True),
            today,
        ),
        ("RIV-SAFEGUARDING", "Safeguarding children and adults in Riverford", _safeguarding(), today),
        (
            "RIV-LINKAGE",
            "Linking Riverford's records: data matching",
            _single_recipient(("record_linkage",), LINKAGE_CATEGORIES, "6(1)(e)"),
            today + timedelta(days=25),
        ),
        (
            "RIV-OUTCOMES",
            "Outcomes evaluation and service planning",
            _single_recipient(
                ("outcomes_evaluation", "service_planning"),
                {"aggregate": ("count", "rate", "neighbourhood", "period")},
                "6(1)(e)",
            ),
            today,
        ),
        (
            "RIV-POLICE-NOTIFY",
            "Police notifications of domestic abuse and concern for children to early help",
            _police_notifications(),
            today,
        ),
        (
            "RIV-ALLOCATION",
            "Offering lead professionals and claiming payment by results",
            _single_recipient(
                ("early_help_allocation", "outcome_claims"),
                {"involvement": CASEWORK_CATEGORIES["involvement"]},
                "6(1)(e)",
            ),
            today,
        ),
        (
            "RIV-SUBJECT-ACCESS",
            "Answering residents' subject access requests",
            _single_recipient(
                ("subject_access",),
                {
                    **CASEWORK_CATEGORIES,
                    **NAMED_WORKERS,
                    **SAFEGUARDING_EXTRA,
                    "contact": LINKAGE_CATEGORIES["contact"],
                },
                "6(1)(c)",
            ),
            today,
        ),
    ]
    made = 0
    for reference, title, body, review_from in wanted:
        if _already_holds(db, reference, body):
            continue
        version = agreements.draft(
            db,
            reference=reference,
            title=title,
            effective_from=date(2023, 4, 1),
            expires_on=date(today.year + 3, 3, 31),
            review_by=review_from + timedelta(days=180) if review_from == today else review_from,
            body=body,
            by="Grace Okafor (governance)",
            at=now,
        )
        agreements.activate(
            db,
            agreement_id=version.id,
            by="Grace Okafor (governance)",
            at=now,
            reason="Signed by every party",
        )
        made += 1
    return made


def _already_holds(db: Session, reference: str, body: AgreementBody) -> bool:
    return any(agreements.body_of(version) == body for version in agreements.versions(db, reference))


def _early_help(*, named_workers: bool) -> AgreementBody:
    categories = {**CASEWORK_CATEGORIES, **(NAMED_WORKERS if named_workers else {})}
    return _body(
        parties=_parties(PARTNERS, recipients=PARTNERS, basis="6(1)(e)"),
        purposes=("early_help", "front_door_triage", "statutory_assessment"),
        categories=categories,
        overrides_objection=False,
    )


def _police_notifications() -> AgreementBody:
    """The police tell the family's early help team, school and key workers that an incident happened and when,
    never what happened: enough to offer support the next morning."""
    parties = _parties(NOTIFIED, recipients=NOTIFIED[1:], basis="6(1)(e)")
    return _body(
        parties=[
            party if party["agency"] == POLICE else {**party, "roles": ["recipient"]} for party in parties
        ],
        purposes=("early_help",),
        categories={"criminal_offence": ("event.type", "event.date")},
        overrides_objection=False,
    )


def _safeguarding() -> AgreementBody:
    return _body(
        parties=_parties(PARTNERS, recipients=PARTNERS, basis="6(1)(e)", condition="9(2)(g)"),
        purposes=("safeguarding_children", "safeguarding_adults"),
        categories={**CASEWORK_CATEGORIES, **NAMED_WORKERS, **SAFEGUARDING_EXTRA},
        overrides_objection=True,
    )


def _single_recipient(
    purposes: tuple[str, ...], categories: dict[str, tuple[str, ...]], basis: str
) -> AgreementBody:
    return _body(
        parties=_parties(PARTNERS, recipients=(COUNCIL,), basis=basis, condition="9(2)(g)"),
        purposes=purposes,
        categories=categories,
        overrides_objection=False,
    )


def _parties(
    names: Iterable[str], *, recipients: Iterable[str], basis: str, condition: str | None = None
) -> list[dict[str, object]]:
    receiving = set(recipients)
    return [
        {
            "agency": name,
            "roles": ["provider", "recipient"] if name in receiving else ["provider"],
            "lawful_basis": basis,
            "special_category_condition": "9(2)(h)" if name == HEALTH and condition else condition,
            "statutory_gateway": GATEWAYS.get(name),
        }
        for name in names
    ]


def _body(
    *,
    parties: list[dict[str, object]],
    purposes: tuple[str, ...],
    categories: dict[str, tuple[str, ...]],
    overrides_objection: bool,
) -> AgreementBody:
    return AgreementBody.model_validate(
        {
            "parties": parties,
            "purposes": list(purposes),
            "categories": [{"category": code, "fields": list(fields)} for code, fields in categories.items()],
            "overrides_objection": overrides_objection,
            "retention": "Six years after the last contact with the family, then deleted.",
            "onward_sharing": "Not permitted without the providing agency's written agreement.",
            "duties": {"log_every_access": True, "tell_the_person": True},
            "signatories": [
                {
                    "name": f"Director, {party['agency']}",
                    "role": "Senior information risk owner",
                    "agency": party["agency"],
                    "signed_on": SIGNED.isoformat(),
                }
                for party in parties
            ],
        }
    )


# ---------------------------------------------------------------- choices


def _choices(db: Session, lake: Lake, *, now: datetime) -> None:
    """About one person in a hundred objects to early help sharing; some parents consent for their children;
    a few consents were later withdrawn."""
    people = sorted(set(identity.linked_people(db, lake).column("person_id").to_pylist()))
    rng = np.random.default_rng(SEED)
    chosen = rng.choice(len(people), size=min(len(people), max(3, len(people) // 50)), replace=False)
    for order, index in enumerate(chosen):
        person = people[int(index)]
        recorded = now - timedelta(days=int(rng.integers(10, 300)))
        if order % 2 == 0:
            _object(db, person, recorded)
        else:
            _consent_for_child(
                db, person, recorded, withdraw_at=now - timedelta(days=3) if order % 5 == 1 else None
            )


def _object(db: Session, person: str, at: datetime) -> None:
    consent.record_choice(
        db,
        person_id=person,
        kind="objection",
        status="given",
        scope=consent.Scope(purposes=frozenset({"early_help"})),
        given_by=consent.GivenBy(),
        evidence="Said at the family's first early help conversation; noted on the case file.",
        by="demo",
        at=at,
    )


def _consent_for_child(db: Session, person: str, at: datetime, *, withdraw_at: datetime | None) -> None:
    record = consent.record_choice(
        db,
        person_id=person,
        kind="consent",
        status="given",
        scope=consent.Scope(purposes=frozenset({"early_help"})),
        given_by=consent.GivenBy("Parent (named on the form)", "parent"),
        evidence="Signed early help consent form, scanned to the case file.",
        by="demo",
        at=at,
    )
    if withdraw_at is not None:
        consent.change_status(
            db,
            record_id=record.id,
            status="withdrawn",
            evidence="Parent phoned the family hub to withdraw consent.",
            by="demo",
            at=withdraw_at,
        )


# ---------------------------------------------------------------- access history


@dataclass(frozen=True)
class _Visit:
    at: datetime
    username: str
    role: str
    purpose: str
    subject: Subject
    categories: tuple[str, ...]
    case_reference: str
    break_glass_reason: str | None = None


def _history(db: Session, lake: Lake, *, now: datetime) -> None:
    rng = np.random.default_rng(SEED + 1)
    start = now - timedelta(days=HISTORY_DAYS)
    visits = [
        *_casework(db, rng, start, "practitioner", HOMES, "early_help", 120, involved=True),
        *_casework(db, rng, start, "practitioner", HOMES, "early_help", 12, involved=False),
        *_strategy_discussions(db, rng, start, now=now),
        *_casework(db, rng, start, "lead", COUNCIL, "front_door_triage", 25, involved=False),
        *_casework(db, rng, start, "analyst", COUNCIL, "record_linkage", 40, involved=False),
    ]
    emergency = _casework(db, rng, start, "practitioner", HOMES, "vital_interests", 1, involved=False)
    visits += [
        _Visit(
            visit.at,
            visit.username,
            visit.role,
            visit.purpose,
            visit.subject,
            ("identity", "contact"),
            "",
            "Neighbour reports a child alone and the tenant unconscious; ambulance needs next of kin.",
        )
        for visit in emergency
    ]
    users = {user.username: user for user in core.list_users(db)}
    for visit in sorted(visits, key=lambda one: one.at):
        user = users[visit.username]
        disclosure = disclose(
            db,
            lake,
            asker=Asker(user.username, user.agency_id, user.agency.name, visit.role),
            purpose=visit.purpose,
            subject=visit.subject,
            categories=visit.categories,
            case_reference=visit.case_reference,
            at=visit.at,
            break_glass_reason=visit.break_glass_reason,
        )
        if visit.username == "police" and disclosure.permitted and disclosure.position % 4 == 0:
            subject_access.record_exemption(
                db,
                position=disclosure.position,
                ground=subject_access.EXEMPTION_GROUNDS[0],
                withheld_until=(now + timedelta(days=90)).date(),
                by="Vale Police disclosure officer",
                at=visit.at + timedelta(minutes=5),
            )


def _strategy_discussions(
    db: Session, rng: np.random.Generator, start: datetime, *, now: datetime
) -> list[_Visit]:
    """The police joined strategy discussions about children the children's services are working with: each
    opened an involvement, and the police then looked at what the partners hold."""
    children = _casework(
        db, rng, start, "police", "Riverford Children's Services", "safeguarding_children", 30, involved=True
    )
    police = core.find_agency(db, POLICE)
    assert police is not None
    for visit in children:
        involvements.open_involvement(
            db,
            person_id=visit.subject.id,
            household_id=None,
            agency_id=police.id,
            origin="referral",
            reference=f"Strategy discussion {visit.case_reference}",
            on=(visit.at - timedelta(days=1)).date(),
        )
    return children


def _casework(
    db: Session,
    rng: np.random.Generator,
    start: datetime,
    username: str,
    agency: str,
    purpose: str,
    count: int,
    *,
    involved: bool,
) -> list[_Visit]:
    found = core.find_agency(db, agency)
    assert found is not None
    query = select(Involvement.person_id).where(Involvement.ended_on.is_(None)).distinct()
    query = (
        query.where(Involvement.agency_id == found.id)
        if involved
        else query.where(Involvement.agency_id != found.id)
    )
    people = sorted(db.scalars(query.limit(5_000)))
    if not people:
        return []
    roles = {"analyst": Role.ANALYST, "lead": Role.LEAD_PROFESSIONAL}
    categories = {
        "record_linkage": ("identity", "identifiers", "contact"),
        "safeguarding_children": ("identity", "contact", "involvement", "events", "criminal_offence"),
    }.get(purpose, ("identity", "contact", "involvement", "events"))
    return [
        _Visit(
            at=start + timedelta(seconds=int(rng.integers(8 * 3600, HISTORY_DAYS * 86_400))),
            username=username,
            role=roles.get(username, Role.PRACTITIONER),
            purpose=purpose,
            subject=Subject("person", people[int(rng.integers(len(people)))]),
            categories=categories,
            case_reference=f"{purpose[:2].upper()}-{int(rng.integers(10_000, 99_999))}",
        )
        for _ in range(count)
    ]
