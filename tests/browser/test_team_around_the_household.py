"""The team around the household in Chromium, on SQLite and on PostgreSQL: a practitioner finds a household
under a purpose and asks why they may see it; the lead professional builds a plan and closes another with
evidence; the police refer a family and the council accepts. axe-core runs on every page a journey reaches.

Each journey takes a household of the demo place that no page has shown since the server started, chosen from
the database of the server the browser talks to, so that the journeys do not disturb one another whatever their
order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tests.browser.conftest import Served, check_page
from tests.browser.test_sources import sign_in as sign_in_at_login
from wholeplace.coordination.models import LeadProfessional, Plan, PlanNeed, RegisterEvent, RegisterRecord
from wholeplace.core import service as core
from wholeplace.governance.models import AccessLogEntry

pytestmark = pytest.mark.browser

LEAD = "lead"  # Tom Kowalski, Riverford Borough Council
LEAD_NAME = "Tom Kowalski"
POLICE = "police"  # Dan Hughes, Vale Police
COUNCIL = "Riverford Borough Council"


def sign_in(page: Page, username: str) -> None:
    """Sign in and wait until the sign-in has landed, so the next page is asked for as the person."""
    sign_in_at_login(page, username)
    page.wait_for_url(lambda url: "/login" not in url)


def untouched(
    served: Served, household_id: InstrumentedAttribute[str] | InstrumentedAttribute[str | None]
) -> ColumnElement[bool]:
    """The household has not been shown to anyone since the server started: every page of a household asks the
    access decision about it, so a journey that has been there has left an entry in the access log."""
    return ~exists().where(
        AccessLogEntry.subject_kind == "household",
        AccessLogEntry.subject_id == household_id,
        AccessLogEntry.position > served.log_position_at_start,
    )


def led_by_the_lead(db: Session, served: Served, *, open_plan: bool, with_needs: bool = False) -> str:
    """A household Tom leads that no journey has touched; with an open plan (with needs) when asked."""
    query = select(LeadProfessional.household_id).where(
        LeadProfessional.username == LEAD,
        LeadProfessional.ended_at.is_(None),
        untouched(served, LeadProfessional.household_id),
    )
    if open_plan:
        query = query.join(Plan, Plan.household_id == LeadProfessional.household_id).where(
            Plan.status == "open"
        )
    if with_needs:
        query = query.where(exists().where(PlanNeed.plan_id == Plan.id, PlanNeed.removed.is_(False)))
    found = db.scalars(query.order_by(LeadProfessional.household_id).limit(1)).first()
    assert found is not None, "the demo should give Tom households enough for every journey"
    return found


@dataclass(frozen=True)
class Found:
    household_id: str  # Tom leads it
    family_name: str
    postcode: str


@pytest.fixture
def found(team_server: Served) -> Found:
    """A household Tom leads, and the family name and postcode of one of its records, to search by."""
    with team_server.session() as db:
        record = db.scalars(
            select(RegisterRecord)
            .join(LeadProfessional, LeadProfessional.household_id == RegisterRecord.household_id)
            .where(
                LeadProfessional.username == LEAD,
                LeadProfessional.ended_at.is_(None),
                RegisterRecord.family_name.is_not(None),
                RegisterRecord.postcode.is_not(None),
                untouched(team_server, RegisterRecord.household_id),
            )
            .order_by(RegisterRecord.household_id, RegisterRecord.id)
            .limit(1)
        ).one()
        assert record.household_id and record.family_name and record.postcode
        return Found(record.household_id, record.family_name, record.postcode)


@pytest.fixture
def to_build(team_server: Served) -> str:
    """A household Tom leads with an open plan, to which a need and an action are added."""
    with team_server.session() as db:
        return led_by_the_lead(db, team_server, open_plan=True)


@pytest.fixture
def to_close(team_server: Served) -> str:
    """A household Tom leads with an open plan that has needs, which he closes."""
    with team_server.session() as db:
        return led_by_the_lead(db, team_server, open_plan=True, with_needs=True)


@dataclass(frozen=True)
class Referred:
    household_id: str  # Vale Police know it and it has no plan or lead
    person_id: str  # the member referred, whom the police have a record of


@pytest.fixture
def referred(team_server: Served) -> Referred:
    """Someone the police have a record of, so the referral names them from the police's own records."""
    with team_server.session() as db:
        police = core.find_agency(db, "Vale Police")
        assert police is not None
        record = db.scalars(
            select(RegisterRecord)
            .where(
                RegisterRecord.agency_id == police.id,
                RegisterRecord.household_id.is_not(None),
                exists().where(
                    RegisterEvent.agency_id == police.id,
                    RegisterEvent.household_id == RegisterRecord.household_id,
                ),
                ~exists().where(Plan.household_id == RegisterRecord.household_id),
                ~exists().where(LeadProfessional.household_id == RegisterRecord.household_id),
                untouched(team_server, RegisterRecord.household_id),
            )
            .order_by(RegisterRecord.household_id, RegisterRecord.id)
            .limit(1)
        ).one()
        return Referred(str(record.household_id), record.person_id)


