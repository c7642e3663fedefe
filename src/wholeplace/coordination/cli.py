"""Commands of the coordination domain: run the sustainment checks that have fallen due, and write the outcome
claim for results-based funding as CSV, released by the access decision to a named programme manager."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from wholeplace.coordination.service import closure
from wholeplace.core.db import transaction
from wholeplace.core.errors import InvalidInputError, NotFoundError, WholeplaceError
from wholeplace.core.roles import Role
from wholeplace.core.runtime import Runtime

coordination_app = typer.Typer(
    help="The team around the household: sustainment checks and outcome claims.", no_args_is_help=True
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
