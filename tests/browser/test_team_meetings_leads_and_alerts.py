"""More of the team around the household in Chromium, on SQLite and on PostgreSQL: the lead professional holds a
multi-agency meeting whose decision becomes an action in the plan; a practitioner assigns a lead to a household
nobody leads and the lead hands it over; a sustainment check run from the command line flags a relapse the lead
then sees; and a police extract loaded from the command line reaches the lead's alerts through the server's
watcher. axe-core runs on every page a journey reaches.

As in test_team_around_the_household, each journey takes a household no page has shown since the server
started, so the journeys do not disturb one another whatever their order."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session, aliased

from tests.browser.conftest import Served, check_page
from tests.browser.test_team_around_the_household import (
    COUNCIL,
    LEAD,
    LEAD_NAME,
    led_by_the_lead,
    sign_in,
    untouched,
)
from wholeplace.coordination.models import (
    Alert,
    LeadProfessional,
    Plan,
    PlanNeed,
    RegisterEvent,
    RegisterRecord,
    SustainmentCheck,
)
from wholeplace.coordination.service import closure, leads, plans
from wholeplace.core import service as core
from wholeplace.demo.cli import DEMO_PLACE_FOLDER
from wholeplace.governance.models import ConsentRecord, Involvement

pytestmark = pytest.mark.browser

PRACTITIONER = "practitioner"  # Amira Hussain, Riverford Homes
PRACTITIONER_AGENCY = "Riverford Homes"
LOCAL_TIME = ZoneInfo("Europe/London")
ALERT_WAIT_SECONDS = 60
ALERT_RELOAD_MS = 2000


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _fill_date(group: Locator, day: date) -> None:
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))


# ---------------------------------------------------------------- holding a meeting


@pytest.fixture
def to_meet(team_server: Served) -> str:
    """A household Tom leads with an open plan that has needs, for a decision to become an action of."""
    with team_server.session() as db:
        return led_by_the_lead(db, team_server, open_plan=True, with_needs=True)


def test_the_lead_holds_a_meeting_whose_decision_becomes_an_action_in_the_plan(
    team_page: Page, to_meet: str
) -> None:
    page, household = team_page, to_meet
    sign_in(page, LEAD)
    page.goto(f"/households/{household}/meetings?purpose=early_help")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meetings")
    check_page(page, "team-meetings")

    page.get_by_role("button", name="Arrange the meeting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the kind of meeting")
    check_page(page, "team-meetings-errors")

    held = datetime.now(LOCAL_TIME).date() - timedelta(days=1)
    page.get_by_role("radio", name="Team around the family").check()
    _fill_date(page.get_by_role("group", name="What day is the meeting?"), held)
    page.get_by_label("What time does it start?").fill("10:00")
    invited = page.get_by_role("group", name="Who is invited?")
    invited.get_by_role("checkbox", name=f"{LEAD_NAME}, {COUNCIL}").check()
    invited.get_by_role("checkbox", name=f"Amira Hussain, {PRACTITIONER_AGENCY}").check()
    guest = page.get_by_role("group", name="Someone else invited (1)")
    guest.get_by_label("Name").fill("Priya Shah")
    guest.get_by_label("Agency").select_option(COUNCIL)
    page.get_by_role("button", name="Arrange the meeting").click()

    heading = f"Team around the family on {_day(held)}"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting arranged")
    invitees = page.get_by_role("table", name="Invited")
    expect(invitees.locator("tbody tr")).to_have_count(3)

    def came(name: str) -> Locator:
        return invitees.locator("tbody tr", has_text=name).locator("td").last

    expect(came(LEAD_NAME)).to_have_text("Not recorded yet")
    check_page(page, "team-meeting-arranged")
    meeting_path = urlparse(page.url).path

    page.get_by_role("button", name="Record the meeting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the notes of the meeting")
    check_page(page, "team-meeting-record-errors")

    attended = page.get_by_role("group", name="Who came?")
    attended.get_by_role("checkbox", name=re.compile(LEAD_NAME)).check()
    attended.get_by_role("checkbox", name=re.compile("Priya Shah")).check()
    page.get_by_label("Notes of the meeting").fill(
        "The family came for the first half; Riverford Homes sent apologies."
    )
    action = "Tom to take the family to the school's attendance meeting"
    first = page.get_by_role("group", name="Decision 1", exact=True)
    first.get_by_label("What was decided?").fill(action)
    first.get_by_text("Make decision 1 an action in the plan").click()
    first.get_by_label("Need it is for").select_option(index=1)
    first.get_by_label("Agency that will do it").select_option(COUNCIL)
    first.get_by_label("Who will do it").select_option(label=f"{LEAD_NAME}, {COUNCIL}")
    due = datetime.now(LOCAL_TIME).date() + timedelta(days=30)
    _fill_date(first.get_by_role("group", name="Due by"), due)
    agreed = "Meet again in six weeks"
    page.get_by_role("group", name="Decision 2", exact=True).get_by_label("What was decided?").fill(agreed)
    page.get_by_role("button", name="Record the meeting").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Meeting recorded")
    expect(page.locator(".govuk-summary-list")).to_contain_text("Held")
    expect(came(LEAD_NAME)).to_have_text("Yes")
    expect(came("Priya Shah")).to_have_text("Yes")
    expect(came("Amira Hussain")).to_have_text("No")
    decisions = page.locator("main ol.govuk-list--number > li")
    expect(decisions.first).to_contain_text(action)
    expect(decisions.first).to_contain_text(f"An action in the plan: {LEAD_NAME}, {COUNCIL}, by {_day(due)}")
    expect(decisions.nth(1)).to_have_text(agreed)
    check_page(page, "team-meeting-recorded")

    page.get_by_role("link", name="See the plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Family plan")
    row = page.locator(".govuk-summary-card tbody tr", has_text=action)
    expect(row).to_contain_text(LEAD_NAME)
    expect(row).to_contain_text(_day(due))
    check_page(page, "team-plan-agreed-at-meeting")
    row.get_by_role("link", name="Agreed at a meeting").click()
    expect(page).to_have_url(re.compile(re.escape(meeting_path)))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


# ---------------------------------------------------------------- assigning a lead and handing over


@dataclass(frozen=True)
class Unled:
    household_id: str  # Riverford Homes works with it; nobody leads it and it has no plan
    next_lead: str  # a lead professional of another agency, as the choices name them: "name, agency"
    next_lead_name: str


@pytest.fixture
def unled(team_server: Served) -> Unled:
    """A household the practitioner's agency works with and nobody leads, none of whose members has recorded a
    consent or an objection, and someone other than Tom to hand it over to."""
    with team_server.session() as db:
        homes = core.find_agency(db, PRACTITIONER_AGENCY)
        assert homes is not None
        today = datetime.now(UTC).date()
        household_id = db.scalars(
            select(Involvement.household_id)
            .where(
                Involvement.agency_id == homes.id,
                Involvement.household_id.is_not(None),
                or_(Involvement.ended_on.is_(None), Involvement.ended_on >= today),
                ~exists().where(LeadProfessional.household_id == Involvement.household_id),
                ~exists().where(Plan.household_id == Involvement.household_id),
                ~exists().where(
                    RegisterRecord.household_id == Involvement.household_id,
                    exists().where(ConsentRecord.person_id == RegisterRecord.person_id),
                ),
                untouched(team_server, Involvement.household_id),
            )
            .order_by(Involvement.household_id)
            .limit(1)
        ).first()
        assert household_id is not None, "Riverford Homes should work with households nobody leads"
        after = next(user for user in leads.candidates(db) if user.username != LEAD)
        return Unled(household_id, f"{after.full_name}, {after.agency.name}", after.full_name)


def test_a_lead_is_assigned_with_the_familys_agreement_and_handed_over(team_page: Page, unled: Unled) -> None:
    page, household = team_page, unled.household_id
    sign_in(page, LEAD)
    response = page.goto(f"/households/{household}?purpose=early_help")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this household")
    check_page(page, "team-lead-not-yet-involved")
    _sign_out(page)

    sign_in(page, PRACTITIONER)
    page.goto(f"/households/{household}?purpose=early_help")
    expect(page.get_by_text("No lead professional yet.")).to_be_visible()
    page.get_by_role("link", name="Assign a lead professional").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lead professional")
    expect(page.locator(".govuk-inset-text")).to_contain_text("This household has no lead professional")
    check_page(page, "team-lead")

    page.get_by_role("button", name="Assign lead professional").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the lead professional")
    expect(summary).to_contain_text("Enter the date the family agreed")
    expect(summary).to_contain_text("Enter how the family agreed")
    check_page(page, "team-lead-errors")

    agreed_on = datetime.now(LOCAL_TIME).date() - timedelta(days=2)
    how = "At a home visit both parents agreed to Tom being their lead professional"
    page.get_by_label("Lead professional").select_option(label=f"{LEAD_NAME}, {COUNCIL}")
    _fill_date(page.get_by_role("group", name="When did the family agree?"), agreed_on)
    page.get_by_label("How did the family agree?").fill(how)
    page.get_by_role("button", name="Assign lead professional").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Lead professional assigned")
    lead = page.locator(".govuk-summary-list")
    expect(lead).to_contain_text(LEAD_NAME)
    expect(lead).to_contain_text(_day(agreed_on))
    expect(lead).to_contain_text(how)
    check_page(page, "team-lead-assigned")
    _sign_out(page)

    # Leading the household makes the council work with the family, so Tom may now see it.
    sign_in(page, LEAD)
    page.goto(f"/households/{household}/lead?purpose=early_help")
    expect(page.get_by_role("heading", name="Hand over to another lead professional")).to_be_visible()
    reason = "The family asked for the worker they see most often to be their lead professional"
    page.get_by_label("New lead professional").select_option(label=unled.next_lead)
    yesterday = datetime.now(LOCAL_TIME).date() - timedelta(days=1)
    _fill_date(page.get_by_role("group", name="When did the family agree?"), yesterday)
    page.get_by_label("How did the family agree?").fill("By telephone, the mother agreed to the change")
    page.get_by_label("Why is the lead professional changing?").fill(reason)
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Lead professional handed over")
    expect(page.locator(".govuk-summary-list")).to_contain_text(unled.next_lead_name)
    earlier = page.get_by_role("table", name="Earlier lead professionals, the latest first")
    expect(earlier.locator("tbody tr")).to_have_count(1)
    expect(earlier).to_contain_text(LEAD_NAME)
    expect(earlier).to_contain_text(how)
    expect(earlier).to_contain_text(reason)
    check_page(page, "team-lead-handed-over")

    page.goto(f"/households/{household}?purpose=early_help")
    expect(page.get_by_text("Lead professional:").first).to_contain_text(unled.next_lead)
    check_page(page, "team-lead-household")


# ---------------------------------------------------------------- the sustainment check flags a relapse


@dataclass(frozen=True)
class Relapse:
    household_id: str  # Tom leads it; its plan is closed
    outcome: str  # the outcome area of the need checked, as the pages name it
    event_day: date  # when the first event that signals the relapse happened
    due_on: date


@pytest.fixture
def relapse_due(team_server: Served) -> Relapse:
    """A plan of Tom's the demo closed, whose sustainment check found a relapse in the linked data, put back as
    it was before the check ran (no findings, no alert) and falling due a week from today: the command run as of
    that day runs it, and the watcher, which runs the checks due today, leaves it alone."""
    due_on = datetime.now(UTC).date() + timedelta(days=7)
    with team_server.session() as db:
        check, plan, need, event = _a_relapse_of_the_leads(db, team_server)
        check.status, check.findings, check.checked_at, check.due_on = closure.DUE, [], None, due_on
        db.execute(delete(Alert).where(Alert.username == LEAD, Alert.about == f"relapse:{check.id}"))
        return Relapse(
            household_id=plan.household_id,
            outcome=plans.outcome_label(plans.outcome_areas(db), need.outcome_area),
            event_day=event.occurred_on,
            due_on=due_on,
        )


def _a_relapse_of_the_leads(
    db: Session, served: Served
) -> tuple[SustainmentCheck, Plan, PlanNeed, RegisterEvent]:
    """A relapsed check of a household Tom leads, with the first event since closure that signals it."""
    rules = closure.sustainment_rules(db)
    relapsed = db.execute(
        select(SustainmentCheck, Plan, PlanNeed)
        .join(Plan, Plan.id == SustainmentCheck.plan_id)
        .join(PlanNeed, PlanNeed.id == SustainmentCheck.need_id)
        .join(LeadProfessional, LeadProfessional.household_id == Plan.household_id)
        .where(
            SustainmentCheck.status == closure.RELAPSED,
            LeadProfessional.username == LEAD,
            LeadProfessional.ended_at.is_(None),
            untouched(served, Plan.household_id),
        )
        .order_by(Plan.household_id, SustainmentCheck.id)
    ).all()
    for check, plan, need in relapsed:
        rule = rules.get(need.outcome_area)
        assert plan.closed_at is not None
        members = select(RegisterRecord.person_id).where(RegisterRecord.household_id == plan.household_id)
        event = db.scalars(
            select(RegisterEvent)
            .where(
                RegisterEvent.person_id.in_(members),
                RegisterEvent.type.in_(rule.relapse_events if rule else ()),
                RegisterEvent.occurred_on > plan.closed_at.date(),
            )
            .order_by(RegisterEvent.occurred_on, RegisterEvent.id)
            .limit(1)
        ).first()
        if event is not None:
            return check, plan, need, event
    raise AssertionError("the demo should flag a relapse, shown by an event, in a plan Tom led")


def test_a_sustainment_check_run_from_the_command_line_flags_a_relapse_for_the_lead(
    team_page: Page, team_server: Served, relapse_due: Relapse
) -> None:
    page, household = team_page, relapse_due.household_id
    sign_in(page, LEAD)
    page.goto(f"/households/{household}/sustainment?purpose=early_help")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sustainment checks")
    check = page.locator("h2", has_text=relapse_due.outcome).locator("xpath=following-sibling::dl[1]")
    expect(check).to_contain_text("Check due")
    expect(check).to_contain_text(_day(relapse_due.due_on))
    expect(check).to_contain_text("Not checked yet.")
    check_page(page, "team-sustainment-due")

    ran = team_server.wholeplace(
        "coordination", "check-sustainment", "--today", relapse_due.due_on.isoformat()
    )
    assert ran.returncode == 0, ran.stderr
    assert re.search(
        rf"run as of {relapse_due.due_on:%d %B %Y}: \d+ sustained, [1-9]\d* relapsed\.", ran.stdout
    )

    page.reload()
    expect(check).to_contain_text("Relapse flagged")
    expect(check).to_contain_text(f"recorded on {_day(relapse_due.event_day)}")
    check_page(page, "team-sustainment-relapse")

    page.goto("/alerts")
    alert = (
        page.locator("li")
        .filter(has_text=f"A sustainment check flagged a relapse for {relapse_due.outcome}")
        .filter(has_text=f"Household {household}")
    )
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("New")
    expect(alert).to_contain_text(_day(relapse_due.event_day))
    check_page(page, "team-alerts-relapse")
    alert.get_by_role("link", name="Open the household").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Household")
    expect(page.locator(".govuk-caption-l")).to_have_text(f"Household {household}")


# ---------------------------------------------------------------- an alert after an ingest


@dataclass(frozen=True)
class PoliceKnown:
    household_id: str  # Tom leads it; it has no closed plan, so no sustainment check looks at it
    extract_row: dict[str, str]  # the police extract's row of a member, whose details a new incident repeats


@pytest.fixture
def police_known(team_server: Served) -> PoliceKnown:
    """A household Tom leads with a member the police have a record of, who has recorded no consent or
    objection, and that record's row of the demo's police extract. Every record of the member gives the police
    record's postcode, so a new incident at that address is not news of a move to another household."""
    elsewhere = aliased(RegisterRecord)
    with team_server.session() as db:
        police = core.find_agency(db, "Vale Police")
        assert police is not None
        record = db.scalars(
            select(RegisterRecord)
            .join(LeadProfessional, LeadProfessional.household_id == RegisterRecord.household_id)
            .where(
                LeadProfessional.username == LEAD,
                LeadProfessional.ended_at.is_(None),
                RegisterRecord.agency_id == police.id,
                ~exists().where(ConsentRecord.person_id == RegisterRecord.person_id),
                ~exists().where(
                    elsewhere.person_id == RegisterRecord.person_id,
                    elsewhere.postcode_key != RegisterRecord.postcode_key,
                ),
                ~exists().where(Plan.household_id == RegisterRecord.household_id, Plan.status == "closed"),
                untouched(team_server, RegisterRecord.household_id),
            )
            .order_by(RegisterRecord.household_id, RegisterRecord.id)
            .limit(1)
        ).one()
        household_id, record_id = str(record.household_id), record.record_id
    extract = team_server.data_dir / DEMO_PLACE_FOLDER / "extracts" / "police.jsonl"
    rows = (json.loads(line) for line in extract.read_text(encoding="utf-8").splitlines() if line.strip())
    return PoliceKnown(household_id, next(row for row in rows if row["nominal_ref"] == record_id))


