"""`wholeplace spend duplication` on a demo place of 1,000 residents, on SQLite and PostgreSQL: what the households
many agencies work with cost them together, with its cost book, small numbers suppressed; the demo's pooled budget
file read by `pool show`; and mistakes answered with what to do, an exit code of 1 and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import _run
from wholeplace.money.cracks import SMALLEST_SHOWN as CRACKS_SMALLEST
from wholeplace.money.duplication import SMALLEST_SHOWN


def test_the_demo_place_s_duplication_and_pooled_budget(empty_database_url: str, tmp_path: Path) -> None:
    built = _run(
        ["demo", "--no-serve", "--residents", "1000"], data_dir=tmp_path, database_url=empty_database_url
    )
    assert built.returncode == 0, built.stderr
    money = tmp_path / "demo-place" / "money"

    said = _run(
        ["spend", "duplication", str(money / "cost-book.yaml"), "--year", "2025/26", "--json"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )

    assert said.returncode == 0, said.stderr
    found = json.loads(said.stdout)
    assert (found["year"], found["prices"]) == ("2025-26", "2013-14 prices, from Riverford cost book")
    shown = [band for band in found["bands"] if band["households"] is not None]
    assert [band["agencies"] for band in found["bands"]] == ["1", "2", "3", "4", "5 or more"]
    assert all(band["households"] >= SMALLEST_SHOWN for band in shown)
    assert sum(band["households"] for band in shown) <= found["households"]
    assert sum(band["cost"] for band in shown) <= found["cost"] + 0.01
    pairs = [pair["households"] for pair in found["service_pairs"]]
    assert pairs == sorted(pairs, reverse=True) and all(count >= SMALLEST_SHOWN for count in pairs)
    # The demo's book leaves tenancies unpriced: they are counted, not costed.
    assert "tenancy" in {one["type"] for one in found["unpriced"]}

    _check_cracks(tmp_path, empty_database_url)

    pool = _run(
        ["pool", "show", str(money / "early-help-pooled-fund.yaml"), "--json"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )
    assert json.loads(pool.stdout)["balance"] == 79000.0


LABELS = {"label", "kind", "type", "agency"}


def _check_cracks(data_dir: Path, database_url: str) -> None:
    """What follows a domestic-abuse incident in the demo: the cohort's rows sum to all agencies, small rows hidden."""
    said = _run(
        ["spend", "cracks", "--agency", "Vale Police", "--event", "domestic_abuse_incident", "--json"],
        data_dir=data_dir,
        database_url=database_url,
    )

    assert said.returncode == 0, said.stderr
    found = json.loads(said.stdout)
    assert found["shown"] and found["trigger"]["months"] == 12 and found["as_of"] <= "2026-03-31"
    assert found["cohort"] >= CRACKS_SMALLEST and found["comparison"] >= found["cohort"]
    shown = [row for row in found["by_agency"] if row["cohort_rate"] is not None]
    assert all(row["cohort_with_cost"] >= CRACKS_SMALLEST for row in shown)
    every = found["all_agencies"]
    if every["excess"] is not None and len(shown) == len(found["by_agency"]):
        assert abs(sum(row["excess"] for row in shown) - every["excess"]) < 0.01 * len(shown)
    others = found["other_agencies"]  # at 1,000 residents, the one row with enough people
    assert others["cohort_with_cost"] >= CRACKS_SMALLEST
    # Each figure is rounded to the hundredth, so the product may be off by half a hundredth of each factor.
    rounding = 0.005 * (abs(others["difference"]) + found["person_years"]) + 0.01
    assert abs(others["excess"] - others["difference"] * found["person_years"]) <= rounding
    hidden = [row for row in found["by_agency"] + found["by_type"] if row["cohort_rate"] is None]
    assert all(value is None for row in hidden for key, value in row.items() if key not in LABELS)
    assert "Descriptive only" not in said.stdout  # the caveat is for people, not machines

    told = _run(
        [
            "spend",
            "cracks",
            "--agency",
            "Vale Police",
            "--event",
            "domestic_abuse_incident",
            "--to",
            "31/03/2025",
        ],
        data_dir=data_dir,
        database_url=database_url,
    )
    assert told.returncode == 1 and "'31/03/2025' is not a date." in told.stderr
    assert "Traceback" not in told.stderr + told.stdout


def test_duplication_before_any_linking_says_to_link_first(empty_database_url: str, tmp_path: Path) -> None:
    book = tmp_path / "costs.yaml"
    book.write_text("name: Costs\nbase_year: 2013-14\n", encoding="utf-8")

    refused = _run(
        ["spend", "duplication", str(book), "--year", "2025-26"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )

    assert refused.returncode == 1
    assert "The linked data hold no households yet." in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout


def test_a_cost_book_with_a_mistake_is_named_by_field_and_line(
    empty_database_url: str, tmp_path: Path
) -> None:
    book = tmp_path / "costs.yaml"
    book.write_text("name: Costs\nbase_year: 2013-14\nevents:\n  - {type: eviction}\n", encoding="utf-8")

    refused = _run(
        ["spend", "duplication", str(book), "--year", "2025-26"],
        data_dir=tmp_path,
        database_url=empty_database_url,
    )

    assert refused.returncode == 1
    assert "events[0] (line 4): needs one of unit_cost_code and amount" in refused.stderr
