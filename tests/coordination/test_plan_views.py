"""The household's lead, plan and meeting pages through the app, on SQLite and PostgreSQL: a lead assigned, a
plan built and a meeting recorded through the forms, the printable plan, and the access decision asked once per
request, refusing an agency that does not work with the household with the reason."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.governance.test_agreement_views import location
from tests.identity.test_views import error_summary
from tests.sources.test_views import table
from tests.support import factories
from tests.support.agreements import in_force
from tests.support.clock import FakeClock
from tests.support.web import post_form, sign_in
from wholeplace.coordination.models import Plan, PlanAction, PlanNeed
from wholeplace.coordination.service import leads, meetings, plans
from wholeplace.coordination.service.meetings import Invitee
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role, Sector
from wholeplace.governance import vocabulary
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import involvements

COUNCIL = "Testford Council"
HOMES = "Testford Homes"
POLICE = "Testford Police"
SCHOOLS = "Testford Schools"
HOUSEHOLD = "H0123456789abcdef0123"
WORKING = "?purpose=early_help&case=EH-7"
HOME = f"/households/{HOUSEHOLD}"
WORDS = "We want to keep our flat and for the kids to be happy."


def _fields(code: str) -> tuple[str, ...]:
    category = vocabulary.category(code)
    assert category is not None
    return category.fields


@pytest.fixture
def council(db: Session, clock: FakeClock) -> Agency:
    """The council, the housing agency and the schools share under an agreement; the council and the housing
    agency work with the household, the schools do not; the police are in the place but in no agreement."""
    council = factories.agency(db, COUNCIL, sector=Sector.LOCAL_GOVERNMENT)
    homes = factories.agency(db, HOMES)
    factories.agency(db, POLICE, sector=Sector.POLICE)
    factories.agency(db, SCHOOLS, sector=Sector.EDUCATION)
    in_force(
        db,
        recipients=[COUNCIL, HOMES, SCHOOLS],
        providers=[COUNCIL, HOMES, SCHOOLS],
        purposes=["early_help"],
        categories={code: _fields(code) for code in ("involvement", "involvement_detail")},
        at=clock(),
    )
    for agency in (council, homes):
        involvements.open_involvement(
            db,
            person_id="P-1",
            household_id=HOUSEHOLD,
            agency_id=agency.id,
            origin="referral",
            reference="R-1",
            on=clock().date() - timedelta(days=30),
        )
    db.commit()
    return council


@pytest.fixture
def tom(db: Session, council: Agency) -> User:
    user = factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="tom", at=council)
    user.full_name = "Tom Kowalski"
    db.commit()
    return user


@pytest.fixture
def signed_in(client: TestClient, tom: User) -> TestClient:
    assert sign_in(client, "tom", factories.PASSWORD).status_code == 303
    return client


@pytest.fixture
def plan(db: Session, clock: FakeClock, council: Agency) -> Plan:
    opened = plans.open_plan(
        db,
        household_id=HOUSEHOLD,
        family_words=WORDS,
        family_priorities="The flat first.",
        by="tom",
        at=clock(),
    )
    db.commit()
    return opened


def _post(client: TestClient, path: str, data: dict[str, str | list[str]], *, on: str | None = None) -> str:
    """Post a form from the page it sits on (by default its own address), with the purpose and case it carries;
    where it leads."""
    response = post_form(
        client,
        path + WORKING,
        {"purpose": "early_help", "case": "EH-7", **data},
        from_page=(on or path) + WORKING,
    )
    return location(response)


def _entries(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# ---------------------------------------------------------------- the lead professional


def test_a_lead_assigned_through_the_form_is_named_on_every_page(
    signed_in: TestClient, db: Session, clock: FakeClock
) -> None:
    went = _post(
        signed_in,
        HOME + "/lead/assign",
        on=HOME + "/lead",
        data={
            "username": "tom",
            "agreed-day": "1",
            "agreed-month": "11",
            "agreed-year": "2026",
            "family_agreement": "Both parents agreed at a home visit.",
        },
    )
    assert went == f"{HOME}/lead{WORKING}&done=assigned"
    lead = leads.current(db, HOUSEHOLD)
    assert lead is not None
    assert (lead.username, lead.family_agreement, lead.assigned_by) == (
        "tom",
        "Both parents agreed at a home visit.",
        "tom",
    )
    assert "Lead professional assigned" in signed_in.get(went).text
    for page in ("/lead", "/plan", "/meetings"):
        assert "Tom Kowalski" in _text(signed_in.get(HOME + page + WORKING).text), page


def test_the_lead_form_says_what_is_missing_and_keeps_what_was_typed(
    signed_in: TestClient, db: Session
) -> None:
    response = post_form(
        signed_in,
        HOME + "/lead/assign",
        {
            "purpose": "early_help",
            "case": "EH-7",
            "username": "tom",
            "agreed-day": "31",
            "agreed-month": "2",
            "agreed-year": "2026",
            "family_agreement": "",
        },
        from_page=HOME + "/lead" + WORKING,
    )
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "The date the family agreed must be a real date, like 3 3 2026",
        "Enter how the family agreed",
    ]
    assert '<option value="tom" selected>' in response.text
    assert leads.current(db, HOUSEHOLD) is None


def test_a_handover_through_the_form_keeps_the_earlier_lead_in_the_history(
    signed_in: TestClient, db: Session, clock: FakeClock, council: Agency
) -> None:
    ana = factories.user(db, Role.LEAD_PROFESSIONAL, username="ana", at=council)
    ana.full_name = "Ana Silva"
    leads.assign(
        db,
        household_id=HOUSEHOLD,
        username="tom",
        family_agreed_on=clock().date() - timedelta(days=60),
        family_agreement="Agreed.",
        by="tom",
        at=clock() - timedelta(days=60),
    )
    db.commit()
    went = _post(
        signed_in,
        HOME + "/lead/handover",
        on=HOME + "/lead",
        data={
            "username": "ana",
            "agreed-day": "2",
            "agreed-month": "11",
            "agreed-year": "2026",
            "family_agreement": "Mum agreed on the phone.",
            "handover_reason": "Tom is moving team.",
        },
    )
    page = signed_in.get(went).text
    assert "Lead professional Ana Silva" in _text(page)
    [earlier] = table(page, "Earlier lead professionals, the latest first")
    assert earlier[0] == "Tom Kowalski" and earlier[-1] == "Tom is moving team."


def test_only_someone_holding_the_role_can_be_assigned(
    signed_in: TestClient, db: Session, council: Agency
) -> None:
    factories.user(db, Role.PRACTITIONER, username="pat", at=council)
    db.commit()
    response = post_form(
        signed_in,
        HOME + "/lead/assign",
        {
            "purpose": "early_help",
            "case": "EH-7",
            "username": "pat",
            "agreed-day": "1",
            "agreed-month": "11",
            "agreed-year": "2026",
            "family_agreement": "Agreed.",
        },
        from_page=HOME + "/lead" + WORKING,
    )
    assert response.status_code == 400
    assert "does not hold the lead professional role" in error_summary(response.text)[0]


# ---------------------------------------------------------------- the plan


def test_a_plan_is_built_through_the_forms_and_every_change_is_a_version(
    signed_in: TestClient, db: Session, clock: FakeClock
) -> None:
    assert _post(
        signed_in, HOME + "/plan/new", {"family_words": WORDS, "family_priorities": "The flat."}
    ) == (f"{HOME}/plan{WORKING}&done=opened")
    _post(
        signed_in,
        HOME + "/plan/needs/new",
        {
            "outcome_area": "housing",
            "description": "Rent arrears threaten the tenancy",
            "goal": "Keep the flat",
        },
    )
    plan = plans.open_plan_of(db, HOUSEHOLD)
    assert plan is not None
    [need] = plans.contents(db, plan).needs
    _post(
        signed_in,
        f"{HOME}/plan/needs/{need.id}/actions/new",
        {
            "description": "Agree a repayment plan",
            "agency": HOMES,
            "worker_username": "",
            "worker_name": "Gabriel Davies",
            "due-day": "20",
            "due-month": "11",
            "due-year": "2026",
        },
    )
    page = signed_in.get(HOME + "/plan" + WORKING).text
    assert page.index(WORDS) < page.index("Rent arrears threaten the tenancy")
    assert "Secure housing" in page
    [action] = table(page, "Actions for Secure housing")
    assert action[:4] == ["Agree a repayment plan", f"Gabriel Davies {HOMES}", "20 November 2026", "To do"]
    [made] = plans.contents(db, plan).needs[0].actions
    _post(signed_in, f"{HOME}/plan/actions/{made.id}/status", {"status": "done"}, on=HOME + "/plan")
    versions = table(
        signed_in.get(HOME + "/plan/versions" + WORKING).text, "Versions of the plan, the latest first"
    )
    assert [row[3] for row in versions] == [
        "Marked done the action 'Agree a repayment plan'",
        "Added the action 'Agree a repayment plan'",
        "Added the need 'Rent arrears threaten the tenancy'",
        "Opened the plan",
    ]
    assert versions[0][2] == "Tom Kowalski"


def test_the_family_s_words_are_changed_through_the_form_line_by_line(
    signed_in: TestClient, plan: Plan, db: Session
) -> None:
    words = "We want to keep our flat.\nAnd the kids happy at school."
    _post(signed_in, HOME + "/plan/family", {"family_words": words, "family_priorities": "The flat first."})
    db.expire_all()
    assert plans.versions(db, plan.id)[0].change == "Updated the family's words and priorities"
    page = signed_in.get(HOME + "/plan" + WORKING).text
    assert (
        '<p class="govuk-body">We want to keep our flat.</p><p class="govuk-body">And the kids happy' in page
    )


def test_a_version_shows_the_plan_as_it_was_then(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    plans.add_need(
        db,
        plan_id=plan.id,
        outcome_area="housing",
        description="Rent arrears",
        goal="Keep the flat",
        by="tom",
        at=clock(),
    )
    db.commit()
    first = signed_in.get(HOME + "/plan/versions/1" + WORKING).text
    assert "Opened the plan" in first and "No needs yet." in first and "Rent arrears" not in first
    assert "Rent arrears" in signed_in.get(HOME + "/plan/versions/2" + WORKING).text


def test_a_need_must_name_an_outcome_area_of_the_framework(signed_in: TestClient, plan: Plan) -> None:
    response = post_form(
        signed_in,
        HOME + "/plan/needs/new",
        {
            "purpose": "early_help",
            "case": "EH-7",
            "outcome_area": "",
            "description": "",
            "goal": "Keep the flat",
        },
        from_page=HOME + "/plan/needs/new" + WORKING,
    )
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Select the outcome area the need is about",
        "Enter what the need is",
    ]
    assert "Keep the flat" in response.text


def test_an_overdue_action_is_marked_overdue(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    need = plans.add_need(
        db, plan_id=plan.id, outcome_area="housing", description="Arrears", goal="Keep", by="tom", at=clock()
    )
    homes = db.scalar(select(Agency).where(Agency.name == HOMES))
    assert homes is not None
    action = plans.add_action(
        db,
        need_id=need.id,
        description="Call the landlord",
        agency_id=homes.id,
        worker_name="Mo",
        worker_username=None,
        due_on=clock().date(),
        by="tom",
        at=clock(),
    )
    action.due_on = clock().date() - timedelta(days=3)
    db.commit()
    [shown] = table(signed_in.get(HOME + "/plan" + WORKING).text, "Actions for Secure housing")
    assert shown[3] == "Overdue"


def test_another_household_s_need_is_not_found(signed_in: TestClient, db: Session, clock: FakeClock) -> None:
    other = plans.open_plan(
        db, household_id="H-OTHER", family_words="Ours", family_priorities="", by="x", at=clock()
    )
    need = plans.add_need(
        db, plan_id=other.id, outcome_area="housing", description="Theirs", goal="x", by="x", at=clock()
    )
    db.commit()
    response = signed_in.get(f"{HOME}/plan/needs/{need.id}/actions/new{WORKING}")
    assert response.status_code == 404


def _need_with_an_action(db: Session, plan: Plan, clock: FakeClock) -> tuple[PlanNeed, PlanAction]:
    need = plans.add_need(
        db,
        plan_id=plan.id,
        outcome_area="housing",
        description="Rent arrears",
        goal="Keep the flat",
        by="tom",
        at=clock(),
    )
    homes = db.scalar(select(Agency).where(Agency.name == HOMES))
    assert homes is not None
    action = plans.add_action(
        db,
        need_id=need.id,
        description="Call the landlord",
        agency_id=homes.id,
        worker_name="Mo",
        worker_username=None,
        due_on=clock().date() + timedelta(days=7),
        by="tom",
        at=clock(),
    )
    db.commit()
    return need, action


def test_a_need_is_removed_through_the_form_with_its_reason_kept_in_the_version(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    need, _ = _need_with_an_action(db, plan, clock)
    plan_page = signed_in.get(HOME + "/plan" + WORKING).text
    path = f"{HOME}/plan/needs/{need.id}/remove"
    assert f'href="{path}{WORKING}"' in plan_page.replace("&amp;", "&")
    form = _text(signed_in.get(path + WORKING).text)
    assert "Rent arrears" in form and "Call the landlord (to do)" in form
    assert "The need's actions leave the plan with it." in form
    done = _post(signed_in, path, {"reason": "Arrears paid off."})
    assert done == f"{HOME}/plan{WORKING}&done=removed"
    page = signed_in.get(done).text
    assert "Need removed from the plan." in _text(page) and "Rent arrears" not in page
    db.expire_all()
    assert (
        plans.versions(db, plan.id)[0].change == "Removed the need 'Rent arrears'. Reason: Arrears paid off."
    )


def test_removing_a_need_needs_a_reason(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    need, _ = _need_with_an_action(db, plan, clock)
    path = f"{HOME}/plan/needs/{need.id}/remove"
    response = post_form(
        signed_in,
        path + WORKING,
        {"purpose": "early_help", "case": "EH-7", "reason": " "},
        from_page=path + WORKING,
    )
    assert response.status_code == 400
    assert error_summary(response.text) == ["Enter why the need is being removed from the plan"]
    assert 'href="#reason"' in response.text
    db.expire_all()
    assert not plans.get_need(db, need.id).removed


def test_another_household_s_need_cannot_be_removed(
    signed_in: TestClient, db: Session, clock: FakeClock
) -> None:
    other = plans.open_plan(
        db, household_id="H-OTHER", family_words="Ours", family_priorities="", by="x", at=clock()
    )
    need = plans.add_need(
        db, plan_id=other.id, outcome_area="housing", description="Theirs", goal="x", by="x", at=clock()
    )
    db.commit()
    path = f"{HOME}/plan/needs/{need.id}/remove"
    assert signed_in.get(path + WORKING).status_code == 404
    response = post_form(
        signed_in,
        path + WORKING,
        {"purpose": "early_help", "case": "EH-7", "reason": "x"},
        from_page=HOME + "/plan",
    )
    assert response.status_code == 404
    db.expire_all()
    assert not plans.get_need(db, need.id).removed


def test_a_need_of_a_closed_plan_cannot_be_removed(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    need, _ = _need_with_an_action(db, plan, clock)
    plan.status = "closed"
    plans.open_plan(
        db, household_id=HOUSEHOLD, family_words=WORDS, family_priorities="", by="tom", at=clock()
    )
    db.commit()
    path = f"{HOME}/plan/needs/{need.id}/remove"
    response = signed_in.get(path + WORKING)
    assert response.status_code == 400
    assert "This need is in a plan that was closed, so it cannot change." in _text(response.text)
    refused = post_form(
        signed_in,
        path + WORKING,
        {"purpose": "early_help", "case": "EH-7", "reason": "x"},
        from_page=HOME + "/plan",
    )
    assert refused.status_code == 400
    assert error_summary(refused.text)[0].startswith("This plan was closed, so it cannot change.")
    db.expire_all()
    assert not plans.get_need(db, need.id).removed


def test_an_action_is_cancelled_then_reopened_from_the_plan_each_a_version(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    _, action = _need_with_an_action(db, plan, clock)
    status = f"{HOME}/plan/actions/{action.id}/status"
    page = signed_in.get(HOME + "/plan" + WORKING).text
    assert ">Mark done<" in page and ">Cancel action<" in page and ">Reopen<" not in page
    done = _post(signed_in, status, {"status": "cancelled"}, on=HOME + "/plan")
    assert done == f"{HOME}/plan{WORKING}&done=action_cancelled"
    page = signed_in.get(done).text
    assert "Action cancelled." in _text(page)
    [row] = table(page, "Actions for Secure housing")
    assert row[3] == "Cancelled" and row[4] == "Reopen : Call the landlord"
    assert _post(signed_in, status, {"status": "open"}, on=HOME + "/plan").endswith("done=action_open")
    db.expire_all()
    assert [saved.change for saved in plans.versions(db, plan.id)[:2]] == [
        "Reopened the action 'Call the landlord'",
        "Cancelled the action 'Call the landlord'",
    ]


def test_a_done_action_is_reopened_before_it_is_cancelled_and_the_plan_says_so(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    _, action = _need_with_an_action(db, plan, clock)
    plans.set_action_status(db, action_id=action.id, status="done", by="tom", at=clock())
    db.commit()
    response = post_form(
        signed_in,
        f"{HOME}/plan/actions/{action.id}/status{WORKING}",
        {"purpose": "early_help", "case": "EH-7", "status": "cancelled"},
        from_page=HOME + "/plan" + WORKING,
    )
    assert response.status_code == 400
    [problem] = error_summary(response.text)
    assert problem.startswith("The action 'Call the landlord' is done, so it cannot be cancelled")
    assert f'href="#action-{action.id}"' in response.text and f'id="action-{action.id}"' in response.text
    db.expire_all()
    assert plans.get_action(db, action.id).status == "done"


def test_a_refusal_is_kept_in_the_access_log_and_the_change_is_not_made(
    client: TestClient, db: Session, plan: Plan, clock: FakeClock
) -> None:
    need, _ = _need_with_an_action(db, plan, clock)
    schools = db.scalar(select(Agency).where(Agency.name == SCHOOLS))
    factories.user(db, Role.PRACTITIONER, username="teacher", at=schools)
    db.commit()
    assert sign_in(client, "teacher", factories.PASSWORD).status_code == 303
    path = f"{HOME}/plan/needs/{need.id}/remove"
    before = _entries(db)
    assert client.get(path + WORKING).status_code == 403
    response = post_form(
        client, path + WORKING, {"purpose": "early_help", "case": "EH-7", "reason": "x"}, from_page="/"
    )
    assert response.status_code == 403
    assert "You cannot see this household" in response.text
    assert _entries(db) == before + 2
    refused = db.scalars(select(AccessLogEntry).order_by(AccessLogEntry.position.desc()).limit(2)).all()
    assert [(entry.username, entry.outcome) for entry in refused] == [("teacher", "deny")] * 2
    assert not plans.get_need(db, need.id).removed


def test_the_printable_plan_gives_the_family_their_words_and_who_does_what(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock, tom: User
) -> None:
    leads.assign(
        db,
        household_id=HOUSEHOLD,
        username="tom",
        family_agreed_on=clock().date(),
        family_agreement="Agreed.",
        by="tom",
        at=clock(),
    )
    need = plans.add_need(
        db,
        plan_id=plan.id,
        outcome_area="housing",
        description="Rent arrears",
        goal="Keep the flat",
        by="tom",
        at=clock(),
    )
    homes = db.scalar(select(Agency).where(Agency.name == HOMES))
    assert homes is not None
    plans.add_action(
        db,
        need_id=need.id,
        description="Agree a repayment plan",
        agency_id=homes.id,
        worker_name="Gabriel Davies",
        worker_username=None,
        due_on=clock().date() + timedelta(days=18),
        by="tom",
        at=clock(),
    )
    db.commit()
    page = signed_in.get(HOME + "/plan/print" + WORKING).text
    text = _text(page)
    assert "<title>Your family plan" in page
    assert WORDS in text and "The flat first." in text
    assert "Tom Kowalski , Testford Council" in text
    assert "Gabriel Davies (Testford Homes): Agree a repayment plan. By 20 November 2026." in text
    assert "housing" not in text.replace("Secure housing", "")  # no internal codes
    assert HOUSEHOLD not in text
    assert "style=" not in page


def test_another_agency_outside_the_agreement_is_not_named(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    need = plans.add_need(
        db, plan_id=plan.id, outcome_area="crime", description="Offending", goal="None", by="x", at=clock()
    )
    police = db.scalar(select(Agency).where(Agency.name == POLICE))
    assert police is not None
    plans.add_action(
        db,
        need_id=need.id,
        description="Youth diversion",
        agency_id=police.id,
        worker_name="PC Jones",
        worker_username=None,
        due_on=clock().date(),
        by="x",
        at=clock(),
    )
    db.commit()
    [action] = table(
        signed_in.get(HOME + "/plan" + WORKING).text, "Actions for Crime prevention and tackling crime"
    )
    assert action[1] == "A named worker Another agency"


# ---------------------------------------------------------------- meetings


def test_a_meeting_is_arranged_then_recorded_and_its_decision_becomes_an_action(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock
) -> None:
    need = plans.add_need(
        db,
        plan_id=plan.id,
        outcome_area="housing",
        description="Rent arrears",
        goal="Keep the flat",
        by="tom",
        at=clock(),
    )
    db.commit()
    went = _post(
        signed_in,
        HOME + "/meetings",
        {
            "kind": "Team around the family",
            "held-day": "1",
            "held-month": "11",
            "held-year": "2026",
            "held-time": "10:30",
            "staff": ["tom"],
            "guest-1-name": "Gabriel Davies",
            "guest-1-agency": HOMES,
        },
    )
    [meeting] = meetings.meetings_of(db, HOUSEHOLD)
    assert went == f"{HOME}/meetings/{meeting.id}{WORKING}&done=arranged"
    assert (meeting.plan_id, meeting.held_on.hour, meeting.held_on.minute) == (plan.id, 10, 30)
    _, tom = meetings.invitees(db, meeting.id)
    _post(
        signed_in,
        f"{HOME}/meetings/{meeting.id}",
        {
            "attended": [str(tom.id)],
            "notes": "Arrears come first.",
            "decision-1": "Apply for a discretionary housing payment",
            "decision-1-need": str(need.id),
            "decision-1-agency": HOMES,
            "decision-1-worker_username": "",
            "decision-1-worker_name": "Gabriel Davies",
            "decision-1-due-day": "16",
            "decision-1-due-month": "11",
            "decision-1-due-year": "2026",
            "decision-2": "Meet again in six weeks",
        },
    )
    db.expire_all()
    assert meetings.meeting(db, meeting.id).status == "held"
    assert [(one.name, one.attended) for one in meetings.invitees(db, meeting.id)] == [
        ("Gabriel Davies", False),
        ("Tom Kowalski", True),
    ]
    [action] = plans.contents(db, plan).needs[0].actions
    assert (action.description, action.meeting_id, action.worker_name) == (
        "Apply for a discretionary housing payment",
        str(meeting.id),
        "Gabriel Davies",
    )
    assert plans.versions(db, plan.id)[0].change.startswith("Action agreed at the meeting on 1 November 2026")
    page = _text(signed_in.get(f"{HOME}/meetings/{meeting.id}{WORKING}").text)
    assert (
        "Meet again in six weeks" in page
        and "An action in the plan: Gabriel Davies, Testford Homes, by 16 November 2026" in page
    )


def test_a_meeting_is_arranged_in_the_place_s_local_time(signed_in: TestClient, db: Session) -> None:
    _post(
        signed_in,
        HOME + "/meetings",
        {
            "kind": "Review of the plan",
            "held-day": "1",
            "held-month": "7",
            "held-year": "2026",
            "held-time": "10:30",
            "staff": ["tom"],
        },
    )
    [meeting] = meetings.meetings_of(db, HOUSEHOLD)
    # British Summer Time is an hour ahead of UTC.
    assert (meeting.held_on.hour, meeting.held_on.minute) == (9, 30)


def test_a_meeting_needs_someone_invited(signed_in: TestClient) -> None:
    response = post_form(
        signed_in,
        HOME + "/meetings",
        {
            "purpose": "early_help",
            "case": "EH-7",
            "kind": "Review of the plan",
            "held-day": "1",
            "held-month": "11",
            "held-year": "2026",
            "held-time": "25:00",
            "guest-2-name": "Mo Khan",
        },
        from_page=HOME + "/meetings" + WORKING,
    )
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Enter the time of the meeting, like 14:30",
        "Select the agency of guest 2",
    ]


def test_a_decision_s_action_needs_its_agency_and_due_date(
    signed_in: TestClient, plan: Plan, db: Session, clock: FakeClock, council: Agency
) -> None:
    need = plans.add_need(
        db, plan_id=plan.id, outcome_area="housing", description="Arrears", goal="Keep", by="tom", at=clock()
    )
    meeting = meetings.arrange(
        db,
        household_id=HOUSEHOLD,
        kind="Review of the plan",
        held_on=clock() - timedelta(hours=1),
        invitees=[Invitee("Tom Kowalski", council.id, "tom")],
        by="tom",
        at=clock(),
    )
    db.commit()
    response = post_form(
        signed_in,
        f"{HOME}/meetings/{meeting.id}",
        {
            "purpose": "early_help",
            "case": "EH-7",
            "notes": "Notes.",
            "decision-1": "Call the landlord",
            "decision-1-need": str(need.id),
            "decision-1-worker_name": "Mo",
        },
        from_page=f"{HOME}/meetings/{meeting.id}{WORKING}",
    )
    assert response.status_code == 400
    assert error_summary(response.text) == [
        "Select the agency that will do the action of decision 1",
        "Enter the due date of decision 1",
    ]
    db.expire_all()
    assert meetings.meeting(db, meeting.id).status == "planned"


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    "page", ["/lead", "/plan", "/plan/print", "/plan/versions", "/plan/versions/1", "/meetings"]
)
def test_each_page_asks_the_access_decision_once_and_says_why(
    signed_in: TestClient, plan: Plan, db: Session, page: str
) -> None:
    before = _entries(db)
    response = signed_in.get(HOME + page + WORKING)
    assert response.status_code == 200
    assert _entries(db) == before + 1
    position = db.scalar(select(func.max(AccessLogEntry.position)))
    if page != "/plan/print":
        assert f'href="/coordination/why/{position}"' in response.text


def test_a_viewer_whose_agency_is_not_involved_is_refused_with_the_reason(
    client: TestClient, db: Session, plan: Plan
) -> None:
    schools = db.scalar(select(Agency).where(Agency.name == SCHOOLS))
    factories.user(db, Role.PRACTITIONER, username="teacher", at=schools)
    db.commit()
    assert sign_in(client, "teacher", factories.PASSWORD).status_code == 303
    for page in ("/lead", "/plan", "/plan/print", "/meetings"):
        response = client.get(HOME + page + WORKING)
        assert response.status_code == 403, page
        assert WORDS not in response.text
        assert "You cannot see this household" in response.text
    response = post_form(
        client,
        HOME + "/plan/needs/new",
        {"purpose": "early_help", "case": "EH-7", "outcome_area": "housing", "description": "x", "goal": "y"},
        from_page="/",
    )
    assert response.status_code == 403
    assert f"{SCHOOLS} has no current involvement with this household." in _text(response.text)


def test_the_pages_are_for_practitioners_and_lead_professionals(
    client: TestClient, db: Session, council: Agency
) -> None:
    factories.user(db, Role.ANALYST, username="ann", at=council)
    db.commit()
    assert sign_in(client, "ann", factories.PASSWORD).status_code == 303
    assert client.get(HOME + "/plan" + WORKING).status_code == 403
