"""Read an agency's extract (CSV, Excel, Parquet or JSON Lines) in bounded memory, as chunks of string columns.

Each row keeps the number a person opening the file would see, so that a later stage can quarantine it by that number.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import io
import itertools
import json
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from wholeplace.core.errors import IngestError

_SAMPLE_BYTES = 1 << 20
_JSON_SAMPLE_LINES = 1_000
# pyarrow parses a CSV file in blocks of this size, reading up to 32 of them ahead, so the block size bounds the
# memory a file takes; a row that runs across a whole block (so, one longer than two blocks) cannot be read.
_CSV_BLOCK_BYTES = 256 << 10
_RAW_RECORD_CAP = 2 * _CSV_BLOCK_BYTES + 1
_TEXT_LIMIT = 1_000
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_WORDS = {"tab": "\t", "\\t": "\t"}
_SNIFF_RECORDS = 200
_ENCODING_NAMES = {"iso8859-1": "latin-1"}
_ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}

_UNCLOSED_QUOTE = "the row opens a quoted cell that is never closed, so it runs on to the end of the file"
_NAME_FIX = (
    "Give every column its own name on the header row (or, if the file has no header row, "
    "set format.header: false in the mapping)."
)
_RowNumbers = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FileFormat:
    """How an extract is written, as its source mapping declares it; None means find out from the file."""

    type: Literal["csv", "excel", "parquet", "jsonl"]
    encoding: str | None = None
    delimiter: str | None = None
    header: bool = True
    sheet: str | None = None


@dataclass(frozen=True)
class MalformedRow:
    """A row that could not be parsed at all, with its raw text (cut to 1,000 characters) for the quarantine.

    Row numbers are those a person opening the file sees: in CSV and Excel the spreadsheet row (the header, if
    any, is row 1; a quoted cell with line breaks is still one row), in JSON Lines the line, in Parquet the row's
    place counting from 1.
    """

    row: int
    text: str
    problem: str


@dataclass(frozen=True)
class Chunk:
    """A stretch of the file: its rows, each column a string named as in the file (empty cells null), their
    row numbers (int64), and the rows in that stretch that could not be parsed."""

    rows: pa.Table
    row_numbers: pa.Array
    malformed: tuple[MalformedRow, ...]


class SourceFile(ABC):
    """An open extract: its columns are known from the start of the file; its rows come chunk by chunk.

    `encoding` is the one used to read a CSV or JSON Lines file; `delimiter` the one used to split a CSV file.
    """

    def __init__(
        self, path: Path, columns: list[str], *, encoding: str | None = None, delimiter: str | None = None
    ) -> None:
        self.path = path
        self.columns = columns
        self.encoding = encoding
        self.delimiter = delimiter
        self._passes: list[Generator[Chunk]] = []

    def chunks(self) -> Iterator[Chunk]:
        """The rows from first to last, a chunk at a time; each call reads the file afresh."""
        rows = self._read()
        self._passes.append(rows)
        return rows

    @abstractmethod
    def _read(self) -> Generator[Chunk]: ...

    def close(self) -> None:
        for rows in self._passes:
            rows.close()
        self._passes.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def open_source_file(path: Path, file_format: FileFormat, *, chunk_rows: int = 100_000) -> SourceFile:
    """Open an extract, reading only its start: enough to know its columns and how to read the rest.

    Rows with no value at all (blank lines, empty rows of a sheet, JSON objects with no values) are skipped.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    opener = _OPENERS.get(file_format.type)
    if opener is None:
        raise IngestError(
            f"format.type {file_format.type!r} is not a format we read.",
            file=path.name,
            fix="Set format.type in the mapping to csv, excel, parquet or jsonl.",
        )
    if _file_size(path) == 0:
        raise _empty_file_error(path)
    return opener(path, file_format, chunk_rows)


# --- The start of a text file: emptiness, binary look-alikes, encoding and delimiter ---------------------------


@dataclass(frozen=True)
class _TextStart:
    sample: bytes
    complete: bool  # the sample is the whole file


@dataclass(frozen=True)
class _Lookalike:
    signature: bytes
    what: str
    fix: str


_UTF16 = (
    "it looks like UTF-16 text (Excel's 'Unicode Text')",
    "Save it from Excel as 'CSV UTF-8 (Comma delimited)'.",
)
_ZIP_SIGNATURE = b"PK\x03\x04"
_LOOKALIKES = (
    _Lookalike(
        _ZIP_SIGNATURE,
        "this looks like an Excel workbook (or another zip archive)",
        "If it is a workbook, set format.type: excel in the mapping; if it is a zip archive, send the file inside it.",
    ),
    _Lookalike(b"PAR1", "this looks like a Parquet file", "Set format.type: parquet in the mapping."),
    _Lookalike(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "this looks like an old Excel workbook (.xls) or a password-protected one",
        "Save it from Excel as .xlsx without a password (then set format.type: excel), or as 'CSV UTF-8'.",
    ),
    _Lookalike(b"\xff\xfe", *_UTF16),
    _Lookalike(b"\xfe\xff", *_UTF16),
    _Lookalike(b"\x1f\x8b", "this looks like a gzip archive", "Unpack it and send the file inside."),
    _Lookalike(b"%PDF", "this looks like a PDF document", "Export the data itself as CSV, Excel or Parquet."),
)
_BINARY = _Lookalike(
    b"\x00",
    "it holds binary data (NUL bytes)",
    "Export the extract again as text (from Excel, 'CSV UTF-8') and check that it was not damaged on the way.",
)


