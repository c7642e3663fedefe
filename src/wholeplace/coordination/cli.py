"""Commands of the coordination domain: run the sustainment checks that have fallen due, write the outcome claim
for results-based funding as CSV, released by the access decision to a named programme manager, and show, set and
reset the place's coordination settings in a named administrator's name."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from sqlalchemy.orm import Session

from wholeplace.coordination.service import closure, settings
from wholeplace.core import service as core
from wholeplace.core.db import transaction
from wholeplace.core.errors import InvalidInputError, NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.core.runtime import Runtime

coordination_app = typer.Typer(
    help="The team around the household: sustainment checks, outcome claims and the place's settings.",
    no_args_is_help=True,
)
settings_app = typer.Typer(
    help="The place's coordination settings: show, set and reset them.", no_args_is_help=True
)
coordination_app.add_typer(settings_app, name="settings")
YAML_SUFFIXES = (".yaml", ".yml")
AS_ADMINISTRATOR = typer.Option(
    "--as", help="The administrator making the change, as they sign in; the setting keeps their name."
)


class ClaimRefusedError(WholeplaceError):
    """The access decision did not release the outcome claim to the user named."""


@coordination_app.command("check-sustainment")
def check_sustainment(
    today: Annotated[
        str | None, typer.Option(help="The day to check as of, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Run every sustainment check due by today, once each; a relapse alerts the household's lead professional."""
    runtime = Runtime.upgraded()
    at = runtime.clock()
    day = _day(today, "--today") or at.date()
    with transaction(runtime.sessions) as db:
        checked = closure.run_due_checks(db, data_dir=runtime.settings.data_dir, today=day, at=at)
        statuses = [check.status for check in checked]
    sustained, relapsed = statuses.count(closure.SUSTAINED), statuses.count(closure.RELAPSED)
    typer.echo(
        f"{len(statuses)} check{'s' if len(statuses) != 1 else ''} run as of {day:%d %B %Y}: "
        f"{sustained} sustained, {relapsed} relapsed."
    )


@coordination_app.command("outcome-claims")
def outcome_claims(
    out: Annotated[Path, typer.Option(help="The CSV file to write.", dir_okay=False)],
    as_user: Annotated[
        str,
        typer.Option(
            "--as", help="The programme manager the claim is released to; the access log names them."
        ),
    ],
    closed_from: Annotated[
        str | None, typer.Option("--from", help="Plans closed on or after this day, YYYY-MM-DD.")
    ] = None,
    closed_to: Annotated[
        str | None, typer.Option("--to", help="Plans closed on or before this day, YYYY-MM-DD.")
    ] = None,
) -> None:
    """Write the outcome claim for plans closed in the period, once the access decision releases it to the
    named user; the release is one entry in the access log, permitted or refused."""
    runtime = Runtime.upgraded()
    since, until = _day(closed_from, "--from"), _day(closed_to, "--to")
    if since and until and until < since:
        raise InvalidInputError(
            "The --to day is before the --from day.", fix="Give the period the right way round."
        )
    with transaction(runtime.sessions) as db:
        viewer = closure.viewer_of(db, as_user)
        if viewer is None:
            raise NotFoundError(
                f"There is no active user called {as_user!r}.",
                fix="Name the programme manager the claim is for, as they sign in.",
            )
        if not viewer.has(Role.PROGRAMME_MANAGER):
            raise InvalidInputError(
                f"{viewer.full_name} ({viewer.username}) is not a programme manager; the outcome claim is for "
                "programme managers.",
                fix="Name a programme manager, as the outcome claims page allows only them.",
            )
        released = closure.release_claims(
            db,
            data_dir=runtime.settings.data_dir,
            viewer=viewer,
            closed_from=since,
            closed_to=until,
            at=runtime.clock(),
        )
    if not released.permitted:
        raise ClaimRefusedError(
            f"The outcome claim is not released to {as_user}: {released.reason}",
            fix=f"The refusal is in the access log at position {released.position}. "
            "Ask the information governance team about an agreement for claiming results-based funding.",
        )
    with out.open("w", encoding="utf-8", newline="") as file:
        file.writelines(closure.claims_csv(released.rows))
    households = len({row.household_id for row in released.rows})
    typer.echo(
        f"Wrote {len(released.rows)} row{'s' if len(released.rows) != 1 else ''} for {households} "
        f"household{'s' if households != 1 else ''} to {out} (access log entry {released.position})."
    )


