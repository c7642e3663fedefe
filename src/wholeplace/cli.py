"""The root command: registers every domain's commands and turns errors into messages and exit codes."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from typing import Annotated

import typer
from rich.console import Console

from wholeplace.coordination.cli import coordination_app
from wholeplace.core.cli import config_app, db_app, place_app, tokens_app, users_app
from wholeplace.core.errors import IngestError, WholeplaceError
from wholeplace.core.runtime import Runtime
from wholeplace.demo.cli import demo, generate
from wholeplace.governance.agreements_cli import agreements_app
from wholeplace.governance.cli import audit_app
from wholeplace.identity.cli import link_app
from wholeplace.money.cli import cba_app
from wholeplace.money.cracks_cli import cracks_command
from wholeplace.money.pooled_cli import pool_app
from wholeplace.money.spend_cli import spend_app
from wholeplace.outcomes.cli import outcomes_app
from wholeplace.sources.cli import ingest, sources_app

app = typer.Typer(
    name="wholeplace",
    help="Joined-up public services in a place.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(place_app, name="place")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(sources_app, name="sources")
app.command("ingest")(ingest)
app.add_typer(link_app, name="link")
app.add_typer(audit_app, name="audit")
app.add_typer(agreements_app, name="agreements")
app.add_typer(coordination_app, name="coordination")
app.add_typer(outcomes_app, name="outcomes")
app.add_typer(cba_app, name="cba")
spend_app.command("cracks")(cracks_command)
app.add_typer(spend_app, name="spend")
app.add_typer(pool_app, name="pool")
app.command("demo")(demo)
app.command("generate")(generate)


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
) -> None:
    """Upgrade the database and serve the web app."""
    from wholeplace.app import serve_app

    serve_app(Runtime.from_settings(), host=host, port=port)


def main() -> None:
    """Run a command; a problem the user can act on is a message and exit code 1, never a traceback."""
    try:
        app()
    except WholeplaceError as error:
        where = f"{error.where}: " if isinstance(error, IngestError) else ""
        Console(stderr=True, highlight=False).print(
            f"[bold red]Error:[/] {where}{error.problem}" + (f"\n{error.fix}" if error.fix else ""),
            markup=True,
        )
        sys.exit(1)
    except Exception:  # a bug: keep the traceback for the report, show the user a message
        report = _write_crash_report()
        Console(stderr=True).print(
            f"[bold red]Error:[/] wholeplace failed unexpectedly. This is a bug; the details are in {report}."
        )
        sys.exit(1)


def _write_crash_report() -> str:
    descriptor, path = tempfile.mkstemp(prefix="wholeplace-crash-", suffix=".txt")
    with os.fdopen(descriptor, "w", encoding="utf-8") as report:
        traceback.print_exc(file=report)
    return path