_TEXT = _Lookalike(
    b"",
    "it looks like a text file",
    "If it is a CSV or JSON Lines file, set format.type: csv or jsonl in the mapping.",
)


def _lookalike(head: bytes) -> _Lookalike | None:
    known = next((lookalike for lookalike in _LOOKALIKES if head.startswith(lookalike.signature)), None)
    if known is None and b"\x00" in head:
        return _BINARY
    return known


def _wrong_kind_error(path: Path, kind: str, lookalike: _Lookalike | None) -> IngestError:
    if lookalike is None:
        lookalike = _TEXT
    return IngestError(f"This is not {kind}: {lookalike.what}.", file=path.name, fix=lookalike.fix)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as error:
        raise _unreadable_error(path, error) from error


def _read_head(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(size)
    except OSError as error:
        raise _unreadable_error(path, error) from error


def _unreadable_error(path: Path, error: OSError) -> IngestError:
    return IngestError(
        f"The file cannot be opened: {error.strerror or error}.",
        file=path.name,
        fix="Check the file's name and that it arrived in full, then try again.",
    )


def _empty_file_error(path: Path) -> IngestError:
    return IngestError(
        "The file is empty.",
        file=path.name,
        fix="Export the extract again and check that it has its rows before sending it.",
    )


def _read_text_start(path: Path, kind: str) -> _TextStart:
    sample = _read_head(path, _SAMPLE_BYTES)
    if not sample.removeprefix(codecs.BOM_UTF8).strip():
        raise _empty_file_error(path)
    lookalike = _lookalike(sample)
    if lookalike is not None:
        raise IngestError(
            f"This is not a text {kind} file: {lookalike.what}.", file=path.name, fix=lookalike.fix
        )
    return _TextStart(sample, complete=len(sample) < _SAMPLE_BYTES)


def _decodes(data: bytes, encoding: str, *, final: bool = True) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final)
    except UnicodeDecodeError:
        return False
    return True


def _choose_encoding(start: _TextStart, declared: str | None, file: str) -> str:
    """The declared encoding (a BOM allowed with UTF-8), or the one the sample reads as: UTF-8, cp1252 or latin-1."""
    has_bom = start.sample.startswith(codecs.BOM_UTF8)
    if declared is None:
        if has_bom:
            return "utf-8-sig"
        return next(
            (name for name in ("utf-8", "cp1252") if _decodes(start.sample, name, final=start.complete)),
            "latin-1",
        )
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        raise IngestError(
            f"format.encoding {declared!r} is not an encoding we know.",
            file=file,
            fix="Set format.encoding in the mapping to utf-8, cp1252 (Windows-1252) or latin-1.",
        ) from None
    if name in ("utf-8", "utf-8-sig"):
        return "utf-8-sig" if has_bom else "utf-8"
    return _ENCODING_NAMES.get(name, name)


def _label(encoding: str) -> str:
    return _ENCODING_LABELS.get(encoding, encoding)


def _suggest_encoding(data: bytes, failed: str) -> str:
    tried = failed.removesuffix("-sig")
    return next((name for name in ("utf-8", "cp1252") if name != tried and _decodes(data, name)), "latin-1")


def _undecodable_error(file: str, row: int, data: bytes, encoding: str) -> IngestError:
    suggestion = _suggest_encoding(data, encoding)
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        offending = " ".join(f"0x{byte:02X}" for byte in data[error.start : error.end])
        near = data[max(0, error.start - 20) : error.end + 20].decode(suggestion, errors="replace").strip()
        problem = f"The row has bytes that are not {_label(encoding)} text: {offending}, in {near!r}."
    else:
        problem = f"The row is not {_label(encoding)} text."
    return IngestError(
        problem,
        file=file,
        row=row,
        fix=f"The file looks like {_label(suggestion)} text: set format.encoding: {suggestion} in the mapping.",
    )


def _decode_start(start: _TextStart, encoding: str) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(start.sample, start.complete)
    except UnicodeDecodeError:
        return None


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT] + "…"


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _check_column_names(names: Sequence[str], file: str) -> None:
    first_place: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise IngestError(f"Column {position} has no name.", file=file, fix=_NAME_FIX)
        if name in first_place:
            raise IngestError(
                f"Column {position} has the same name as column {first_place[name]}: {name!r}.",
                file=file,
                column=name,
                fix=_NAME_FIX,
            )
        first_place[name] = position


