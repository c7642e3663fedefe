"""A sharing agreement as JSON-LD in the W3C Data Privacy Vocabulary (DPV), for partners' registers and tools.

Pure: plain data in, a JSON-ready dict out. The agreement is a `dpv:DataProcessingAgreement`; each party's part
in it is a `dpv:PersonalDataProcess` naming the party as controller, the recipients, the purposes, the party's
legal bases (UK GDPR Articles 6 and 9 as DPV's GDPR terms), its statutory gateway as applicable law, the personal
data shared and how long it is kept. What DPV has no term for (onward sharing, duties, signatories, the fields of
each category) is said in wholeplace's own terms under `urn:wholeplace:terms:`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol
from urllib.parse import quote

from wholeplace.governance import vocabulary
from wholeplace.governance.schemas import AgreementBody, CategoryGrant, Party, Signatory

DPV = "https://w3id.org/dpv#"
DPV_GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"
TERMS = "urn:wholeplace:terms:"
CONTEXT: dict[str, Any] = {
    "dpv": DPV,
    "dpv-gdpr": DPV_GDPR,
    "dct": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "wp": TERMS,
    "schema:startDate": {"@type": "xsd:date"},
    "schema:endDate": {"@type": "xsd:date"},
    "wp:reviewBy": {"@type": "xsd:date"},
    "wp:signedOn": {"@type": "xsd:date"},
}
# The agreement's status as DPV's activity statuses.
STATUS = {
    "draft": "dpv:ActivityProposed",
    "active": "dpv:ActivityOngoing",
    "suspended": "dpv:ActivityHalted",
    "expired": "dpv:ActivityCompleted",
}
# How each special kind of data is typed beside dpv:PersonalData: health is Article 9 special category data;
# criminal offence data is sensitive but governed by Article 10 instead.
SPECIAL = {
    "health": ["dpv:SensitivePersonalData", "dpv:SpecialCategoryPersonalData"],
    "criminal_offence": ["dpv:SensitivePersonalData"],
}
PROCESSING = {"provider": "dpv:Share", "recipient": "dpv:Obtain"}


class AgreementVersion(Protocol):
    """What the export reads from a version: an `Agreement` row, or anything with the same attributes."""

    @property
    def reference(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def effective_from(self) -> date: ...
    @property
    def expires_on(self) -> date | None: ...
    @property
    def review_by(self) -> date | None: ...
    @property
    def body(self) -> Mapping[str, Any]: ...


def agreement_jsonld(
    agreement: AgreementVersion, *, purpose_labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The version as a JSON-LD document; purposes a place added are labelled from `purpose_labels`."""
    body = AgreementBody.model_validate(agreement.body)
    labels = {purpose.code: purpose.label for purpose in vocabulary.PURPOSES} | dict(purpose_labels or {})
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"urn:wholeplace:agreement:{agreement.reference}:v{agreement.version}",
        "@type": "dpv:DataProcessingAgreement",
        "dct:identifier": agreement.reference,
        "dct:title": agreement.title,
        "schema:version": str(agreement.version),
        "dpv:hasActivityStatus": {"@id": STATUS.get(agreement.status, "dpv:ActivityStatus")},
        "schema:startDate": agreement.effective_from.isoformat(),
        "dpv:hasDataController": [_entity(party) for party in body.parties if "provider" in party.roles],
        "dpv:hasRecipient": [_entity(party) for party in body.parties if "recipient" in party.roles],
        "dpv:hasProcess": [_process(party, body, labels) for party in body.parties],
        "wp:recipientRoles": list(body.roles),
        "wp:overridesObjection": body.overrides_objection,
        "wp:onwardSharing": body.onward_sharing,
        "wp:logEveryAccess": body.duties.log_every_access,
        "wp:tellThePerson": body.duties.tell_the_person,
        "wp:signatory": [_signatory(signatory) for signatory in body.signatories],
    }
    if agreement.expires_on is not None:
        document["schema:endDate"] = agreement.expires_on.isoformat()
    if agreement.review_by is not None:
        document["wp:reviewBy"] = agreement.review_by.isoformat()
    return document


def agency_iri(name: str) -> str:
    return "urn:wholeplace:agency:" + quote("-".join(name.lower().split()), safe="")


def _entity(party: Party) -> dict[str, Any]:
    return {"@id": agency_iri(party.agency), "@type": "dpv:LegalEntity", "rdfs:label": party.agency}


def _process(party: Party, body: AgreementBody, labels: Mapping[str, str]) -> dict[str, Any]:
    """One party's part in the agreement: what it does with the data, and the law it relies on."""
    others = [other for other in body.parties if other.agency != party.agency and "recipient" in other.roles]
    process: dict[str, Any] = {
        "@type": "dpv:PersonalDataProcess",
        "rdfs:label": f"{party.agency}: {' and '.join(party.roles)}",
        "dpv:hasDataController": {"@id": agency_iri(party.agency)},
        "dpv:hasProcessing": [{"@id": PROCESSING[role]} for role in party.roles],
        "dpv:hasPurpose": [_purpose(code, labels) for code in body.purposes],
        "dpv:hasLegalBasis": [_legal_basis(code) for code in _bases(party)],
        "dpv:hasPersonalData": [_personal_data(grant) for grant in body.categories],
        "dpv:hasStorageCondition": {
            "@type": "dpv:StorageDuration",
            "dpv:hasDuration": {"@type": "dpv:Duration", "rdfs:label": body.retention},
        },
    }
    if "provider" in party.roles:
        process["dpv:hasRecipient"] = [{"@id": agency_iri(other.agency)} for other in others]
    if party.statutory_gateway:
        process["dpv:hasApplicableLaw"] = {"@type": "dpv:Law", "rdfs:label": party.statutory_gateway}
    return process


def _bases(party: Party) -> list[str]:
    return [code for code in (party.lawful_basis, party.special_category_condition) if code is not None]


def _legal_basis(code: str) -> dict[str, Any]:
    term = vocabulary.lawful_basis(code)
    if term is None:
        return {"@type": "dpv:LegalBasis", "rdfs:label": code}
    return {"@id": term.dpv, "rdfs:label": f"UK GDPR Article {code}: {term.label}"}


def _purpose(code: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "@id": f"urn:wholeplace:purpose:{code}",
        "@type": "dpv:Purpose",
        "rdfs:label": labels.get(code, code),
    }


def _personal_data(grant: CategoryGrant) -> dict[str, Any]:
    category = vocabulary.category(grant.category)
    special = SPECIAL.get(category.special or "", []) if category is not None else []
    return {
        "@id": f"urn:wholeplace:category:{grant.category}",
        "@type": ["dpv:PersonalData", *special],
        "rdfs:label": category.label if category is not None else grant.category,
        "wp:fields": list(grant.fields),
    }


def _signatory(signatory: Signatory) -> dict[str, Any]:
    signed: dict[str, Any] = {
        "rdfs:label": signatory.name,
        "wp:role": signatory.role,
        "wp:signedFor": {"@id": agency_iri(signatory.agency)},
    }
    if signatory.signed_on is not None:
        signed["wp:signedOn"] = signatory.signed_on.isoformat()
    return signed