def _day(given: str | None, option: str) -> date | None:
    if given is None or not given.strip():
        return None
    try:
        return date.fromisoformat(given.strip())
    except ValueError as error:
        raise InvalidInputError(
            f"{option} {given!r} is not a date.", fix="Give it as YYYY-MM-DD, for example 2027-03-31."
        ) from error


# ---------------------------------------------------------------- the place's settings


@settings_app.command("show")
def show_settings(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show each setting: its value, whether it is the default, and who changed it and when."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        shown = settings.every_setting(db)
    if as_json:
        typer.echo(json.dumps({one.key: _as_data(one) for one in shown}, ensure_ascii=False))
        return
    for one in shown:
        typer.echo(f"{one.key} ({one.definition.label}): {_standing(one)}")
        typer.echo(f"  {json.dumps(one.value, ensure_ascii=False)}")
    own = sum(not one.is_default for one in shown)
    typer.echo(f"{len(shown)} settings: {own} the place's own, {len(shown) - own} the default.")


@settings_app.command("set")
def set_setting(
    key: Annotated[str, typer.Argument(help="The setting, for example response_hours.")],
    value: Annotated[
        str, typer.Argument(help="The value as JSON, or the path of a JSON or YAML file holding it.")
    ],
    as_user: Annotated[str, AS_ADMINISTRATOR],
) -> None:
    """Make a value the place's own for a setting, once it is checked."""
    runtime = Runtime.upgraded()
    given = _value_from(value)
    with transaction(runtime.sessions) as db:
        by = _administrator(db, as_user)
        changed = settings.change(db, key=key, value=given, by=by, at=runtime.clock())
    typer.echo(f"  {json.dumps(changed.value, ensure_ascii=False)}")
    typer.echo(f"Set {changed.key} ({changed.definition.label}) as the place's own, in {by}'s name.")


@settings_app.command("reset")
def reset_setting(
    key: Annotated[str, typer.Argument(help="The setting, for example response_hours.")],
    as_user: Annotated[str, AS_ADMINISTRATOR],
) -> None:
    """Return a setting to its default."""
    runtime = Runtime.upgraded()
    with transaction(runtime.sessions) as db:
        by = _administrator(db, as_user)
        returned = settings.reset(db, key=key, by=by, at=runtime.clock())
    typer.echo(f"Returned {returned.key} ({returned.definition.label}) to the default, in {by}'s name.")


def _standing(one: settings.Current) -> str:
    if one.changed_at is None:
        return "the default, never changed"
    how = "the default, returned to" if one.is_default else "the place's own, changed"
    return f"{how} by {one.changed_by} on {one.changed_at:%Y-%m-%d %H:%M} UTC"


def _as_data(one: settings.Current) -> dict[str, Any]:
    return {
        "label": one.definition.label,
        "value": one.value,
        "default": one.is_default,
        "changed_by": one.changed_by,
        "changed_at": one.changed_at.isoformat() if one.changed_at else None,
    }


def _value_from(given: str) -> Any:
    """The value as JSON given on the command line, or else read from the file it names."""
    try:
        return json.loads(given)
    except json.JSONDecodeError:
        pass
    path = Path(given)
    if not path.is_file():
        raise InvalidInputError(
            f"The value {given!r} is neither JSON nor a file.",
            fix="Give it as JSON in quotes, for example '{\"urgent\": 8}', or the path of a JSON or YAML file.",
        )
    try:
        text = path.read_text(encoding="utf-8")
        return yaml.safe_load(text) if path.suffix.lower() in YAML_SUFFIXES else json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise InvalidInputError(
            f"{path} does not hold a readable value: {error}",
            fix="Write the value as JSON in a .json file, or as YAML in a .yaml or .yml file.",
        ) from error


def _administrator(db: Session, username: str) -> str:
    user = core.find_user(db, username)
    if user is None or not user.is_active:
        raise NotFoundError(
            f"There is no active user called {username!r}.",
            fix="Name the administrator making the change, as they sign in.",
        )
    if Role.ADMINISTRATOR not in user.roles:
        raise InvalidInputError(
            f"{user.full_name} ({user.username}) is not an administrator; the coordination settings are changed "
            "by administrators.",
            fix="Name an administrator, as the settings page allows only them.",
        )
    return user.username
