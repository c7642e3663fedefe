"""Commands of the governance domain: verify the access log, sign a checkpoint of its head, and export the
checkpoints for partners to witness."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from wholeplace.core.db import transaction as in_transaction
from wholeplace.core.errors import InvalidInputError, WholeplaceError
from wholeplace.core.runtime import Runtime
from wholeplace.governance import signing
from wholeplace.governance.service import log

console = Console()
audit_app = typer.Typer(help="The tamper-evident access log.", no_args_is_help=True)

WHAT_TO_DO = (
    "Do not add to the log until this is understood: keep a copy of the database as it is now, restore the "
    "log from a backup taken before that position, and compare it with the checkpoints partners witnessed "
    "(`wholeplace audit verify --witnessed FILE`). See docs/access-log.md."
)


class AccessLogInvalidError(WholeplaceError):
    """The access log is no longer the one that was written."""


@audit_app.command("verify")
def audit_verify(
    witnessed: Annotated[
        Path | None,
        typer.Option(
            help="A checkpoints file a partner kept (from export-checkpoints).", exists=True, dir_okay=False
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check every entry of the access log against the hash chain and every signed checkpoint; exit 1 naming
    the first position the log cannot vouch for."""
    runtime = Runtime.upgraded()
    kept = None if witnessed is None else _read_witnessed(witnessed)
    public_keys = signing.place_public_keys(runtime.settings.data_dir)
    quiet = as_json or not console.is_terminal
    with runtime.sessions() as db, nullcontext() if quiet else console.status("Verifying the access log"):
        found = log.verify(db, public_keys=public_keys, witnessed=kept)
    if as_json:
        typer.echo(json.dumps(found.as_json()))
        if not found.valid:
            raise typer.Exit(code=1)
        return
    if not found.valid:
        raise AccessLogInvalidError(
            f"The access log is not valid from position {found.first_invalid_position}. {found.problem}",
            fix=WHAT_TO_DO,
        )
    typer.echo(
        f"The access log is intact: {found.entries:,} entries, {found.checkpoints_checked:,} signed "
        "checkpoints checked."
    )


def _read_witnessed(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(
            f"Cannot read the witnessed checkpoints in {path}: {error}.",
            fix="Give the JSON file `wholeplace audit export-checkpoints` wrote, as the partner kept it.",
        ) from error
    if not isinstance(document, dict):
        raise InvalidInputError(
            f"{path} does not hold exported checkpoints.",
            fix="Give the JSON file `wholeplace audit export-checkpoints` wrote, as the partner kept it.",
        )
    return document


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the log's head now with the place's key."""
    runtime = Runtime.upgraded()
    key = signing.place_key(runtime.settings.data_dir)
    with in_transaction(runtime.sessions) as db:
        signed = log.checkpoint(db, key=key, at=runtime.clock())
        if signed is None:
            typer.echo("Nothing to sign: the log is empty or its head is already signed.")
            return
        typer.echo(f"Signed the head at position {signed.position:,} (hash {signed.head_hash[:12]}…).")


@audit_app.command("export-checkpoints")
def audit_export_checkpoints(
    out: Annotated[Path, typer.Option(help="The JSON file to write.", dir_okay=False)],
) -> None:
    """Write every signed checkpoint with the place's public key, for partners to keep and witness."""
    runtime = Runtime.upgraded()
    public_key = signing.place_key(runtime.settings.data_dir).public_key()
    with runtime.sessions() as db:
        exported = log.export_checkpoints(db, public_key=public_key)
    out.write_text(json.dumps(exported, indent=2) + "\n", encoding="utf-8")
    typer.echo(
        f"Wrote {len(exported['checkpoints']):,} checkpoints to {out}. Give each partner a copy; "
        f"`wholeplace audit verify --witnessed {out.name}` checks the log against it."
    )
