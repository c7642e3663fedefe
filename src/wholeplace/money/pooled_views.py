"""Pages of pooled budgets: the place's pooled budgets, where one stands (the pot, each allocation's budget, spend and
forecast, and each partner's part of the balance), its versions, and loading a new version from its file.

A pooled budget is partners' public money, not personal data: no disclosure decision stands in front of it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.requests import Request

from wholeplace.money import presenting
from wholeplace.money.scenario_views import EDITORS, READERS
from wholeplace.money.service import pooled_budgets
from wholeplace.money.service.pooled_budgets import LONGEST_FILE, KeptPooledBudget
from wholeplace.web.access import Viewer, allow
from wholeplace.web.requests import CurrentViewer, Db, Form, Now
from wholeplace.web.templating import NavigationEntry, render
from wholeplace.web.uploads import Refused, UploadRoute, load_upload

POOLED_BUDGETS = "/money/pooled-budgets"
NAVIGATION = [NavigationEntry("Pooled budgets", POOLED_BUDGETS, frozenset(READERS))]

router = APIRouter()


@router.get(POOLED_BUDGETS, response_class=HTMLResponse)
@allow(*READERS)
def pooled_budgets_page(request: Request, db: Db) -> Response:
    context = {
        "title": "Pooled budgets",
        "rows": [_row(kept) for kept in pooled_budgets.current(db)],
        "can_change": _can_change(request),
    }
    return render(request, "money/pooled_budgets.html", context)


def _row(kept: KeptPooledBudget) -> dict[str, Any]:
    where = kept.position
    return {
        "href": f"{POOLED_BUDGETS}/{kept.version.id}",
        "name": kept.budget.name,
        "year": kept.budget.financial_year,
        "pot": _pounds(where.pot),
        "spent": _pounds(where.spent),
        "outturn": _pounds(where.outturn),
        "balance": _balance(where.balance),
    }


@router.get(POOLED_BUDGETS + "/upload", response_class=HTMLResponse)
@allow(*EDITORS)
def upload_page(request: Request) -> Response:
    return _upload_page(request, errors=[])


@allow(*EDITORS)
def upload(request: Request, db: Db, now: Now, viewer: CurrentViewer, data: Form) -> Response:
    """A pooled budget's file, checked whole, kept as the latest version of its name and year; nothing kept if it
    has a problem."""
    return _uploaded(request, db, now, viewer.username, data)


router.add_api_route(
    POOLED_BUDGETS + "/upload",
    upload,
    methods=["POST"],
    response_class=HTMLResponse,
    route_class_override=UploadRoute,
)


def _uploaded(request: Request, db: Db, now: datetime, by: str, data: FormData) -> Response:
    def keep(name: str, text: str) -> KeptPooledBudget:
        with db.begin_nested():
            return pooled_budgets.load(db, text=text, file_name=name, by=by, at=now)

    kept = load_upload(
        data, choose="Choose a pooled budget's file (YAML) to upload", largest=LONGEST_FILE, load=keep
    )
    if isinstance(kept, Refused):
        return _upload_page(request, errors=kept.lines)
    return RedirectResponse(f"{POOLED_BUDGETS}/{kept.version.id}?loaded=1", status_code=303)


def _upload_page(request: Request, *, errors: list[str]) -> Response:
    context = {"title": "Error: Load a pooled budget" if errors else "Load a pooled budget", "errors": errors}
    return render(request, "money/pooled_budget_upload.html", context, status_code=400 if errors else 200)


@router.get(POOLED_BUDGETS + "/{version_id}", response_class=HTMLResponse)
@allow(*READERS)
def pooled_budget_page(request: Request, db: Db, version_id: int, loaded: str = "") -> Response:
    kept = pooled_budgets.find(db, version_id)
    where, budget = kept.position, kept.budget
    history = pooled_budgets.history(db, kept)
    context = {
        "title": budget.name,
        "kept": kept,
        "loaded": bool(loaded),
        "summary": _summary(kept),
        "sentence": presenting.pooled_balance(where),
        "allocations": [
            {
                "name": one.name,
                "outcome": one.outcome or "",
                "lead": one.lead or "",
                "budget": _pounds(one.budget),
                "spent": _pounds(one.spent),
                "forecast": "" if one.forecast is None else _pounds(one.forecast),
                "variance": _balance(one.variance),
            }
            for one in where.allocations
        ],
        "unallocated": _pounds(where.unallocated),
        "periods": [(period, _pounds(amount)) for period, amount in where.spent_by_period.items()],
        "partners": [
            {
                "partner": one.partner,
                "contributed": _pounds(one.contributed),
                "share": f"{one.share:.1%}",
                "gain": _gain(one.gain),
                "net_cost": _pounds(one.net_cost),
            }
            for one in where.partners
        ],
        "shares_stated": budget.shares_stated,
        "allocations_chart": presenting.pooled_budget_chart(where) if where.allocations else None,
        "history": history,
        "number": len(history) - [version.id for version in history].index(kept.version.id),
    }
    return render(request, "money/pooled_budget.html", context)


@router.get(POOLED_BUDGETS + "/{version_id}/file", response_class=PlainTextResponse)
@allow(*READERS)
def pooled_budget_file(db: Db, version_id: int) -> Response:
    """The version's file as it was loaded, to change and load again."""
    version = pooled_budgets.find(db, version_id).version
    return PlainTextResponse(
        version.text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{version.file_name}"'},
    )


def _summary(kept: KeptPooledBudget) -> list[dict[str, Any]]:
    where = kept.position
    rows = [
        ("Financial year", kept.budget.financial_year),
        ("Held by", kept.budget.host),
        ("The pot", f"{_pounds(where.pot)} from {len(where.partners)} partners"),
        ("Allocated", f"{_pounds(where.allocated)}, leaving {_pounds(where.unallocated)} not allocated"),
        ("Spent so far", _pounds(where.spent)),
    ]
    if where.forecast:
        rows.append(("Forecast for the year", _pounds(where.outturn)))
    return [{"key": {"text": key}, "value": {"text": value}} for key, value in rows]


def _pounds(amount: Decimal) -> str:
    return presenting.pounds(amount, pennies=True)


def _gain(amount: Decimal) -> str:
    """A partner's part of the balance: money back, or money to pay."""
    if amount < 0:
        return f"{_pounds(-amount)} to pay"
    return f"{_pounds(amount)} back"


def _balance(amount: Decimal) -> str:
    """An amount that can go either way, said in words as well as by its sign."""
    if amount < 0:
        return f"{_pounds(-amount)} over"
    if amount > 0:
        return f"{_pounds(amount)} under"
    return _pounds(amount)


def _can_change(request: Request) -> bool:
    viewer: Viewer = request.state.viewer
    return viewer.has(*EDITORS)