def test_a_practitioner_finds_a_household_under_a_purpose_and_sees_why(team_page: Page, found: Found) -> None:
    page = team_page
    sign_in(page, LEAD)
    page.goto("/search")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a person or household")
    check_page(page, "team-search")

    page.get_by_role("radio", name="Early-help coordination").check()
    page.get_by_label("Family name").fill(found.family_name)
    page.get_by_label("Postcode").fill(found.postcode)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    result = page.locator(f"a[href^='/households/{found.household_id}?']").first
    expect(result).to_be_visible()
    check_page(page, "team-search-results")

    result.click()
    expect(page).to_have_url(f"/households/{found.household_id}?purpose=early_help")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Household")
    expect(page.get_by_text("Lead professional:").first).to_contain_text(f"{LEAD_NAME}, {COUNCIL}")
    check_page(page, "team-household")

    page.get_by_role("link", name="Why can I see this? (Members)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Why you can see this")
    why = page.locator(".govuk-summary-list")
    expect(why).to_contain_text("Early-help coordination")
    expect(why).to_contain_text("Permitted")
    agreements = page.locator(".govuk-summary-list__row", has_text="Sharing agreements")
    expect(agreements.locator("li").first).to_be_visible()
    check_page(page, "team-why")


def test_the_lead_professional_adds_a_need_and_an_action_to_the_plan(team_page: Page, to_build: str) -> None:
    page, household = team_page, to_build
    sign_in(page, LEAD)
    page.goto(f"/households/{household}/plan?purpose=early_help")
    expect(page.get_by_role("heading", level=1)).to_have_text("Family plan")
    opened = page.locator("p", has_text="opened on").inner_text()
    matched = re.match(r"Version (\d+),", opened)
    assert matched, opened
    version_before = int(matched.group(1))
    check_page(page, "team-plan")

    page.get_by_role("button", name="Add a need").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a need")
    check_page(page, "team-plan-need")
    page.get_by_role("button", name="Add the need").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the outcome area the need is about")
    check_page(page, "team-plan-need-errors")

    page.locator("input[name='outcome_area']").first.check()
    need = "The browser test's family needs help getting the children to school on time"
    goal = "The children arrive at school on time every day"
    page.get_by_label("What is the need?").fill(need)
    page.get_by_label("What is the goal?").fill(goal)
    page.get_by_role("button", name="Add the need").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Family plan")
    card = page.locator(".govuk-summary-card", has_text=need)
    expect(card).to_contain_text(goal)
    expect(card).to_contain_text("No actions yet.")

    card.get_by_role("link", name="Add an action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an action")
    check_page(page, "team-plan-action")
    action = "Walk the children to school for two weeks"
    due = (datetime.now(UTC) + timedelta(days=60)).date()
    page.get_by_label("What will be done?").fill(action)
    page.get_by_label("Which agency will do it?").select_option(COUNCIL)
    page.get_by_label("Name of the worker").fill("Sam Browser")
    page.get_by_label("Day").fill(str(due.day))
    page.get_by_label("Month").fill(str(due.month))
    page.get_by_label("Year").fill(str(due.year))
    page.get_by_role("button", name="Add the action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Family plan")
    card = page.locator(".govuk-summary-card", has_text=need)
    expect(card.get_by_role("table")).to_contain_text(action)
    expect(card.get_by_role("table")).to_contain_text("Sam Browser")
    check_page(page, "team-plan-built")

    page.get_by_role("link", name="See every version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Versions of the plan")
    latest = page.get_by_role("link", name=f"Version {version_before + 2}", exact=True)
    expect(latest).to_be_visible()
    expect(page.get_by_role("link", name=f"Version {version_before + 1}", exact=True)).to_be_visible()
    check_page(page, "team-plan-versions")


