"""A small CSV file a person hands over (a series, a deflator table), read whole: its rows as text, or an error
saying what is wrong with the file and what to do."""

from __future__ import annotations

import csv
from pathlib import Path

from wholeplace.core.errors import IngestError


def read_csv_rows(path: Path) -> list[list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle))
    except UnicodeDecodeError as error:
        raise IngestError(
            "The file is not UTF-8 text.", file=path.name, fix="Save it as CSV UTF-8 and try again."
        ) from error
    except OSError as error:
        raise IngestError(
            f"The file cannot be opened: {error.strerror or error}.",
            file=path.name,
            fix="Check the file's name and path, and that it arrived in full.",
        ) from error
