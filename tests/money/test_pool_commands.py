"""The pooled budget commands as a finance lead runs them, on SQLite and PostgreSQL: `pool show` reads a file and
loads nothing, in words and as JSON; `pool load` keeps it as the next version of its budget; a file with mistakes
is answered with each field and line, an exit code of 1, no traceback and nothing kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.money.test_pooled_budget_views import BUDGET
from tests.support.cli import Ran, run_in_process

Runner = Callable[..., Ran]


@pytest.fixture
def run(
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Runner:
    def running(*args: str) -> Ran:
        return run_in_process(
            list(args),
            data_dir=tmp_path / "data",
            database_url=empty_database_url,
            monkeypatch=monkeypatch,
            capsys=capsys,
        )

    return running


@pytest.fixture
def budget_file(tmp_path: Path) -> Path:
    path = tmp_path / "fund.yaml"
    path.write_text(BUDGET, encoding="utf-8")
    return path


def test_pool_show_prints_the_allocations_the_partners_and_what_the_balance_means(
    run: Runner, budget_file: Path
) -> None:
    said = run("pool", "show", str(budget_file))

    assert said.returncode == 0, said.stderr
    words = " ".join(said.stdout.split())
    assert "a pot of £1,000,000.00" in words
    assert "£520,000.00" in words and "-£20,000.00" in words
    assert words.endswith("The forecast underspend of £389,999.50 returns to the partners by their shares.")


def test_pool_show_as_json_gives_every_figure_to_the_penny(run: Runner, budget_file: Path) -> None:
    said = run("pool", "show", str(budget_file), "--json")

    shown = json.loads(said.stdout)
    assert (shown["pot"], shown["spent"], shown["outturn"], shown["balance"]) == (
        1000000.0,
        345000.5,
        610000.5,
        389999.5,
    )
    assert shown["spent_by_period"] == {"Q1": 220000.5, "Q2": 125000.0}
    assert [(one["partner"], one["gain"]) for one in shown["partners"]] == [
        ("Testford Council", 233999.7),
        ("Testford NHS", 116999.85),
        ("Testford Police", 38999.95),
    ]
    assert shown["allocations"][1]["forecast"] is None and shown["allocations"][1]["variance"] == 309999.5


def test_pool_load_keeps_each_load_as_the_next_version(run: Runner, budget_file: Path) -> None:
    first = run("pool", "load", str(budget_file))
    second = run("pool", "load", str(budget_file), "--json")

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Loaded Testford Early Help Fund (2025-26) as version 1.")
    assert json.loads(second.stdout)["balance"] == 389999.5


def test_a_file_with_mistakes_names_each_field_and_line_and_keeps_nothing(
    run: Runner, budget_file: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BUDGET.replace("host: Testford Council", "host: Testford Hospital"), encoding="utf-8")

    refused = run("pool", "load", str(bad))

    assert refused.returncode == 1
    assert "host (line 3): 'Testford Hospital' puts nothing into the pot" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    loaded = run("pool", "load", str(budget_file))
    assert "as version 1." in loaded.stdout
