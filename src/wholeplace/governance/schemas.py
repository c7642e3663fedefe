"""Shapes of what governance takes in: the body of a sharing agreement, as an information governance officer
writes it (in the pages, or as YAML/JSON), checked against the vocabulary before it is kept."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wholeplace.governance import vocabulary

PartyRole = Literal["provider", "recipient"]


class Party(BaseModel):
    """An agency in the agreement: what it gives or receives, and the law it relies on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agency: str = Field(min_length=1, max_length=200)
    roles: tuple[PartyRole, ...] = ("provider", "recipient")
    lawful_basis: str = Field(description="UK GDPR Article 6 basis, for example 6(1)(e).")
    special_category_condition: str | None = Field(
        default=None, description="UK GDPR Article 9 condition for health data, for example 9(2)(h)."
    )
    statutory_gateway: str | None = Field(default=None, description="For example: Children Act 2004, s.10.")

    @field_validator("lawful_basis")
    @classmethod
    def _article_6(cls, value: str) -> str:
        if value not in {term.code for term in vocabulary.LAWFUL_BASES}:
            codes = ", ".join(term.code for term in vocabulary.LAWFUL_BASES)
            raise ValueError(f"{value!r} is not an Article 6 basis; use one of {codes}")
        return value

    @field_validator("special_category_condition")
    @classmethod
    def _article_9(cls, value: str | None) -> str | None:
        if value is not None and value not in {term.code for term in vocabulary.SPECIAL_CATEGORY_CONDITIONS}:
            codes = ", ".join(term.code for term in vocabulary.SPECIAL_CATEGORY_CONDITIONS)
            raise ValueError(f"{value!r} is not an Article 9 condition; use one of {codes}")
        return value


class CategoryGrant(BaseModel):
    """A data category the agreement shares, and the fields of it that may be released."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str
    fields: tuple[str, ...]

    @model_validator(mode="after")
    def _known(self) -> CategoryGrant:
        known = vocabulary.category(self.category)
        if known is None:
            codes = ", ".join(found.code for found in vocabulary.CATEGORIES)
            raise ValueError(f"{self.category!r} is not a data category; use one of {codes}")
        unknown = sorted(set(self.fields) - set(known.fields))
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} not in the {self.category} category; it holds {', '.join(known.fields)}"
            )
        return self


class Duties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    log_every_access: bool = True
    tell_the_person: bool = False
    review_by: date | None = None


class Signatory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    role: str = Field(min_length=1)
    agency: str = Field(min_length=1)
    signed_on: date | None = None


class AgreementBody(BaseModel):
    """What a sharing agreement says. Purposes may include ones the place added; the service checks those."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parties: tuple[Party, ...] = Field(min_length=2)
    purposes: tuple[str, ...] = Field(min_length=1)
    categories: tuple[CategoryGrant, ...] = Field(min_length=1)
    roles: tuple[str, ...] = Field(
        default=(), description="Recipient roles allowed; empty: the roles each purpose allows."
    )
    overrides_objection: bool = Field(
        default=False,
        description="Sharing goes ahead over a person's objection (a statutory duty such as safeguarding).",
    )
    retention: str = Field(min_length=1)
    onward_sharing: str = Field(default="Not permitted without the provider's written agreement.")
    duties: Duties = Duties()
    signatories: tuple[Signatory, ...] = ()

    @model_validator(mode="after")
    def _parties_are_distinct(self) -> AgreementBody:
        names = [party.agency for party in self.parties]
        if len(set(names)) != len(names):
            raise ValueError("each agency is a party once")
        if not any("provider" in party.roles for party in self.parties):
            raise ValueError("at least one party provides data")
        if not any("recipient" in party.roles for party in self.parties):
            raise ValueError("at least one party receives data")
        return self

    def party(self, agency: str) -> Party | None:
        return next((party for party in self.parties if party.agency == agency), None)
