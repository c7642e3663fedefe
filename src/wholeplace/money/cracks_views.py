"""The Cracks in the jigsaw page: what follows one agency's event across the agencies of the place, in the months
after it, beside a comparison group matched on age, sex and neighbourhood, priced by the place's cost book.

Every figure is an aggregate with small numbers suppressed (see money.cracks): no person is shown, so no
disclosure decision stands in front of them."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from starlette.requests import Request

from wholeplace.core.errors import NotFoundError
from wholeplace.money import presenting
from wholeplace.money.cracks import COMPARISON_PER_PERSON, SMALLEST_SHOWN, Cracks, Following, Trigger
from wholeplace.money.duplication import financial_year_bounds
from wholeplace.money.duplication_views import financial_years
from wholeplace.money.scenario_views import READERS
from wholeplace.money.service import cracks as service
from wholeplace.money.service.duplication import current_book
from wholeplace.sources.lake import Lake
from wholeplace.web.access import allow
from wholeplace.web.requests import Db, Now
from wholeplace.web.templating import render

CRACKS = "/money/cracks"
WINDOWS = (3, 6, 12, 24)  # months offered
TYPES_SHOWN = 15

router = APIRouter()


@router.get(CRACKS, response_class=HTMLResponse)
@allow(*READERS)
def cracks_page(
    request: Request, db: Db, now: Now, trigger: str = "", months: int = 12, year: str = ""
) -> Response:
    years = financial_years(now.date())
    kept = current_book(db)
    context: dict[str, Any] = {
        "title": "Cracks in the jigsaw",
        "book": kept[1] if kept else None,
        "year_items": [{"value": "", "text": "Every year", "selected": year not in years}]
        + [{"value": one, "text": one, "selected": one == year} for one in years],
        "month_items": [
            {"value": one, "text": f"{one} months", "selected": one == months} for one in WINDOWS
        ],
        "smallest": SMALLEST_SHOWN,
        "comparison_per_person": COMPARISON_PER_PERSON,
    }
    if kept is not None:
        asked = _trigger(trigger, months if months in WINDOWS else 12, year if year in years else "")
        try:
            study = service.measure(db, Lake.in_data_dir(request.app.state.settings.data_dir), kept[1], asked)
        except NotFoundError as error:
            context["not_linked"] = error.problem
        else:
            context["trigger_items"] = [
                {
                    "value": f"{kind}:{agency}",
                    "text": f"{agency}: {_words(kind)}",
                    "selected": f"{kind}:{agency}" == trigger,
                }
                for agency, kind in study.offered
            ]
            if study.found is not None:
                context.update(_figures(study.found))
    return render(request, "money/cracks.html", context)


def _trigger(asked: str, months: int, year: str) -> Trigger | None:
    """The trigger the form asks for: "event_type:Agency name" (an event type holds no colon)."""
    kind, colon, agency = asked.partition(":")
    if not colon or not kind or not agency:
        return None
    first, last = financial_year_bounds(year) if year else (None, None)
    return Trigger(agency, kind, months, first, last)


def _words(code: str) -> str:
    return code.replace("_", " ")


def _figures(found: Cracks) -> dict[str, Any]:
    totals = [one for one in (found.other_agencies, found.all_agencies) if one is not None]
    return {
        "found": found,
        "event": _words(found.trigger.event_type),
        "as_of": _day(found.as_of),
        "agency_rows": [_row(row) for row in found.by_agency],
        "total_rows": [_row(row) for row in totals],
        "type_rows": [_row(row, f"{row.agency}: {_words(row.type)}") for row in found.by_type[:TYPES_SHOWN]],
        "more_types": max(0, len(found.by_type) - TYPES_SHOWN),
        "cracks_chart": presenting.cracks_chart(found)
        if any(row.cohort_rate is not None for row in found.by_agency)
        else None,
    }


def _row(row: Following, label: str | None = None) -> dict[str, Any]:
    if row.cohort_rate is None:
        return {"label": label or row.label, "hidden": True}
    interval = None if row.interval is None else f"{_pounds(row.interval[0])} to {_pounds(row.interval[1])}"
    return {
        "label": label or row.label,
        "hidden": False,
        "cohort": _pounds(row.cohort_rate),
        "comparison": _pounds(row.comparison_rate),
        "difference": _pounds(row.difference),
        "interval": interval or "None",
        "excess": _pounds(row.excess),
        "people": f"{row.cohort_with_cost or 0:,}",
        "comparison_share": f"{row.comparison_share_with_cost or 0:.1%}",
    }


def _pounds(amount: float | None) -> str:
    return presenting.pounds(amount)


def _day(day: date | None) -> str:
    return "" if day is None else day.strftime("%-d %B %Y")
