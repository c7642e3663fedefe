"""The access-log guide stays true to the code: its columns are the table's, its formats are the ones the code
writes, and its commands are the audit commands."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from wholeplace.governance import signing
from wholeplace.governance.chain import ENTRY_FORMAT, STORED_COLUMNS
from wholeplace.governance.cli import audit_app
from wholeplace.governance.service import log

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "access-log.md").read_text(encoding="utf-8")


def test_the_guide_describes_every_column_of_the_log_and_no_other() -> None:
    table = GUIDE.split("## What is logged", 1)[1].split("##", 1)[0]
    described = set(re.findall(r"`(\w+)`", "".join(re.findall(r"^\| (.*?) \|", table, re.MULTILINE))))
    assert described == set(STORED_COLUMNS)


def test_the_guide_shows_the_checkpoint_text_the_key_signs() -> None:
    shown = GUIDE.split("```\nwholeplace access-log checkpoint v1\n", 1)[1].split("```", 1)[0]
    head = "<the entry_hash at position 1000>"
    expected = signing.checkpoint_message(1000, head, "2026-11-30T14:50:00.123456Z").decode("utf-8")
    assert "wholeplace access-log checkpoint v1\n" + shown == expected


def test_the_guide_names_the_formats_the_code_writes() -> None:
    for name in (ENTRY_FORMAT, log.EXPORT_FORMAT, signing.KEY_FILE):
        assert f"`{name}`" in GUIDE


def test_the_guide_shows_every_audit_command() -> None:
    shown = set(re.findall(r"^wholeplace audit ([\w-]+)", GUIDE, re.MULTILINE))
    assert shown == set(get_command(audit_app).commands)  # type: ignore[attr-defined]
