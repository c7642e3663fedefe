"""The common data standard: the entities every agency's extract is mapped to, field by field, versioned.

docs/data-standard.md describes the same fields for people; a test keeps the two in step.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

STANDARD_VERSION = "1.0"

FieldType = Literal["text", "name", "date", "code", "identifier", "postcode", "phone", "email", "number"]
EntityName = Literal["person", "involvement", "event", "relationship", "spend_line"]

SEXES = ("male", "female", "other", "unknown")
RELATIONSHIP_TYPES = ("parent", "child", "partner", "sibling", "carer", "relative", "other")
PREVENTION_OR_RESPONSE = ("prevention", "response")
# What a spend line pays for, from what goes in to what comes out: Total Place's question of whether money buys
# capacity, work, services delivered, or results.
SPEND_FOCUS = ("inputs", "activities", "outputs", "outcomes")
IDENTIFIER_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    meaning: str
    validation: str
    example: str
    codes: tuple[str, ...] = ()  # a closed code list; empty where the list is open

    @property
    def is_date(self) -> bool:
        return self.type == "date"


@dataclass(frozen=True)
class Entity:
    name: EntityName
    meaning: str
    fields: tuple[Field, ...]
    needs_record_id: bool

    def field(self, name: str) -> Field | None:
        if name.startswith("identifiers."):
            kind = name.removeprefix("identifiers.")
            if not IDENTIFIER_TYPE.match(kind):
                return None
            return Field(
                name, "identifier", f"The source's {kind} identifier.", "Kept as given, trimmed.", ""
            )
        return next((field for field in self.fields if field.name == name), None)

    def closest(self, name: str) -> str | None:
        """The field someone most likely meant by a name the standard does not have."""
        found = difflib.get_close_matches(name, [field.name for field in self.fields], n=1, cutoff=0.6)
        return found[0] if found else None


def _name(name: str, meaning: str, example: str) -> Field:
    return Field(
        name,
        "name",
        meaning,
        "Trimmed, inner spaces collapsed; a key case-folded and one with accents removed are kept beside it.",
        example,
    )


def _text(name: str, meaning: str, example: str, validation: str = "Trimmed.") -> Field:
    return Field(name, "text", meaning, validation, example)


PERSON = Entity(
    "person",
    "One agency's record of one person, as that agency holds it.",
    (
        _name("given_name", "The first given name (forename).", "Aisha"),
        _name("middle_names", "Any further given names, space-separated.", "Mary Jane"),
        _name("family_name", "The family name (surname) the agency holds now.", "Okafor-Smith"),
        _name("previous_family_names", "Earlier family names, such as a birth name.", "Nowak"),
        Field(
            "full_name",
            "name",
            "For a source with one name column: split into given, middle and family names "
            "by its `order` (given_first, family_first, family_first_comma).",
            "Split as declared; each part then checked as the name fields are.",
            "SMITH, John Paul",
        ),
        Field(
            "date_of_birth",
            "date",
            "The date of birth.",
            "In the declared format (ISO 8601 also accepted); not in the future, not more than 120 years ago.",
            "2014-03-05",
        ),
        Field(
            "sex",
            "code",
            "Sex as recorded.",
            "One of the codes, after the mapping's translation.",
            "female",
            SEXES,
        ),
        _text("address_line_1", "The first line of the current address.", "Flat 2, 14 Mill Lane"),
        _text("address_line_2", "The second line of the address.", "Eastfield"),
        _text("locality", "Locality or village.", "Eastfield"),
        _text("town", "Town or city.", "Riverford"),
        Field(
            "postcode",
            "postcode",
            "The postcode of the current address.",
            "UK shape (outward and inward code), upper case, one space; the sector and district kept beside it. "
            "A non-UK code is kept and flagged.",
            "RF1 5AB",
        ),
        _text("country", "The country of the address; blank means the United Kingdom.", "Poland"),
        Field(
            "uprn",
            "identifier",
            "The Unique Property Reference Number of the address.",
            "Digits only, up to 12.",
            "100023336956",
        ),
        Field("phone", "phone", "A telephone number.", "Standardised to E.164.", "+447700900123"),
        Field(
            "email",
            "email",
            "An email address.",
            "Lower-cased; one @ and a dotted domain.",
            "a.okafor@example.org",
        ),
        Field(
            "nhs_number",
            "identifier",
            "The NHS number.",
            "Ten digits with a valid modulus-11 check digit.",
            "9434765919",
        ),
        Field(
            "ni_number",
            "identifier",
            "The national insurance number.",
            "Two allocated prefix letters, six digits, an optional suffix A-D; kept as its eight-character stem.",
            "JK552301",
        ),
        Field(
            "upn",
            "identifier",
            "The unique pupil number.",
            "A check letter and twelve digits; the check letter must match.",
            "H801200001001",
        ),
        Field(
            "updated_at",
            "date",
            "When the agency last changed the record.",
            "In the declared format; not more than a year in the future.",
            "2026-03-31",
        ),
    ),
    needs_record_id=True,
)

INVOLVEMENT = Entity(
    "involvement",
    "An agency's open or closed work with a person: a case, episode, tenancy, claim or plan.",
    (
        Field(
            "type", "code", "What kind of work it is.", "A code of the source's, translated.", "child_in_need"
        ),
        _text("reference", "The agency's reference for the case.", "T104233"),
        _text("role", "The person's role in it.", "Joint tenant"),
        Field("start", "date", "When it started.", "In the declared format.", "2024-05-01"),
        Field("end", "date", "When it ended; blank while open.", "In the declared format.", "2025-01-31"),
        _text("status", "Open, closed, or the agency's own status.", "open"),
        _text("lead_worker", "The named worker who holds it.", "Sam Patel"),
    ),
    needs_record_id=False,
)

EVENT = Entity(
    "event",
    "A dated thing that happened to or about a person, recorded by an agency.",
    (
        Field("type", "code", "What happened.", "A code of the source's, translated.", "school_exclusion"),
        Field(
            "date",
            "date",
            "When it happened.",
            "In the declared format; not more than a year ahead.",
            "2025-11-03",
        ),
        _text("role", "The person's part in it.", "VICTIM"),
        _text("reference", "The agency's reference for it.", "VP-1004233"),
        _text("detail", "A short description, as the agency gives it.", "Injury to hand"),
    ),
    needs_record_id=False,
)

RELATIONSHIP = Entity(
    "relationship",
    "How another person is related to the record's person, as the source states it: "
    "`type` is what the other person is to this one.",
    (
        Field(
            "type",
            "code",
            "What the other person is to this one.",
            "A standard code.",
            "parent",
            RELATIONSHIP_TYPES,
        ),
        _name("other_person", "The other person's name, when the source holds only a name.", "Jane Smith"),
        _text("other_record", "The other person's record id in the same source.", "RH0012345"),
    ),
    needs_record_id=False,
)

SPEND_LINE = Entity(
    "spend_line",
    "An amount an agency spent on a service in a period, placed where it can be.",
    (
        _text("agency", "The agency that spent it.", "Vale Police"),
        _text("service", "The service it paid for.", "Response policing"),
        _text("period", "The financial year or month.", "2025-26"),
        Field("amount", "number", "Pounds.", "A number; commas and a £ sign allowed.", "75485.20"),
        _text(
            "area",
            "The neighbourhood code, as the place's geography gives it, where the spend can be placed; blank "
            "where it cannot.",
            "N0001",
        ),
        _text("cost_type", "Staff, running costs, capital, grants and so on.", "staff"),
        _text("theme", "The outcome area or clientele it serves.", "crime"),
        Field(
            "prevention_or_response",
            "code",
            "Whether it prevents need or responds to it.",
            "One of the codes.",
            "prevention",
            PREVENTION_OR_RESPONSE,
        ),
        Field(
            "focus",
            "code",
            "What it pays for: inputs (staff, buildings, supplies), activities (the work done), outputs (services "
            "delivered, such as placements or payments) or outcomes (results, such as payment by results).",
            "One of the codes.",
            "outputs",
            SPEND_FOCUS,
        ),
    ),
    needs_record_id=False,
)

ENTITIES: dict[str, Entity] = {
    entity.name: entity for entity in (PERSON, INVOLVEMENT, EVENT, RELATIONSHIP, SPEND_LINE)
}
# Rows of an extract describe one of these; the others come from blocks of a person mapping.
ROW_ENTITIES = ("person", "spend_line")
# What a person is identified by: a row with none of these cannot be a record of anyone.
IDENTIFYING_FIELDS = ("given_name", "family_name", "full_name", "nhs_number", "ni_number", "upn", "uprn")
