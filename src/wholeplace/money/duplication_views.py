"""Pages of duplication: what the households many agencies work with cost them together in a financial year, the
services most often working with the same households, and the place's cost book that prices them.

Every figure is an aggregate with small numbers suppressed (see money.duplication): no household or person is
shown, so no disclosure decision stands in front of them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.core.errors import NotFoundError
from wholeplace.money import presenting
from wholeplace.money.deflators import financial_year_label
from wholeplace.money.duplication import MANY, SMALLEST_SHOWN, Duplication
from wholeplace.money.models import CostBookVersion
from wholeplace.money.scenario_views import EDITORS, READERS
from wholeplace.money.service import duplication as service
from wholeplace.money.service.duplication import LONGEST_FILE
from wholeplace.sources.lake import Lake
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now
from wholeplace.web.templating import NavigationEntry, render
from wholeplace.web.uploads import Refused, UploadRoute, load_upload

DUPLICATION = "/money/duplication"
COST_BOOK = f"{DUPLICATION}/cost-book"
YEARS_SHOWN = 5  # financial years offered: the current one and those before it
NAVIGATION = [NavigationEntry("Duplication", DUPLICATION, frozenset(READERS))]

router = APIRouter()


@router.get(DUPLICATION, response_class=HTMLResponse)
@allow(*READERS)
def duplication_page(request: Request, db: Db, now: Now, year: str = "") -> Response:
    years = financial_years(now.date())
    chosen = year if year in years else years[1]
    kept = service.current_book(db)
    context: dict[str, Any] = {
        "title": "Duplication",
        "year_items": [{"value": one, "text": one, "selected": one == chosen} for one in years],
        "year": chosen,
        "book": kept[1] if kept else None,
        "can_change": _can_change(request),
        "smallest": SMALLEST_SHOWN,
        "many": MANY,
    }
    if kept is not None:
        try:
            found = service.measure(db, _lake(request), kept[1], year=chosen)
        except NotFoundError as error:
            context["not_linked"] = error.problem
        else:
            context.update(_figures(found))
    return render(request, "money/duplication.html", context)


def financial_years(today: date) -> list[str]:
    """The current financial year and those before it, latest first."""
    current = today.year if today.month >= 4 else today.year - 1
    return [financial_year_label(current - back) for back in range(YEARS_SHOWN)]


def _figures(found: Duplication) -> dict[str, Any]:
    return {
        "households": found.households,
        "cost": _pounds(found.cost),
        "bands": [
            {
                "agencies": band.agencies,
                "households": None if band.households is None else f"{band.households:,}",
                "counted": None if band.counted is None else f"{band.counted:,}",
                "cost": None if band.cost is None else _pounds(band.cost),
                "mean_cost": None if band.mean_cost is None else _pounds(band.mean_cost),
                "share": None if band.share_of_cost is None else f"{band.share_of_cost:.1%}",
            }
            for band in found.bands
        ],
        "bands_chart": presenting.duplication_chart(found) if found.households else None,
        "for_many": None
        if found.cost_by_agency_for_many is None
        else [
            {"agency": one.agency, "cost": _pounds(one.cost), "share": f"{one.share:.1%}"}
            for one in found.cost_by_agency_for_many
        ],
        "pairs": found.service_pairs,
        "unpriced": found.unpriced,
    }


def _pounds(amount: float) -> str:
    return presenting.pounds(amount)


# ---------------------------------------------------------------- the cost book


@router.get(COST_BOOK, response_class=HTMLResponse)
@allow(*READERS)
def cost_book_page(request: Request, db: Db, loaded: str = "") -> Response:
    kept = service.current_book(db)
    context = {
        "title": "The cost book",
        "kept_version": kept[0] if kept else None,
        "book": kept[1] if kept else None,
        "loaded": bool(loaded),
        "can_change": _can_change(request),
    }
    return render(request, "money/cost_book.html", context)


@router.get(COST_BOOK + "/file", response_class=PlainTextResponse)
@allow(*READERS)
def cost_book_file(db: Db) -> Response:
    kept = service.current_book(db)
    if kept is None:
        raise NotFoundError("The place has no cost book yet.", fix="A finance lead loads one.")
    return PlainTextResponse(
        kept[0].text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kept[0].file_name}"'},
    )


@router.get(COST_BOOK + "/upload", response_class=HTMLResponse)
@allow(*EDITORS)
def cost_book_upload_page(request: Request) -> Response:
    return _upload_page(request, errors=[])


@allow(*EDITORS)
def cost_book_upload(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """A cost book's file, checked whole, kept as the place's cost book; nothing kept if it has a problem."""
    return _uploaded(request, db, now, viewer.username, data)


router.add_api_route(
    COST_BOOK + "/upload",
    cost_book_upload,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=UploadRoute,
)


def _uploaded(request: Request, db: Db, now: datetime, by: str, data: FormData) -> Response:
    def keep(name: str, text: str) -> CostBookVersion:
        with db.begin_nested():
            return service.load_book(db, text=text, file_name=name, by=by, at=now)

    kept = load_upload(
        data, choose="Choose a cost book's file (YAML) to upload", largest=LONGEST_FILE, load=keep
    )
    if isinstance(kept, Refused):
        return _upload_page(request, errors=kept.lines)
    return RedirectResponse(f"{COST_BOOK}?loaded=1", status_code=303)


def _upload_page(request: Request, *, errors: list[str]) -> Response:
    context = {"title": "Error: Load a cost book" if errors else "Load a cost book", "errors": errors}
    return render(request, "money/cost_book_upload.html", context, status_code=400 if errors else 200)


def _lake(request: Request) -> Lake:
    return Lake.in_data_dir(request.app.state.settings.data_dir)


def _can_change(request: Request) -> bool:
    viewer: Viewer = request.state.viewer
    return viewer.has(*EDITORS)
