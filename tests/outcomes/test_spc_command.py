"""`wholeplace outcomes spc` as a person runs it: a real process, JSON for machines, a message for mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SERIES = "period,value\n" + "".join(f"2024-{month:02},{value}\n" for month, value in enumerate([10] * 11, 1))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from wholeplace.cli import main; main()", "outcomes", "spc", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_json_has_one_object_per_point_with_its_limits_rules_and_variation(tmp_path: Path) -> None:
    path = tmp_path / "absence.csv"
    path.write_text(SERIES + "2024-12,13\n", encoding="utf-8")

    ran = run(str(path), "--polarity", "lower-is-better", "--json")

    assert ran.returncode == 0, ran.stderr
    points = json.loads(ran.stdout)
    assert [set(point) for point in points] == [
        {"period", "value", "mean", "lower_limit", "upper_limit", "special_cause", "rules", "variation"}
    ] * 12
    last = points[-1]
    assert last["period"] == "2024-12"
    assert last["value"] == 13.0
    assert last["mean"] == 10.25
    assert last["upper_limit"] == pytest.approx(10.25 + 2.66 * 3 / 11)  # one moving range of 3 among 11
    assert (last["special_cause"], last["rules"], last["variation"]) == (True, ["a"], "concern")
    assert points[0]["rules"] == ["b"]  # eleven 10s below the mean: a shift, and lower is better
    assert points[0]["variation"] == "improvement"


def test_the_table_ends_with_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "absence.csv"
    path.write_text(SERIES + "2024-12,13\n", encoding="utf-8")

    ran = run(str(path))

    assert ran.returncode == 0, ran.stderr
    summary = " ".join(ran.stdout.split()[-20:])
    assert "12 points, higher-is-better" in summary
    assert "special cause: 11 concern, 1 improvement." in summary


def test_a_bad_value_is_a_message_naming_the_row_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "absence.csv"
    path.write_text("period,value\n2024-01,4\n2024-02,four\n", encoding="utf-8")

    ran = run(str(path), "--json")

    assert ran.returncode == 1
    assert "absence.csv, row 3, column 'value'" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert ran.stdout == ""


def test_one_value_is_too_few_for_limits(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("period,value\n2024-01,4\n", encoding="utf-8")

    ran = run(str(path))

    assert ran.returncode == 1
    assert "1 value;" in ran.stderr and "at least two" in ran.stderr
