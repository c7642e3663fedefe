"""docs/access-decisions.md stays true: its purposes and categories are the ones the decision knows."""

from __future__ import annotations

import re
from pathlib import Path

from wholeplace.core.roles import Role
from wholeplace.governance import vocabulary

DOC = (Path(__file__).parents[2] / "docs" / "access-decisions.md").read_text(encoding="utf-8")


def _rows(heading: str) -> dict[str, list[str]]:
    section = DOC.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \|(.*)\|$", section, flags=re.MULTILINE)
    return {code: [cell.strip() for cell in rest.split("|")] for code, rest in rows}


def test_the_purposes_table_is_the_built_in_purposes() -> None:
    rows = _rows("Purposes")
    assert list(rows) == [purpose.code for purpose in vocabulary.PURPOSES]
    for purpose in vocabulary.PURPOSES:
        label, roles, involvement, case = rows[purpose.code]
        assert label == purpose.label
        assert set(roles.split(", ")) == {Role(role).label.lower() for role in purpose.roles}
        assert involvement.startswith("yes" if purpose.needs_involvement else "no")
        assert case == ("yes" if purpose.needs_case_reference else "no")
        if purpose.first_inquiry_hours:
            assert f"{purpose.first_inquiry_hours}-hour" in involvement


def test_the_categories_table_is_the_data_categories() -> None:
    assert list(_rows("Data categories")) == [category.code for category in vocabulary.CATEGORIES]
