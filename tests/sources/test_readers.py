"""Reading agency extracts: encodings, delimiters, row numbers, malformed rows, each format, and bounded memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from pathlib import Path

import openpyxl
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wholeplace.core.errors import IngestError
from wholeplace.sources.readers import Chunk, FileFormat, MalformedRow, SourceFile, open_source_file

CSV = FileFormat("csv")


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def read_all(path: Path, file_format: FileFormat = CSV, *, chunk_rows: int = 100_000) -> list[Chunk]:
    with open_source_file(path, file_format, chunk_rows=chunk_rows) as source:
        return list(source.chunks())


def rows_of(chunks: list[Chunk]) -> list[tuple[int, dict[str, str | None]]]:
    return [
        (number, row)
        for chunk in chunks
        for number, row in zip(chunk.row_numbers.to_pylist(), chunk.rows.to_pylist(), strict=True)
    ]


def malformed_of(chunks: list[Chunk]) -> list[MalformedRow]:
    return [malformed for chunk in chunks for malformed in chunk.malformed]


def opened(path: Path, file_format: FileFormat = CSV) -> SourceFile:
    with open_source_file(path, file_format) as source:
        return source


def refusal(path: Path, file_format: FileFormat = CSV) -> IngestError:
    with pytest.raises(IngestError) as raised:
        read_all(path, file_format)
    return raised.value


# --- CSV encodings ---------------------------------------------------------------------------------------------


def test_utf8_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "name\nRenée\n".encode())

    assert opened(path).encoding == "utf-8"
    assert rows_of(read_all(path)) == [(2, {"name": "Renée"})]


def test_a_bom_is_detected_and_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbfname,town\nRen\xc3\xa9e,Riverford\n")

    source = opened(path)

    assert (source.encoding, source.columns) == ("utf-8-sig", ["name", "town"])
    assert rows_of(read_all(path)) == [(2, {"name": "Renée", "town": "Riverford"})]


def test_declared_utf8_accepts_a_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"\xef\xbb\xbfname\nAnn\n")

    source = opened(path, FileFormat("csv", encoding="utf-8"))

    assert (source.encoding, source.columns) == ("utf-8-sig", ["name"])


@pytest.mark.parametrize(
    ("declared", "used"),
    [("windows-1252", "cp1252"), ("cp1252", "cp1252"), ("latin-1", "latin-1"), ("iso-8859-1", "latin-1")],
)
def test_declared_encoding_aliases_are_accepted(tmp_path: Path, declared: str, used: str) -> None:
    path = write(tmp_path, "a.csv", b"name\nRen\xe9e\n")

    source = opened(path, FileFormat("csv", encoding=declared))

    assert source.encoding == used
    assert rows_of(read_all(path, FileFormat("csv", encoding=declared))) == [(2, {"name": "Renée"})]


def test_windows_1252_is_detected_when_the_file_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "name,note\nRenée,it\u2019s €5\n".encode("cp1252"))

    assert opened(path).encoding == "cp1252"
    assert rows_of(read_all(path)) == [(2, {"name": "Renée", "note": "it\u2019s €5"})]


def test_latin1_is_detected_when_the_file_is_not_windows_1252(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"name\n\x81Ren\xe9e\n")  # 0x81 means nothing in Windows-1252

    assert opened(path).encoding == "latin-1"
    assert rows_of(read_all(path)) == [(2, {"name": "\x81Renée"})]


def test_a_wrong_declared_encoding_names_the_row_the_bytes_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", b"name,town\nAnn,Riverford\nRen\xe9e,Riverford\n")

    with pytest.raises(IngestError) as raised:
        open_source_file(path, FileFormat("csv", encoding="utf-8"))

    assert raised.value.row == 3
    assert "0xE9" in raised.value.problem
    assert "format.encoding: cp1252" in raised.value.fix


def test_bytes_that_do_not_decode_after_the_sample_name_the_row(tmp_path: Path) -> None:
    filler = b"Ann,Riverford\n" * 100_000  # 1.4 MB, beyond the sample the encoding is detected from
    path = write(tmp_path, "a.csv", b"name,town\n" + filler + b"Ren\xe9e,Riverford\n")

    error = refusal(path)

    assert error.row == 100_002
    assert "format.encoding: cp1252" in error.fix


def test_an_unknown_declared_encoding_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "name\nAnn\n")

    error = refusal(path, FileFormat("csv", encoding="klingon"))

    assert "klingon" in error.problem
    assert "format.encoding" in error.fix


# --- CSV delimiters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    other = ";" if delimiter == "," else ","
    path = write(tmp_path, "a.csv", f"name{delimiter}note\nAnn{delimiter}a{other}b\n")

    assert opened(path).delimiter == delimiter
    assert rows_of(read_all(path)) == [(2, {"name": "Ann", "note": f"a{other}b"})]


@pytest.mark.parametrize(("declared", "used"), [(";", ";"), ("|", "|"), ("\t", "\t"), ("tab", "\t")])
def test_a_declared_delimiter_is_used(tmp_path: Path, declared: str, used: str) -> None:
    path = write(tmp_path, "a.csv", f"name{used}town\nAnn{used}Riverford\n")

    source = opened(path, FileFormat("csv", delimiter=declared))

    assert (source.delimiter, source.columns) == (used, ["name", "town"])


def test_a_single_column_file_is_split_on_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "name\nAnn\n")

    assert opened(path).delimiter == ","


def test_a_delimiter_of_more_than_one_character_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "name\nAnn\n")

    error = refusal(path, FileFormat("csv", delimiter="||"))

    assert "format.delimiter" in error.fix


# --- CSV rows and their numbers --------------------------------------------------------------------------------


def test_quoted_line_breaks_stay_in_one_cell_and_later_rows_keep_their_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'id,note\r\n1,"two\r\nlines"\r\n2,"three\nshort\nlines"\r\n3,plain\r\n')

    assert rows_of(read_all(path)) == [
        (2, {"id": "1", "note": "two\r\nlines"}),
        (3, {"id": "2", "note": "three\nshort\nlines"}),
        (4, {"id": "3", "note": "plain"}),
    ]


def test_a_header_name_with_a_line_break_is_one_row(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'id,"date of\nbirth"\n1,2000-01-01\n')

    assert opened(path).columns == ["id", "date of\nbirth"]
    assert rows_of(read_all(path)) == [(2, {"id": "1", "date of\nbirth": "2000-01-01"})]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,name\n1,Ann\n\n   \n,\n2,Bob\n")

    assert rows_of(read_all(path)) == [(2, {"id": "1", "name": "Ann"}), (6, {"id": "2", "name": "Bob"})]
    assert malformed_of(read_all(path)) == []


def test_empty_cells_are_null(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'a,b,c\n,"",NA\n')

    assert rows_of(read_all(path)) == [(2, {"a": None, "b": None, "c": "NA"})]


def test_without_a_header_the_first_row_is_row_1(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Ann,Riverford\nBob,Eastwick\n")

    source = opened(path, FileFormat("csv", header=False))

    assert source.columns == ["column_1", "column_2"]
    assert rows_of(read_all(path, FileFormat("csv", header=False))) == [
        (1, {"column_1": "Ann", "column_2": "Riverford"}),
        (2, {"column_1": "Bob", "column_2": "Eastwick"}),
    ]


def test_cells_that_look_like_formulas_are_kept_as_they_are(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'a,b,c,d\n=1+2,+44 7700,-3,"@SUM(A1)"\n')

    assert rows_of(read_all(path)) == [(2, {"a": "=1+2", "b": "+44 7700", "c": "-3", "d": "@SUM(A1)"})]


def test_no_chunk_holds_more_than_chunk_rows_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id\n" + "".join(f"{n}\n" for n in range(25)))

    chunks = read_all(path, chunk_rows=10)

    assert [chunk.rows.num_rows for chunk in chunks] == [10, 10, 5]
    assert [number for number, _ in rows_of(chunks)] == list(range(2, 27))


# --- CSV files that cannot be read -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n\n\t"])
def test_an_empty_file_is_refused(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "a.csv", data)

    assert refusal(path).problem == "The file is empty."


@pytest.mark.parametrize("data", ["id,name\n", "id,name"])
def test_a_header_only_file_opens_and_has_no_rows(tmp_path: Path, data: str) -> None:
    path = write(tmp_path, "a.csv", data)

    assert opened(path).columns == ["id", "name"]
    assert read_all(path) == []


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest of a workbook", "format.type: excel"),
        (b"PAR1\x15\x04\x15\x10rest of a parquet file", "format.type: parquet"),
        (b"id,name\n1,\x00\x00\x00\n", "NUL bytes"),
    ],
)
def test_binary_data_named_csv_is_refused(tmp_path: Path, data: bytes, looks_like: str) -> None:
    path = write(tmp_path, "a.csv", data)

    error = refusal(path)

    assert "not a text CSV file" in error.problem
    assert looks_like in str(error)


def test_a_duplicate_header_name_is_refused_naming_both_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,name,id\n1,Ann,2\n")

    error = refusal(path)

    assert "Column 3 has the same name as column 1" in error.problem
    assert "header" in error.fix


def test_an_empty_header_name_is_refused_naming_the_column(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,name,,town\n1,Ann,x,Riverford\n")

    error = refusal(path)

    assert error.problem == "Column 3 has no name."
    assert "format.header: false" in error.fix


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "cannot be opened" in refusal(tmp_path / "missing.csv").problem


def test_leaving_the_file_ends_an_unfinished_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id\n" + "".join(f"{n}\n" for n in range(25)))

    with open_source_file(path, CSV, chunk_rows=10) as source:
        chunks = source.chunks()
        next(chunks)

    assert next(chunks, None) is None


def test_an_unknown_format_type_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.xml", "<a/>")

    error = refusal(path, FileFormat("xml"))  # type: ignore[arg-type]

    assert "csv, excel, parquet or jsonl" in error.fix


# --- CSV malformed rows ----------------------------------------------------------------------------------------


def test_rows_with_too_few_or_too_many_fields_are_malformed_and_the_rest_are_kept(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.csv", "id,name,town\n1,Ann,Riverford\n2,Bob\n3,Cy,Eastwick,extra\n4,Di,Riverford\n"
    )

    chunks = read_all(path)

    assert [number for number, _ in rows_of(chunks)] == [2, 5]
    assert malformed_of(chunks) == [
        MalformedRow(3, "2,Bob", "the row has 2 fields; the header has 3"),
        MalformedRow(4, "3,Cy,Eastwick,extra", "the row has 4 fields; the header has 3"),
    ]


def test_a_truncated_last_line_is_malformed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,name,town\n1,Ann,Riverford\n2,Bo")

    chunks = read_all(path)

    assert [number for number, _ in rows_of(chunks)] == [2]
    assert malformed_of(chunks) == [MalformedRow(3, "2,Bo", "the row has 2 fields; the header has 3")]


def test_a_last_line_ending_inside_an_unclosed_quote_is_malformed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'id,name,note\n1,Ann,fine\n2,Bob,"never closed\n')

    chunks = read_all(path)

    assert [number for number, _ in rows_of(chunks)] == [2]
    [malformed] = malformed_of(chunks)
    assert (malformed.row, malformed.text) == (3, '2,Bob,"never closed\n')
    assert "never closed" in malformed.problem


def test_an_unclosed_quote_that_swallows_the_last_rows_is_malformed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'id,name\n1,"Ann\n2,Bob\n')

    chunks = read_all(path)

    assert rows_of(chunks) == []
    assert malformed_of(chunks) == [
        MalformedRow(
            2,
            '1,"Ann\n2,Bob\n',
            "the row opens a quoted cell that is never closed, so it runs on to the end of the file",
        )
    ]


def test_an_unclosed_quote_early_in_a_large_file_names_the_row(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,name\n1,Ann\n" + '2,"Bob\n' + "3,Cy\n" * 200_000)

    error = refusal(path)

    assert error.row == 3
    assert "quote" in error.problem


def test_malformed_rows_are_handed_over_chunk_by_chunk(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "id,name\n" + "".join(f"{n},x,\n" for n in range(25)))

    chunks = read_all(path, chunk_rows=10)

    assert all(len(chunk.malformed) <= 10 for chunk in chunks)
    assert [malformed.row for malformed in malformed_of(chunks)] == list(range(2, 27))


LINE_KINDS = {"fits": "{n},x", "short": "{n}", "long": "{n},x,y", "blank": "", "two_lines": '{n},"a\nb"'}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(sorted(LINE_KINDS)), max_size=40), chunk_rows=st.integers(1, 6))
def test_chunks_are_ordered_stretches_of_the_file_whatever_the_mix_of_rows(
    tmp_path: Path, kinds: list[str], chunk_rows: int
) -> None:
    body = "".join(LINE_KINDS[kind].format(n=number) + "\n" for number, kind in enumerate(kinds, start=2))
    path = write(tmp_path, "a.csv", "id,name\n" + body)

    chunks = read_all(path, chunk_rows=chunk_rows)

    numbered = list(enumerate(kinds, start=2))
    assert [number for number, _ in rows_of(chunks)] == [
        n for n, kind in numbered if kind in ("fits", "two_lines")
    ]
    assert [malformed.row for malformed in malformed_of(chunks)] == [
        n for n, kind in numbered if kind in ("short", "long")
    ]
    stretches = [
        chunk.row_numbers.to_pylist() + [malformed.row for malformed in chunk.malformed] for chunk in chunks
    ]
    assert all(
        len(chunk.row_numbers) <= chunk_rows and len(chunk.malformed) <= chunk_rows for chunk in chunks
    )
    assert all(stretches)
    assert all(max(before) < min(after) for before, after in itertools.pairwise(stretches))


# --- Excel -----------------------------------------------------------------------------------------------------


def workbook_path(tmp_path: Path, *sheets: tuple[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "a.xlsx"
    workbook.save(path)
    return path


EXCEL = FileFormat("excel")


def test_excel_values_become_text(tmp_path: Path) -> None:
    path = workbook_path(
        tmp_path,
        (
            "Pupils",
            [
                ["id", "score", "dob", "seen", "flag", "note"],
                [42, 1.5, dt.datetime(2024, 3, 5), dt.datetime(2024, 3, 5, 14, 30), True, None],
                [7, 3.0, dt.date(2001, 12, 31), dt.datetime(2024, 3, 5, 9, 0, 5), False, "Ann"],
            ],
        ),
    )

    assert rows_of(read_all(path, EXCEL)) == [
        (
            2,
            {
                "id": "42",
                "score": "1.5",
                "dob": "2024-03-05",
                "seen": "2024-03-05T14:30:00",
                "flag": "true",
                "note": None,
            },
        ),
        (
            3,
            {
                "id": "7",
                "score": "3",
                "dob": "2001-12-31",
                "seen": "2024-03-05T09:00:05",
                "flag": "false",
                "note": "Ann",
            },
        ),
    ]


def test_excel_empty_rows_are_skipped_and_rows_keep_their_sheet_numbers(tmp_path: Path) -> None:
    path = workbook_path(tmp_path, ("Pupils", [["id"], [1], [], [None], [2], [], [], []]))

    assert rows_of(read_all(path, EXCEL)) == [(2, {"id": "1"}), (5, {"id": "2"})]


def test_excel_without_a_header_starts_at_row_1(tmp_path: Path) -> None:
    path = workbook_path(tmp_path, ("Pupils", [["Ann", 1], ["Bob", 2]]))
    no_header = FileFormat("excel", header=False)

    assert opened(path, no_header).columns == ["column_1", "column_2"]
    assert [number for number, _ in rows_of(read_all(path, no_header))] == [1, 2]


def test_excel_reads_the_named_sheet(tmp_path: Path) -> None:
    path = workbook_path(tmp_path, ("Notes", [["note"], ["x"]]), ("Pupils", [["id"], [1]]))

    assert rows_of(read_all(path, FileFormat("excel", sheet="Pupils"))) == [(2, {"id": "1"})]


def test_excel_with_several_sheets_and_none_named_is_refused_listing_them(tmp_path: Path) -> None:
    path = workbook_path(tmp_path, ("Notes", [["note"]]), ("Pupils", [["id"]]))

    error = refusal(path, EXCEL)

    assert "'Notes', 'Pupils'" in error.problem
    assert "format.sheet" in error.fix


def test_excel_with_a_missing_named_sheet_is_refused_listing_the_sheets(tmp_path: Path) -> None:
    path = workbook_path(tmp_path, ("Notes", [["note"]]), ("Pupils", [["id"]]))

    error = refusal(path, FileFormat("excel", sheet="Pupil"))

    assert "'Pupil'" in error.problem
    assert "'Notes', 'Pupils'" in error.problem


def test_excel_merged_header_cells_are_refused_naming_the_cell(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "address", None, "postcode"])
    sheet.merge_cells("B1:C1")
    sheet.append([1, "1 High St", "Riverford", "RV1 1AA"])
    path = tmp_path / "a.xlsx"
    workbook.save(path)

    error = refusal(path, EXCEL)

    assert error.problem == "Header cell C1 is empty — merged header cells?"
    assert "own name on one header row" in error.fix


def test_excel_a_value_beyond_the_named_columns_is_malformed(tmp_path: Path) -> None:
    path = workbook_path(tmp_path, ("Pupils", [["id", "name"], [1, "Ann"], [2, "Bob", None, "stray note"]]))

    chunks = read_all(path, EXCEL)

    assert [number for number, _ in rows_of(chunks)] == [2]
    assert malformed_of(chunks) == [
        MalformedRow(
            3, "2,Bob,,stray note", "the row has a value in column D, beyond the last named column (B)"
        )
    ]


def test_a_text_file_named_as_a_workbook_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.xlsx", "id,name\n1,Ann\n")

    error = refusal(path, EXCEL)

    assert "not an Excel workbook" in error.problem
    assert "format.type: csv" in error.fix


# --- Parquet ---------------------------------------------------------------------------------------------------


def test_parquet_columns_become_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": pa.array([1, None], pa.int64()),
            "dob": pa.array([dt.date(2024, 3, 5), None]),
            "seen": pa.array([dt.datetime(2024, 3, 5, 14, 30), dt.datetime(2024, 3, 5, 1, 2, 3, 450_000)]),
            "score": pa.array([1.0, 2.5]),
            "flag": pa.array([True, False]),
            "tags": pa.array([{"a": 1, "b": [1, 2]}, None]),
            "name": pa.array(["", "Bob"]),
        }
    )
    path = tmp_path / "a.parquet"
    pq.write_table(table, path)

    assert rows_of(read_all(path, FileFormat("parquet"))) == [
        (
            1,
            {
                "id": "1",
                "dob": "2024-03-05",
                "seen": "2024-03-05T14:30:00",
                "score": "1",
                "flag": "true",
                "tags": '{"a":1,"b":[1,2]}',
                "name": None,
            },
        ),
        (
            2,
            {
                "id": None,
                "dob": None,
                "seen": "2024-03-05T01:02:03.45",
                "score": "2.5",
                "flag": "false",
                "tags": None,
                "name": "Bob",
            },
        ),
    ]


def test_parquet_rows_are_numbered_from_1_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": list(range(25))}), path)

    chunks = read_all(path, FileFormat("parquet"), chunk_rows=10)

    assert [chunk.rows.num_rows for chunk in chunks] == [10, 10, 5]
    assert [number for number, _ in rows_of(chunks)] == list(range(1, 26))


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a.parquet", b"PK\x03\x04\x14\x00\x06\x00 a workbook")

    error = refusal(path, FileFormat("parquet"))

    assert "not a Parquet file" in error.problem
    assert "format.type: excel" in error.fix


# --- JSON Lines ------------------------------------------------------------------------------------------------


JSONL = FileFormat("jsonl")


def test_jsonl_values_become_text_and_nested_values_compact_json(tmp_path: Path) -> None:
    line = {
        "id": 7,
        "score": 1.5,
        "whole": 3.0,
        "flag": True,
        "none": None,
        "empty": "",
        "tags": ["a", {"b": "é"}],
    }
    path = write(tmp_path, "a.jsonl", json.dumps(line, ensure_ascii=False) + "\n")

    assert rows_of(read_all(path, JSONL)) == [
        (
            1,
            {
                "id": "7",
                "score": "1.5",
                "whole": "3",
                "flag": "true",
                "none": None,
                "empty": None,
                "tags": '["a",{"b":"é"}]',
            },
        )
    ]


def test_jsonl_lines_that_are_not_objects_are_malformed_with_their_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", '{"id": 1}\n\n{"id": 2\n[1, 2]\n{"id": 3}\n')

    chunks = read_all(path, JSONL)

    assert rows_of(chunks) == [(1, {"id": "1"}), (5, {"id": "3"})]
    assert [(malformed.row, malformed.text) for malformed in malformed_of(chunks)] == [
        (3, '{"id": 2'),
        (4, "[1, 2]"),
    ]
    assert "not valid JSON" in malformed_of(chunks)[0].problem
    assert "an array" in malformed_of(chunks)[1].problem


def test_jsonl_columns_come_from_the_first_lines_and_later_keys_still_reach_their_chunk(
    tmp_path: Path,
) -> None:
    lines = [{"id": n, "name": "x"} for n in range(1_000)] + [{"id": 1_000, "late": "y"}]
    path = write(tmp_path, "a.jsonl", "".join(json.dumps(line) + "\n" for line in lines))

    source = opened(path, JSONL)
    last_chunk = read_all(path, JSONL, chunk_rows=600)[-1]

    assert source.columns == ["id", "name"]
    assert last_chunk.rows.column_names == ["id", "name", "late"]
    assert last_chunk.rows.to_pylist()[-1] == {"id": "1000", "name": None, "late": "y"}


def test_jsonl_in_windows_1252_is_detected(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", '{"name": "Renée"}\n'.encode("cp1252"))

    assert opened(path, JSONL).encoding == "cp1252"
    assert rows_of(read_all(path, JSONL)) == [(1, {"name": "Renée"})]


def test_jsonl_bytes_that_do_not_decode_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", b'{"name": "Ann"}\n{"name": "Ren\xe9e"}\n')

    with pytest.raises(IngestError) as raised:
        open_source_file(path, FileFormat("jsonl", encoding="utf-8"))

    assert raised.value.row == 2
    assert "format.encoding: cp1252" in raised.value.fix


# --- Bounded memory --------------------------------------------------------------------------------------------


def test_a_large_csv_is_read_in_bounded_memory(tmp_path: Path) -> None:
    block = "".join(
        f"{n},Person {n},{n % 97} High Street,Riverford,RV{n % 9} 1AA,2000-01-01\n" for n in range(10_000)
    )
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write("id,name,address,town,postcode,dob\n")
        for _ in range(90):
            file.write(block)
    assert path.stat().st_size > 50 * 2**20

    baseline = pa.total_allocated_bytes()
    peak = rows = 0
    with open_source_file(path, CSV, chunk_rows=10_000) as source:
        for chunk in source.chunks():
            assert chunk.rows.num_rows <= 10_000
            rows += chunk.rows.num_rows
            peak = max(peak, pa.total_allocated_bytes() - baseline)

    assert rows == 900_000
    assert peak < 20 * 2**20


# --- Round trip ------------------------------------------------------------------------------------------------


UTF8_CHARACTERS = "ab ,;|\t\"'\n\r=+-@éüñ€\u2019中😀"
# only letters whose Windows-1252 bytes cannot chain into valid UTF-8, so that detection has one right answer
CP1252_CHARACTERS = "ab ,;|\t\"'\n\r=+-@éüñ"


def tables(characters: str) -> st.SearchStrategy[list[list[str]]]:
    cell = st.text(alphabet=characters, max_size=6)
    return st.integers(min_value=1, max_value=4).flatmap(
        lambda width: st.lists(st.lists(cell, min_size=width, max_size=width), max_size=12)
    )


@pytest.mark.parametrize(
    ("encoding", "characters"), [("utf-8", UTF8_CHARACTERS), ("cp1252", CP1252_CHARACTERS)]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_csv_written_by_pythons_csv_module_reads_back_cell_for_cell(
    tmp_path: Path, encoding: str, characters: str, data: st.DataObject
) -> None:
    table = data.draw(tables(characters))
    header = [f"c{position}" for position in range(len(table[0]) if table else 2)]
    text = io.StringIO()
    csv.writer(text).writerows([header, *table])
    path = write(tmp_path, "a.csv", text.getvalue().encode(encoding))

    expected = [
        (number, {name: cell or None for name, cell in zip(header, row, strict=True)})
        for number, row in enumerate(table, start=2)
        if any(row)
    ]
    assert rows_of(read_all(path, chunk_rows=5)) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(UTF8_CHARACTERS), open_cell=st.text(alphabet=UTF8_CHARACTERS, max_size=6))
def test_a_quote_left_open_on_the_last_row_is_always_caught(
    tmp_path: Path, table: list[list[str]], open_cell: str
) -> None:
    width = len(table[0]) if table else 2
    text = io.StringIO()
    csv.writer(text).writerows([[f"c{position}" for position in range(width)], *table])
    last_row = ["x"] * (width - 1) + ['"' + open_cell.replace('"', '""')]
    path = write(tmp_path, "a.csv", text.getvalue() + ",".join(last_row))

    chunks = read_all(path, chunk_rows=5)

    assert [number for number, _ in rows_of(chunks)] == [
        n for n, row in enumerate(table, start=2) if any(row)
    ]
    [malformed] = malformed_of(chunks)
    assert malformed.row == len(table) + 2
    assert (
        malformed.problem
        == "the row opens a quoted cell that is never closed, so it runs on to the end of the file"
    )