def _numbered_names(count: int) -> list[str]:
    return [f"column_{position}" for position in range(1, count + 1)]


# --- CSV -------------------------------------------------------------------------------------------------------


def _open_csv(path: Path, file_format: FileFormat, chunk_rows: int) -> SourceFile:
    start = _read_text_start(path, "CSV")
    delimiter = (
        _sniff_delimiter(start)
        if file_format.delimiter is None
        else _declared_delimiter(file_format.delimiter, path.name)
    )
    encoding = _choose_encoding(start, file_format.encoding, path.name)
    text = _decode_start(start, encoding)
    if text is None:
        raise _csv_decode_error(path, encoding, delimiter)
    first_row = _first_record(text, delimiter, path.name)
    if file_format.header:
        _check_column_names(first_row, path.name)
    columns = first_row if file_format.header else _numbered_names(len(first_row))
    return _CsvFile(
        path,
        columns,
        encoding=encoding,
        delimiter=delimiter,
        header=file_format.header,
        chunk_rows=chunk_rows,
    )


def _declared_delimiter(declared: str, file: str) -> str:
    delimiter = _DELIMITER_WORDS.get(declared.lower(), declared)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise IngestError(
            f"format.delimiter {declared!r} cannot separate cells.",
            file=file,
            fix='Set format.delimiter in the mapping to one character, such as ",", ";", "|" or "\\t" for a tab.',
        )
    return delimiter


def _sniff_delimiter(start: _TextStart) -> str:
    """The candidate that splits most rows of the sample as it splits the first, then the widest; else a comma."""
    text = start.sample.decode("latin-1")  # the delimiters are ASCII, so any byte-for-byte decoding will do
    if not start.complete:
        text = text[: text.rfind("\n") + 1]
    scores = {delimiter: _delimiter_score(text, delimiter) for delimiter in _DELIMITERS}
    splitting = [delimiter for delimiter in _DELIMITERS if scores[delimiter][1] > 1]
    # One column always splits consistently, so only delimiters that make several columns compete.
    return max(splitting, key=scores.__getitem__) if splitting else ","


def _delimiter_score(text: str, delimiter: str) -> tuple[float, int]:
    try:
        records = [
            record
            for record in itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter), _SNIFF_RECORDS)
            if record
        ]
    except csv.Error:
        return (0.0, 0)
    if not records:
        return (0.0, 0)
    width = len(records[0])
    return (sum(len(record) == width for record in records) / len(records), width)


def _first_record(text: str, delimiter: str, file: str) -> list[str]:
    try:
        record = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error as error:
        raise IngestError(
            f"The first row cannot be read: {error}.",
            file=file,
            row=1,
            fix="Check that the file is a CSV export with its header row on the first line.",
        ) from error
    if not record:
        raise IngestError(
            "The first row is blank.",
            file=file,
            row=1,
            fix="Put the header row (or, in a file without one, the first record) on the file's first line.",
        )
    return record


