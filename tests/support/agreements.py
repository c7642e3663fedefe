"""Sharing agreements for tests, drafted and activated through the governance service as an officer would."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from wholeplace.core import service as core
from wholeplace.governance import vocabulary
from wholeplace.governance.models import Agreement
from wholeplace.governance.schemas import AgreementBody
from wholeplace.governance.service import agreements
from wholeplace.sources import service as sources

_numbers = itertools.count(1)


def in_force(
    db: Session,
    *,
    recipients: Sequence[str],
    providers: Sequence[str],
    purposes: Sequence[str],
    categories: dict[str, Sequence[str]],
    at: datetime,
    basis: str = "6(1)(e)",
    **terms: Any,
) -> Agreement:
    """An active agreement between these agencies, effective from the day before `at`, for a year."""
    parties = [
        {
            "agency": name,
            "roles": [
                role for role, among in (("provider", providers), ("recipient", recipients)) if name in among
            ],
            "lawful_basis": basis,
            "special_category_condition": "9(2)(h)",
            "statutory_gateway": "Children Act 2004, s.10",
        }
        for name in dict.fromkeys([*recipients, *providers])
    ]
    body = AgreementBody.model_validate(
        {
            "parties": parties,
            "purposes": list(purposes),
            "categories": [{"category": code, "fields": list(fields)} for code, fields in categories.items()],
            "retention": "Six years after the last contact.",
            "signatories": [
                {
                    "name": f"Signer {index}",
                    "role": "Director",
                    "agency": party["agency"],
                    "signed_on": at.date(),
                }
                for index, party in enumerate(parties)
            ],
            **terms,
        }
    )
    made = agreements.draft(
        db,
        reference=f"ISA-T{next(_numbers)}",
        title="Test sharing agreement",
        effective_from=at.date() - timedelta(days=1),
        expires_on=at.date() + timedelta(days=365),
        review_by=at.date() + timedelta(days=180),
        body=body,
        by="officer",
        at=at,
    )
    return agreements.activate(db, agreement_id=made.id, by="officer", at=at, reason="Signed by all parties")


def record_linkage(db: Session, *, analysts: str, at: datetime) -> Agreement:
    """The agreement under which an agency's analysts compare every source's records to review linkage."""
    providers = sorted({core.get_agency(db, source.agency_id).name for source in sources.list_sources(db)})
    return in_force(
        db,
        recipients=[analysts],
        providers=[name for name in providers if name != analysts] or providers,
        purposes=["record_linkage"],
        categories={
            code: vocabulary.category(code).fields for code in ("identity", "identifiers", "contact")
        },  # type: ignore[union-attr]
        at=at,
    )