def _new_incident(known: PoliceKnown, folder: Path, day: date) -> Path:
    """A police extract of one row: a domestic-abuse incident with the member as victim, under a new nominal."""
    unique = uuid.uuid4().hex[:10].upper()
    incident = {
        **known.extract_row,
        "nominal_ref": f"NOM-BROWSER-{unique}",
        "incident_ref": f"VP-BROWSER-{unique}",
        "incident_date": f"{day:%Y%m%d}",
        "incident_type": "DOMESTIC",
        "role": "VICTIM",
    }
    path = folder / f"police-{unique}.jsonl"
    path.write_text(json.dumps(incident) + "\n", encoding="utf-8")
    return path


def _wait_for_alert(page: Page, served: Served, summary: str, household_id: str) -> Locator:
    """Reload the inbox every two seconds, as a person waiting for it would, for at most a minute; past that,
    fail with what the server's watcher logged."""
    deadline = time.monotonic() + ALERT_WAIT_SECONDS
    while True:
        page.goto("/alerts")
        alert = page.locator("li").filter(has_text=summary).filter(has_text=f"Household {household_id}")
        if alert.count():
            return alert
        if time.monotonic() > deadline:
            pytest.fail(f"No alert within {ALERT_WAIT_SECONDS} s. The server logged:\n{_server_news(served)}")
        page.wait_for_timeout(ALERT_RELOAD_MS)


