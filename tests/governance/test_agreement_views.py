"""The sharing agreement pages, for information governance officers only: the list with what needs attention
first, drafting through the structured form (errors linked to their fields, what was typed kept), editing a draft,
activating with a reason, suspending, reinstating and expiring, a new version filled in from the last, comparing
versions, and the JSON-LD export."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.governance.test_agreements import (
    BY,
    HOMES,
    POLICE,
    SCHOOLS,
    TODAY,
    activated,
    body_of,
    drafted,
    place,
)
from tests.identity.test_views import error_summary
from tests.sources.test_views import table
from tests.support import factories
from tests.support.factories import MOMENT
from tests.support.web import post_form, sign_in
from wholeplace.core.roles import Role
from wholeplace.governance.service import agreements

OTHER_ROLES = [role for role in Role if role != Role.INFORMATION_GOVERNANCE_OFFICER]


def signed_in_as(client: TestClient, db: Session, *roles: Role) -> None:
    user = factories.user(db, *roles)
    db.commit()
    assert sign_in(client, user.username, factories.PASSWORD).status_code == 303


@pytest.fixture
def officer(client: TestClient, db: Session) -> TestClient:
    place(db, HOMES, SCHOOLS, POLICE)
    signed_in_as(client, db, Role.INFORMATION_GOVERNANCE_OFFICER)
    return client


def a_form(**changes: Any) -> dict[str, Any]:
    """What an officer types for an agreement every check passes."""
    typed: dict[str, Any] = {
        "reference": "isa-2026-07",
        "title": "Early help information sharing",
        "effective_from-day": "1",
        "effective_from-month": "4",
        "effective_from-year": "2026",
        "review_by-day": "31",
        "review_by-month": "3",
        "review_by-year": "2027",
        "party-1-agency": HOMES,
        "party-1-roles": ["provider", "recipient"],
        "party-1-lawful_basis": "6(1)(e)",
        "party-2-agency": SCHOOLS,
        "party-2-roles": ["provider", "recipient"],
        "party-2-lawful_basis": "6(1)(e)",
        "purposes": ["early_help"],
        "fields-identity": ["given_name", "family_name", "date_of_birth"],
        "retention": "Until the plan closes, then six years.",
        "onward_sharing": "Not permitted without the provider's written agreement.",
        "duties": ["log_every_access"],
        "signatory-1-name": "Ann Lee",
        "signatory-1-role": "Director of Housing",
        "signatory-1-agency": HOMES,
        "signatory-1-signed_on-day": "1",
        "signatory-1-signed_on-month": "3",
        "signatory-1-signed_on-year": "2026",
        "signatory-2-name": "Bo Chen",
        "signatory-2-role": "Head of Inclusion",
        "signatory-2-agency": SCHOOLS,
        "signatory-2-signed_on-day": "2",
        "signatory-2-signed_on-month": "3",
        "signatory-2-signed_on-year": "2026",
    }
    return {**typed, **changes}


def location(response: Any) -> str:
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def summary_links(page: str) -> list[str]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, flags=re.DOTALL)
    assert summary, "the page has no error summary"
    return re.findall(r'href="#([^"]+)"', summary.group(0))


def version(db: Session, reference: str, number: int) -> Any:
    db.expire_all()
    return agreements.get_version(db, reference, number)


# ---------------------------------------------------------------- who may use them


@pytest.mark.parametrize(
    "path",
    [
        "/governance/agreements",
        "/governance/agreements/new",
        "/governance/agreements/ISA-1",
        "/governance/agreements/ISA-1/v1",
        "/governance/agreements/ISA-1/v1.jsonld",
        "/governance/agreements/ISA-1/v1/edit",
        "/governance/agreements/ISA-1/new-version",
        "/governance/agreements/ISA-1/compare",
    ],
)
def test_only_information_governance_officers_reach_the_agreement_pages(
    client: TestClient, db: Session, path: str
) -> None:
    drafted(db)
    db.commit()
    signed_in_as(client, db, *OTHER_ROLES)
    assert client.get(path).status_code == 403


def test_only_information_governance_officers_change_an_agreement(client: TestClient, db: Session) -> None:
    place(db)
    agreement = drafted(db)
    db.commit()
    signed_in_as(client, db, Role.ADMINISTRATOR, Role.LEAD_PROFESSIONAL)
    response = post_form(
        client, "/governance/agreements/ISA-1/v1/activate", {"reason": "signed"}, from_page="/account"
    )
    assert response.status_code == 403
    assert version(db, "ISA-1", 1).status == "draft" == agreement.status


def test_the_navigation_offers_information_governance_to_its_officers_only(
    client: TestClient, db: Session
) -> None:
    signed_in_as(client, db, Role.PRACTITIONER, Role.ANALYST)
    assert 'href="/governance"' not in client.get("/").text
    signed_in_as(client, db, Role.INFORMATION_GOVERNANCE_OFFICER)
    assert 'href="/governance"' in client.get("/").text


# ---------------------------------------------------------------- the list


def test_the_list_says_when_there_are_no_agreements(officer: TestClient) -> None:
    page = officer.get("/governance/agreements").text
    assert "No agreements yet" in page and 'href="/governance/agreements/new"' in page


def test_the_list_shows_each_agreement_once_those_needing_attention_first(
    officer: TestClient, db: Session
) -> None:
    activated(db, "A-1", title="Quiet", review_by=date(2030, 1, 1), expires_on=None)
    activated(
        db, "B-1", title="Due", review_by=TODAY + timedelta(days=12), expires_on=TODAY + timedelta(days=40)
    )
    activated(db, "C-1", title="Late", review_by=TODAY - timedelta(days=3), expires_on=None)
    drafted(db, "C-1", title="Late, revised")
    db.commit()
    page = officer.get("/governance/agreements").text
    rows = table(page, "Sharing agreements, those needing attention first")
    assert [row[0] for row in rows] == ["C-1", "B-1", "A-1"]
    assert rows[0][1:3] == ["Late, revised", "Draft version 2 Active version 1"]
    assert rows[0][3] == "30 October 2026 Review overdue: 3 days ago"
    assert rows[1][3:] == ["14 November 2026 Review due: in 12 days", "12 December 2026 Expires in 40 days"]
    assert rows[2][3:] == ["1 January 2030", "No end date"]
    assert "2 agreements need attention" in page


# ---------------------------------------------------------------- drafting


def test_an_officer_drafts_an_agreement_through_the_form(officer: TestClient, db: Session) -> None:
    response = post_form(officer, "/governance/agreements/new", a_form())
    assert location(response) == "/governance/agreements/ISA-2026-07/v1?done=drafted"
    agreement = version(db, "ISA-2026-07", 1)
    assert (agreement.status, agreement.title, agreement.effective_from, agreement.expires_on) == (
        "draft",
        "Early help information sharing",
        date(2026, 4, 1),
        None,
    )
    body = agreements.body_of(agreement)
    assert [party.agency for party in body.parties] == [HOMES, SCHOOLS]
    assert body.categories[0].fields == ("given_name", "family_name", "date_of_birth")
    assert [one.signed_on for one in body.signatories] == [date(2026, 3, 1), date(2026, 3, 2)]
    assert agreement.created_by.endswith(")") and agreement.created_at == MOMENT
    page = officer.get(location(response)).text
    assert "Draft saved." in page and "Every check passes" in page
    assert table(page, "Parties and the law each relies on")[0] == [
        HOMES,
        "Provides data, Receives data",
        "6(1)(e): Public task",
        "None stated",
        "None stated",
    ]
    assert table(page, "Data shared, by category") == [
        ["Name, date of birth and sex", "Given name, Family name, Date of birth", "Personal data"]
    ]


def test_blank_party_and_signatory_rows_are_ignored(officer: TestClient, db: Session) -> None:
    blank = {
        "party-3-agency": "",
        "party-3-lawful_basis": "",
        "signatory-3-name": "",
        "signatory-3-agency": "",
    }
    location(post_form(officer, "/governance/agreements/new", a_form(**blank)))
    body = agreements.body_of(version(db, "ISA-2026-07", 1))
    assert (len(body.parties), len(body.signatories)) == (2, 2)


def test_a_form_with_mistakes_names_each_linked_to_its_field_and_keeps_what_was_typed(
    officer: TestClient,
) -> None:
    typed = a_form(
        reference="ISA 7",
        **{
            "effective_from-month": "13",
            "party-2-lawful_basis": "",
            "party-3-agency": POLICE,
            "purposes": [],
            "retention": "",
            "signatory-2-agency": "",
        },
    )
    response = post_form(officer, "/governance/agreements/new", typed)
    assert response.status_code == 400
    page = response.text
    assert error_summary(page) == [
        "'ISA 7' cannot be a reference: use letters, digits and hyphens only, up to 60 characters, starting and "
        "ending with a letter or digit. For example ISA-2026-01.",
        "The date the agreement takes effect must be a real date, like 1 4 2026",
        "Select the Article 6 basis party 2 relies on",
        "Select whether party 3 provides data, receives it, or both",
        "Select the Article 6 basis party 3 relies on",
        "Select at least one purpose the agreement serves",
        "Enter how long those receiving the data may keep it",
        "Select the agency signatory 2 signs for",
    ]
    for anchor in summary_links(page):
        assert f'id="{anchor}"' in page, f"the summary links to #{anchor}, which is not on the page"
    assert page.count('id="effective_from-month"') == 1 and 'value="13"' in page
    assert 'value="Early help information sharing"' in page
    assert re.search(r'value="given_name"\s+checked', page)
    assert re.search(rf'<option value="{POLICE}" selected>', page)
    assert "<title>Error: Draft a new sharing agreement" in page


def test_a_form_needs_two_parties_a_provider_and_a_recipient(officer: TestClient) -> None:
    one_party = a_form(**{"party-2-agency": "", "party-2-roles": [], "party-2-lawful_basis": ""})
    page = post_form(officer, "/governance/agreements/new", one_party).text
    assert "Add at least two parties: one that provides data and one that receives it" in error_summary(page)
    nobody_receives = a_form(**{"party-1-roles": ["provider"], "party-2-roles": ["provider"]})
    page = post_form(officer, "/governance/agreements/new", nobody_receives).text
    assert error_summary(page) == ["At least one party must receive data"]


def test_a_reference_already_in_use_is_refused_for_a_new_agreement(officer: TestClient, db: Session) -> None:
    drafted(db, "ISA-2026-07")
    db.commit()
    page = post_form(officer, "/governance/agreements/new", a_form()).text
    assert error_summary(page)[0].startswith("ISA-2026-07 is already the reference of an agreement")


def test_an_officer_edits_a_draft(officer: TestClient, db: Session) -> None:
    drafted(db)
    db.commit()
    form = officer.get("/governance/agreements/ISA-1/v1/edit").text
    assert 'value="Early help information sharing"' in form and 'name="reference"' not in form
    changed = a_form(title="Early help, as agreed at the board", retention="Six years.")
    response = post_form(officer, "/governance/agreements/ISA-1/v1/edit", changed)
    assert location(response) == "/governance/agreements/ISA-1/v1?done=saved"
    edited = version(db, "ISA-1", 1)
    assert (edited.title, agreements.body_of(edited).retention) == (
        "Early help, as agreed at the board",
        "Six years.",
    )


def test_a_version_that_has_been_active_cannot_be_edited(officer: TestClient, db: Session) -> None:
    activated(db)
    db.commit()
    page = officer.get("/governance/agreements/ISA-1/v1/edit")
    assert page.status_code == 400
    assert "only a draft can be edited" in page.text and "Make a new version from it instead" in page.text


# ---------------------------------------------------------------- its life


def test_an_officer_activates_a_draft_with_a_reason(officer: TestClient, db: Session) -> None:
    drafted(db)
    db.commit()
    path = "/governance/agreements/ISA-1/v1"
    refused = post_form(officer, f"{path}/activate", {"reason": ""}, from_page=path)
    assert refused.status_code == 400
    assert error_summary(refused.text) == [
        "Enter the reason for the change. It is kept with the agreement's status."
    ]
    assert summary_links(refused.text) == ["activate-reason"]
    response = post_form(officer, f"{path}/activate", {"reason": "Signed at the board"}, from_page=path)
    assert location(response) == "/governance/agreements/ISA-1/v1?done=activate"
    active = version(db, "ISA-1", 1)
    assert (active.status, active.status_reason) == ("active", "Signed at the board")
    page = officer.get(location(response)).text
    assert "Agreement activated" in page
    assert table(page, "Status history")[1][1:] == ["Active", active.status_changed_by, "Signed at the board"]


def test_a_draft_that_fails_its_checks_lists_them_and_is_not_activated(
    officer: TestClient, db: Session
) -> None:
    drafted(db, review_by=None, body=body_of(HOMES, "Nowhere Trust"))
    db.commit()
    page = officer.get("/governance/agreements/ISA-1/v1").text
    assert "This draft cannot be activated yet" in page and "Activate agreement" not in page
    assert "Nowhere Trust is not an agency of the place" in page
    response = post_form(
        officer,
        "/governance/agreements/ISA-1/v1/activate",
        {"reason": "signed"},
        from_page="/governance/agreements",
    )
    assert response.status_code == 400
    assert len(error_summary(response.text)) == 2
    assert summary_links(response.text) == ["activation-problem-1", "activation-problem-2"]
    assert version(db, "ISA-1", 1).status == "draft"


def test_an_officer_suspends_reinstates_and_expires_an_agreement(officer: TestClient, db: Session) -> None:
    activated(db)
    db.commit()
    path = "/governance/agreements/ISA-1/v1"
    for action, status in (("suspend", "suspended"), ("reinstate", "active"), ("expire", "expired")):
        response = post_form(
            officer, f"{path}/{action}", {"reason": f"{action} for the test"}, from_page=path
        )
        assert location(response) == f"{path}?done={action}"
        changed = version(db, "ISA-1", 1)
        assert (changed.status, changed.status_reason) == (status, f"{action} for the test")
    refused = post_form(officer, f"{path}/reinstate", {"reason": "again"}, from_page=path)
    assert refused.status_code == 400
    assert error_summary(refused.text) == [
        "ISA-1 version 1 is expired. Only a suspended agreement can be reinstated."
    ]
    assert summary_links(refused.text) == ["status"] and 'id="status"' in refused.text


def test_a_change_the_service_does_not_know_is_not_found(officer: TestClient, db: Session) -> None:
    activated(db)
    db.commit()
    response = post_form(officer, "/governance/agreements/ISA-1/v1/delete", {"reason": "x"}, from_page="/")
    assert response.status_code == 404


# ---------------------------------------------------------------- versions


def test_a_new_version_is_filled_in_from_the_last_and_must_be_signed_again(
    officer: TestClient, db: Session
) -> None:
    activated(db)
    db.commit()
    form = officer.get("/governance/agreements/ISA-1/new-version").text
    assert "Filled in from version 1" in form
    assert 'value="Early help information sharing"' in form
    assert re.search(r'value="early_help"\s+checked', form)
    assert 'value="Signer for Riverford Homes"' in form
    signed_year = re.search(r'<input[^>]*name="signatory-1-signed_on-year"[^>]*>', form)
    assert signed_year is not None and not re.search(r'value="[^"]', signed_year.group(0))
    response = post_form(officer, "/governance/agreements/ISA-1/new-version", a_form(retention="Six years."))
    assert location(response) == "/governance/agreements/ISA-1/v2?done=drafted"
    second = version(db, "ISA-1", 2)
    assert (second.status, agreements.body_of(second).retention) == ("draft", "Six years.")
    assert version(db, "ISA-1", 1).status == "active"
    page = officer.get("/governance/agreements/ISA-1/v1").text
    assert "Version 2 is being drafted" in page and "Make a new version" not in page


def test_a_second_draft_of_an_agreement_is_refused(officer: TestClient, db: Session) -> None:
    activated(db)
    drafted(db)
    db.commit()
    page = officer.get("/governance/agreements/ISA-1/new-version")
    assert page.status_code == 400 and "ISA-1 version 2 is already a draft" in page.text


def test_an_agreement_reference_leads_to_its_latest_version(officer: TestClient, db: Session) -> None:
    activated(db)
    drafted(db)
    db.commit()
    response = officer.get("/governance/agreements/ISA-1", follow_redirects=False)
    assert location(response) == "/governance/agreements/ISA-1/v2"
    assert officer.get("/governance/agreements/ISA-9").status_code == 404
    assert officer.get("/governance/agreements/ISA-1/v7").status_code == 404


def test_two_versions_are_compared_side_by_side(officer: TestClient, db: Session) -> None:
    activated(db)
    drafted(db, body=body_of(purposes=["early_help", "safeguarding_children"], retention="Six years."))
    db.commit()
    page = officer.get("/governance/agreements/ISA-1/compare", params={"from": 1, "to": 2}).text
    rows = table(page, "What changed from version 1 to version 2")
    assert rows == [
        ["Purpose", "Added", "Not in version 1", "Safeguarding children"],
        ["Retention", "Changed", "Until the early-help plan closes, then six years.", "Six years."],
    ]
    assert "<strong>Safeguarding children</strong>" in page
    assert (
        officer.get("/governance/agreements/ISA-1/compare").text.count('<tr class="govuk-table__row">') == 3
    )
    assert officer.get("/governance/agreements/ISA-1/compare", params={"from": 1, "to": 9}).status_code == 404


def test_the_version_page_links_to_comparing_with_each_other_version(
    officer: TestClient, db: Session
) -> None:
    activated(db)
    activated(db, body=body_of(retention="Six years."))
    db.commit()
    page = officer.get("/governance/agreements/ISA-1/v2").text
    assert 'href="/governance/agreements/ISA-1/compare?from=1&amp;to=2"' in page
    assert table(page, "Versions of ISA-1")[0][:4] == [
        "Version 1",
        "Expired",
        "1 April 2026",
        "replaced by version 2",
    ]


# ---------------------------------------------------------------- the export


def test_a_version_exports_as_json_ld_in_the_data_privacy_vocabulary(
    officer: TestClient, db: Session
) -> None:
    activated(db)
    db.commit()
    response = officer.get("/governance/agreements/ISA-1/v1.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.headers["content-disposition"] == 'attachment; filename="ISA-1-v1.jsonld"'
    document = json.loads(response.text)
    assert document["@context"]["dpv"] == "https://w3id.org/dpv#"
    assert [one["rdfs:label"] for one in document["dpv:hasDataController"]] == [HOMES, SCHOOLS]
    assert document["dct:identifier"] == "ISA-1" and BY not in response.text
