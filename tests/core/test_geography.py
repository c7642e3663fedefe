"""The place's neighbourhoods: the file they come in, replacing them, and placing a postcode."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.support.cli import Ran, run_in_process
from tests.support.factories import MOMENT
from wholeplace.core import geography
from wholeplace.core.errors import IngestError
from wholeplace.core.geography import NeighbourhoodRow

HEADER = "code,name,postcode_areas,residents\n"


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "neighbourhoods.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_gives_each_neighbourhood_its_areas_and_residents(tmp_path: Path) -> None:
    path = written(tmp_path, HEADER + 'N1,Old Town,"rf1 8; RF2","1,526"\nN2,Riverside,rf18ap,\n')

    rows = geography.read_neighbourhoods(path)

    assert rows == [
        NeighbourhoodRow("N1", "Old Town", ("RF1 8", "RF2"), 1526),
        NeighbourhoodRow("N2", "Riverside", ("RF1 8AP",), None),
    ]


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        ("code,name\nN1,Old Town\n", 1, None),
        (HEADER + "N1,,RF1 8,10\n", 2, "name"),
        (HEADER + "N1,Old Town,RF1 8,ten\n", 2, "residents"),
        (HEADER + "N1,Old Town,RIVERFORD,10\n", 2, "postcode_areas"),
        (HEADER + "N1,Old Town,RF1 8,10\nN1,Riverside,RF1 9,10\n", 3, "code"),
        (HEADER + "N1,Old Town,RF1 8,10\nN2,Riverside,rf1 8,10\n", 3, "postcode_areas"),
        (HEADER + "N1,Old Town,RF1 8\n", 2, None),
    ],
)
def test_a_bad_file_is_refused_saying_where(tmp_path: Path, text: str, row: int, column: str | None) -> None:
    with pytest.raises(IngestError) as refused:
        geography.read_neighbourhoods(written(tmp_path, text))

    assert (refused.value.row, refused.value.column) == (row, column)
    assert refused.value.file == "neighbourhoods.csv"


def test_a_file_with_only_a_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no neighbourhoods"):
        geography.read_neighbourhoods(written(tmp_path, HEADER))


def test_replacing_the_neighbourhoods_drops_the_old_ones(db: Session) -> None:
    geography.replace_neighbourhoods(db, [NeighbourhoodRow("N1", "Old Town", ("RF1 8",), 10)], now=MOMENT)

    geography.replace_neighbourhoods(
        db,
        [NeighbourhoodRow("N2", "Riverside", ("RF1 8", "RF2"), None), NeighbourhoodRow("N3", "Quay", (), 5)],
        now=MOMENT,
    )

    found = geography.neighbourhoods(db)
    assert [(one.code, [area.prefix for area in one.postcode_areas]) for one in found] == [
        ("N2", ["RF1 8", "RF2"]),
        ("N3", []),
    ]
    assert geography.postcode_areas(db) == {"RF1 8": "N2", "RF2": "N2"}


AREAS = {"RF1": "district", "RF1 8": "sector", "RF1 8AP": "postcode"}


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("RF1 8AP", "postcode"),
        ("rf18ap", "postcode"),
        ("RF1 8AQ", "sector"),
        ("RF1 9AA", "district"),
        ("RF1", "district"),
        ("RF2 1AA", None),
        ("", None),
        (None, None),
    ],
)
def test_a_postcode_lies_in_its_most_specific_area(postcode: str | None, expected: str | None) -> None:
    assert geography.neighbourhood_of(postcode, AREAS) == expected


@given(st.text(alphabet="ABRF0123456789 ", max_size=10))
def test_normalising_an_area_is_idempotent(text: str) -> None:
    once = geography.normalise_area(text)

    assert geography.normalise_area(once) == once
    assert once == once.strip().upper()


def test_the_command_replaces_the_neighbourhoods_and_refuses_a_bad_file_saying_where(
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def run(*args: str) -> Ran:
        return run_in_process(
            list(args),
            data_dir=tmp_path,
            database_url=empty_database_url,
            monkeypatch=monkeypatch,
            capsys=capsys,
        )

    run("place", "create", "Lowmoor")
    good = written(tmp_path, HEADER + "N1,Old Town,RF1 8;RF2,120\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "N1,Old Town,RF1 8,many\n", encoding="utf-8")

    loaded = run("place", "neighbourhoods", str(good))
    refused = run("place", "neighbourhoods", str(bad))
    shown = run("place", "show")

    assert loaded.returncode == 0
    assert "1 neighbourhood, covering 2 postcode areas" in loaded.stdout
    assert refused.returncode == 1
    assert "bad.csv, row 2, column 'residents'" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "Old Town" in shown.stdout and "RF1 8; RF2" in shown.stdout
