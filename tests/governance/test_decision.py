"""The access decision as a pure function: examples of each rule, then every role by purpose by agreement state by
consent state by involvement state by lawful basis, each asserting the exact outcome and fields."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary
from wholeplace.governance.decision import (
    AgreementTerms,
    Choice,
    Facts,
    FirstInquiry,
    Request,
    Subject,
    decide,
)
from wholeplace.governance.schemas import AgreementBody

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
SCHOOL, HOUSING, POLICE = "Riverford Schools", "Riverford Homes", "Riverford Police"
IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth")


def body(
    *,
    purposes: tuple[str, ...] = ("early_help",),
    basis: str = "6(1)(e)",
    overrides_objection: bool = False,
    categories: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("identity", IDENTITY_FIELDS),
        ("aggregate", ("count", "rate")),
    ),
    police_gateway: str | None = None,
    health_condition: str | None = None,
) -> AgreementBody:
    return AgreementBody.model_validate(
        {
            "parties": [
                {"agency": SCHOOL, "lawful_basis": basis, "special_category_condition": health_condition},
                {"agency": HOUSING, "lawful_basis": basis, "special_category_condition": health_condition},
                {
                    "agency": POLICE,
                    "roles": ["provider"],
                    "lawful_basis": "6(1)(e)",
                    "statutory_gateway": police_gateway,
                },
            ],
            "purposes": list(purposes),
            "categories": [{"category": code, "fields": list(fields)} for code, fields in categories],
            "overrides_objection": overrides_objection,
            "retention": "Six years after the case closes.",
        }
    )


def agreement(
    status: str = "active",
    *,
    effective_from: date = date(2026, 1, 1),
    expires_on: date | None = date(2027, 12, 31),
    **terms: object,
) -> AgreementTerms:
    return AgreementTerms("ISA-1", 3, status, effective_from, expires_on, body(**terms))  # type: ignore[arg-type]


def request(purpose: str = "early_help", *, role: str = Role.PRACTITIONER, **changes: object) -> Request:
    base = Request(
        username="sam",
        agency=SCHOOL,
        role=role,
        purpose=purpose,
        subject=Subject("person", "P1"),
        category="identity",
        case_reference="CASE-9",
        at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def facts(purpose: str = "early_help", **changes: object) -> Facts:
    base = Facts(
        purpose=vocabulary.purpose_terms(purpose),
        agreements=(agreement(purposes=(purpose,)),),
        involved=True,
        people=("P1",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_an_involved_agency_under_an_agreement_in_force_gets_the_agreed_fields() -> None:
    decision = decide(request(), facts())
    assert decision.permitted
    assert decision.fields == IDENTITY_FIELDS
    assert decision.agreements == ("ISA-1@3",)
    assert "under ISA-1 v3" in decision.reason
    assert decision.providers == (HOUSING, POLICE)
    assert decision.lawful_basis == "6(1)(e) Public task"
    assert "working with this person" in decision.reason


def test_no_agreement_denies() -> None:
    decision = decide(request(), facts(agreements=()))
    assert not decision.permitted
    assert "No sharing agreement in force" in decision.reason
    assert decision.fields == ()


def test_an_agreement_that_has_lapsed_denies() -> None:
    lapsed = agreement(expires_on=date(2026, 5, 31))
    assert not decide(request(), facts(agreements=(lapsed,))).permitted


def test_an_agreement_not_yet_in_effect_denies() -> None:
    early = agreement(effective_from=date(2026, 6, 2))
    assert not decide(request(), facts(agreements=(early,))).permitted


def test_an_agency_that_only_provides_cannot_receive() -> None:
    assert not decide(request(agency=POLICE), facts()).permitted


def test_an_agency_outside_the_agreement_is_denied() -> None:
    assert not decide(request(agency="Somewhere Else Council"), facts()).permitted


def test_a_category_the_agreement_does_not_share_is_denied() -> None:
    decision = decide(request(category="contact"), facts())
    assert not decision.permitted


def test_an_unknown_category_is_denied_with_its_name() -> None:
    decision = decide(request(category="shoe_size"), facts())
    assert "'shoe_size' is not a data category" in decision.reason


def test_without_involvement_casework_is_denied() -> None:
    decision = decide(request(), facts(involved=False))
    assert not decision.permitted
    assert "no current involvement" in decision.reason


def test_a_purpose_needing_a_case_reference_refuses_a_blank_one() -> None:
    purpose = "safeguarding_children"
    decision = decide(request(purpose, case_reference="  "), facts(purpose))
    assert decision.reason == "Safeguarding children needs a case reference."


def test_the_front_door_may_look_once_before_anyone_is_involved() -> None:
    purpose = "front_door_triage"
    decision = decide(request(purpose), facts(purpose, involved=False))
    assert decision.permitted
    assert decision.opens_first_inquiry
    assert "first inquiry for up to 72 hours" in decision.reason


def test_the_front_door_window_closes() -> None:
    purpose = "front_door_triage"
    inquiry = FirstInquiry(NOW - timedelta(hours=80), NOW - timedelta(hours=8))
    decision = decide(request(purpose), facts(purpose, involved=False, first_inquiry=inquiry))
    assert not decision.permitted
    assert "closed at" in decision.reason


def test_the_front_door_within_its_window_does_not_open_another() -> None:
    purpose = "front_door_triage"
    inquiry = FirstInquiry(NOW - timedelta(hours=2), NOW + timedelta(hours=70))
    decision = decide(request(purpose), facts(purpose, involved=False, first_inquiry=inquiry))
    assert decision.permitted and not decision.opens_first_inquiry


def test_an_objection_takes_effect_on_the_next_decision() -> None:
    objection = Choice("P1", "objection", "given", valid_from=NOW - timedelta(seconds=1))
    decision = decide(request(), facts(choices=(objection,)))
    assert not decision.permitted
    assert "objects" in decision.reason


def test_an_objection_to_another_recipient_changes_nothing() -> None:
    objection = Choice("P1", "objection", "given", recipients=frozenset({HOUSING}))
    assert decide(request(), facts(choices=(objection,))).permitted


def test_an_agreement_sharing_over_objections_permits_and_says_so() -> None:
    purpose = "safeguarding_children"
    objection = Choice("P1", "objection", "given")
    shared = agreement(purposes=(purpose,), overrides_objection=True)
    decision = decide(request(purpose), facts(purpose, agreements=(shared,), choices=(objection,)))
    assert decision.permitted
    assert "shares over objections" in decision.reason


def test_consent_as_the_basis_needs_a_current_consent() -> None:
    consented = agreement(basis="6(1)(a)")
    assert not decide(request(), facts(agreements=(consented,))).permitted
    consent = Choice("P1", "consent", "given", purposes=frozenset({"early_help"}))
    assert decide(request(), facts(agreements=(consented,), choices=(consent,))).permitted


def test_consent_that_has_expired_no_longer_counts() -> None:
    consented = agreement(basis="6(1)(a)")
    old = Choice("P1", "consent", "given", valid_until=NOW)
    assert not decide(request(), facts(agreements=(consented,), choices=(old,))).permitted


def test_consent_never_widens_what_the_agreement_shares() -> None:
    consented = agreement(basis="6(1)(a)")
    consent = Choice("P1", "consent", "given")
    decision = decide(request(category="contact"), facts(agreements=(consented,), choices=(consent,)))
    assert not decision.permitted


def test_a_household_member_who_objects_is_withheld_and_the_rest_shown() -> None:
    objection = Choice("P2", "objection", "given")
    household = request(subject=Subject("household", "H1"))
    decision = decide(household, facts(people=("P1", "P2"), choices=(objection,)))
    assert decision.permitted
    assert decision.withheld == ("P2",)


def test_a_household_where_everyone_objects_is_denied() -> None:
    objections = (Choice("P1", "objection", "given"), Choice("P2", "objection", "given"))
    household = request(subject=Subject("household", "H1"))
    decision = decide(household, facts(people=("P1", "P2"), choices=objections))
    assert not decision.permitted
    assert decision.reason.startswith("No member of the household")


def test_health_data_needs_an_article_9_condition() -> None:
    health = (("health", ("event.type", "event.date")),)
    without = agreement(categories=health)
    assert not decide(request(category="health"), facts(agreements=(without,))).permitted
    with_condition = agreement(categories=health, health_condition="9(2)(h)")
    decision = decide(request(category="health"), facts(agreements=(with_condition,)))
    assert decision.permitted
    assert decision.lawful_basis == "6(1)(e) Public task; 9(2)(h) Health or social care"


def test_police_data_comes_only_from_a_provider_with_a_statutory_gateway() -> None:
    offences = (("criminal_offence", ("event.type", "event.date")),)
    without = agreement(categories=offences)
    assert not decide(request(category="criminal_offence"), facts(agreements=(without,))).permitted
    gateway = agreement(categories=offences, police_gateway="Crime and Disorder Act 1998, s.115")
    decision = decide(request(category="criminal_offence"), facts(agreements=(gateway,)))
    assert decision.permitted and decision.providers == (POLICE,)


def test_break_glass_needs_a_real_reason() -> None:
    purpose = "vital_interests"
    assert not decide(request(purpose, break_glass_reason="urgent"), facts(purpose, agreements=())).permitted
    reason = "Child found alone at home, mother unconscious; ambulance needs allergies now"
    decision = decide(
        request(purpose, break_glass_reason=reason), facts(purpose, agreements=(), involved=False)
    )
    assert decision.permitted and decision.break_glass
    assert decision.lawful_basis == "6(1)(d) Vital interests"


def test_de_identified_purposes_never_see_identifying_data() -> None:
    purpose = "outcomes_evaluation"
    decision = decide(request(purpose, role=Role.ANALYST), facts(purpose))
    assert not decision.permitted
    assert "de-identified" in decision.reason
    counts = decide(request(purpose, role=Role.ANALYST, category="aggregate"), facts(purpose))
    assert counts.permitted and counts.fields == ("count", "rate")


def test_a_person_s_own_request_is_answered_even_when_they_object_to_sharing() -> None:
    purpose = "subject_access"
    objection = Choice("P1", "objection", "given")
    asked = request(purpose, role=Role.INFORMATION_GOVERNANCE_OFFICER)
    assert decide(asked, facts(purpose, choices=(objection,), involved=False)).permitted


def test_an_agreement_limiting_roles_denies_other_roles() -> None:
    limited = replace(agreement(), body=body().model_copy(update={"roles": (Role.LEAD_PROFESSIONAL.value,)}))
    assert not decide(request(), facts(agreements=(limited,))).permitted
    assert decide(request(role=Role.LEAD_PROFESSIONAL), facts(agreements=(limited,))).permitted


# The matrix ------------------------------------------------------------------------------------------------

AGREEMENT_STATES = (
    "none",
    "draft",
    "active",
    "suspended",
    "expired",
    "lapsed",
    "not_yet",
    "other_purpose",
)
CONSENT_STATES = (
    "none",
    "given",
    "given_other_purpose",
    "refused",
    "withdrawn",
    "expired",
    "objection",
    "objection_other_recipient",
)
INVOLVEMENT_STATES = ("involved", "not_involved")
BASES = ("public_task", "consent", "public_task_over_objections")
PURPOSE_CODES = (*(purpose.code for purpose in vocabulary.PURPOSES), "gossip")
BREAK_GLASS_REASON = "Child alone at home and the parent unconscious; paramedics ask for allergies"


def _matrix_agreements(state: str, purpose: str, basis: str) -> tuple[AgreementTerms, ...]:
    terms: dict[str, Any] = {
        "purposes": ("service_planning" if purpose != "service_planning" else "early_help",)
        if state == "other_purpose"
        else (purpose,),
        "basis": "6(1)(a)" if basis == "consent" else "6(1)(e)",
        "overrides_objection": basis == "public_task_over_objections",
    }
    made = {
        "none": None,
        "draft": agreement("draft", **terms),
        "active": agreement("active", **terms),
        "other_purpose": agreement("active", **terms),
        "suspended": agreement("suspended", **terms),
        "expired": agreement("expired", **terms),
        "lapsed": agreement("active", expires_on=date(2026, 5, 1), **terms),
        "not_yet": agreement("active", effective_from=date(2026, 7, 1), **terms),
    }[state]
    return () if made is None else (made,)


def _matrix_choices(state: str, purpose: str) -> tuple[Choice, ...]:
    other = "service_planning" if purpose != "service_planning" else "early_help"
    return {
        "none": (),
        "given": (Choice("P1", "consent", "given", purposes=frozenset({purpose})),),
        "given_other_purpose": (Choice("P1", "consent", "given", purposes=frozenset({other})),),
        "refused": (Choice("P1", "consent", "refused"),),
        "withdrawn": (Choice("P1", "consent", "withdrawn"),),
        "expired": (Choice("P1", "consent", "given", valid_until=NOW - timedelta(days=1)),),
        "objection": (Choice("P1", "objection", "given"),),
        "objection_other_recipient": (Choice("P1", "objection", "given", recipients=frozenset({HOUSING})),),
    }[state]


def _expected(
    role: str, purpose_code: str, agreement_state: str, consent: str, involved: bool, basis: str
) -> bool:
    """What the rules say, written as the partnership would read them."""
    purpose = vocabulary.purpose_terms(purpose_code)
    if purpose is None or role not in purpose.roles:
        return False
    if purpose.vital_interests:
        return True  # break-glass with a stated reason: no agreement, involvement or consent needed
    if agreement_state not in ("active",):
        return False
    if purpose.needs_involvement and not involved:
        return False
    if purpose.answers_the_person:
        return True  # the person's own request is answered whatever they chose about sharing
    says_no = consent in ("refused", "withdrawn", "objection")
    if basis == "consent":
        return consent == "given"
    if basis == "public_task_over_objections":
        return True
    return not says_no


MATRIX = list(
    itertools.product(
        [role.value for role in Role],
        PURPOSE_CODES,
        AGREEMENT_STATES,
        CONSENT_STATES,
        INVOLVEMENT_STATES,
        BASES,
    )
)


def test_the_matrix_covers_every_combination() -> None:
    assert len(MATRIX) == len(Role) * len(PURPOSE_CODES) * 8 * 8 * 2 * 3


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_the_decision_matrix(role: str) -> None:
    mismatches = []
    for _, purpose, agreement_state, consent, involvement, basis in (row for row in MATRIX if row[0] == role):
        terms = vocabulary.purpose_terms(purpose)
        category = "aggregate" if terms and terms.deidentified else "identity"
        asked = request(
            purpose,
            role=role,
            category=category,
            break_glass_reason=BREAK_GLASS_REASON if terms and terms.vital_interests else None,
        )
        known = Facts(
            purpose=terms,
            agreements=_matrix_agreements(agreement_state, purpose, basis),
            involved=involvement == "involved",
            people=("P1",),
            choices=_matrix_choices(consent, purpose),
        )
        decision = decide(asked, known)
        expected = _expected(role, purpose, agreement_state, consent, involvement == "involved", basis)
        expected_fields = _expected_fields(expected, terms, category)
        if decision.permitted != expected or decision.fields != expected_fields:
            mismatches.append((purpose, agreement_state, consent, involvement, basis, decision.reason))
        if not decision.permitted and not decision.reason:
            mismatches.append(
                (purpose, agreement_state, consent, involvement, basis, "a denial with no reason")
            )
    assert mismatches == []


def _expected_fields(
    permitted: bool, purpose: vocabulary.PurposeTerms | None, category: str
) -> tuple[str, ...]:
    if not permitted or purpose is None:
        return ()
    if purpose.vital_interests:
        found = vocabulary.category(category)
        assert found is not None
        return found.fields
    return ("count", "rate") if category == "aggregate" else IDENTITY_FIELDS
