"""The words agreements are written in: the built-in purposes, the UK GDPR lawful bases and special-category
conditions (with the W3C Data Privacy Vocabulary term for each), and the data categories with the standard's
fields in each. A place adds purposes of its own (governance.models.Purpose); the rest is law and standard.
"""

from __future__ import annotations

from dataclasses import dataclass

from wholeplace.core.roles import Role


@dataclass(frozen=True)
class PurposeTerms:
    code: str
    label: str
    description: str
    roles: frozenset[str]
    needs_involvement: bool = True
    needs_case_reference: bool = False
    first_inquiry_hours: int | None = None
    deidentified: bool = False
    vital_interests: bool = False
    answers_the_person: bool = False  # the person's own request: their objections do not stand in its way


CASEWORK = frozenset({Role.PRACTITIONER, Role.LEAD_PROFESSIONAL})

PURPOSES: tuple[PurposeTerms, ...] = (
    PurposeTerms(
        "safeguarding_children",
        "Safeguarding children",
        "Protecting a child from significant harm: enquiries, strategy discussions and child protection plans.",
        CASEWORK,
        needs_case_reference=True,
    ),
    PurposeTerms(
        "safeguarding_adults",
        "Safeguarding adults",
        "Enquiries into abuse or neglect of an adult with care and support needs.",
        CASEWORK,
        needs_case_reference=True,
    ),
    PurposeTerms(
        "early_help",
        "Early-help coordination",
        "Agreeing one plan and one lead professional with a family, with the agencies already working with it.",
        CASEWORK,
    ),
    PurposeTerms(
        "front_door_triage",
        "Front-door triage",
        "A first inquiry by the front door about someone newly referred, before any agency has taken the case on.",
        CASEWORK,
        needs_involvement=False,
        needs_case_reference=True,
        first_inquiry_hours=72,
    ),
    PurposeTerms(
        "statutory_assessment",
        "Statutory assessment",
        "An assessment the law requires, such as a child-in-need or a care-needs assessment.",
        CASEWORK,
        needs_case_reference=True,
    ),
    PurposeTerms(
        "record_linkage",
        "Record linkage and data quality",
        "Deciding whether records held by different agencies belong to the same person.",
        frozenset({Role.ANALYST}),
        needs_involvement=False,
    ),
    PurposeTerms(
        "outcomes_evaluation",
        "Outcomes evaluation",
        "Measuring whether the partnership's work changed outcomes, on de-identified data.",
        frozenset({Role.ANALYST, Role.PROGRAMME_MANAGER}),
        needs_involvement=False,
        deidentified=True,
    ),
    PurposeTerms(
        "service_planning",
        "Service planning",
        "Planning services for the place's population, on de-identified data.",
        frozenset({Role.ANALYST, Role.PROGRAMME_MANAGER, Role.FINANCE_LEAD}),
        needs_involvement=False,
        deidentified=True,
    ),
    PurposeTerms(
        "subject_access",
        "Subject access and oversight",
        "Answering a person's request for their own data, and overseeing how the partnership uses it.",
        frozenset({Role.INFORMATION_GOVERNANCE_OFFICER}),
        needs_involvement=False,
        needs_case_reference=True,
        answers_the_person=True,
    ),
    PurposeTerms(
        "early_help_allocation",
        "Offering a lead professional",
        "Finding households that several agencies work with and nobody leads, so that one can be offered a lead "
        "professional.",
        frozenset({Role.PROGRAMME_MANAGER}),
        needs_involvement=False,
    ),
    PurposeTerms(
        "outcome_claims",
        "Claiming results-based funding",
        "Showing the funder, household by household under an opaque id, which outcomes closed plans achieved "
        "and whether they lasted, so that the partnership can claim payment by results.",
        frozenset({Role.PROGRAMME_MANAGER}),
        needs_involvement=False,
    ),
    PurposeTerms(
        "vital_interests",
        "Vital interests (break-glass)",
        "An emergency where someone's life or safety is at risk and there is no time to ask.",
        CASEWORK,
        needs_involvement=False,
        vital_interests=True,
    ),
)


@dataclass(frozen=True)
class LegalTerm:
    code: str
    label: str
    dpv: str  # the W3C Data Privacy Vocabulary term, as a compact IRI


