"""The app factory: mounts every domain's pages and API on the web shell."""

from __future__ import annotations

from pathlib import Path

import uvicorn
from fastapi import FastAPI

from wholeplace.coordination import caseload_views, household_views, plan_views, referral_views
from wholeplace.coordination import settings_views as coordination_settings_views
from wholeplace.coordination.service import watcher
from wholeplace.core import api as core_api
from wholeplace.core import service as core_service
from wholeplace.core import views as core_views
from wholeplace.core.runtime import Runtime
from wholeplace.governance import oversight_views
from wholeplace.governance import resident_views as governance_resident_views
from wholeplace.governance import views as governance_views
from wholeplace.governance.gate import access_decision_gate
from wholeplace.identity import views as identity_views
from wholeplace.money import cracks_views, duplication_views, pooled_views, scenario_views
from wholeplace.money import views as money_views
from wholeplace.outcomes import models as outcomes_models  # noqa: F401 - its tables, until it has pages
from wholeplace.outcomes.views import definitions as outcome_definition_views
from wholeplace.outcomes.views import framework as outcome_framework_views
from wholeplace.outcomes.views import scorecards as outcome_scorecard_views
from wholeplace.sources import api as sources_api
from wholeplace.sources import views as sources_views
from wholeplace.web.shell import build_web_app

DOMAIN_TEMPLATES = [
    Path(__file__).parent / domain / "templates"
    for domain in ("core", "sources", "identity", "governance", "coordination", "outcomes", "money")
]


def create_app(runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime.from_settings()

    def place_name() -> str:
        with runtime.sessions() as db:
            place = core_service.get_place(db)
        return place.name if place else "wholeplace"

    every = runtime.settings.watch_seconds
    return build_web_app(
        settings=runtime.settings,
        sessions=runtime.sessions,
        clock=runtime.clock,
        place_name=place_name,
        pages=[
            core_views.router,
            sources_views.router,
            identity_views.router,
            household_views.router,
            plan_views.router,
            referral_views.router,
            caseload_views.router,
            coordination_settings_views.router,
            governance_views.router,
            governance_resident_views.router,
            oversight_views.router,
            outcome_framework_views.router,
            outcome_scorecard_views.router,
            outcome_definition_views.router,
            money_views.router,
            scenario_views.router,
            pooled_views.router,
            duplication_views.router,
            cracks_views.router,
        ],
        api=[core_api.router, sources_api.router],
        template_dirs=DOMAIN_TEMPLATES,
        disclosure_gate=access_decision_gate,
        turns=runtime.turns,
        background=[lambda _app: watcher.watching(runtime, every=every)] if every else [],
        navigation=[
            *core_views.NAVIGATION[:1],
            *household_views.NAVIGATION,
            *referral_views.NAVIGATION,
            *caseload_views.NAVIGATION,
            *plan_views.NAVIGATION,
            *coordination_settings_views.NAVIGATION,
            *sources_views.NAVIGATION,
            *identity_views.NAVIGATION,
            *governance_views.NAVIGATION,
            *oversight_views.NAVIGATION,
            *outcome_scorecard_views.NAVIGATION,
            *outcome_framework_views.NAVIGATION,
            *outcome_definition_views.NAVIGATION,
            *money_views.NAVIGATION,
            *scenario_views.NAVIGATION,
            *pooled_views.NAVIGATION,
            *duplication_views.NAVIGATION,
            *core_views.NAVIGATION[1:],
        ],
    )


def serve_app(runtime: Runtime, *, host: str, port: int) -> None:
    """Upgrade the database and serve the app until interrupted."""
    runtime.upgrade()
    app = create_app(runtime)
    print(f"Serving wholeplace on http://{host}:{port}/ (Ctrl+C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
