"""The linkage guide stays true to the code: its commands are the link commands, its table of comparisons is the
model's, and every refusal it explains is one the code makes."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from wholeplace.identity import model
from wholeplace.identity.cli import link_app

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "linking-records.md").read_text(encoding="utf-8")
IDENTITY_CODE = "".join(
    path.read_text(encoding="utf-8") for path in (ROOT / "src/wholeplace/identity").glob("*.py")
)
EVERY_COLUMN = {
    "given_name", "middle_name", "family_name", "family_names", "given_name_variants", "given_name_sound",
    "family_name_sound", "sex", "date_of_birth", "address", "postcode", "postcode_sector", "postcode_district",
    "uprn", "nhs_number", "ni_number", "upn",
}  # fmt: skip


def _section(heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(?P<body>.*?)(?=^## |\Z)", GUIDE, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no section headed {heading!r}"
    return match.group("body")


def test_the_guide_lists_every_link_command_and_no_other() -> None:
    listed = set(re.findall(r"^wholeplace link (\w+)", _section("Commands"), re.MULTILINE))
    commands = set(get_command(link_app).commands)  # type: ignore[attr-defined]
    assert listed == commands


def test_the_guide_names_every_comparison_the_model_makes() -> None:
    described = _section("What happens when you link")
    names = [comparison.create_output_column_name() for comparison in model.comparisons(EVERY_COLUMN)]
    missing = [
        name for name in names if name.replace("_", " ").removesuffix(" number") not in described.lower()
    ]
    assert missing == []


def test_every_refusal_the_guide_explains_is_one_the_code_makes() -> None:
    rows = re.findall(
        r"^\| (?P<seen>[^|]+?) \| [^|]+ \| [^|]+ \|$", _section("When linkage refuses"), re.MULTILINE
    )
    phrases = [row for row in rows if row not in ("what you see", "---")]
    assert len(phrases) >= 5
    assert [phrase for phrase in phrases if phrase.removeprefix("… ") not in IDENTITY_CODE] == []
