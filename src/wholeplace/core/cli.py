"""Commands of the foundation: settings, the database, the place, users and API tokens."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wholeplace.core import geography, service
from wholeplace.core.db import current_revision, head_revision
from wholeplace.core.db import transaction as in_transaction
from wholeplace.core.errors import InvalidInputError, NotFoundError
from wholeplace.core.roles import AgencyKind, Role, Scope, Sector
from wholeplace.core.runtime import Runtime

console = Console()

config_app = typer.Typer(help="The effective settings.", no_args_is_help=True)
db_app = typer.Typer(help="The operational database.", no_args_is_help=True)
place_app = typer.Typer(help="The place and its agencies.", no_args_is_help=True)
users_app = typer.Typer(help="Staff users and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for agency systems.", no_args_is_help=True)


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print the effective settings, secrets masked."""
    shown = Runtime.from_settings().settings.masked()
    if as_json:
        typer.echo(json.dumps(shown, default=str))
        return
    table = Table("setting", "value", title="wholeplace settings")
    for name, value in shown.items():
        table.add_row(f"WHOLEPLACE_{name.upper()}", str(value))
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the newest migration."""
    runtime = Runtime.from_settings()
    runtime.upgrade()
    typer.echo(f"Database at revision {current_revision(runtime.engine)} (newest is {head_revision()}).")


@place_app.command("create")
def place_create(
    name: Annotated[str, typer.Argument(help="The place's name, for example Riverford.")],
) -> None:
    """Create the place this database serves."""
    runtime = Runtime.upgraded()
    with in_transaction(runtime.sessions) as db:
        place = service.create_place(db, name=name, now=runtime.clock())
    typer.echo(f"Created the place {place.name}.")


@place_app.command("add-agency")
def place_add_agency(
    name: str,
    kind: Annotated[AgencyKind, typer.Option(help="public, voluntary or private")],
    sector: Annotated[Sector, typer.Option(help="The agency's sector.")],
) -> None:
    """Add an agency to the place."""
    runtime = Runtime.upgraded()
    with in_transaction(runtime.sessions) as db:
        agency = service.add_agency(db, name=name, kind=kind, sector=sector, now=runtime.clock())
    typer.echo(f"Added the agency {agency.name}.")


@place_app.command("neighbourhoods")
def place_neighbourhoods(
    path: Annotated[Path, typer.Argument(help="CSV with columns code,name,postcode_areas,residents.")],
) -> None:
    """Replace the place's neighbourhoods: the unit outcomes and spend are reported by."""
    rows = geography.read_neighbourhoods(path)
    runtime = Runtime.upgraded()
    with in_transaction(runtime.sessions) as db:
        geography.replace_neighbourhoods(db, rows, now=runtime.clock())
    areas = sum(len(row.postcode_areas) for row in rows)
    typer.echo(
        f"The place has {_count(len(rows), 'neighbourhood')}, covering {_count(areas, 'postcode area')}."
    )


@place_app.command("show")
def place_show() -> None:
    """Show the place and its agencies."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        place = service.require_place(db)
        table = Table("agency", "kind", "sector", title=place.name)
        for agency in service.list_agencies(db):
            table.add_row(agency.name, agency.kind, agency.sector)
        places = Table("neighbourhood", "name", "postcode areas", "residents", title="Neighbourhoods")
        for neighbourhood in geography.neighbourhoods(db):
            areas = "; ".join(area.prefix for area in neighbourhood.postcode_areas)
            residents = "" if neighbourhood.residents is None else f"{neighbourhood.residents:,}"
            places.add_row(neighbourhood.code, neighbourhood.name, areas, residents)
    console.print(table)
    if places.row_count:
        console.print(places)


@users_app.command("create")
def users_create(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="The person's full name.")],
    agency: Annotated[str, typer.Option(help="The name of the agency they work for.")],
    role: Annotated[list[Role], typer.Option(help="A role; repeat for several.")],
    email: Annotated[str | None, typer.Option(help="Their email address.")] = None,
    password_env: Annotated[
        str | None, typer.Option(help="Read the password from this environment variable instead of a prompt.")
    ] = None,
) -> None:
    """Create a staff user; asks for the password unless --password-env names a variable holding it."""
    runtime = Runtime.upgraded()
    password = _password(password_env)
    with in_transaction(runtime.sessions) as db:
        found = service.find_agency(db, agency)
        if found is None:
            raise NotFoundError(
                f"The place has no agency called {agency!r}.",
                fix="See `wholeplace place show` for its agencies.",
            )
        user = service.create_user(
            db,
            username=username,
            full_name=full_name,
            email=email,
            agency=found,
            roles=role,
            password=password,
            now=runtime.clock(),
        )
    typer.echo(f"Created the user {user.username} ({', '.join(sorted(user.roles))}) at {found.name}.")


@users_app.command("list")
def users_list() -> None:
    """List staff users, their agency and roles."""
    runtime = Runtime.upgraded()
    table = Table("username", "name", "agency", "roles", "active")
    with runtime.sessions() as db:
        for user in service.list_users(db):
            table.add_row(
                user.username,
                user.full_name,
                user.agency.name,
                ", ".join(sorted(user.roles)),
                "yes" if user.is_active else "no",
            )
    console.print(table)


@tokens_app.command("create")
def tokens_create(
    agency: Annotated[str, typer.Option(help="The agency whose system will use the token.")],
    name: Annotated[str, typer.Option(help="Which system uses it.")],
    scope: Annotated[list[Scope], typer.Option(help="A scope; repeat for several.")],
) -> None:
    """Issue an API token; it is printed once and only its hash is kept."""
    runtime = Runtime.upgraded()
    with in_transaction(runtime.sessions) as db:
        found = service.find_agency(db, agency)
        if found is None:
            raise NotFoundError(f"The place has no agency called {agency!r}.")
        _, whole = service.create_api_token(
            db, agency=found, name=name, scopes=scope, by="cli", now=runtime.clock()
        )
    typer.echo(whole)


@tokens_app.command("revoke")
def tokens_revoke(
    lookup: Annotated[str, typer.Argument(help="The token, or its 16-character id after wp_.")],
) -> None:
    """Revoke a token: requests using it are refused from then on."""
    runtime = Runtime.upgraded()
    wanted = lookup.removeprefix("wp_")[:16]
    with in_transaction(runtime.sessions) as db:
        match = next((token for token in service.list_api_tokens(db) if token.lookup == wanted), None)
        if match is None:
            raise NotFoundError(f"No token has the id {wanted!r}.", fix="See the API tokens page for ids.")
        service.revoke_api_token(db, match.id, by="cli", now=runtime.clock())
    typer.echo(f"Revoked the token {match.name} (wp_{match.lookup}_…).")


def _password(variable: str | None) -> str:
    if variable:
        value = os.environ.get(variable)
        if not value:
            raise InvalidInputError(
                f"The environment variable {variable} is empty or unset.", fix="Set it first."
            )
        return value
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat the password: "):
        raise InvalidInputError("The two passwords differ.", fix="Run the command again.")
    return first


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}" if number == 1 else f"{number:,} {thing}s"
