"""Sharing agreements as data, on SQLite and PostgreSQL: drafts and versions, each check before activation, the
lifecycle allowed and refused, the agreements in force on a day, dates needing attention, comparing versions, the
place's purposes, and agreement files with the errors a person can act on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import event, update
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session
from typer.main import get_command

from tests.support import factories
from tests.support.factories import MOMENT
from tests.test_cli import _run
from wholeplace.core.errors import ConflictError, IngestError, InvalidInputError
from wholeplace.core.roles import Role
from wholeplace.governance.agreements_cli import agreements_app
from wholeplace.governance.models import Agreement, AgreementStatusChange
from wholeplace.governance.schemas import AgreementBody
from wholeplace.governance.service import agreements

ROOT = Path(__file__).resolve().parents[2]
HOMES, SCHOOLS, POLICE, HEALTH = "Riverford Homes", "Riverford Schools", "Vale Police", "Riverford Health"
TODAY = MOMENT.date()
BY = "Grace Okafor (governance)"


def body_of(*agencies: str, **changes: Any) -> AgreementBody:
    """A body every check passes for these agencies (two by default), with any key replaced."""
    names = agencies or (HOMES, SCHOOLS)
    given: dict[str, Any] = {
        "parties": [{"agency": name, "lawful_basis": "6(1)(e)"} for name in names],
        "purposes": ["early_help"],
        "categories": [{"category": "identity", "fields": ["given_name", "family_name", "date_of_birth"]}],
        "retention": "Until the early-help plan closes, then six years.",
        "signatories": [
            {"name": f"Signer for {name}", "role": "Director", "agency": name, "signed_on": "2026-03-01"}
            for name in names
        ],
    }
    return AgreementBody.model_validate({**given, **changes})


def place(db: Session, *names: str) -> None:
    for name in names or (HOMES, SCHOOLS):
        factories.agency(db, name)


def drafted(
    db: Session, reference: str = "ISA-1", body: AgreementBody | None = None, **header: Any
) -> Agreement:
    dates: dict[str, Any] = {
        "effective_from": date(2026, 4, 1),
        "expires_on": date(2028, 3, 31),
        "review_by": date(2027, 3, 31),
    }
    return agreements.draft(
        db,
        reference=reference,
        title=header.pop("title", "Early help information sharing"),
        **{**dates, **header},
        body=body or body_of(),
        by=BY,
        at=MOMENT,
    )


def activated(
    db: Session, reference: str = "ISA-1", body: AgreementBody | None = None, **header: Any
) -> Agreement:
    agreement = drafted(db, reference, body, **header)
    return agreements.activate(
        db, agreement_id=agreement.id, by=BY, at=MOMENT, reason="signed by all parties"
    )


def refusal(db: Session, agreement: Agreement) -> list[str]:
    with pytest.raises(agreements.AgreementNotReadyError) as refused:
        agreements.activate(db, agreement_id=agreement.id, by=BY, at=MOMENT, reason="signed")
    assert agreement.status == "draft"
    return refused.value.problems


# ---------------------------------------------------------------- drafts and versions


def test_a_new_agreement_is_version_1_and_a_draft(db: Session) -> None:
    agreement = drafted(db, "isa-2026-01")
    assert (agreement.reference, agreement.version, agreement.status) == ("ISA-2026-01", 1, "draft")
    assert (agreement.created_by, agreement.created_at) == (BY, MOMENT)
    assert agreements.body_of(agreement) == body_of()


def test_drafting_again_for_a_reference_makes_its_next_version(db: Session) -> None:
    place(db)
    activated(db)
    second = drafted(db, body=body_of(retention="Six years."), title="Early help sharing, revised")
    assert (second.version, second.status, second.title) == (2, "draft", "Early help sharing, revised")
    assert [one.version for one in agreements.versions(db, "ISA-1")] == [1, 2]


def test_a_reference_has_one_draft_at_a_time(db: Session) -> None:
    drafted(db)
    with pytest.raises(ConflictError, match="ISA-1 version 1 is already a draft"):
        drafted(db)


@pytest.mark.parametrize("reference", ["", "ISA 1", "ISA_1", "-ISA", "ISA-", "ISA/1", "X" * 61])
def test_a_reference_is_letters_digits_and_hyphens(db: Session, reference: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        drafted(db, reference)
    assert refused.value.field == "reference" and "ISA-2026-01" in refused.value.fix


def test_editing_a_draft_changes_what_it_says(db: Session) -> None:
    agreement = drafted(db)
    agreements.update_draft(
        db,
        agreement_id=agreement.id,
        title="Renamed",
        effective_from=date(2026, 5, 1),
        expires_on=None,
        review_by=None,
        body=body_of(purposes=["early_help", "safeguarding_children"]),
    )
    again = agreements.get(db, agreement.id)
    assert (again.title, again.effective_from, again.expires_on, again.version) == (
        "Renamed",
        date(2026, 5, 1),
        None,
        1,
    )
    assert agreements.body_of(again).purposes == ("early_help", "safeguarding_children")


def test_only_a_draft_can_be_edited(db: Session) -> None:
    place(db)
    agreement = activated(db)
    with pytest.raises(ConflictError, match="only a draft can be edited"):
        agreements.update_draft(
            db,
            agreement_id=agreement.id,
            title="Changed in force",
            effective_from=agreement.effective_from,
            expires_on=None,
            review_by=None,
            body=body_of(),
        )


# ---------------------------------------------------------------- the checks before activation


def test_a_draft_passing_every_check_comes_into_force_with_its_reason(db: Session) -> None:
    place(db)
    agreement = activated(db)
    assert agreement.status == "active"
    assert (agreement.status_changed_by, agreement.status_changed_at, agreement.status_reason) == (
        BY,
        MOMENT,
        "signed by all parties",
    )


def test_every_party_must_be_an_agency_of_the_place(db: Session) -> None:
    place(db)
    agreement = drafted(db, body=body_of(HOMES, "riverford schools"))
    assert refusal(db, agreement) == [
        "riverford schools is not an agency of the place (did you mean Riverford Schools?): correct the party, "
        "or ask an administrator to add the agency."
    ]


def test_every_purpose_must_be_built_in_or_the_places_own(db: Session) -> None:
    place(db)
    agreement = drafted(db, body=body_of(purposes=["early_help", "youth_justice_prevention"]))
    assert refusal(db, agreement) == [
        "'youth_justice_prevention' is not a purpose of the place: choose a listed purpose, or add it as a "
        "place purpose first."
    ]
    add_youth_justice(db)
    assert agreements.activation_problems(db, agreement, today=TODAY) == []


def test_health_data_needs_an_article_9_condition_from_every_provider(db: Session) -> None:
    place(db)
    health = [{"category": "health", "fields": ["event.type", "event.date"]}]
    without = body_of(categories=health)
    problems = refusal(db, drafted(db, body=without))
    assert len(problems) == 2 and all("state the Article 9 condition" in problem for problem in problems)
    assert problems[0].startswith(f"{HOMES} provides health events, special category data")


def test_a_party_that_only_receives_health_data_needs_no_article_9_condition(db: Session) -> None:
    place(db)
    parties = [
        {
            "agency": HOMES,
            "roles": ["provider"],
            "lawful_basis": "6(1)(e)",
            "special_category_condition": "9(2)(h)",
        },
        {"agency": SCHOOLS, "roles": ["recipient"], "lawful_basis": "6(1)(e)"},
    ]
    health = [{"category": "health", "fields": ["event.type"]}]
    agreement = drafted(db, body=body_of(parties=parties, categories=health))
    assert agreements.activation_problems(db, agreement, today=TODAY) == []


def test_criminal_offence_data_needs_a_provider_naming_a_statutory_gateway(db: Session) -> None:
    place(db, HOMES, POLICE)
    parties = [
        {"agency": POLICE, "roles": ["provider"], "lawful_basis": "6(1)(e)"},
        {"agency": HOMES, "lawful_basis": "6(1)(e)"},
    ]
    offences = [{"category": "criminal_offence", "fields": ["event.type", "event.date"]}]
    agreement = drafted(db, body=body_of(HOMES, POLICE, parties=parties, categories=offences))
    assert refusal(db, agreement) == [
        "No provider names a statutory gateway, so nobody could share police and justice events, criminal "
        "offence data: name the gateway of the party that provides them, such as Crime and Disorder Act 1998, s.115."
    ]
    parties[0]["statutory_gateway"] = "Crime and Disorder Act 1998, s.115"
    agreements.update_draft(
        db,
        agreement_id=agreement.id,
        title=agreement.title,
        effective_from=agreement.effective_from,
        expires_on=agreement.expires_on,
        review_by=agreement.review_by,
        body=body_of(HOMES, POLICE, parties=parties, categories=offences),
    )
    assert agreements.activation_problems(db, agreement, today=TODAY) == []


def test_every_party_needs_someone_who_signed_for_it_on_a_date(db: Session) -> None:
    place(db)
    unsigned = [
        {"name": "Ann Lee", "role": "Director", "agency": HOMES, "signed_on": "2026-03-01"},
        {"name": "Bo Chen", "role": "Head", "agency": SCHOOLS},
        {"name": "Cy Dean", "role": "Chief", "agency": POLICE, "signed_on": "2026-03-01"},
    ]
    problems = refusal(db, drafted(db, body=body_of(signatories=unsigned)))
    assert problems == [
        f"Nobody has signed for {SCHOOLS}: add a signatory for it with the date they signed.",
        f"Cy Dean signed for {POLICE}, which is not a party: correct the signatory's agency.",
    ]


def test_an_agreement_cannot_expire_before_it_takes_effect(db: Session) -> None:
    place(db)
    agreement = drafted(db, effective_from=date(2027, 4, 1), expires_on=date(2027, 3, 31))
    assert refusal(db, agreement) == [
        "It expires on 31 March 2027, before it takes effect on 1 April 2027: correct one of the dates."
    ]


def test_an_agreement_whose_expiry_date_has_passed_cannot_come_into_force(db: Session) -> None:
    place(db)
    agreement = drafted(db, effective_from=date(2025, 1, 1), expires_on=TODAY - timedelta(days=1))
    assert refusal(db, agreement) == ["Its expiry date, 1 November 2026, has passed: set a later one."]


def test_an_agreement_needs_a_review_date_before_it_comes_into_force(db: Session) -> None:
    place(db)
    assert refusal(db, drafted(db, review_by=None)) == [
        "Set a review date: the day by which the parties will look at the agreement again."
    ]


def test_every_problem_is_named_at_once(db: Session) -> None:
    agreement = drafted(db, review_by=None)  # no agencies in the place either
    problems = refusal(db, agreement)
    assert len(problems) == 3
    with pytest.raises(agreements.AgreementNotReadyError) as refused:
        agreements.activate(db, agreement_id=agreement.id, by=BY, at=MOMENT, reason="signed")
    assert str(refused.value).startswith(
        "ISA-1 version 1 cannot be activated yet. Riverford Homes is not an agency"
    )


def test_every_change_of_status_needs_a_reason(db: Session) -> None:
    place(db)
    agreement = drafted(db)
    with pytest.raises(InvalidInputError, match="Enter the reason") as refused:
        agreements.activate(db, agreement_id=agreement.id, by=BY, at=MOMENT, reason="  ")
    assert refused.value.field == "reason" and agreement.status == "draft"


# ---------------------------------------------------------------- the lifecycle


def test_an_agreement_is_suspended_reinstated_and_expired_each_with_who_when_and_why(db: Session) -> None:
    place(db)
    agreement = activated(db)
    later = MOMENT + timedelta(days=3)
    agreements.suspend(db, agreement_id=agreement.id, by="Ivy", at=later, reason="breach under investigation")
    assert (agreement.status, agreement.status_changed_by, agreement.status_changed_at) == (
        "suspended",
        "Ivy",
        later,
    )
    assert agreement.status_reason == "breach under investigation"
    agreements.reinstate(db, agreement_id=agreement.id, by="Ivy", at=later, reason="safeguards hold")
    assert (agreement.status, agreement.status_reason) == ("active", "safeguards hold")
    agreements.expire(db, agreement_id=agreement.id, by="Jo", at=later, reason="service decommissioned")
    assert (agreement.status, agreement.status_changed_by, agreement.status_reason) == (
        "expired",
        "Jo",
        "service decommissioned",
    )


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], "suspend"),
        ([], "reinstate"),
        ([], "expire"),
        (["activate"], "activate"),
        (["activate"], "reinstate"),
        (["activate", "suspend"], "suspend"),
        (["activate", "suspend"], "activate"),
        (["activate", "expire"], "activate"),
        (["activate", "expire"], "suspend"),
        (["activate", "expire"], "reinstate"),
        (["activate", "expire"], "expire"),
    ],
)
def test_changes_the_lifecycle_does_not_allow_are_refused(db: Session, path: list[str], action: str) -> None:
    place(db)
    agreement = drafted(db)
    for step in path:
        getattr(agreements, step)(db, agreement_id=agreement.id, by=BY, at=MOMENT, reason=step)
    before = agreement.status
    with pytest.raises(ConflictError, match=f"ISA-1 version 1 is {before}"):
        getattr(agreements, action)(db, agreement_id=agreement.id, by=BY, at=MOMENT, reason=action)
    assert agreement.status == before


def test_activating_a_version_expires_the_one_in_force(db: Session) -> None:
    place(db)
    first = activated(db)
    second = activated(db, body=body_of(retention="Six years."))
    assert (first.status, first.status_reason, first.status_changed_by) == (
        "expired",
        "replaced by version 2",
        BY,
    )
    assert second.status == "active"


def test_every_status_change_is_kept_in_the_history(db: Session) -> None:
    place(db)
    agreement = activated(db)
    later = MOMENT + timedelta(days=3)
    agreements.suspend(db, agreement_id=agreement.id, by="Ivy", at=later, reason="breach under investigation")
    agreements.reinstate(db, agreement_id=agreement.id, by="Ivy", at=later, reason="safeguards hold")
    history = agreements.status_history(db, agreement.id)
    assert [(change.status, change.changed_by, change.reason) for change in history] == [
        ("active", BY, "signed by all parties"),
        ("suspended", "Ivy", "breach under investigation"),
        ("active", "Ivy", "safeguards hold"),
    ]


def test_the_status_history_cannot_be_rewritten(db: Session) -> None:
    place(db)
    agreement = activated(db)
    with pytest.raises(DatabaseError), db.begin_nested():
        db.execute(update(AgreementStatusChange).values(reason="nothing to see"))
    assert agreements.status_history(db, agreement.id)[0].reason == "signed by all parties"


def test_activating_a_version_expires_a_suspended_one_too(db: Session) -> None:
    place(db)
    first = activated(db)
    agreements.suspend(db, agreement_id=first.id, by=BY, at=MOMENT, reason="under review")
    activated(db, body=body_of(retention="Six years."))
    assert (first.status, first.status_reason) == ("expired", "replaced by version 2")


def test_a_suspended_agreement_past_its_expiry_date_is_not_reinstated(db: Session) -> None:
    place(db)
    agreement = activated(db, expires_on=date(2026, 12, 31))
    agreements.suspend(db, agreement_id=agreement.id, by=BY, at=MOMENT, reason="breach")
    with pytest.raises(ConflictError, match="expired on 31 December 2026 while it was suspended"):
        agreements.reinstate(
            db, agreement_id=agreement.id, by=BY, at=MOMENT + timedelta(days=90), reason="ok"
        )


def test_lapsed_agreements_expire_as_of_the_day_after_their_expiry_date(db: Session) -> None:
    place(db)
    lapsing = activated(db, "ISA-1", expires_on=date(2026, 12, 31))
    lasting = activated(db, "ISA-2", expires_on=date(2027, 1, 1))
    endless = activated(db, "ISA-3", expires_on=None)
    assert agreements.expire_lapsed(db, today=date(2026, 12, 31)) == []
    assert agreements.expire_lapsed(db, today=date(2027, 1, 1)) == [lapsing]
    assert (lapsing.status, lapsing.status_changed_by) == ("expired", "wholeplace")
    assert lapsing.status_reason == "its expiry date, 31 December 2026, passed"
    assert lapsing.status_changed_at is not None and lapsing.status_changed_at.date() == date(2027, 1, 1)
    assert (lasting.status, endless.status) == ("active", "active")


# ---------------------------------------------------------------- the agreements in force


def test_the_agreements_in_force_are_active_effective_and_not_yet_expired(db: Session) -> None:
    place(db)
    activated(db, "ISA-1", effective_from=date(2026, 4, 1), expires_on=date(2026, 12, 31))
    activated(db, "ISA-2", effective_from=date(2027, 1, 1), expires_on=None)
    suspended = activated(db, "ISA-3", effective_from=date(2026, 1, 1), expires_on=None)
    agreements.suspend(db, agreement_id=suspended.id, by=BY, at=MOMENT, reason="breach")
    drafted(db, "ISA-4", effective_from=date(2026, 1, 1))

    def in_force(on: date) -> list[str]:
        return [one.label for one in agreements.active_agreements(db, on=on)]

    assert in_force(date(2026, 3, 31)) == []
    assert in_force(date(2026, 4, 1)) == ["ISA-1 v1"]
    assert in_force(date(2026, 12, 31)) == ["ISA-1 v1"]
    assert in_force(date(2027, 1, 1)) == ["ISA-2 v1"]


def test_the_agreements_in_force_come_parsed_and_their_text_is_read_once(db: Session) -> None:
    place(db)
    for number in range(5):
        activated(db, f"ISA-{number}")
    with _statements(db) as statements:
        found = agreements.active_agreements(db, on=TODAY)
    assert len(statements) == 2  # the versions in force, then the text of those not read before
    with _statements(db) as statements:
        again = agreements.active_agreements(db, on=TODAY)
    assert len(statements) == 1
    assert [one.body for one in found] == [one.body for one in again] == [body_of()] * 5
    assert {(one.status, one.effective_from, one.expires_on) for one in found} == {
        ("active", date(2026, 4, 1), date(2028, 3, 31))
    }


@contextmanager
def _statements(db: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = db.get_bind()

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


# ---------------------------------------------------------------- dates needing attention


def test_review_and_expiry_dates_within_the_window_or_past_need_attention(db: Session) -> None:
    place(db)
    activated(db, "DUE", review_by=TODAY + timedelta(days=60), expires_on=date(2030, 1, 1))
    activated(db, "LATE", review_by=TODAY - timedelta(days=1), expires_on=TODAY + timedelta(days=10))
    activated(db, "LATER", review_by=TODAY + timedelta(days=61), expires_on=None)
    drafted(db, "DRAFT", review_by=TODAY)
    found = agreements.agreements_needing_attention(db, today=TODAY)
    assert [(one.agreement.reference, one.what, one.days, one.overdue) for one in found] == [
        ("LATE", "review", -1, True),
        ("LATE", "expiry", 10, False),
        ("DUE", "review", 60, False),
    ]


def test_the_overview_lists_agreements_needing_attention_first(db: Session) -> None:
    place(db)
    activated(db, "A-1", review_by=date(2030, 1, 1))
    activated(db, "B-1", review_by=TODAY + timedelta(days=5))
    first = activated(db, "C-1", review_by=date(2030, 1, 1))
    second = drafted(db, "C-1")
    summaries = agreements.overview(db, today=TODAY)
    assert [summary.reference for summary in summaries] == ["B-1", "A-1", "C-1"]
    assert summaries[2].latest is second and summaries[2].standing is first
    assert summaries[0].attention[0].what == "review" and summaries[1].attention == ()


# ---------------------------------------------------------------- comparing versions


def test_comparing_two_versions_names_each_thing_said_differently(db: Session) -> None:
    place(db, HOMES, SCHOOLS, POLICE)
    older = activated(db)
    newer_body = body_of(
        HOMES,
        POLICE,
        parties=[
            {"agency": HOMES, "lawful_basis": "6(1)(c)", "special_category_condition": "9(2)(h)"},
            {
                "agency": POLICE,
                "roles": ["provider"],
                "lawful_basis": "6(1)(e)",
                "statutory_gateway": "CDA 1998",
            },
        ],
        purposes=["early_help", "safeguarding_children"],
        categories=[
            {"category": "identity", "fields": ["given_name", "family_name", "sex"]},
            {"category": "contact", "fields": ["postcode"]},
        ],
        roles=["lead_professional"],
        overrides_objection=True,
        retention="Six years.",
        onward_sharing="Only to the courts.",
        duties={"log_every_access": True, "tell_the_person": True},
    )
    newer = drafted(db, body=newer_body, title="Revised", review_by=date(2027, 6, 30))
    found = [(one.aspect, one.change, one.before, one.after) for one in agreements.compare(older, newer)]
    assert found == [
        ("Title", "changed", "Early help information sharing", "Revised"),
        ("Review by", "changed", "31 March 2027", "30 June 2027"),
        ("Party", "removed", "Riverford Schools (provider and recipient; 6(1)(e) public task)", ""),
        ("Party", "added", "", "Vale Police (provider; 6(1)(e) public task)"),
        ("Riverford Homes: Article 6 basis", "changed", "6(1)(e) public task", "6(1)(c) legal obligation"),
        ("Riverford Homes: Article 9 condition", "changed", "None", "9(2)(h) health or social care"),
        ("Purpose", "added", "", "Safeguarding children"),
        ("Data category", "added", "", "Address and contact details: Postcode"),
        ("Name, date of birth and sex: field", "removed", "Date of birth", ""),
        ("Name, date of birth and sex: field", "added", "", "Sex"),
        ("Recipient role", "added", "", "Lead professional"),
        ("Shares over objections", "changed", "No", "Yes"),
        ("Retention", "changed", "Until the early-help plan closes, then six years.", "Six years."),
        (
            "Onward sharing",
            "changed",
            "Not permitted without the provider's written agreement.",
            "Only to the courts.",
        ),
        ("Tell the person", "changed", "No", "Yes"),
        (
            "Signatory",
            "removed",
            "Signer for Riverford Schools, Director, Riverford Schools (signed 1 March 2026)",
            "",
        ),
        ("Signatory", "added", "", "Signer for Vale Police, Director, Vale Police (signed 1 March 2026)"),
    ]


def test_versions_saying_the_same_thing_have_no_differences(db: Session) -> None:
    place(db)
    assert agreements.compare(activated(db), drafted(db)) == []


# ---------------------------------------------------------------- purposes


def add_youth_justice(db: Session) -> None:
    agreements.add_purpose(
        db,
        code="youth_justice_prevention",
        label="Youth justice prevention",
        description="Keeping children out of the youth justice system.",
        roles=[Role.PRACTITIONER],
        at=MOMENT,
    )


def test_the_purposes_are_the_built_in_ones_then_the_places_own(db: Session) -> None:
    add_youth_justice(db)
    found = agreements.purposes(db)
    assert found[0].code == "safeguarding_children" and found[-1].code == "youth_justice_prevention"
    assert found[-1].roles == frozenset({"practitioner"}) and found[-1].needs_involvement
    assert agreements.purpose_labels(db)["youth_justice_prevention"] == "Youth justice prevention"


def test_a_place_purpose_may_not_take_a_code_already_used(db: Session) -> None:
    add_youth_justice(db)
    with pytest.raises(ConflictError, match="'early_help' is a built-in purpose"):
        agreements.add_purpose(
            db, code="early_help", label="x", description="x", roles=[Role.PRACTITIONER], at=MOMENT
        )
    with pytest.raises(ConflictError, match="already has a purpose 'youth_justice_prevention'"):
        add_youth_justice(db)


@pytest.mark.parametrize("code", ["Early Help", "1st", "early-help", ""])
def test_a_place_purpose_code_is_small_letters_digits_and_underscores(db: Session, code: str) -> None:
    with pytest.raises(InvalidInputError, match="cannot be a purpose code"):
        agreements.add_purpose(
            db, code=code, label="x", description="x", roles=[Role.PRACTITIONER], at=MOMENT
        )


# ---------------------------------------------------------------- agreement files

AGREEMENT_FILE = """\
reference: ISA-2026-01
title: Early help information sharing
effective_from: 2026-04-01
expires_on: 2028-03-31
review_by: 2027-03-31
parties:
  - agency: Riverford Homes
    lawful_basis: 6(1)(e)
  - agency: Riverford Schools
    lawful_basis: 6(1)(e)
