"""The JSON-LD export in the W3C Data Privacy Vocabulary, a pure function: valid JSON that round-trips, every
compact IRI resolvable through its context, and each party, purpose, legal basis and category named, for examples
and for any agreement hypothesis can make."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from wholeplace.governance import vocabulary
from wholeplace.governance.dpv import CONTEXT, agency_iri, agreement_jsonld
from wholeplace.governance.schemas import AgreementBody

HOMES, POLICE, HEALTH = "Riverford Homes", "Vale Police", "Riverford Children's Health"
# The DPV terms the export may use, each checked against the vocabulary's published definitions.
DPV_TERMS = {
    "DataProcessingAgreement", "LegalEntity", "PersonalDataProcess", "Purpose", "PersonalData",
    "SensitivePersonalData", "SpecialCategoryPersonalData", "StorageDuration", "Duration", "Law", "LegalBasis",
    "Share", "Obtain", "ActivityProposed", "ActivityOngoing", "ActivityHalted", "ActivityCompleted",
    "ActivityStatus", "hasDataController", "hasRecipient", "hasProcess", "hasProcessing", "hasPurpose",
    "hasLegalBasis", "hasPersonalData", "hasStorageCondition", "hasDuration", "hasApplicableLaw",
    "hasActivityStatus",
}  # fmt: skip


@dataclass(frozen=True)
class Version:
    """Plain data with an agreement version's attributes, as a notebook would hand it over."""

    body: dict[str, Any]
    reference: str = "ISA-2026-01"
    version: int = 3
    title: str = "Early help information sharing"
    status: str = "active"
    effective_from: date = date(2026, 4, 1)
    expires_on: date | None = date(2029, 3, 31)
    review_by: date | None = date(2027, 3, 31)


def a_body(**changes: Any) -> dict[str, Any]:
    return {
        "parties": [
            {"agency": HOMES, "lawful_basis": "6(1)(e)"},
            {
                "agency": POLICE,
                "roles": ["provider"],
                "lawful_basis": "6(1)(c)",
                "statutory_gateway": "CDA 1998, s.115",
            },
            {
                "agency": HEALTH,
                "roles": ["provider"],
                "lawful_basis": "6(1)(e)",
                "special_category_condition": "9(2)(h)",
            },
        ],
        "purposes": ["early_help", "youth_justice_prevention"],
        "categories": [
            {"category": "identity", "fields": ["given_name", "family_name"]},
            {"category": "health", "fields": ["event.type"]},
            {"category": "criminal_offence", "fields": ["event.type", "event.date"]},
        ],
        "retention": "Six years after the case closes.",
        "signatories": [{"name": "Ann Lee", "role": "Director", "agency": HOMES, "signed_on": "2026-03-01"}],
        **changes,
    }


def exported(**changes: Any) -> dict[str, Any]:
    return agreement_jsonld(
        Version(a_body(), **changes), purpose_labels={"youth_justice_prevention": "Youth justice"}
    )