LAWFUL_BASES: tuple[LegalTerm, ...] = (
    LegalTerm("6(1)(a)", "Consent", "dpv-gdpr:A6-1-a"),
    LegalTerm("6(1)(b)", "Contract", "dpv-gdpr:A6-1-b"),
    LegalTerm("6(1)(c)", "Legal obligation", "dpv-gdpr:A6-1-c"),
    LegalTerm("6(1)(d)", "Vital interests", "dpv-gdpr:A6-1-d"),
    LegalTerm("6(1)(e)", "Public task", "dpv-gdpr:A6-1-e"),
    LegalTerm("6(1)(f)", "Legitimate interests", "dpv-gdpr:A6-1-f"),
)

SPECIAL_CATEGORY_CONDITIONS: tuple[LegalTerm, ...] = (
    LegalTerm("9(2)(a)", "Explicit consent", "dpv-gdpr:A9-2-a"),
    LegalTerm("9(2)(b)", "Employment and social security law", "dpv-gdpr:A9-2-b"),
    LegalTerm("9(2)(c)", "Vital interests", "dpv-gdpr:A9-2-c"),
    LegalTerm("9(2)(f)", "Legal claims", "dpv-gdpr:A9-2-f"),
    LegalTerm("9(2)(g)", "Substantial public interest", "dpv-gdpr:A9-2-g"),
    LegalTerm("9(2)(h)", "Health or social care", "dpv-gdpr:A9-2-h"),
    LegalTerm("9(2)(i)", "Public health", "dpv-gdpr:A9-2-i"),
    LegalTerm("9(2)(j)", "Archiving, research and statistics", "dpv-gdpr:A9-2-j"),
)

CONSENT_BASES = frozenset({"6(1)(a)", "9(2)(a)"})


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    fields: tuple[str, ...]  # standard fields, entity-qualified where the entity is not the person
    special: str | None = None  # health needs an Article 9 condition; criminal_offence, an Article 10 gateway
    identifying: bool = True


CATEGORIES: tuple[Category, ...] = (
    Category(
        "identity",
        "Name, date of birth and sex",
        ("given_name", "middle_names", "family_name", "previous_family_names", "date_of_birth", "sex"),
    ),
    Category(
        "identifiers", "National and agency identifiers", ("nhs_number", "ni_number", "upn", "record_id")
    ),
    Category(
        "contact",
        "Address and contact details",
        (
            "address_line_1",
            "address_line_2",
            "locality",
            "town",
            "postcode",
            "country",
            "uprn",
            "phone",
            "email",
        ),
    ),
    Category(
        "household",
        "Household members and relationships",
        ("relationship.type", "relationship.other_person", "relationship.other_record"),
    ),
    Category(
        "involvement",
        "Which agencies are working with the person",
        (
            "involvement.agency",
            "involvement.type",
            "involvement.start",
            "involvement.end",
            "involvement.status",
        ),
    ),
    Category(
        "involvement_detail",
        "Case references and named workers",
        ("involvement.reference", "involvement.role", "involvement.lead_worker"),
    ),
    Category("events", "Significant events", ("event.type", "event.date", "event.role", "event.reference")),
    Category("event_detail", "What happened, in the agency's words", ("event.detail",)),
    Category(
        "health",
        "Health events",
        ("event.type", "event.date", "event.detail"),
        special="health",
    ),
    Category(
        "criminal_offence",
        "Police and justice events",
        ("event.type", "event.date", "event.role", "event.detail"),
        special="criminal_offence",
    ),
    Category(
        "aggregate",
        "Counts and rates, with no person identifiable",
        ("count", "rate", "neighbourhood", "period"),
        identifying=False,
    ),
)


def purpose_terms(code: str) -> PurposeTerms | None:
    return next((purpose for purpose in PURPOSES if purpose.code == code), None)


def category(code: str) -> Category | None:
    return next((found for found in CATEGORIES if found.code == code), None)


def lawful_basis(code: str) -> LegalTerm | None:
    return next((term for term in (*LAWFUL_BASES, *SPECIAL_CATEGORY_CONDITIONS) if term.code == code), None)