purposes: [early_help]
categories:
  - category: identity
    fields: [given_name, family_name, date_of_birth]
retention: Until the early-help plan closes, then six years.
signatories:
  - {name: Ann Lee, role: Director of Housing, agency: Riverford Homes, signed_on: 2026-03-01}
  - {name: Bo Chen, role: Head of Inclusion, agency: Riverford Schools, signed_on: 2026-03-02}
"""


def written(folder: Path, text: str, name: str = "agreement.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def import_error(path: Path) -> IngestError:
    with pytest.raises(IngestError) as refused:
        agreements.load_agreement_file(path)
    assert "Traceback" not in str(refused.value)
    return refused.value


def test_an_agreement_file_is_read_into_its_header_and_body(tmp_path: Path) -> None:
    header, body = agreements.load_agreement_file(written(tmp_path, AGREEMENT_FILE))
    assert header == agreements.AgreementHeader(
        "ISA-2026-01",
        "Early help information sharing",
        date(2026, 4, 1),
        date(2028, 3, 31),
        date(2027, 3, 31),
    )
    assert [party.agency for party in body.parties] == [HOMES, SCHOOLS]
    assert body.signatories[1].signed_on == date(2026, 3, 2)


def test_an_agreement_file_may_be_json(tmp_path: Path) -> None:
    as_json = json.dumps(yaml.safe_load(AGREEMENT_FILE), default=str)
    header, body = agreements.load_agreement_file(written(tmp_path, as_json, "agreement.json"))
    assert header.effective_from == date(2026, 4, 1) and body.purposes == ("early_help",)


def test_a_file_that_is_not_yaml_names_its_line(tmp_path: Path) -> None:
    error = import_error(
        written(tmp_path, AGREEMENT_FILE.replace("purposes: [early_help]", "purposes: [early_help"))
    )
    assert error.file == "agreement.yaml" and error.line is not None and error.line >= 12
    assert "not valid YAML" in error.problem and "Fix the YAML at that line" in error.fix


def test_a_file_that_is_not_json_names_its_line(tmp_path: Path) -> None:
    error = import_error(written(tmp_path, '{"reference": "ISA-1",\n "title": }', "agreement.json"))
    assert (error.line, error.problem) == (2, "The file is not valid JSON: Expecting value.")


def test_an_unknown_lawful_basis_names_the_field_and_the_bases_to_use(tmp_path: Path) -> None:
    error = import_error(
        written(
            tmp_path,
            AGREEMENT_FILE.replace(
                "lawful_basis: 6(1)(e)\n  - agency: Riverford Schools",
                "lawful_basis: 6(1)(z)\n  - agency: Riverford Schools",
            ),
        )
    )
    assert error.problem == (
        "parties[1].lawful_basis: '6(1)(z)' is not an Article 6 basis; use one of 6(1)(a), 6(1)(b), "
        "6(1)(c), 6(1)(d), 6(1)(e), 6(1)(f)."
    )
    assert str(error).startswith("agreement.yaml, line 8: parties[1].lawful_basis: '6(1)(z)'")


def test_a_field_outside_its_category_is_named_with_the_fields_it_holds(tmp_path: Path) -> None:
    error = import_error(
        written(tmp_path, AGREEMENT_FILE.replace("date_of_birth]", "date_of_birth, blood_group]"))
    )
    assert error.line == 13
    assert error.problem == (
        "categories[1]: blood_group not in the identity category; it holds given_name, middle_names, "
        "family_name, previous_family_names, date_of_birth, sex."
    )


def test_an_unknown_key_in_a_category_names_the_keys_allowed_there(tmp_path: Path) -> None:
    error = import_error(
        written(tmp_path, AGREEMENT_FILE.replace("    fields: [given", "    feilds: [given"))
    )
    assert error.problem == (
        "categories[1].fields (line 13): is missing. categories[1].feilds (line 14): is not part of an agreement here."
    )
    assert error.fix == "Remove it or correct its spelling; the keys allowed there are category, fields."


def test_a_missing_date_and_a_wrong_one_are_both_named(tmp_path: Path) -> None:
    text = AGREEMENT_FILE.replace("effective_from: 2026-04-01\n", "").replace("2028-03-31", "next year")
    error = import_error(written(tmp_path, text))
    assert error.problem == (
        "effective_from: is missing. expires_on (line 3): should be a date written like 2026-04-01."
    )


def test_a_reference_in_a_file_follows_the_same_rule(tmp_path: Path) -> None:
    error = import_error(written(tmp_path, AGREEMENT_FILE.replace("ISA-2026-01", "ISA 2026")))
    assert (error.line, error.problem[:40]) == (1, "'ISA 2026' cannot be a reference: use le")


def test_a_file_holding_no_keys_says_what_it_should_hold(tmp_path: Path) -> None:
    error = import_error(written(tmp_path, "- just\n- a list\n"))
    assert "should be a set of keys such as reference, title and parties" in error.problem


def test_importing_a_file_drafts_it_and_activates_it_when_asked(db: Session, tmp_path: Path) -> None:
    place(db)
    path = written(tmp_path, AGREEMENT_FILE)
    drafted_one = agreements.import_agreement(db, path, by=BY, at=MOMENT, activate=False)
    assert (drafted_one.outcome, drafted_one.agreement.status) == ("drafted", "draft")
    again = agreements.import_agreement(db, path, by=BY, at=MOMENT, activate=True)
    assert (again.outcome, again.agreement.version, again.agreement.status) == ("activated", 1, "active")
    assert again.agreement.status_reason == "imported from agreement.yaml"


def test_importing_the_same_file_twice_changes_nothing(db: Session, tmp_path: Path) -> None:
    place(db)
    path = written(tmp_path, AGREEMENT_FILE)
    first = agreements.import_agreement(db, path, by=BY, at=MOMENT, activate=True)
    second = agreements.import_agreement(db, path, by=BY, at=MOMENT, activate=True)
    assert (second.outcome, second.agreement) == ("unchanged", first.agreement)
    assert len(agreements.versions(db, "ISA-2026-01")) == 1


def test_importing_a_changed_file_rewrites_the_draft_or_makes_the_next_version(
    db: Session, tmp_path: Path
) -> None:
    place(db)
    agreements.import_agreement(db, written(tmp_path, AGREEMENT_FILE), by=BY, at=MOMENT, activate=False)
    changed = written(tmp_path, AGREEMENT_FILE.replace("then six years", "then seven years"))
    rewritten = agreements.import_agreement(db, changed, by=BY, at=MOMENT, activate=True)
    assert (rewritten.outcome, rewritten.agreement.version) == ("activated", 1)
    again = written(tmp_path, AGREEMENT_FILE.replace("then six years", "then eight years"))
    following = agreements.import_agreement(db, again, by=BY, at=MOMENT, activate=False)
    assert (following.outcome, following.agreement.version, following.agreement.status) == (
        "drafted",
        2,
        "draft",
    )


def test_an_import_that_cannot_be_activated_says_what_to_put_right_in_the_file(
    db: Session, tmp_path: Path
) -> None:
    place(db, HOMES)
    with pytest.raises(IngestError) as refused:
        agreements.import_agreement(db, written(tmp_path, AGREEMENT_FILE), by=BY, at=MOMENT, activate=True)
    assert refused.value.file == "agreement.yaml"
    assert "Riverford Schools is not an agency of the place" in refused.value.problem
    assert "without --activate" in refused.value.fix


# ---------------------------------------------------------------- the guide's example


def guide_example() -> str:
    guide = (ROOT / "docs" / "sharing-agreements.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n(?P<text>reference:.*?)```", guide, flags=re.DOTALL)
    assert found is not None, "the guide has no example agreement file"
    return found.group("text")


def test_the_guides_example_file_imports_and_comes_into_force(db: Session, tmp_path: Path) -> None:
    text = guide_example()
    tree = yaml.safe_load(text)
    place(db, *(party["agency"] for party in tree["parties"]))
    imported = agreements.import_agreement(db, written(tmp_path, text), by=BY, at=MOMENT, activate=True)
    assert imported.agreement.status == "active"
    assert [one.reference for one in agreements.active_agreements(db, on=TODAY)] == [tree["reference"]]


# ---------------------------------------------------------------- the commands


def test_the_agreement_commands_import_activate_and_export(empty_database_url: str, tmp_path: Path) -> None:
    def run(*args: str) -> Any:
        return _run(list(args), data_dir=tmp_path, database_url=empty_database_url)

    assert run("place", "create", "Riverford").returncode == 0
    for name in (HOMES, SCHOOLS):
        assert run("place", "add-agency", name, "--kind", "public", "--sector", "housing").returncode == 0
    path = written(tmp_path, AGREEMENT_FILE)
    drafted_one = run("agreements", "import", str(path), "--json")
    assert json.loads(drafted_one.stdout) == {
        "reference": "ISA-2026-01",
        "version": 1,
        "status": "draft",
        "outcome": "drafted",
    }
    activated_one = run("agreements", "import", str(path), "--activate")
    assert activated_one.stdout == "Activated ISA-2026-01 version 1 from agreement.yaml: it is active.\n"
    again = run("agreements", "import", str(path), "--activate")
    assert again.stdout.startswith("Nothing to change in ISA-2026-01 version 1")
    out = tmp_path / "isa.jsonld"
    exported = run("agreements", "export", "ISA-2026-01", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["dct:identifier"] == "ISA-2026-01"
    assert run("agreements", "expire-lapsed").stdout == "0 agreements expired.\n"


def test_a_command_refusing_a_file_says_where_and_keeps_nothing(
    empty_database_url: str, tmp_path: Path
) -> None:
    def run(*args: str) -> Any:
        return _run(list(args), data_dir=tmp_path, database_url=empty_database_url)

    run("place", "create", "Riverford")
    run("place", "add-agency", HOMES, "--kind", "public", "--sector", "housing")
    unready = run("agreements", "import", str(written(tmp_path, AGREEMENT_FILE)), "--activate")
    assert unready.returncode == 1 and "Traceback" not in unready.stderr
    assert "Riverford Schools is not an agency of the place" in " ".join(unready.stderr.split())
    missing = run("agreements", "export", "ISA-2026-01", "--out", str(tmp_path / "x.jsonld"))
    assert missing.returncode == 1 and "There is no agreement ISA-2026-01" in " ".join(missing.stderr.split())
    broken = run("agreements", "import", str(written(tmp_path, "reference: [", "broken.yaml")))
    said = " ".join(broken.stderr.split())
    assert broken.returncode == 1 and "broken.yaml, line 1: The file is not valid YAML" in said


def test_the_guide_lists_every_agreement_command() -> None:
    guide = (ROOT / "docs" / "sharing-agreements.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^wholeplace agreements ([\w-]+)", guide, re.MULTILINE))
    assert listed == set(get_command(agreements_app).commands)  # type: ignore[attr-defined]
