"""Commands for sharing agreements: import one written as YAML or JSON (and activate it), and export a version
as JSON-LD in the W3C Data Privacy Vocabulary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from wholeplace.core.db import transaction
from wholeplace.core.errors import NotFoundError
from wholeplace.core.runtime import Runtime
from wholeplace.governance import dpv
from wholeplace.governance.service import agreements
from wholeplace.sources.cli import command_user

agreements_app = typer.Typer(help="Sharing agreements, as data.", no_args_is_help=True)

OUTCOMES = {
    "drafted": "Drafted",
    "updated draft": "Rewrote the draft",
    "activated": "Activated",
    "unchanged": "Nothing to change in",
}


@agreements_app.command("import")
def import_agreement(
    file: Annotated[
        Path, typer.Argument(help="The agreement, as YAML or JSON.", exists=True, dir_okay=False)
    ],
    activate: Annotated[
        bool, typer.Option("--activate", help="Bring it into force, once every check passes.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Keep an agreement file as a draft (the next version of its reference), and activate it if asked. The same
    file twice changes nothing."""
    runtime = Runtime.upgraded()
    with transaction(runtime.sessions) as db:
        imported = agreements.import_agreement(
            db, file, by=command_user(), at=runtime.clock(), activate=activate
        )
        agreement = imported.agreement
        shown = {
            "reference": agreement.reference,
            "version": agreement.version,
            "status": agreement.status,
            "outcome": imported.outcome,
        }
    if as_json:
        typer.echo(json.dumps(shown))
        return
    typer.echo(
        f"{OUTCOMES[imported.outcome]} {shown['reference']} version {shown['version']} "
        f"from {file.name}: it is {shown['status']}."
    )


@agreements_app.command("export")
def export_agreement(
    reference: Annotated[str, typer.Argument(help="The agreement's reference, for example ISA-2026-01.")],
    out: Annotated[Path, typer.Option(help="The JSON-LD file to write.", dir_okay=False)],
    version: Annotated[
        int | None, typer.Option(help="The version to export; the latest if not given.")
    ] = None,
) -> None:
    """Write a version of an agreement as JSON-LD in the W3C Data Privacy Vocabulary."""
    runtime = Runtime.upgraded()
    with runtime.sessions() as db:
        found = agreements.versions(db, reference)
        if not found:
            raise NotFoundError(
                f"There is no agreement {reference}.",
                fix="Import it first with `wholeplace agreements import`.",
            )
        agreement = found[-1] if version is None else agreements.get_version(db, reference, version)
        document = dpv.agreement_jsonld(agreement, purpose_labels=agreements.purpose_labels(db))
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"Wrote {agreement.reference} version {agreement.version} ({agreement.status}) to {out}.")


@agreements_app.command("expire-lapsed")
def expire_lapsed() -> None:
    """Record as expired every active or suspended agreement whose expiry date has passed; run it daily."""
    runtime = Runtime.upgraded()
    with transaction(runtime.sessions) as db:
        lapsed = agreements.expire_lapsed(db, today=runtime.clock().date())
        names = [agreements.label(agreement) for agreement in lapsed]
    for name in names:
        typer.echo(f"Expired {name}.")
    typer.echo(f"{len(names)} agreement{'s' if len(names) != 1 else ''} expired.")