class _CsvFile(SourceFile):
    """A CSV file parsed by pyarrow's streaming reader, with every row given its number in the file."""

    def __init__(
        self, path: Path, columns: list[str], *, encoding: str, delimiter: str, header: bool, chunk_rows: int
    ) -> None:
        super().__init__(path, columns, encoding=encoding, delimiter=delimiter)
        self._text_encoding = encoding
        self._separator = delimiter
        self._header = header
        self._chunk_rows = chunk_rows
        self._schema = pa.schema([(name, pa.string()) for name in columns])

    def _read(self) -> Generator[Chunk]:
        rows = _CsvRows(self._schema)
        for batch in self._parsed_batches(self._invalid_row_handler(rows)):
            rows.add(batch, header=self._header)
            # the last row is held back until the end, where it may turn out to hold an unclosed quote
            while rows.pending > self._chunk_rows or rows.malformed_ready >= self._chunk_rows:
                yield rows.take_chunk(min(self._chunk_rows, rows.pending - 1), self._chunk_rows)
        rows.finish()
        self._quarantine_unclosed_last_row(rows)
        while rows.pending or rows.malformed_ready:
            yield rows.take_chunk(self._chunk_rows, self._chunk_rows)

    def _parsed_batches(self, on_invalid_row: Callable[[Any], str]) -> Iterator[Any]:
        try:
            with pa.OSFile(str(self.path)) as source:
                yield from self._stream(source, on_invalid_row)
        except (pa.ArrowException, UnicodeError, OSError) as error:
            raise self._read_error(error) from error

    def _stream(self, source: Any, on_invalid_row: Callable[[Any], str]) -> Any:
        return pa_csv.open_csv(
            source,
            read_options=pa_csv.ReadOptions(
                # the header, if any, comes back as row 1 and is dropped: pyarrow's own header skipping
                # miscounts a header with a line break in a quoted name
                column_names=self.columns,
                block_size=_CSV_BLOCK_BYTES,
                use_threads=False,  # invalid rows carry their row number only when parsing is serial
                encoding="utf8" if self._text_encoding.startswith("utf-8") else self._text_encoding,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=self._separator,
                newlines_in_values=True,
                ignore_empty_lines=False,  # blank lines must be counted; they come back as empty rows
                invalid_row_handler=on_invalid_row,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(self.columns, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    def _invalid_row_handler(self, rows: _CsvRows) -> Callable[[Any], str]:
        def skip(invalid: Any) -> str:
            text: str = invalid.text
            malformed = None
            if text.strip():
                malformed = MalformedRow(
                    invalid.number, _clip(text), self._problem(text, invalid.actual_columns)
                )
            rows.skip(invalid.number, malformed)
            return "skip"

        return skip

    def _problem(self, text: str, fields: int) -> str:
        if '"' in text and _ends_inside_quotes(text, self._separator):
            return _UNCLOSED_QUOTE
        header = "the header" if self._header else "the first row"
        return f"the row has {fields} field{'s' if fields != 1 else ''}; {header} has {len(self.columns)}"

    def _quarantine_unclosed_last_row(self, rows: _CsvRows) -> None:
        """pyarrow reads a quote left open on the last row as running on to the end; that row is malformed."""
        if rows.last_parsed is None:
            return
        row, last_cell = rows.last_parsed
        if row < rows.last_skipped or (self._header and row == 1):
            return
        text = _unclosed_quote_tail(self.path, last_cell or "", self._text_encoding, self._separator)
        if text is not None:
            rows.quarantine(MalformedRow(row, _clip(text), _UNCLOSED_QUOTE))

    def _read_error(self, error: Exception) -> IngestError:
        message = str(error)
        if isinstance(error, UnicodeError) or "invalid UTF8" in message:
            return _csv_decode_error(self.path, self._text_encoding, self._separator)
        if "straddl" in message:
            return _overlong_row_error(self.path, self._separator)
        if isinstance(error, OSError):
            return _unreadable_error(self.path, error)
        return IngestError(
            f"The file cannot be read as CSV: {message}.",
            file=self.path.name,
            fix="Check that the file is a CSV export and that format.delimiter in the mapping is right.",
        )


class _CsvRows:
    """The rows of one pass through a CSV file, numbered as a person sees them, waiting to be cut into chunks.

    pyarrow counts every record (the header and blank lines too) when it numbers an invalid row, and returns
    the valid ones in order; so each valid row's number is the next number not taken by an invalid row.
    """

    def __init__(self, schema: Any) -> None:
        self._schema = schema
        self._next_row = 1
        self._skipped: deque[int] = deque()
        self._malformed: list[MalformedRow] = []
        self._batches: deque[tuple[Any, _RowNumbers]] = deque()
        self.pending = 0
        self.last_skipped = 0
        # the number and last cell of the last row pyarrow returned, to check for a quote left open at the end
        self.last_parsed: tuple[int, str | None] | None = None

    def skip(self, row: int, malformed: MalformedRow | None) -> None:
        self._skipped.append(row)
        self.last_skipped = row
        if malformed is not None:
            self._malformed.append(malformed)

    def add(self, batch: Any, *, header: bool) -> None:
        numbers = self._number(batch.num_rows)
        if not numbers.size:
            return
        self.last_parsed = (int(numbers[-1]), batch.column(batch.num_columns - 1)[-1].as_py())
        keep = _has_values(batch)
        if header and numbers[0] == 1:
            keep[0] = False
        if not keep.all():
            batch, numbers = batch.filter(pa.array(keep)), numbers[keep]
        if numbers.size:
            self._batches.append((batch, numbers))
            self.pending += numbers.size

    def _number(self, count: int) -> _RowNumbers:
        skipped = np.fromiter(self._skipped, dtype=np.int64, count=len(self._skipped))
        candidates = np.arange(self._next_row, self._next_row + count + skipped.size, dtype=np.int64)
        numbers = candidates[~np.isin(candidates, skipped)][:count]
        if numbers.size:
            self._next_row = int(numbers[-1]) + 1
        while self._skipped and self._skipped[0] < self._next_row:
            self._skipped.popleft()
        return numbers

    @property
    def _boundary(self) -> int:
        """Every row before this one has been parsed or skipped."""
        return int(self._batches[0][1][0]) if self._batches else self._next_row

    @property
    def malformed_ready(self) -> int:
        return bisect.bisect_left(self._malformed, self._boundary, key=_row_of)

    def finish(self) -> None:
        """The file has ended: every row skipped so far is now before the boundary."""
        self._next_row = max(self._next_row, self.last_skipped + 1)
        self._skipped.clear()

    def take_chunk(self, most_rows: int, most_malformed: int) -> Chunk:
        """The next stretch of the file: up to `most_rows` rows, and the malformed rows among and before them."""
        batches, numbers = self._take_rows(self._rows_fitting(most_rows, most_malformed))
        ready = min(self.malformed_ready, most_malformed)
        malformed, self._malformed = self._malformed[:ready], self._malformed[ready:]
        return Chunk(pa.Table.from_batches(batches, schema=self._schema), pa.array(numbers), tuple(malformed))

    def _rows_fitting(self, most_rows: int, most_malformed: int) -> int:
        """How many of the next rows a chunk can take without carrying more than `most_malformed` malformed rows."""
        most_rows = max(0, min(most_rows, self.pending))
        if not self._malformed or not most_rows:
            return most_rows
        numbers = np.concatenate([numbers for _, numbers in self._batches])
        # a chunk of r rows carries the malformed rows before boundaries[r], the row after its last
        boundaries = np.append(numbers, self._next_row)[: most_rows + 1]
        carried = np.searchsorted([malformed.row for malformed in self._malformed], boundaries)
        fitting = np.flatnonzero(carried <= most_malformed)
        rows = int(fitting[-1]) if fitting.size else 0
        # with no malformed row before it, the first row goes alone, and the malformed rows after it follow
        return 1 if rows == 0 and carried[0] == 0 else rows

    def _take_rows(self, count: int) -> tuple[list[Any], _RowNumbers]:
        batches: list[Any] = []
        numbers: list[_RowNumbers] = []
        while count:
            batch, batch_numbers = self._batches.popleft()
            if batch.num_rows > count:
                self._batches.appendleft((batch.slice(count), batch_numbers[count:]))
                batch, batch_numbers = batch.slice(0, count), batch_numbers[:count]
            batches.append(batch)
            numbers.append(batch_numbers)
            count -= batch.num_rows
            self.pending -= batch.num_rows
        return batches, np.concatenate(numbers) if numbers else np.empty(0, dtype=np.int64)

    def quarantine(self, malformed: MalformedRow) -> None:
        """Move the last row, now known to be malformed, from the rows to the malformed rows."""
        if self._batches and self._batches[-1][1][-1] == malformed.row:
            batch, numbers = self._batches.pop()
            if numbers.size > 1:
                self._batches.append((batch.slice(0, batch.num_rows - 1), numbers[:-1]))
            self.pending -= 1
        self._malformed.append(malformed)


def _row_of(malformed: MalformedRow) -> int:
    return malformed.row


def _has_values(batch: Any) -> npt.NDArray[np.bool_]:
    if all(column.null_count == 0 for column in batch.columns):
        return np.ones(batch.num_rows, dtype=bool)
    any_value = pc.is_valid(batch.column(0))
    for column in batch.columns[1:]:
        any_value = pc.or_(any_value, pc.is_valid(column))
    return np.array(any_value.to_numpy(zero_copy_only=False), dtype=bool)


def _ends_inside_quotes(text: str, delimiter: str, *, inside: bool = False) -> bool:
    """Whether text, begun inside or outside a quoted cell, ends inside one, reading quotes the way pyarrow does."""
    at_cell_start, after_closing_quote = not inside, False
    for char in text:
        if char == '"' and (inside or at_cell_start or after_closing_quote):
            inside = not inside  # opens a cell, closes it, or is the second of a doubled quote inside it
            after_closing_quote = not inside
        else:
            after_closing_quote = False
        at_cell_start = not inside and char in (delimiter, "\n", "\r")
    return inside


def _unclosed_quote_tail(path: Path, last_cell: str, encoding: str, delimiter: str) -> str | None:
    """The text of the file's last row if its last cell opened a quote that never closed, else None.

    With a quote left open, the file ends with that quote, at the start of a cell, and the cell's text (its quotes
    doubled); with the cell closed, the file ends with a closing quote and perhaps a line break instead.
    """
    opened = ('"' + last_cell.replace('"', '""')).encode(encoding.removesuffix("-sig"))
    window_start = max(0, _file_size(path) - len(opened) - _TEXT_LIMIT)
    with path.open("rb") as file:
        file.seek(window_start)
        window = file.read()
    data_start = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0

    def ends_with_cell(cell: bytes) -> bool:
        start = len(window) - len(cell)
        return window.endswith(cell) and (
            window_start + start == data_start
            or window[start - 1 : start] in (delimiter.encode(), b"\n", b"\r")
        )

    closed = any(ends_with_cell(opened + b'"' + ending) for ending in (b"", b"\n", b"\r\n", b"\r"))
    if closed or not ends_with_cell(opened):
        return None
    cell_start = len(window) - len(opened)
    row_start = max(window.rfind(b"\n", 0, cell_start), window.rfind(b"\r", 0, cell_start)) + 1
    return window[row_start:].decode(encoding, errors="replace")


@dataclass(frozen=True)
class _RawRecord:
    row: int
    data: bytes  # cut at _RAW_RECORD_CAP: pyarrow cannot read a record that long anyway

    @property
    def cut(self) -> bool:
        return len(self.data) >= _RAW_RECORD_CAP


def _raw_records(path: Path, delimiter: str) -> Iterator[_RawRecord]:
    """Each record's row number and bytes, split the way pyarrow splits them; slow, so for finding errors only."""
    with path.open(encoding="latin-1", newline="") as text:  # latin-1 maps each byte to one character
        lines: list[str] = []
        size = 0
        inside = False
        row = 0
        for line in text:
            if size < _RAW_RECORD_CAP:
                lines.append(line)
                size += len(line)
            if '"' in line:
                inside = _ends_inside_quotes(line, delimiter, inside=inside)
            if not inside:
                row += 1
                yield _RawRecord(row, "".join(lines)[:_RAW_RECORD_CAP].encode("latin-1"))
                lines, size = [], 0
        if lines:
            yield _RawRecord(row + 1, "".join(lines)[:_RAW_RECORD_CAP].encode("latin-1"))


def _csv_decode_error(path: Path, encoding: str, delimiter: str) -> IngestError:
    for record in _raw_records(path, delimiter):
        if not _decodes(record.data, encoding, final=not record.cut):
            return _undecodable_error(path.name, record.row, record.data, encoding)
    return IngestError(
        f"Part of the file is not {_label(encoding)} text.",
        file=path.name,
        fix="Set format.encoding in the mapping to the file's encoding: cp1252 for most Windows exports.",
    )


def _overlong_row_error(path: Path, delimiter: str) -> IngestError:
    limit = f"{_CSV_BLOCK_BYTES >> 10} KB"
    fix = (
        "Check that every quote mark that opens a cell also closes it; if the row really is that long, "
        "send the extract as Parquet or JSON Lines instead."
    )
    longest: _RawRecord | None = None
    for record in _raw_records(path, delimiter):
        if len(record.data) > max(_CSV_BLOCK_BYTES, len(longest.data) if longest else 0):
            longest = record
        if record.cut:
            break
    if longest is None:
        return IngestError(f"A row of the file runs on for more than {limit}.", file=path.name, fix=fix)
    return IngestError(
        f"The row runs on for more than {limit}: most likely a quote mark that opens a cell is never closed.",
        file=path.name,
        row=longest.row,
        fix=fix,
    )


# --- Excel -----------------------------------------------------------------------------------------------------


def _open_excel(path: Path, file_format: FileFormat, chunk_rows: int) -> SourceFile:
    workbook = _load_workbook(path)
    try:
        sheet = _choose_sheet(workbook, file_format.sheet, path.name)
        sheet.reset_dimensions()  # some writers record a wrong size, which would cut rows or columns off
        header_rows = list(_excel_rows(sheet, path.name, max_row=1))
        first_row = _excel_cells(header_rows[0] if header_rows else ())
        columns = _excel_columns(first_row, header=file_format.header, file=path.name, sheet=sheet.title)
    except BaseException:
        workbook.close()
        raise
    return _ExcelFile(
        path, columns, workbook=workbook, sheet=sheet, header=file_format.header, chunk_rows=chunk_rows
    )


def _load_workbook(path: Path) -> Workbook:
    lookalike = _lookalike(_read_head(path, _SAMPLE_BYTES))
    if lookalike is None or lookalike.signature != _ZIP_SIGNATURE:
        raise _wrong_kind_error(path, "an Excel workbook (.xlsx)", lookalike)
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of error on a damaged or foreign zip file
        raise IngestError(
            f"The file cannot be opened as an Excel workbook: {error}.",
            file=path.name,
            fix="Open it in Excel, save it again as an Excel workbook (.xlsx), and send that.",
        ) from error


def _choose_sheet(workbook: Workbook, name: str | None, file: str) -> ReadOnlyWorksheet:
    names = workbook.sheetnames
    listed = ", ".join(repr(sheet_name) for sheet_name in names)
    if name is None and len(names) > 1:
        raise IngestError(
            f"The workbook has {len(names)} sheets ({listed}) and the mapping does not say which to read.",
            file=file,
            fix="Set format.sheet in the mapping to the name of the sheet that holds the extract.",
        )
    if name is not None and name not in names:
        raise IngestError(
            f"The workbook has no sheet named {name!r}; its sheets are {listed}.",
            file=file,
            fix="Set format.sheet in the mapping to one of these names.",
        )
    sheet = workbook[name if name is not None else names[0]]
    if not isinstance(sheet, ReadOnlyWorksheet):
        raise IngestError(
            f"Sheet {sheet.title!r} is a chart, not a table.",
            file=file,
            fix="Set format.sheet in the mapping to the sheet that holds the extract.",
        )
    return sheet


def _excel_rows(
    sheet: ReadOnlyWorksheet, file: str, max_row: int | None = None
) -> Iterator[tuple[object, ...]]:
    try:
        # the stubs lend ReadOnlyWorksheet the method of Worksheet, whose self type it does not match
        yield from sheet.iter_rows(max_row=max_row, values_only=True)  # type: ignore[misc]
    except Exception as error:  # openpyxl raises many kinds of error on a damaged sheet
        raise IngestError(
            f"Sheet {sheet.title!r} cannot be read: {error}.",
            file=file,
            fix="Open the workbook in Excel, save it again, and send that.",
        ) from error


def _excel_columns(first_row: list[str | None], *, header: bool, file: str, sheet: str) -> list[str]:
    while first_row and first_row[-1] is None:
        first_row.pop()
    if not first_row:
        raise IngestError(
            f"The first row of sheet {sheet!r} is empty.",
            file=file,
            row=1,
            fix="Put the header row (or, in a sheet without one, the first record) on row 1 of the sheet.",
        )
    if not header:
        return _numbered_names(len(first_row))
    for position, name in enumerate(first_row, start=1):
        if name is None or not name.strip():
            raise IngestError(
                f"Header cell {get_column_letter(position)}1 is empty — merged header cells?",
                file=file,
                row=1,
                fix="Give every column its own name on one header row: unmerge the header cells and fill each one.",
            )
    names = [name or "" for name in first_row]
    _check_column_names(names, file)
    return names


def _excel_cells(values: Iterable[object]) -> list[str | None]:
    return [_excel_text(value) for value in values]


def _excel_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _csv_line(cells: Sequence[str | None]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(["" if cell is None else cell for cell in cells])
    return line.getvalue()


class _ExcelFile(SourceFile):
    """One sheet of a workbook, read row by row by openpyxl in read-only mode."""

    def __init__(
        self,
        path: Path,
        columns: list[str],
        *,
        workbook: Workbook,
        sheet: ReadOnlyWorksheet,
        header: bool,
        chunk_rows: int,
    ) -> None:
        super().__init__(path, columns)
        self._workbook = workbook
        self._sheet = sheet
        self._header = header
        self._chunk_rows = chunk_rows

    def _read(self) -> Generator[Chunk]:
        rows = _RowBuffer(self.columns)
        width = len(self.columns)
        for row, values in enumerate(_excel_rows(self._sheet, self.path.name), start=1):
            cells = _excel_cells(values)
            if (self._header and row == 1) or not any(cells):
                continue
            beyond = next(
                (position for position in range(width, len(cells)) if cells[position] is not None), None
            )
            if beyond is None:
                rows.add(row, dict(zip(self.columns, cells, strict=False)))
            else:
                rows.add_malformed(MalformedRow(row, _clip(_csv_line(cells)), self._beyond_problem(beyond)))
            if rows.full(self._chunk_rows):
                yield rows.take_chunk()
        if rows:
            yield rows.take_chunk()

    def _beyond_problem(self, position: int) -> str:
        last = get_column_letter(len(self.columns))
        return f"the row has a value in column {get_column_letter(position + 1)}, beyond the last named column ({last})"

    def close(self) -> None:
        super().close()
        self._workbook.close()


class _RowBuffer:
    """Rows of Python strings, by column name, gathered into a chunk; names not in `columns` follow them."""

    def __init__(self, columns: list[str]) -> None:
        self._columns = columns
        self._rows: list[dict[str, str | None]] = []
        self._numbers: list[int] = []
        self._malformed: list[MalformedRow] = []

    def add(self, row: int, cells: dict[str, str | None]) -> None:
        self._numbers.append(row)
        self._rows.append(cells)

    def add_malformed(self, malformed: MalformedRow) -> None:
        self._malformed.append(malformed)

    def full(self, chunk_rows: int) -> bool:
        return len(self._numbers) >= chunk_rows or len(self._malformed) >= chunk_rows

    def __bool__(self) -> bool:
        return bool(self._numbers or self._malformed)

    def take_chunk(self) -> Chunk:
        names = dict.fromkeys(self._columns)
        for cells in self._rows:
            names.update(dict.fromkeys(cells))
        table = pa.table(
            {name: pa.array([cells.get(name) for cells in self._rows], pa.string()) for name in names}
        )
        chunk = Chunk(table, pa.array(self._numbers, pa.int64()), tuple(self._malformed))
        self._rows, self._numbers, self._malformed = [], [], []
        return chunk


# --- Parquet ---------------------------------------------------------------------------------------------------


def _open_parquet(path: Path, file_format: FileFormat, chunk_rows: int) -> SourceFile:
    try:
        parquet = pq.ParquetFile(str(path))
    except (pa.ArrowException, OSError) as error:
        raise _wrong_kind_error(
            path, "a Parquet file", _lookalike(_read_head(path, _SAMPLE_BYTES))
        ) from error
    columns: list[str] = parquet.schema_arrow.names
    _check_column_names(columns, path.name)
    return _ParquetFile(path, columns, parquet=parquet, chunk_rows=chunk_rows)


class _ParquetFile(SourceFile):
    """A Parquet file read a batch at a time, every column turned to text."""

    def __init__(self, path: Path, columns: list[str], *, parquet: Any, chunk_rows: int) -> None:
        super().__init__(path, columns)
        self._parquet = parquet
        self._chunk_rows = chunk_rows

    def _read(self) -> Generator[Chunk]:
        first_row = 1
        try:
            for batch in self._parquet.iter_batches(batch_size=self._chunk_rows):
                texts = [
                    _arrow_text(column, name, self.path.name)
                    for column, name in zip(batch.columns, self.columns, strict=True)
                ]
                numbers = pa.array(np.arange(first_row, first_row + batch.num_rows, dtype=np.int64))
                yield Chunk(pa.table(texts, names=self.columns), numbers, ())
                first_row += batch.num_rows
        except (pa.ArrowException, OSError) as error:
            raise IngestError(
                f"The Parquet file cannot be read beyond row {first_row - 1}: {error}.",
                file=self.path.name,
                row=first_row,
                fix="Export the extract again and check that the file arrived in full.",
            ) from error

    def close(self) -> None:
        super().close()
        self._parquet.close()


def _arrow_text(column: Any, name: str, file: str) -> Any:
    """A column as text: numbers plain, dates and times in ISO 8601, nested values as compact JSON."""
    kind = column.type
    if pa.types.is_nested(kind):
        text = pa.array(
            [None if value is None else _json_text(value) for value in column.to_pylist()], pa.string()
        )
    elif pa.types.is_timestamp(kind) or pa.types.is_time(kind):
        text = _iso_text(column.cast(pa.string()))
    else:
        try:
            text = column.cast(pa.string())
        except pa.ArrowException as error:
            raise IngestError(
                f"Column {name!r} holds {kind} values, which cannot be read as text.",
                file=file,
                column=name,
                fix="Export this column as text, numbers or dates.",
            ) from error
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _iso_text(text: Any) -> Any:
    """Arrow's '2024-03-05 14:30:00.000000' as '2024-03-05T14:30:00'."""
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    text = pc.replace_substring_regex(text, r"\.0+(Z?)$", r"\1")
    return pc.replace_substring_regex(text, r"(\.\d*[1-9])0+(Z?)$", r"\1\2")


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: object) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# --- JSON Lines ------------------------------------------------------------------------------------------------


def _open_jsonl(path: Path, file_format: FileFormat, chunk_rows: int) -> SourceFile:
    start = _read_text_start(path, "JSON Lines")
    encoding = _choose_encoding(start, file_format.encoding, path.name)
    keys: dict[str, None] = {}
    with closing(_json_lines(path, encoding)) as lines:
        for row, text in itertools.islice(lines, _JSON_SAMPLE_LINES):
            parsed = _parse_json_line(row, text)
            if isinstance(parsed, dict):
                keys.update(dict.fromkeys(parsed))
    return _JsonLinesFile(path, list(keys), encoding=encoding, chunk_rows=chunk_rows)


def _json_lines(path: Path, encoding: str) -> Generator[tuple[int, str]]:
    try:
        with path.open("rb") as file:
            for row, line in enumerate(file, start=1):
                try:
                    text = line.decode(encoding)
                except UnicodeDecodeError:
                    raise _undecodable_error(path.name, row, line, encoding) from None
                if text.strip():
                    yield row, text
    except OSError as error:
        raise _unreadable_error(path, error) from error


def _parse_json_line(row: int, text: str) -> dict[str, str | None] | MalformedRow:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        problem = f"the line is not valid JSON: {error.msg} at character {error.pos + 1}"
    except (ValueError, RecursionError) as error:  # a number too long to convert, or nesting too deep
        problem = f"the line cannot be read as JSON: {error}"
    else:
        if isinstance(value, dict):
            return {key: _json_cell(cell) for key, cell in value.items()}
        problem = f"the line holds {_json_kind(value)}, not an object with named fields"
    return MalformedRow(row, _clip(text.rstrip("\r\n")), problem)


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return f"the value {json.dumps(value)}"
    return "a number"


def _json_cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, int):
        return str(value)
    return _json_text(value)


class _JsonLinesFile(SourceFile):
    """A JSON Lines file, one object a line; `columns` holds the keys of its first 1,000 lines.

    A key that first appears later is still carried, as an extra column after `columns`, in the table of each
    chunk whose rows have it.
    """

    def __init__(self, path: Path, columns: list[str], *, encoding: str, chunk_rows: int) -> None:
        super().__init__(path, columns, encoding=encoding)
        self._text_encoding = encoding
        self._chunk_rows = chunk_rows

    def _read(self) -> Generator[Chunk]:
        rows = _RowBuffer(self.columns)
        for row, text in _json_lines(self.path, self._text_encoding):
            parsed = _parse_json_line(row, text)
            if isinstance(parsed, MalformedRow):
                rows.add_malformed(parsed)
            elif any(cell is not None for cell in parsed.values()):
                rows.add(row, parsed)
            if rows.full(self._chunk_rows):
                yield rows.take_chunk()
        if rows:
            yield rows.take_chunk()


_OPENERS: dict[str, Callable[[Path, FileFormat, int], SourceFile]] = {
    "csv": _open_csv,
    "excel": _open_excel,
    "parquet": _open_parquet,
    "jsonl": _open_jsonl,
}
