"""The guides stay true to the code: the data standard documents every field, code and reason the code has, and
the example mappings in the agency guide are ones wholeplace accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wholeplace.sources.mapping import parse_mapping
from wholeplace.sources.standard import ENTITIES, STANDARD_VERSION, Entity
from wholeplace.sources.standardise import PROBLEM_CODES
from wholeplace.sources.transform import FIX_FOR

DOCS = Path(__file__).resolve().parents[2] / "docs"
STANDARD = (DOCS / "data-standard.md").read_text(encoding="utf-8")
GUIDE = (DOCS / "connecting-your-agency.md").read_text(encoding="utf-8")
FENCED = re.compile(r"^```(?P<language>\w*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def _section(text: str, heading: str) -> str:
    """The text under a level-two heading, up to the next one."""
    match = re.search(rf"^## {re.escape(heading)}\n(?P<body>.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no section headed {heading!r}"
    return match.group("body")


def _fenced(text: str, language: str) -> list[str]:
    return [match.group("body") for match in FENCED.finditer(text) if match.group("language") == language]


@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_every_field_is_a_row_of_its_entitys_table(entity: Entity) -> None:
    section = _section(STANDARD, f"`{entity.name}`")
    missing = [field.name for field in entity.fields if f"| `{field.name}` |" not in section]
    assert missing == []


@pytest.mark.parametrize("entity", ENTITIES.values(), ids=list(ENTITIES))
def test_every_closed_code_list_is_given_in_full(entity: Entity) -> None:
    section = _section(STANDARD, f"`{entity.name}`")
    codes = {code for field in entity.fields for code in field.codes}
    assert sorted(code for code in codes if f"`{code}`" not in section) == []


def test_further_identifiers_are_documented_with_their_pattern() -> None:
    person = _section(STANDARD, "`person`")
    assert "| `identifiers.<type>` |" in person
    assert "^[a-z][a-z0-9_]{0,39}$" in STANDARD


def test_every_problem_code_is_explained() -> None:
    problems = _section(STANDARD, "Problems and the quarantine")
    assert [code for code in PROBLEM_CODES if f"| `{code}` |" not in problems] == []


def test_every_reason_for_setting_a_row_aside_is_explained() -> None:
    problems = _section(STANDARD, "Problems and the quarantine")
    assert [reason for reason in FIX_FOR if f"| `{reason}` |" not in problems] == []


def test_the_standard_names_its_version() -> None:
    assert f"version **{STANDARD_VERSION}**" in STANDARD


def test_the_guide_has_example_mappings_for_people_and_for_spend() -> None:
    entities = {parse_mapping(text, file="guide.yaml").entity.name for text in _fenced(GUIDE, "yaml")}
    assert entities == {"person", "spend_line"}


@pytest.mark.parametrize("number", range(len(_fenced(GUIDE, "yaml"))))
def test_each_example_mapping_in_the_guide_is_accepted(number: int) -> None:
    mapping = parse_mapping(_fenced(GUIDE, "yaml")[number], file=f"example {number + 1}")
    assert mapping.fields


def test_the_example_file_has_every_column_the_first_mapping_names() -> None:
    first = parse_mapping(_fenced(GUIDE, "yaml")[0], file="tenants.yaml")
    extract = next(body for body in _fenced(GUIDE, "") if body.startswith(first.record_id or "?"))
    first.check_columns(extract.splitlines()[0].split(","), file="tenants.csv")
