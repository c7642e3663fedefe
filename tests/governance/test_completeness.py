"""No page, API call or export shows one agency's data to another without a decision and a log entry.

Every route of the app is in one of two lists: those that show another agency's data about someone (each must
ask the access decision and write exactly one log entry for each person it shows) and those that do not (each
with the reason). A new route fails the census until someone puts it in one list or the other; every route
in the first list is then called on a linked place and its log entries counted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from tests.identity.conftest import place, trained  # noqa: F401 - fixtures, found by pytest through this import
from tests.identity.test_views import (  # noqa: F401 - fixtures, as above
    LinkedPlace,
    a_pair_in_two_people,
    a_person_with_records,
    connection,
    linked_place,
)
from tests.support.agreements import in_force, record_linkage
from tests.support.factories import MOMENT
from tests.web.conftest import SignedInAs, signed_in_as  # noqa: F401 - a fixture, as above
from wholeplace.core import service as core
from wholeplace.core.roles import Role
from wholeplace.core.settings import Settings
from wholeplace.governance import vocabulary
from wholeplace.governance.models import AccessLogEntry
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

SHOWS_ANOTHER_AGENCY_S_DATA = {
    "GET /linkage/people/{person_id}": "a linked person's records from every source",
    "GET /linkage/review/{pair_id}": "two records, from two sources, side by side",
    "POST /linkage/review/{pair_id}": "a refused decision shows the pair again",
    "POST /linkage/people/{person_id}/undo": "a refused undo shows the person again",
    "GET /sources/{name}/batches/{batch_id}/quarantine": "an agency's raw rows that were set aside",
    "GET /sources/{name}/batches/{batch_id}/quarantine.csv": "the same rows, downloaded",
    "GET /governance/people/{person_id}/access-report": "who looked at the person's data",
    "GET /governance/people/{person_id}/subject-access": "everything held about the person",
    "GET /governance/people/{person_id}/subject-access.json": "everything held about the person, as data",
    "GET /search": "the people a search finds, one decision for each person shown",
    "GET /households/{household_id}": "a household's members, address, agencies and timeline, one decision",
    "GET /people/{person_id}": "a person's records from every agency, one decision",
    "GET /households/{household_id}/lead": "which agencies work with the household, through one decision",
    "POST /households/{household_id}/lead/assign": "as above",
    "POST /households/{household_id}/lead/handover": "as above",
    "GET /households/{household_id}/plan": "the shared plan: agencies and named workers, one decision",
    "GET /households/{household_id}/plan/new": "as above",
    "POST /households/{household_id}/plan/new": "as above",
    "GET /households/{household_id}/plan/family": "as above",
    "POST /households/{household_id}/plan/family": "as above",
    "GET /households/{household_id}/plan/needs/new": "as above",
    "POST /households/{household_id}/plan/needs/new": "as above",
    "GET /households/{household_id}/plan/needs/{need_id}/actions/new": "as above",
    "POST /households/{household_id}/plan/needs/{need_id}/actions/new": "as above",
    "POST /households/{household_id}/plan/actions/{action_id}/status": "as above",
    "GET /households/{household_id}/plan/needs/{need_id}/remove": "as above",
    "POST /households/{household_id}/plan/needs/{need_id}/remove": "as above",
    "GET /households/{household_id}/plan/versions": "as above",
    "GET /households/{household_id}/plan/versions/{number}": "as above",
    "GET /households/{household_id}/plan/print": "as above",
    "GET /households/{household_id}/plan/close": "as above",
    "POST /households/{household_id}/plan/close": "as above",
    "GET /households/{household_id}/sustainment": "what the checks found in other agencies' records",
    "GET /households/{household_id}/meetings": "the household's meetings and their agencies, one decision",
    "POST /households/{household_id}/meetings": "as above",
    "GET /households/{household_id}/meetings/{meeting_id}": "as above",
    "POST /households/{household_id}/meetings/{meeting_id}": "as above",
    "GET /households/{household_id}/referrals/new": "the household's members to choose from, one decision",
    "POST /households/{household_id}/referrals/new": "a referral: a disclosure to the receiving agency",
    "GET /people/{person_id}/referrals/new": "the person to refer, one decision",
    "POST /people/{person_id}/referrals/new": "a referral: a disclosure to the receiving agency",
    "GET /caseload/unowned": "households many agencies work with and nobody leads, one batch decision",
    "GET /outcome-claims.csv": "closed plans' outcomes and what sustainment checks found, one batch decision",
}
SHOWS_NO_ONE_ELSE_S_DATA = {
    "GET /": "the start page",
    "GET /accessibility": "a statement",
    "GET /privacy": "a statement",
    "GET /health": "whether the app is up",
    "GET /login": "the sign-in form",
    "POST /login": "signing in",
    "POST /logout": "signing out",
    "GET /account": "the user's own account",
    "POST /account/password": "the user's own password",
    "GET /whoami": "the user's own identity",
    "GET /place": "the place and its agencies (API)",
    "GET /api/v1/openapi.json": "the API's description",
    "POST /sources/{source}/records": "an agency pushing its own records (API)",
    "GET /security-log": "sign-ins and refusals of staff accounts",
    "GET /admin": "administration: the place, agencies, teams, staff and tokens",
    "GET /admin/agencies": "administration",
    "GET /admin/agencies/new": "administration",
    "POST /admin/agencies/new": "administration",
    "GET /admin/agencies/{agency_id}": "administration",
    "POST /admin/agencies/{agency_id}/teams": "administration",
    "GET /admin/place": "administration",
    "POST /admin/place": "administration",
    "GET /admin/tokens": "administration",
    "GET /admin/tokens/new": "administration",
    "POST /admin/tokens/new": "administration",
    "POST /admin/tokens/{token_id}/revoke": "administration",
    "GET /admin/users": "administration",
    "GET /admin/users/new": "administration",
    "POST /admin/users/new": "administration",
    "GET /admin/users/{user_id}": "administration",
    "POST /admin/users/{user_id}": "administration",
    "POST /admin/users/{user_id}/password": "administration",
    "GET /sources": "sources and the counts of their last loads",
    "GET /sources/new": "registering a source from its mapping",
    "POST /sources/new": "registering a source from its mapping",
    "GET /sources/upload": "the upload form",
    "POST /sources/upload": "loading a file: it says how many rows were loaded and set aside, no row",
    "GET /sources/{name}": "a source's mapping, batches, and field quality as counts (never a name)",
    "GET /linkage": "the linkage's quality as counts and weights",
    "GET /linkage/review": "the pairs waiting, by source and record key, never a name",
    "POST /linkage/thresholds": "the place's thresholds",
    "GET /governance": "the officer's overview: counts, agreements, log entries by person id",
    "GET /governance/access-log": "the access log itself: who looked, never what they saw",
    "GET /governance/access-log.csv": "the access log itself, downloaded",
    "GET /governance/access-log/{position:int}/exemption": "one log entry and the exemption form",
    "POST /governance/access-log/{position:int}/exemption": "recording an exemption",
    "GET /governance/break-glass/{position}": "one log entry and the review form",
    "POST /governance/break-glass/{position}": "recording a review",
    "GET /governance/people/{person_id}": "the subject-access start page: asks for the case reference",
    "GET /governance/people/{person_id}/choices": "the person's consents and objections (governance's own)",
    "POST /governance/people/{person_id}/choices": "recording a choice",
    "POST /governance/people/{person_id}/choices/{record_id}/withdraw": "withdrawing a choice",
    "GET /governance/agreements": "sharing agreements",
    "GET /governance/agreements/new": "drafting an agreement",
    "POST /governance/agreements/new": "drafting an agreement",
    "GET /governance/agreements/{reference}": "an agreement",
    "GET /governance/agreements/{reference}/compare": "two versions of an agreement",
    "GET /governance/agreements/{reference}/new-version": "drafting a new version",
    "POST /governance/agreements/{reference}/new-version": "drafting a new version",
    "GET /governance/agreements/{reference}/v{version:int}": "a version of an agreement",
    "GET /governance/agreements/{reference}/v{version:int}.jsonld": "a version, as JSON-LD",
    "GET /governance/agreements/{reference}/v{version:int}/edit": "editing a draft",
    "POST /governance/agreements/{reference}/v{version:int}/edit": "editing a draft",
    "POST /governance/agreements/{reference}/v{version:int}/{action}": "activating, suspending, expiring",
    "GET /coordination/why/{position}": "the viewer's own log entry, or the decision behind a referral it is party to",
    "GET /referrals": "referrals, each showing only what its own logged decision released",
    "GET /referrals/{referral_id}": "as above",
    "POST /referrals/{referral_id}": "accepting, declining or withdrawing a referral",
    "GET /alerts": "alerts, each decided and logged for its reader when it was written",
    "POST /alerts/{alert_id}/read": "marking an alert read",
    "GET /caseload": "the worker's households by opaque id, with coordination's own plans and actions",
    "GET /caseload/team": "counts of households and actions for each member of the manager's team",
    "GET /outcome-claims": "counts of coordination's own closed plans and needs",
    "GET /coordination/settings": "the place's coordination settings: no one's records",
    "GET /coordination/settings/{key}": "as above",
    "POST /coordination/settings/{key}": "changing a setting",
    "POST /coordination/settings/{key}/reset": "returning a setting to its default",
    "GET /outcomes": "the outcomes framework: results, measures, owners and aggregate values",
    "GET /outcomes/results/new": "building the framework",
    "POST /outcomes/results/new": "building the framework",
    "GET /outcomes/results/{result_id}": "a result and its indicators' aggregate values",
    "GET /outcomes/results/{result_id}/edit": "building the framework",
    "POST /outcomes/results/{result_id}/edit": "building the framework",
    "GET /outcomes/results/{result_id}/indicators/new": "building the framework",
    "POST /outcomes/results/{result_id}/indicators/new": "building the framework",
    "GET /outcomes/programmes/new": "building the framework",
    "POST /outcomes/programmes/new": "building the framework",
    "GET /outcomes/programmes/{programme_id}": "a programme and its measures' aggregate values",
    "GET /outcomes/programmes/{programme_id}/measures/new": "building the framework",
    "POST /outcomes/programmes/{programme_id}/measures/new": "building the framework",
    "GET /outcomes/measures/{measure_id}/accountability": "building the framework",
    "POST /outcomes/measures/{measure_id}/accountability": "building the framework",
    "GET /outcomes/measures/{measure_id}/values/import": "the import form",
    "POST /outcomes/measures/{measure_id}/values/import": "importing aggregate values from a file",
    "GET /outcomes/contributions": "agencies' ratings of their own contributions",
    "GET /outcomes/contributions/rate": "the user's agency rating its own contribution",
    "POST /outcomes/contributions/rate": "as above",
    "GET /outcomes/scorecard": "aggregate values of the place's indicators: counts and rates, no person",
    "GET /outcomes/scorecard.csv": "as above, downloaded",
    "GET /outcomes/scorecard.xlsx": "as above, downloaded",
    "GET /outcomes/scorecard.png": "as above, as an image",
    "GET /outcomes/programmes/{programme_id}/scorecard": "aggregate values of a programme's measures",
    "GET /outcomes/programmes/{programme_id}/scorecard.csv": "as above, downloaded",
    "GET /outcomes/programmes/{programme_id}/scorecard.xlsx": "as above, downloaded",
    "GET /outcomes/programmes/{programme_id}/scorecard.png": "as above, as an image",
    "GET /outcomes/partnerships": "the partnerships: names, chairs, member agencies and counts, no person's data",
    "GET /outcomes/partnerships/new": "building the framework",
    "POST /outcomes/partnerships/new": "building the framework",
    "GET /outcomes/partnerships/{partnership_id}/change": "building the framework",
    "POST /outcomes/partnerships/{partnership_id}/change": "building the framework",
    "GET /outcomes/partnerships/{partnership_id}/scorecard": "aggregate values of a partnership's results and programmes",
    "GET /outcomes/partnerships/{partnership_id}/scorecard.csv": "as above, downloaded",
    "GET /outcomes/partnerships/{partnership_id}/scorecard.xlsx": "as above, downloaded",
    "GET /outcomes/partnerships/{partnership_id}/scorecard.png": "as above, as an image",
    "GET /outcomes/measures/{measure_id}": "a measure's aggregate values by period and neighbourhood",
    "GET /outcomes/measures/{measure_id}/values.csv": "as above, downloaded",
    "GET /outcomes/measures/{measure_id}/values.xlsx": "as above, downloaded",
    "GET /outcomes/measures/{measure_id}/chart.png": "as above, as a chart",
    "GET /outcomes/measures/{measure_id}/curve": "an indicator's aggregate values and the partners' review",
    "GET /outcomes/measures/{measure_id}/curve/review": "reviewing the curve",
    "POST /outcomes/measures/{measure_id}/curve/review": "reviewing the curve",
    "GET /outcomes/measures/{measure_id}/definition": "how a measure is computed",
    "POST /outcomes/measures/{measure_id}/definition": "changing how a measure is computed",
    "POST /outcomes/measures/{measure_id}/definition/compute": "computing aggregate values from the linked data: counts, no person shown",
    "GET /outcomes/warnings": "the owner's own early warnings",
    "POST /outcomes/warnings/{warning_id}/read": "marking a warning read",
    "GET /money/total-place": "the partners' spend: public money, no person",
    "GET /money/total-place/lines": "spend lines",
    "GET /money/total-place/lines.csv": "spend lines, downloaded",
    "GET /money/total-place/{name}.csv": "a table of the spend, downloaded",
    "GET /money/unit-costs": "the Unit Cost Database and the place's own unit costs",
    "GET /money/unit-costs/new": "adding a place unit cost",
    "POST /money/unit-costs/new": "adding a place unit cost",
    "GET /money/scenarios": "investment cases",
    "GET /money/scenarios/compare": "investment cases side by side",
    "GET /money/scenarios/new": "building an investment case",
    "POST /money/scenarios/new": "saving a case, or counting a cohort from the linked data: a count, no person shown",
    "GET /money/scenarios/upload": "uploading a case",
    "POST /money/scenarios/upload": "uploading a case",
    "GET /money/scenarios/{scenario_id}": "an investment case and its results",
    "GET /money/scenarios/{scenario_id}/edit": "changing a case",
    "POST /money/scenarios/{scenario_id}/edit": "as for a new case",
    "GET /money/scenarios/{scenario_id}/report.html": "the case's board report",
    "GET /money/scenarios/{scenario_id}/report.pdf": "the case's board report",
    "GET /money/scenarios/{scenario_id}/results.json": "the case's results",
    "GET /money/scenarios/{scenario_id}/scenario.yaml": "the case as a file",
    "GET /money/scenarios/{scenario_id}/upload": "uploading a new version",
    "POST /money/scenarios/{scenario_id}/upload": "uploading a new version",
    "GET /money/pooled-budgets": "the partners' pooled budgets: public money, no person",
    "GET /money/pooled-budgets/upload": "loading a pooled budget's file",
    "POST /money/pooled-budgets/upload": "loading a pooled budget's file",
    "GET /money/pooled-budgets/{version_id}": "a pooled budget and where it stands",
    "GET /money/pooled-budgets/{version_id}/file": "a pooled budget's file",
    "GET /money/duplication": "households counted by how many agencies work with them: aggregates, small numbers "
    "suppressed, no household shown",
    "GET /money/duplication/cost-book": "the place's cost book: prices, no person",
    "GET /money/duplication/cost-book/file": "the place's cost book, downloaded",
    "GET /money/duplication/cost-book/upload": "loading a cost book",
    "POST /money/duplication/cost-book/upload": "loading a cost book",
    "GET /money/cracks": "what follows one agency's event, people counted beside a matched comparison group: "
    "aggregates, small numbers suppressed, no person shown",
}


def _endpoints(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _endpoints(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_every_route_is_counted_as_showing_another_agency_s_data_or_not(app: FastAPI) -> None:
    routes = {f"{method} {route.path}" for route in _endpoints(app.routes) for method in route.methods}
    assert not set(SHOWS_ANOTHER_AGENCY_S_DATA) & set(SHOWS_NO_ONE_ELSE_S_DATA)
    assert routes - set(SHOWS_ANOTHER_AGENCY_S_DATA) - set(SHOWS_NO_ONE_ELSE_S_DATA) == set()
    assert set(SHOWS_ANOTHER_AGENCY_S_DATA) | set(SHOWS_NO_ONE_ELSE_S_DATA) == routes


# ---------------------------------------------------------------- each one decides and logs


@pytest.fixture
def settings(linked_place: LinkedPlace) -> Settings:  # noqa: F811 - the fixture imported above
    return Settings(
        data_dir=linked_place.data_dir, secret_key=SecretStr("test-secret-key-" * 3), environment="test"
    )


@pytest.fixture
def lake(settings: Settings) -> Lake:
    return Lake.in_data_dir(settings.data_dir)


def _entries(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AccessLogEntry)) or 0


def _logged(client: TestClient, db: Session, path: str) -> tuple[int, int]:
    before = _entries(db)
    status = client.get(path).status_code
    return status, _entries(db) - before


def test_the_analyst_s_pages_log_one_entry_for_each_person_they_show(
    client: TestClient,
    signed_in_as: SignedInAs,  # noqa: F811
    db: Session,
    lake: Lake,
) -> None:
    analyst = signed_in_as(Role.ANALYST)
    record_linkage(db, analysts=analyst.agency.name, at=MOMENT)
    db.commit()
    person, _ = a_person_with_records(db, lake, 2)
    assert _logged(client, db, f"/linkage/people/{quote(person)}") == (200, 1)
    pair = a_pair_in_two_people(db, lake)
    assert _logged(client, db, f"/linkage/review/{pair.id}") == (200, 2)
    source = sources.list_sources(db)[0]
    batch = sources.batches_of(db, source)[0]
    base = f"/sources/{source.name}/batches/{batch.id}/quarantine"
    assert _logged(client, db, base) == (200, 1)
    assert _logged(client, db, f"{base}.csv") == (200, 1)


def test_the_officer_s_subject_access_outputs_log_one_entry_each(
    client: TestClient,
    signed_in_as: SignedInAs,  # noqa: F811
    db: Session,
    lake: Lake,
) -> None:
    officer = signed_in_as(Role.INFORMATION_GOVERNANCE_OFFICER)
    in_force(
        db,
        recipients=[officer.agency.name],
        providers=sorted({core.get_agency(db, source.agency_id).name for source in sources.list_sources(db)}),
        purposes=["subject_access"],
        categories={
            category.code: category.fields for category in vocabulary.CATEGORIES if category.identifying
        },
        at=MOMENT,
        basis="6(1)(c)",
    )
    db.commit()
    person, _ = a_person_with_records(db, lake, 2)
    for output in ("access-report", "subject-access", "subject-access.json"):
        assert _logged(client, db, f"/governance/people/{quote(person)}/{output}?case=SAR-1") == (200, 1)


def test_without_an_agreement_each_one_is_refused_and_still_logged(
    client: TestClient,
    signed_in_as: SignedInAs,  # noqa: F811
    db: Session,
    lake: Lake,
) -> None:
    signed_in_as(Role.ANALYST)
    person, _ = a_person_with_records(db, lake, 2)
    assert _logged(client, db, f"/linkage/people/{quote(person)}") == (403, 1)
    client.cookies.clear()
    signed_in_as(Role.INFORMATION_GOVERNANCE_OFFICER)
    assert _logged(client, db, f"/governance/people/{quote(person)}/subject-access?case=SAR-1") == (403, 1)