def nodes(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from nodes(item)


def compact_iris(document: dict[str, Any]) -> set[str]:
    """Every key, @id and @type written as prefix:term (full IRIs and URNs aside)."""
    found: set[str] = set()
    for node in nodes({key: value for key, value in document.items() if key != "@context"}):
        found |= {key for key in node if not key.startswith("@")}
        for kind in ("@id", "@type"):
            values = node.get(kind, [])
            found |= set(values if isinstance(values, list) else [values])
    return {iri for iri in found if not iri.startswith(("urn:", "http"))}


def labels(document: dict[str, Any]) -> set[str]:
    return {node["rdfs:label"] for node in nodes(document) if "rdfs:label" in node}


def test_the_export_is_json_that_round_trips() -> None:
    document = exported()
    assert json.loads(json.dumps(document)) == document


def test_every_compact_iri_resolves_through_the_context_and_every_dpv_term_is_dpv_s() -> None:
    used = compact_iris(exported())
    assert {iri.partition(":")[0] for iri in used} <= set(CONTEXT)
    assert {iri.partition(":")[2] for iri in used if iri.startswith("dpv:")} <= DPV_TERMS
    assert all(
        CONTEXT[prefix].startswith(("https://", "http://", "urn:")) for prefix in ("dpv", "dpv-gdpr", "wp")
    )


def test_the_agreement_is_a_dpv_agreement_with_its_reference_version_and_dates() -> None:
    document = exported()
    assert document["@type"] == "dpv:DataProcessingAgreement"
    assert document["@id"] == "urn:wholeplace:agreement:ISA-2026-01:v3"
    assert (document["dct:identifier"], document["dct:title"], document["schema:version"]) == (
        "ISA-2026-01",
        "Early help information sharing",
        "3",
    )
    assert (document["schema:startDate"], document["schema:endDate"], document["wp:reviewBy"]) == (
        "2026-04-01",
        "2029-03-31",
        "2027-03-31",
    )
    assert document["dpv:hasActivityStatus"] == {"@id": "dpv:ActivityOngoing"}


def test_an_agreement_without_an_end_or_review_date_says_neither() -> None:
    document = exported(expires_on=None, review_by=None, status="draft")
    assert "schema:endDate" not in document and "wp:reviewBy" not in document
    assert document["dpv:hasActivityStatus"] == {"@id": "dpv:ActivityProposed"}


def test_providers_are_controllers_and_recipients_are_recipients() -> None:
    document = exported()
    assert [one["rdfs:label"] for one in document["dpv:hasDataController"]] == [HOMES, POLICE, HEALTH]
    assert [one["rdfs:label"] for one in document["dpv:hasRecipient"]] == [HOMES]
    assert agency_iri(HEALTH) == "urn:wholeplace:agency:riverford-children%27s-health"


def test_each_party_s_part_names_its_purposes_bases_gateway_data_and_retention() -> None:
    police = exported()["dpv:hasProcess"][1]
    assert police["dpv:hasDataController"] == {"@id": agency_iri(POLICE)}
    assert police["dpv:hasProcessing"] == [{"@id": "dpv:Share"}]
    assert police["dpv:hasRecipient"] == [{"@id": agency_iri(HOMES)}]
    assert [one["rdfs:label"] for one in police["dpv:hasPurpose"]] == [
        "Early-help coordination",
        "Youth justice",
    ]
    assert police["dpv:hasLegalBasis"] == [
        {"@id": "dpv-gdpr:A6-1-c", "rdfs:label": "UK GDPR Article 6(1)(c): Legal obligation"}
    ]
    assert police["dpv:hasApplicableLaw"] == {"@type": "dpv:Law", "rdfs:label": "CDA 1998, s.115"}
    assert (
        police["dpv:hasStorageCondition"]["dpv:hasDuration"]["rdfs:label"]
        == "Six years after the case closes."
    )
    health = exported()["dpv:hasProcess"][2]
    assert [basis["@id"] for basis in health["dpv:hasLegalBasis"]] == ["dpv-gdpr:A6-1-e", "dpv-gdpr:A9-2-h"]


def test_special_categories_are_flagged_as_such() -> None:
    shared = {one["@id"]: one for one in exported()["dpv:hasProcess"][0]["dpv:hasPersonalData"]}
    assert shared["urn:wholeplace:category:identity"]["@type"] == ["dpv:PersonalData"]
    assert "dpv:SpecialCategoryPersonalData" in shared["urn:wholeplace:category:health"]["@type"]
    assert shared["urn:wholeplace:category:criminal_offence"]["@type"] == [
        "dpv:PersonalData",
        "dpv:SensitivePersonalData",
    ]
    assert shared["urn:wholeplace:category:criminal_offence"]["wp:fields"] == ["event.type", "event.date"]


def test_the_export_touches_no_database_and_no_web() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, wholeplace.governance.dpv; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'sqlalchemy'" not in loaded and "'fastapi'" not in loaded and "'starlette'" not in loaded


AGENCIES = [
    "Riverford Homes",
    "Vale Police",
    "Riverford Schools",
    "Jobcentre Plus",
    "Riverford Family Action",
]


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Any agreement body the schema accepts, in its plain JSON form."""
    names = draw(st.lists(st.sampled_from(AGENCIES), min_size=2, max_size=5, unique=True))
    # The first party provides and the second receives, so that every body has both.
    roles = [["provider"], ["recipient"]] + [
        draw(st.sampled_from([["provider"], ["recipient"], ["provider", "recipient"]])) for _ in names[2:]
    ]
    parties = [
        {
            "agency": name,
            "roles": role,
            "lawful_basis": draw(st.sampled_from([term.code for term in vocabulary.LAWFUL_BASES])),
            "special_category_condition": draw(
                st.none() | st.sampled_from([term.code for term in vocabulary.SPECIAL_CATEGORY_CONDITIONS])
            ),
        }
        for name, role in zip(names, roles, strict=True)
    ]
    categories = draw(
        st.lists(st.sampled_from(vocabulary.CATEGORIES), min_size=1, unique_by=lambda c: c.code)
    )
    return AgreementBody.model_validate(
        {
            "parties": parties,
            "purposes": draw(
                st.lists(st.sampled_from([p.code for p in vocabulary.PURPOSES]), min_size=1, unique=True)
            ),
            "categories": [
                {
                    "category": one.code,
                    "fields": draw(st.lists(st.sampled_from(one.fields), min_size=1, unique=True)),
                }
                for one in categories
            ],
            "retention": draw(st.text(min_size=1, max_size=40)),
        }
    ).model_dump(mode="json")


@given(body=bodies())
def test_any_agreement_exports_naming_each_party_purpose_basis_and_category(body: dict[str, Any]) -> None:
    document = agreement_jsonld(Version(body))
    assert json.loads(json.dumps(document)) == document
    named = labels(document)
    assert {party["agency"] for party in body["parties"]} <= named
    assert {vocabulary.purpose_terms(code).label for code in body["purposes"]} <= named  # type: ignore[union-attr]
    assert {vocabulary.category(grant["category"]).label for grant in body["categories"]} <= named  # type: ignore[union-attr]
    bases = {node["@id"] for node in nodes(document) if str(node.get("@id", "")).startswith("dpv-gdpr:")}
    stated = {
        vocabulary.lawful_basis(code).dpv  # type: ignore[union-attr]
        for party in body["parties"]
        for code in (party["lawful_basis"], party["special_category_condition"])
        if code
    }
    assert bases == stated
    assert {iri.partition(":")[0] for iri in compact_iris(document)} <= set(CONTEXT)
