"""Closing a plan and checking that it held, through the service, on SQLite and PostgreSQL: every need needs its
outcome and evidence, checks are scheduled for outcomes achieved, a due check finds a relapse in the register
(and alerts the lead once, saying only what the decision releases) or finds none, and the outcome-claim export
lists each need of a closed plan, logged as one batch decision."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support import factories
from tests.support.agreements import in_force
from wholeplace.coordination.models import (
    Alert,
    LeadProfessional,
    PlaceSetting,
    Plan,
    PlanAction,
    PlanNeed,
    PlanVersion,
    RegisterEvent,
    RegisterInvolvement,
    RegisterRecord,
    SustainmentCheck,
)
from wholeplace.coordination.service import closure
from wholeplace.coordination.service.closure import NeedResult
from wholeplace.core.errors import InvalidInputError
from wholeplace.core.models import Agency, User
from wholeplace.core.roles import Role, Sector
from wholeplace.governance import vocabulary
from wholeplace.governance.models import AccessLogEntry
from wholeplace.governance.service import involvements
from wholeplace.web.access import Viewer

HOUSEHOLD = "H-1"
MEMBER = "P-1"
CLOSED_AT = datetime(2027, 8, 31, 10, 0, tzinfo=UTC)
DUE_ON = date(2028, 2, 29)  # six months after 31 August 2027, in a leap year
CHECKED_AT = datetime(2028, 3, 1, 7, 0, tzinfo=UTC)


# ---------------------------------------------------------------- factories, shared with the other test files


def make_plan(
    db: Session,
    *,
    household_id: str = HOUSEHOLD,
    needs: Sequence[tuple[str, str]] = (("domestic_abuse", "Mum feels unsafe at home"),),
    at: datetime = CLOSED_AT - timedelta(days=120),
) -> Plan:
    """An open plan with these needs (outcome area, description), as the plans service would have left it."""
    plan = Plan(
        household_id=household_id,
        status="open",
        version=1,
        family_words="We want a calm home.",
        family_priorities="Safety first.",
        opened_by="sam",
        opened_at=at,
    )
    db.add(plan)
    db.flush()
    for position, (area, description) in enumerate(needs, start=1):
        db.add(
            PlanNeed(
                plan_id=plan.id,
                outcome_area=area,
                description=description,
                goal=f"Goal for {description}",
                position=position,
                removed=False,
            )
        )
    db.flush()
    return plan


def needs_of(db: Session, plan: Plan) -> list[PlanNeed]:
    return list(db.scalars(select(PlanNeed).where(PlanNeed.plan_id == plan.id).order_by(PlanNeed.position)))


def member(db: Session, agency: Agency, *, person_id: str = MEMBER, household_id: str = HOUSEHOLD) -> None:
    db.add(
        RegisterRecord(
            person_id=person_id,
            household_id=household_id,
            source="records",
            agency_id=agency.id,
            record_id=f"R-{person_id}",
            given_name="Ada",
            family_name="Lovelace",
            given_key="ada",
            family_key="lovelace",
            postcode_key="RV11AA",
        )
    )
    db.flush()


def event(
    db: Session, agency: Agency, *, kind: str, on: date, category: str = "events", person_id: str = MEMBER
) -> None:
    db.add(
        RegisterEvent(
            person_id=person_id,
            household_id=HOUSEHOLD,
            source="records",
            agency_id=agency.id,
            record_id=f"E-{uuid.uuid4().hex[:8]}",
            type=kind,
            occurred_on=on,
            category=category,
            batch_id=uuid.uuid4(),
        )
    )
    db.flush()


def tenancy(db: Session, agency: Agency, *, ended_on: date | None) -> None:
    db.add(
        RegisterInvolvement(
            person_id=MEMBER,
            household_id=HOUSEHOLD,
            source="tenancies",
            agency_id=agency.id,
            record_id="T-1",
            type="tenancy",
            started_on=date(2020, 1, 1),
            ended_on=ended_on,
            batch_id=uuid.uuid4(),
        )
    )
    db.flush()


def lead(db: Session, user: User, *, household_id: str = HOUSEHOLD) -> None:
    db.add(
        LeadProfessional(
            household_id=household_id,
            username=user.username,
            agency_id=user.agency_id,
            family_agreed_on=date(2027, 1, 1),
            family_agreement="Both parents agreed.",
            assigned_by="sam",
            started_at=datetime(2027, 1, 1, tzinfo=UTC),
        )
    )
    db.flush()


def close(
    db: Session, plan: Plan, result: str = "achieved", *, at: datetime = CLOSED_AT, by: str = "sam"
) -> Plan:
    results = {need.id: NeedResult(result, "Seen at the review meeting.") for need in needs_of(db, plan)}
    return closure.close_plan(
        db, plan_id=plan.id, results=results, summary="Things are calmer.", by=by, at=at
    )


def fields_of(categories: Sequence[str]) -> dict[str, Sequence[str]]:
    """Every field of each category, as an agreement grants it."""
    return {code: found.fields for code in categories if (found := vocabulary.category(code)) is not None}


def viewer_for(user: User) -> Viewer:
    return Viewer(user.id, user.username, user.full_name, user.agency.name, user.roles)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def council(db: Session) -> Agency:
    return factories.agency(db, "Testford Council", sector=Sector.LOCAL_GOVERNMENT)


@pytest.fixture
def police(db: Session) -> Agency:
    return factories.agency(db, "Testford Police", sector=Sector.POLICE)


@pytest.fixture
def homes(db: Session) -> Agency:
    return factories.agency(db, "Testford Homes", sector=Sector.HOUSING)


@pytest.fixture
def lena(db: Session, council: Agency) -> User:
    return factories.user(db, Role.PRACTITIONER, Role.LEAD_PROFESSIONAL, username="lena", at=council)


def _run(db: Session, tmp_path: Path, *, today: date = CHECKED_AT.date()) -> list[SustainmentCheck]:
    return closure.run_due_checks(db, data_dir=tmp_path, today=today, at=CHECKED_AT)


def _alerts(db: Session) -> list[Alert]:
    return list(db.scalars(select(Alert).order_by(Alert.created_at)))


def _early_help_sharing(
    db: Session, council: Agency, providers: Sequence[Agency], *, categories: Sequence[str]
) -> None:
    in_force(
        db,
        recipients=[council.name],
        providers=[agency.name for agency in providers],
        purposes=["early_help"],
        categories=fields_of(categories),
        at=CHECKED_AT,
    )
    involvements.open_involvement(
        db,
        person_id=MEMBER,
        household_id=HOUSEHOLD,
        agency_id=council.id,
        origin="referral",
        reference="EH-1",
        on=date(2027, 1, 1),
    )


# ---------------------------------------------------------------- closing


def test_closing_refuses_a_need_without_a_result_and_names_it(db: Session) -> None:
    plan = make_plan(db, needs=(("housing", "Rent arrears"), ("education", "Jay misses school")))
    first, second = needs_of(db, plan)
    results = {first.id: NeedResult("achieved", "Arrears cleared.")}
    with pytest.raises(InvalidInputError, match="'Jay misses school'") as refused:
        closure.close_plan(db, plan_id=plan.id, results=results, summary="Done.", by="sam", at=CLOSED_AT)
    assert refused.value.field == f"result-{second.id}"
    assert plan.status == "open"


def test_closing_refuses_a_need_without_evidence_and_names_it(db: Session) -> None:
    plan = make_plan(db, needs=(("housing", "Rent arrears"),))
    [need] = needs_of(db, plan)
    with pytest.raises(InvalidInputError, match="evidence for the outcome of the need 'Rent arrears'"):
        closure.close_plan(
            db,
            plan_id=plan.id,
            results={need.id: NeedResult("achieved", "  ")},
            summary="Done.",
            by="sam",
            at=CLOSED_AT,
        )
    assert need.result is None


def test_closing_problems_lists_every_field_at_once(db: Session) -> None:
    plan = make_plan(db, needs=(("housing", "Rent arrears"),))
    [need] = needs_of(db, plan)
    problems = closure.closing_problems(db, plan_id=plan.id, results={}, summary="")
    assert set(problems) == {f"result-{need.id}", f"evidence-{need.id}", "summary"}


def test_a_removed_need_needs_no_result(db: Session) -> None:
    plan = make_plan(db, needs=(("housing", "Rent arrears"), ("education", "Withdrawn need")))
    kept, removed = needs_of(db, plan)
    removed.removed = True
    closure.close_plan(
        db,
        plan_id=plan.id,
        results={kept.id: NeedResult("achieved", "Arrears cleared.")},
        summary="Done.",
        by="sam",
        at=CLOSED_AT,
    )
    assert plan.status == "closed"


def test_closing_records_each_outcome_and_saves_the_closed_plan_as_a_version(db: Session) -> None:
    plan = make_plan(db, needs=(("housing", "Rent arrears"),))
    close(db, plan, "partly_achieved")
    [need] = needs_of(db, plan)
    assert (need.result, need.evidence) == ("partly_achieved", "Seen at the review meeting.")
    assert (plan.status, plan.closed_by, plan.closed_at, plan.closing_summary) == (
        "closed",
        "sam",
        CLOSED_AT,
        "Things are calmer.",
    )
    saved = db.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)).one()
    assert (saved.version, plan.version) == (2, 2)
    assert saved.change == "Closed: 'Things are calmer.'"
    assert saved.snapshot["status"] == "closed"
    assert saved.snapshot["results"] == {
        str(need.id): {"result": "partly_achieved", "evidence": "Seen at the review meeting."}
    }


def test_closing_schedules_checks_only_for_needs_achieved_in_whole_or_part(db: Session) -> None:
    plan = make_plan(db, needs=(("housing", "A"), ("education", "B"), ("crime", "C")))
    a, b, c = needs_of(db, plan)
    given_results = {
        a.id: NeedResult("achieved", "x"),
        b.id: NeedResult("partly_achieved", "x"),
        c.id: NeedResult("not_achieved", "x"),
    }
    closure.close_plan(db, plan_id=plan.id, results=given_results, summary="Done.", by="sam", at=CLOSED_AT)
    checks = db.scalars(select(SustainmentCheck).where(SustainmentCheck.plan_id == plan.id)).all()
    assert {check.need_id for check in checks} == {a.id, b.id}
    assert {(check.due_on, check.status) for check in checks} == {(DUE_ON, "due")}


def test_the_place_s_sustainment_months_set_the_due_date(db: Session) -> None:
    db.add(PlaceSetting(key="sustainment_months", value=12, changed_by="admin", changed_at=CLOSED_AT))
    close(db, make_plan(db))
    assert db.scalars(select(SustainmentCheck.due_on)).one() == date(2028, 8, 31)


def test_months_after_keeps_to_the_end_of_a_shorter_month() -> None:
    assert closure.months_after(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert closure.months_after(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert closure.months_after(date(2027, 1, 15), 12) == date(2028, 1, 15)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 12, 31)), st.integers(0, 240))
def test_months_after_lands_in_the_right_month_on_the_same_day_or_the_month_s_last(
    day: date, months: int
) -> None:
    later = closure.months_after(day, months)
    assert later.year * 12 + later.month == day.year * 12 + day.month + months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)
    assert later >= day


# ---------------------------------------------------------------- running the checks


def test_a_relapse_event_after_closure_flags_a_relapse_with_a_finding(
    db: Session, tmp_path: Path, police: Agency, lena: User
) -> None:
    member(db, police)
    lead(db, lena)
    close(db, make_plan(db))
    event(db, police, kind="domestic_abuse_incident", on=date(2027, 11, 3), category="criminal_offence")
    [check] = _run(db, tmp_path)
    assert check.status == "relapsed"
    assert check.findings == ["Domestic-abuse incident recorded on 3 November 2027"]
    assert check.checked_at == CHECKED_AT


def test_a_relapse_alerts_the_lead_once_and_a_second_run_does_nothing(
    db: Session, tmp_path: Path, police: Agency, lena: User
) -> None:
    member(db, police)
    lead(db, lena)
    close(db, make_plan(db))
    event(db, police, kind="domestic_abuse_incident", on=date(2027, 11, 3), category="criminal_offence")
    [check] = _run(db, tmp_path)
    assert _run(db, tmp_path) == []
    [alert] = _alerts(db)
    assert (alert.username, alert.kind, alert.about, alert.household_id) == (
        "lena",
        "relapse",
        f"relapse:{check.id}",
        HOUSEHOLD,
    )
    assert alert.occurred_on == date(2027, 11, 3)
    entry = db.scalars(select(AccessLogEntry).where(AccessLogEntry.position == alert.decision_position)).one()
    assert (entry.username, entry.purpose, entry.subject_kind, entry.subject_id) == (
        "lena",
        "early_help",
        "household",
        HOUSEHOLD,
    )


def test_without_permission_the_relapse_alert_names_only_the_outcome_area(
    db: Session, tmp_path: Path, police: Agency, lena: User
) -> None:
    member(db, police)
    lead(db, lena)
    close(db, make_plan(db))
    event(db, police, kind="domestic_abuse_incident", on=date(2027, 11, 3), category="criminal_offence")
    _run(db, tmp_path)
    [alert] = _alerts(db)
    assert alert.summary == (
        "A sustainment check flagged a relapse for Safe from domestic abuse; open the household to see what you may."
    )


def test_with_permission_the_relapse_alert_names_the_event_and_its_date(
    db: Session, tmp_path: Path, council: Agency, police: Agency, lena: User
) -> None:
    member(db, police)
    lead(db, lena)
    _early_help_sharing(db, council, [police], categories=["criminal_offence"])
    close(db, make_plan(db))
    event(db, police, kind="domestic_abuse_incident", on=date(2027, 11, 3), category="criminal_offence")
    _run(db, tmp_path)
    [alert] = _alerts(db)
    assert alert.summary == (
        "A sustainment check flagged a relapse for Safe from domestic abuse: "
        "Domestic-abuse incident recorded on 3 November 2027."
    )


def test_with_no_lead_the_relapse_alerts_whoever_closed_the_plan(
    db: Session, tmp_path: Path, police: Agency, lena: User
) -> None:
    member(db, police)
    close(db, make_plan(db), by="lena")
    event(db, police, kind="domestic_abuse_incident", on=date(2027, 11, 3), category="criminal_offence")
    _run(db, tmp_path)
    assert [alert.username for alert in _alerts(db)] == ["lena"]


def test_no_relapse_event_since_closure_is_sustained_and_alerts_nobody(
    db: Session, tmp_path: Path, police: Agency, lena: User
) -> None:
    member(db, police)
    lead(db, lena)
    close(db, make_plan(db))
    event(db, police, kind="domestic_abuse_incident", on=CLOSED_AT.date(), category="criminal_offence")
    event(db, police, kind="missing_episode", on=date(2027, 12, 1))
    [check] = _run(db, tmp_path)
    assert check.status == "sustained"
    assert check.findings == ["No domestic-abuse incident recorded since the plan closed on 31 August 2027"]
    assert _alerts(db) == []


def test_an_event_after_the_check_s_day_does_not_count(db: Session, tmp_path: Path, police: Agency) -> None:
    member(db, police)
    close(db, make_plan(db))
    event(db, police, kind="domestic_abuse_incident", on=CHECKED_AT.date() + timedelta(days=1))
    [check] = _run(db, tmp_path)
    assert check.status == "sustained"


def test_a_check_not_yet_due_does_not_run(db: Session, tmp_path: Path) -> None:
    close(db, make_plan(db))
    assert _run(db, tmp_path, today=DUE_ON - timedelta(days=1)) == []
    assert db.scalars(select(SustainmentCheck.status)).one() == "due"


def test_a_tenancy_that_ended_is_a_relapse_for_housing(db: Session, tmp_path: Path, homes: Agency) -> None:
    member(db, homes)
    tenancy(db, homes, ended_on=date(2027, 12, 31))
    close(db, make_plan(db, needs=(("housing", "Keep the flat"),)))
    [check] = _run(db, tmp_path)
    assert check.status == "relapsed"
    assert check.findings == [
        "No eviction notice or homelessness application recorded since the plan closed on 31 August 2027",
        "No tenancy open for the household on 1 March 2028",
    ]


def test_a_tenancy_kept_with_no_eviction_is_sustained(db: Session, tmp_path: Path, homes: Agency) -> None:
    member(db, homes)
    tenancy(db, homes, ended_on=None)
    close(db, make_plan(db, needs=(("housing", "Keep the flat"),)))
    [check] = _run(db, tmp_path)
    assert check.status == "sustained"
    assert check.findings[-1] == "Tenancy still open on 1 March 2028"


def test_an_outcome_area_without_a_rule_is_sustained_with_a_note_to_ask_the_family(
    db: Session, tmp_path: Path
) -> None:
    close(db, make_plan(db, needs=(("early_years", "Ready for nursery"),)))
    [check] = _run(db, tmp_path)
    assert (check.status, check.findings) == ("sustained", [closure.NO_RULE_FINDING])


def test_the_place_s_own_rules_replace_the_defaults(db: Session, tmp_path: Path, police: Agency) -> None:
    rules = {"early_years": {"relapse_events": ["missing_episode"]}}
    db.add(PlaceSetting(key="sustainment_rules", value=rules, changed_by="admin", changed_at=CLOSED_AT))
    member(db, police)
    close(db, make_plan(db, needs=(("early_years", "Ready for nursery"), ("domestic_abuse", "Safe"))))
    event(db, police, kind="missing_episode", on=date(2027, 10, 1))
    event(db, police, kind="domestic_abuse_incident", on=date(2027, 10, 1))
    checks = {check.status: check for check in _run(db, tmp_path)}
    assert checks["relapsed"].findings == ["Missing episode recorded on 1 October 2027"]
    assert checks["sustained"].findings == [closure.NO_RULE_FINDING]


# ---------------------------------------------------------------- outcome claims


def _checked_plans(db: Session, tmp_path: Path, police: Agency) -> tuple[Plan, Plan]:
    member(db, police)
    member(db, police, person_id="P-2", household_id="H-2")
    relapsed = close(db, make_plan(db, needs=(("domestic_abuse", "Safe at home"), ("crime", "No offending"))))
    sustained = close(
        db,
        make_plan(db, household_id="H-2", needs=(("education", "Attends school"),)),
        "not_achieved",
        at=CLOSED_AT + timedelta(days=10),
    )
    event(db, police, kind="domestic_abuse_incident", on=date(2027, 11, 3), category="criminal_offence")
    _run(db, tmp_path)
    return relapsed, sustained


def test_outcome_claims_list_each_need_of_the_closed_plans_with_its_sustainment(
    db: Session, tmp_path: Path, police: Agency
) -> None:
    first, _ = _checked_plans(db, tmp_path, police)
    make_plan(db, household_id="H-3")  # open: not claimed
    rows = closure.outcome_claims(db, closed_from=None, closed_to=None)
    assert [(row.household_id, row.outcome_area, row.result, row.sustainment) for row in rows] == [
        ("H-1", "domestic_abuse", "achieved", "relapsed"),
        ("H-1", "crime", "achieved", "sustained"),
        ("H-2", "education", "not_achieved", "none"),
    ]
    assert rows[0].plan_id == first.id
    assert rows[0].closed_on == CLOSED_AT.date()
    assert rows[0].outcome_label == "Safe from domestic abuse"
    assert rows[0].checked_on == CHECKED_AT.date()
    assert rows[0].findings == ("Domestic-abuse incident recorded on 3 November 2027",)
    assert rows[2].checked_on is None


def test_outcome_claims_keep_to_the_days_closed(db: Session, tmp_path: Path, police: Agency) -> None:
    _checked_plans(db, tmp_path, police)
    later = CLOSED_AT.date() + timedelta(days=10)
    assert {row.household_id for row in closure.outcome_claims(db, closed_from=later, closed_to=None)} == {
        "H-2"
    }
    assert {
        row.household_id for row in closure.outcome_claims(db, closed_from=None, closed_to=CLOSED_AT.date())
    } == {"H-1"}


def test_the_claims_csv_has_a_header_and_a_row_per_need_without_names(
    db: Session, tmp_path: Path, police: Agency
) -> None:
    _checked_plans(db, tmp_path, police)
    text = "".join(closure.claims_csv(closure.outcome_claims(db, closed_from=None, closed_to=None)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(closure.CLAIM_COLUMNS)
    assert len(rows) == 3
    assert rows[0]["findings"] == "Domestic-abuse incident recorded on 3 November 2027"
    assert rows[0]["sustainment_checked_on"] == "2028-03-01"
    assert "Lovelace" not in text and "Ada" not in text


@pytest.fixture
def programme(db: Session, council: Agency) -> User:
    return factories.user(db, Role.PROGRAMME_MANAGER, username="owen", at=council)


def _release(db: Session, tmp_path: Path, programme: User) -> closure.ClaimsRelease:
    return closure.release_claims(
        db,
        data_dir=tmp_path,
        viewer=viewer_for(programme),
        closed_from=date(2027, 4, 1),
        closed_to=None,
        at=CHECKED_AT,
    )


def _claims_agreement(db: Session, council: Agency, police: Agency, categories: Sequence[str]) -> None:
    in_force(
        db,
        recipients=[council.name],
        providers=[police.name],
        purposes=["outcome_claims"],
        categories=fields_of(categories),
        at=CHECKED_AT,
    )


def test_the_claims_release_is_one_batch_decision_and_refused_with_the_reason_without_an_agreement(
    db: Session, tmp_path: Path, police: Agency, programme: User
) -> None:
    _checked_plans(db, tmp_path, police)
    released = _release(db, tmp_path, programme)
    assert not released.permitted
    assert released.rows == ()
    assert "No sharing agreement in force" in released.reason
    [entry] = db.scalars(select(AccessLogEntry).where(AccessLogEntry.username == "owen")).all()
    assert (entry.position, entry.purpose, entry.subject_kind, entry.subject_id, entry.outcome) == (
        released.position,
        "outcome_claims",
        "batch",
        "outcome-claims:2027-04-01:",
        "deny",
    )
    assert json.loads(entry.categories) == list(closure.REGISTER_CATEGORIES)


def test_the_claims_release_holds_every_row_and_withholds_findings_not_released(
    db: Session, tmp_path: Path, council: Agency, police: Agency, programme: User
) -> None:
    _checked_plans(db, tmp_path, police)
    _claims_agreement(db, council, police, ["involvement"])
    released = _release(db, tmp_path, programme)
    assert released.permitted
    assert len(released.rows) == 3
    assert released.rows[0].findings == (closure.WITHHELD,)
    assert released.rows[1].findings == (
        "No crime or antisocial behaviour recorded since the plan closed on 31 August 2027",
    )


def test_the_claims_release_shows_findings_whose_records_are_released(
    db: Session, tmp_path: Path, council: Agency, police: Agency, programme: User
) -> None:
    _checked_plans(db, tmp_path, police)
    _claims_agreement(db, council, police, ["involvement", "criminal_offence"])
    released = _release(db, tmp_path, programme)
    assert released.rows[0].findings == ("Domestic-abuse incident recorded on 3 November 2027",)


def _action(db: Session, need: PlanNeed, agency: Agency, status: str = "open") -> None:
    db.add(
        PlanAction(
            need_id=need.id,
            description="Visit weekly",
            agency_id=agency.id,
            worker_name="Sam Patel",
            due_on=CLOSED_AT.date(),
            status=status,
        )
    )
    db.flush()


def test_closed_needs_name_every_agency_that_held_an_action_in_the_plan_but_not_a_cancelled_one(
    db: Session, council: Agency, police: Agency, homes: Agency
) -> None:
    plan = make_plan(db, needs=(("domestic_abuse", "Mum feels unsafe"), ("housing", "Rent arrears")))
    safety, rent = needs_of(db, plan)
    _action(db, safety, police)
    _action(db, rent, council, status="done")
    _action(db, rent, homes, status="cancelled")
    still_open = make_plan(db, household_id="H-other")
    _action(db, needs_of(db, still_open)[0], homes)
    close(db, plan)

    found = closure.closed_needs(db)

    assert [(one.outcome_area, one.result, one.closed_on) for one in found] == [
        ("domestic_abuse", "achieved", CLOSED_AT.date()),
        ("housing", "achieved", CLOSED_AT.date()),
    ]
    assert {one.agencies for one in found} == {frozenset({police.name, council.name})}


def test_closed_needs_name_the_agency_of_the_lead_professional_while_the_plan_was_open(
    db: Session, police: Agency, council: Agency, homes: Agency, lena: User
) -> None:
    plan = make_plan(db)
    _action(db, needs_of(db, plan)[0], police)
    lead(db, lena)
    earlier = factories.user(db, at=homes)
    db.add(
        LeadProfessional(
            household_id=HOUSEHOLD,
            username=earlier.username,
            agency_id=homes.id,
            family_agreed_on=date(2020, 1, 1),
            family_agreement="Agreed.",
            assigned_by="sam",
            started_at=plan.opened_at - timedelta(days=400),
            ended_at=plan.opened_at - timedelta(days=300),
        )
    )
    close(db, plan)

    [found] = closure.closed_needs(db)

    assert found.agencies == frozenset({police.name, council.name})
