"""Scorecards of the place (a tile for each indicator of every result) and of each programme (a tile for each
performance measure), a measure's page (its XmR chart with definition changes marked, the table of its points, its
neighbourhoods and groups, its definitions and the values it replaced), and a person's early warnings. Anyone
signed in may read them: they are aggregates, not anyone's personal data. The turn-the-curve pages (curve.py), the
downloads (exports.py) and the partnerships with their scorecards (partnerships.py) are mounted here too."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.requests import Request

from wholeplace.core import service as core
from wholeplace.core.roles import Role
from wholeplace.outcomes import scorecard, spc
from wholeplace.outcomes.models import Measure
from wholeplace.outcomes.schemas import MeasureKind
from wholeplace.outcomes.service import definitions, framework, partnerships, values, warnings
from wholeplace.outcomes.spc import Polarity
from wholeplace.outcomes.views import curve, exports
from wholeplace.outcomes.views import partnerships as partnership_views
from wholeplace.outcomes.views.exports import MEASURES, PROGRAMMES, SCORECARD, Chart
from wholeplace.outcomes.views.tiles import LABELS, shown_section
from wholeplace.web.access import signed_in
from wholeplace.web.requests import CurrentViewer, Db, Now
from wholeplace.web.templating import NavigationEntry, render

WARNINGS = "/outcomes/warnings"
NAVIGATION = [NavigationEntry("Scorecards", SCORECARD, frozenset(Role))]
IMPORTERS = (Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR, Role.ANALYST)
BUILDERS = (Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)
ENOUGH_FOR_LIMITS = 15  # Making Data Count: fewer values make limits to read with care

router = APIRouter()
router.include_router(curve.router)
router.include_router(exports.router)
router.include_router(partnership_views.router)


# ---------------------------------------------------------------- scorecards


@router.get(SCORECARD, response_class=HTMLResponse)
@signed_in
def place_scorecard(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    """A tile for each indicator of every result, the priority results first."""
    context = {
        "title": "Scorecard of the place",
        "sections": [shown_section(one) for one in exports.place_sections(db)],
        "programmes": framework.programmes(db),
        "partnerships": partnerships.partnerships(db),
        "unread": len(warnings.warnings_for(db, viewer.username, unread_only=True)),
        "downloads": {"CSV": SCORECARD + ".csv", "Excel": SCORECARD + ".xlsx", "PNG": SCORECARD + ".png"},
        "labels": LABELS,
    }
    return render(request, "outcomes/scorecard.html", context)


@router.get(PROGRAMMES + "/{programme_id}/scorecard", response_class=HTMLResponse)
@signed_in
def programme_scorecard(request: Request, db: Db, programme_id: uuid.UUID) -> Response:
    """A tile for each performance measure of a programme: how much, how well, is anyone better off."""
    programme = framework.programme(db, programme_id)
    here = f"{PROGRAMMES}/{programme.id}/scorecard"
    context = {
        "title": f"Scorecard: {programme.name}",
        "programme": programme,
        "agency": core.get_agency(db, programme.agency_id).name,
        "owner": exports.person_name(db, programme.owner),
        "sections": [shown_section(one) for one in exports.programme_sections(db, programme)],
        "downloads": {"CSV": here + ".csv", "Excel": here + ".xlsx", "PNG": here + ".png"},
        "labels": LABELS,
    }
    return render(request, "outcomes/scorecard_programme.html", context)


# ---------------------------------------------------------------- a measure


@router.get(MEASURES + "/{measure_id}", response_class=HTMLResponse)
@signed_in
def measure_page(
    request: Request,
    db: Db,
    viewer: CurrentViewer,
    measure_id: uuid.UUID,
    neighbourhood: str = "",
    group: str = "",
) -> Response:
    """The measure's XmR chart and the table of its points for the whole place or a neighbourhood and group."""
    measure = framework.measure(db, measure_id)
    chart = exports.chart_of(
        db, measure, neighbourhood=neighbourhood.strip() or None, group=group.strip() or None
    )
    where = exports.where_label(
        exports.neighbourhood_names(db), chart.series.neighbourhood, chart.series.group
    )
    here = f"{MEASURES}/{measure.id}"
    query = _breakdown_query(chart.series.neighbourhood, chart.series.group)
    has_limits = any(point.limits for point in chart.points)
    context = {
        "title": measure.title if query == "" else f"{measure.title}: {where}",
        "measure": measure,
        "kind": MeasureKind(measure.kind),
        "polarity": Polarity(measure.polarity),
        "parent": _parent(db, measure),
        "owner": exports.person_name(db, measure.owner),
        "where": where,
        "breakdowns": _breakdowns(db, measure, chart),
        "chart": chart,
        "spec": exports.xmr_spec(measure, chart, where=where) if has_limits else None,
        "limits": chart.points[-1].limits if has_limits else None,
        "few_points": len(chart.points) < ENOUGH_FOR_LIMITS,
        "enough_for_limits": ENOUGH_FOR_LIMITS,
        "rules_text": scorecard.rules_text,
        "figure": scorecard.figure,
        "definitions": definitions.definitions_of(db, measure.id),
        "replaced": values.replaced_in_series(
            db, measure_id=measure.id, neighbourhood=chart.series.neighbourhood, group=chart.series.group
        ),
        "downloads": {
            "Values (CSV)": here + "/values.csv",
            "Values (Excel)": here + "/values.xlsx",
            **({"XmR chart (PNG)": here + "/chart.png" + query} if has_limits else {}),
        },
        "may_import": viewer.has(*IMPORTERS),
        "may_change": viewer.has(*BUILDERS),
        "labels": LABELS,
    }
    return render(request, "outcomes/measure.html", context)


