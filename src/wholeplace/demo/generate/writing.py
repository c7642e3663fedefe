"""Writing extracts byte for byte the same from the same seed, in each agency's own format."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

FIXED_TIME = datetime(2026, 3, 31, 18, 0, 0)
FIXED_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def write_table(table: pd.DataFrame, path: Path, file_format: dict[str, Any]) -> None:
    kind = file_format["type"]
    if kind == "csv":
        table.to_csv(
            path,
            index=False,
            encoding=file_format.get("encoding", "utf-8"),
            sep=file_format.get("delimiter", ","),
            lineterminator="\r\n",
            errors="replace",
        )
    elif kind == "jsonl":
        path.write_text(table.to_json(orient="records", lines=True, force_ascii=False), encoding="utf-8")
    elif kind == "parquet":
        table.to_parquet(path, index=False, compression="zstd")
    elif kind == "excel":
        _write_excel(table, path, sheet=file_format.get("sheet", "Sheet1"))
    else:
        raise ValueError(f"unknown format {kind}")


def _write_excel(table: pd.DataFrame, path: Path, *, sheet: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.properties.creator = "wholeplace demo"
    worksheet = book.create_sheet(sheet)
    worksheet.append(list(table.columns))
    for row in table.itertuples(index=False, name=None):
        worksheet.append([None if value is None or value != value else value for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    _rewrite_zip_with_fixed_times(buffer.getvalue(), path)


def _rewrite_zip_with_fixed_times(data: bytes, path: Path) -> None:
    """An .xlsx is a zip whose entries, and whose 'modified' property, carry the time it was saved;
    fix both so the same seed gives the same bytes."""
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = MODIFIED.sub(lambda found: found.group(1) + FIXED_STAMP + found.group(2), content)
            fixed = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)


def write_yaml(data: Any, path: Path) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