def _server_news(served: Served) -> str:
    """What the server logged besides the requests it answered: the watcher's rounds and their failures."""
    lines = (served.data_dir / "server.log").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if '" 200 OK' not in line and '" 304 Not Modified' not in line)[
        -6000:
    ]


def test_an_incident_loaded_from_the_command_line_reaches_the_leads_alerts(
    team_page: Page, team_server: Served, police_known: PoliceKnown, tmp_path: Path
) -> None:
    page, household = team_page, police_known.household_id
    incident_day = datetime.now(UTC).date() - timedelta(days=1)
    loaded = team_server.wholeplace(
        "ingest", "police", str(_new_incident(police_known, tmp_path, incident_day))
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded 1 of 1 rows" in loaded.stdout

    sign_in(page, LEAD)
    summary = f"Vale Police recorded a domestic-abuse incident on {_day(incident_day)}."
    alert = _wait_for_alert(page, team_server, summary, household)
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("New")
    check_page(page, "team-alerts-incident")

    alert.get_by_role("link", name="Open the household").click()
    expect(page.locator(".govuk-caption-l")).to_have_text(f"Household {household}")
    incident = page.locator(".moj-timeline__item", has_text="Domestic abuse incident").filter(
        has_text=_day(incident_day)
    )
    expect(incident.first).to_contain_text("Vale Police")
    check_page(page, "team-household-incident")

    page.goto("/alerts")
    alert.get_by_role("button", name=re.compile(r"^Mark as read")).click()
    expect(alert).not_to_contain_text("New")
    expect(alert.get_by_role("button")).to_have_count(0)