def test_the_police_refer_a_family_and_the_council_accepts(team_page: Page, referred: Referred) -> None:
    page, household = team_page, referred.household_id
    sign_in(page, POLICE)
    page.goto(f"/households/{household}/referrals/new?purpose=front_door_triage&case=VP-TEST-1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral")
    check_page(page, "team-referral-new")

    page.locator(f"input[name='person'][value='{referred.person_id}']").check()
    page.get_by_label("Which agency are you referring to?").select_option(label=COUNCIL)
    page.get_by_role("radio", name="Urgent").check()
    reason = "Officers attended a disturbance at the home; the children were present and frightened"
    page.get_by_label("Why are you making the referral?").fill(reason)
    page.get_by_role("button", name="Send referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Referral sent")
    expect(page.locator(".govuk-tag").first).to_have_text("Waiting")
    check_page(page, "team-referral-sent")
    # The lists name the person as the referrer's records have them, which may differ from the household page.
    referral_link = f"a[href='{urlparse(page.url).path}']"

    page.goto("/referrals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    made = page.get_by_role("table", name="Referrals made, waiting first")
    row = made.get_by_role("row").filter(has=page.locator(referral_link))
    expect(row).to_contain_text(COUNCIL)
    expect(row).to_contain_text("Waiting")
    check_page(page, "team-referrals-police")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))

    council = page
    sign_in(council, LEAD)
    council.goto("/referrals")
    received = council.get_by_role("table", name="Referrals received, waiting first")
    received_row = received.get_by_role("row").filter(has=council.locator(referral_link))
    expect(received_row).to_contain_text("Vale Police")
    check_page(council, "team-referrals-council")
    received_row.get_by_role(
        "link", name=re.compile(r"^Accept or decline the referral of .+ from Vale Police$")
    ).click()
    expect(council.get_by_role("heading", level=1)).to_be_visible()
    expect(council.locator(".govuk-summary-list").nth(1)).to_contain_text(reason)
    check_page(council, "team-referral-received")

    council.get_by_role("radio", name="Accept").check()
    council.get_by_label("Reason").fill("Allocated to the family support team")
    council.get_by_role("button", name="Save answer").click()
    expect(council.locator(".govuk-notification-banner")).to_contain_text("Referral accepted")
    expect(council.locator(".govuk-tag").first).to_have_text("Accepted")
    expect(council.get_by_text("Allocated to the family support team")).to_be_visible()
    check_page(council, "team-referral-accepted")

    council.goto("/referrals")
    expect(received_row).to_contain_text("Accepted")


def test_the_lead_professional_closes_a_plan_with_evidence(team_page: Page, to_close: str) -> None:
    page, household = team_page, to_close
    sign_in(page, LEAD)
    page.goto(f"/households/{household}/plan?purpose=early_help")
    expect(page.get_by_role("heading", level=1)).to_have_text("Family plan")
    page.get_by_role("button", name="Close the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close the plan")
    check_page(page, "team-close")

    page.get_by_role("button", name="Close the plan").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a summary of how the plan ended")
    check_page(page, "team-close-errors")

    results = page.locator("fieldset", has=page.locator("input[type='radio']"))
    needs = results.count()
    assert needs >= 1
    for index in range(needs):
        results.nth(index).get_by_role("radio", name="Achieved", exact=True).check()
    evidence = page.locator("textarea[name^='evidence-']")
    for index in range(evidence.count()):
        evidence.nth(index).fill(
            "School attendance rose to 96% this term; the family say mornings are calmer"
        )
    page.get_by_label("Summary").fill("The family met their goals and the team has stepped back")
    page.get_by_role("button", name="Close the plan").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Family plan")
    expect(page.locator(".govuk-inset-text").first).to_contain_text("This plan was closed on")
    check_page(page, "team-plan-closed")

    page.get_by_role("button", name="Sustainment checks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sustainment checks")
    expect(page.locator("main h2")).to_have_count(needs)
    expect(page.get_by_text("Check due").first).to_be_visible()
    expect(page.locator(".govuk-summary-list").first).to_contain_text("Achieved")
    check_page(page, "team-sustainment")
