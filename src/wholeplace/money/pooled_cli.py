"""Commands for pooled budgets: see where a pooled budget's file stands, and load it into the place as the latest
version of its budget."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from wholeplace.core.db import transaction as in_transaction
from wholeplace.core.runtime import Runtime
from wholeplace.money import presenting
from wholeplace.money.pooled import PooledBudget, Position, load_pooled_budget, position
from wholeplace.money.service import pooled_budgets
from wholeplace.money.yaml_fields import read_text
from wholeplace.sources.cli import command_user

pool_app = typer.Typer(
    help="Pooled budgets: partners' contributions, allocations, spend against them, and how an underspend or an "
    "overspend splits between the partners.",
    no_args_is_help=True,
)

BudgetFile = Annotated[
    Path, typer.Argument(help="A pooled budget's file (YAML); see docs/money.md.", dir_okay=False)
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@pool_app.command("show")
def show(budget_file: BudgetFile, as_json: AsJson = False) -> None:
    """Where a pooled budget's file stands: the pot, each allocation's spend, and each partner's part of the
    balance. Nothing is loaded."""
    budget = load_pooled_budget(budget_file)
    _print(budget, position(budget), as_json=as_json)


@pool_app.command("load")
def load(budget_file: BudgetFile, as_json: AsJson = False) -> None:
    """Check a pooled budget's file and keep it in the place as the latest version of its name and year."""
    text = read_text(budget_file)
    runtime = Runtime.upgraded()
    with in_transaction(runtime.sessions) as db:
        kept = pooled_budgets.load(
            db, text=text, file_name=budget_file.name, by=command_user(), at=runtime.clock()
        )
    if not as_json:
        typer.echo(f"Loaded {kept.budget.name} ({kept.budget.financial_year}) as version {kept.versions}.")
    _print(kept.budget, kept.position, as_json=as_json)


def _print(budget: PooledBudget, where: Position, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(position_as_json(budget, where), indent=2))
        return
    console = Console(highlight=False)
    console.print(_allocations_table(budget, where))
    console.print(_partners_table(where))
    console.print(presenting.pooled_balance(where))


def position_as_json(budget: PooledBudget, where: Position) -> dict[str, Any]:
    return {
        "name": budget.name,
        "financial_year": budget.financial_year,
        "host": budget.host,
        "risk_share": "stated" if budget.shares_stated else "pro_rata",
        "pot": _number(where.pot),
        "allocated": _number(where.allocated),
        "unallocated": _number(where.unallocated),
        "spent": _number(where.spent),
        "outturn": _number(where.outturn),
        "forecast": where.forecast,
        "balance": _number(where.balance),
        "allocations": [
            {
                "name": one.name,
                "outcome": one.outcome,
                "lead": one.lead,
                "budget": _number(one.budget),
                "spent": _number(one.spent),
                "remaining": _number(one.remaining),
                "forecast": None if one.forecast is None else _number(one.forecast),
                "variance": _number(one.variance),
            }
            for one in where.allocations
        ],
        "spent_by_period": {period: _number(amount) for period, amount in where.spent_by_period.items()},
        "partners": [
            {
                "partner": one.partner,
                "contributed": _number(one.contributed),
                "share": float(one.share),
                "gain": _number(one.gain),
                "net_cost": _number(one.net_cost),
            }
            for one in where.partners
        ],
    }


def pounds(amount: Decimal) -> str:
    return presenting.pounds(amount, pennies=True)


def _number(amount: Decimal) -> float:
    return float(amount)


def _allocations_table(budget: PooledBudget, where: Position) -> Table:
    table = Table(title=f"{budget.name}, {budget.financial_year}: a pot of {pounds(where.pot)}")
    for heading in ("Allocation", "Budget", "Spent", "Forecast", "Variance"):
        table.add_column(heading, justify="left" if heading == "Allocation" else "right")
    for one in where.allocations:
        forecast = "" if one.forecast is None else pounds(one.forecast)
        table.add_row(one.name, pounds(one.budget), pounds(one.spent), forecast, pounds(one.variance))
    table.add_row("Not allocated", pounds(where.unallocated), "", "", pounds(where.unallocated))
    return table


def _partners_table(where: Position) -> Table:
    table = Table(title="Who gains and who loses")
    for heading in ("Partner", "Contributed", "Share", "Gain or loss", "Net cost"):
        table.add_column(heading, justify="left" if heading == "Partner" else "right")
    for one in where.partners:
        table.add_row(
            one.partner, pounds(one.contributed), f"{one.share:.1%}", pounds(one.gain), pounds(one.net_cost)
        )
    return table