def _parent(db: Session, measure: Measure) -> dict[str, str]:
    """The result or programme the measure belongs to, and where its page is."""
    if measure.programme_id is not None:
        programme = framework.programme(db, measure.programme_id)
        return {
            "text": programme.name,
            "href": f"{PROGRAMMES}/{programme.id}/scorecard",
            "scorecard": "programme",
        }
    return {"text": exports.belongs_to(db, measure), "href": SCORECARD, "scorecard": "place"}


def _breakdowns(db: Session, measure: Measure, chart: Chart) -> list[dict[str, Any]]:
    """Each neighbourhood and group the measure has values for, with a link and whether it is shown now."""
    shown = (chart.series.neighbourhood, chart.series.group)
    names = exports.neighbourhood_names(db)
    return [
        {
            "text": _sentence(exports.where_label(names, neighbourhood, group)),
            "href": f"{MEASURES}/{measure.id}{_breakdown_query(neighbourhood, group)}",
            "current": (neighbourhood, group) == shown,
        }
        for neighbourhood, group in values.breakdowns(db, measure.id)
    ]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _breakdown_query(neighbourhood: str | None, group: str | None) -> str:
    asked = {name: value for name, value in (("neighbourhood", neighbourhood), ("group", group)) if value}
    return "?" + urlencode(asked) if asked else ""


# ---------------------------------------------------------------- early warnings


@router.get(WARNINGS, response_class=HTMLResponse)
@signed_in
def warnings_page(request: Request, db: Db, viewer: CurrentViewer, done: str = "") -> Response:
    """The signed-in person's early warnings on the measures they own, the newest first."""
    found = warnings.warnings_for(db, viewer.username)
    measures = {one.measure_id: framework.measure(db, one.measure_id) for one in found}
    context = {
        "title": "Early warnings",
        "warnings": [
            {
                "warning": one,
                "measure": measures[one.measure_id],
                "rules": scorecard.rules_text([spc.Rule(letter) for letter in one.rules]),
            }
            for one in found
        ],
        "unread": sum(one.read_at is None for one in found),
        "done": done == "read",
    }
    return render(request, "outcomes/warnings.html", context)


@router.post(WARNINGS + "/{warning_id}/read")
@signed_in
def mark_warning_read(db: Db, now: Now, viewer: CurrentViewer, warning_id: uuid.UUID) -> Response:
    """Mark one of the person's warnings read; another person's warning is not found."""
    warnings.mark_read(db, warning_id=warning_id, username=viewer.username, at=now)
    return RedirectResponse(WARNINGS + "?done=read", status_code=303)
