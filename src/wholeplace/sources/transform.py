"""From a chunk of an extract's rows to the standard's rows: each field checked and standardised beside its
original, the rows that cannot be records set aside with a reason, and the quality counted. Pure: Arrow in,
Arrow out."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]

from wholeplace.sources import standardise
from wholeplace.sources.mapping import Block, FieldSpec, Mapping
from wholeplace.sources.readers import Chunk
from wholeplace.sources.standard import IDENTIFYING_FIELDS

UK_COUNTRIES = {
    "",
    "uk",
    "united kingdom",
    "gb",
    "great britain",
    "england",
    "scotland",
    "wales",
    "northern ireland",
}
FIX_FOR = {
    "no_record_id": "Give every row its record id (the column named by record_id in the mapping).",
    "nothing_identifies": "Give the row at least a name or an identifier, or leave it out of the extract.",
    "malformed": "Correct the row so it has one value for each column of the header.",
    "duplicate_record_id": "Give each row its own record id, or send each record once.",
    "no_amount": "Give every spend line an amount in pounds.",
}
REASON_TEXT = {
    "no_record_id": "The row has no record id.",
    "nothing_identifies": "Nothing in the row identifies anyone: no name and no identifier.",
    "duplicate_record_id": "The record id is already used by an earlier row of the file.",
    "no_amount": "The spend line has no amount that is a number.",
}


@dataclass
class Quality:
    """Per standard field: how many rows held a value, and how many values had each problem."""

    rows: int = 0
    present: Counter[str] = field(default_factory=Counter)
    problems: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: Quality) -> None:
        self.rows += other.rows
        self.present.update(other.present)
        self.problems.update(other.problems)

    def as_dict(self) -> dict[str, object]:
        fields = sorted(set(self.present) | {name for name, _ in self.problems})
        return {
            "rows": self.rows,
            "fields": {
                name: {
                    "present": self.present[name],
                    "problems": {
                        code: n for (where, code), n in sorted(self.problems.items()) if where == name
                    },
                }
                for name in fields
            },
        }


@dataclass(frozen=True)
class Quarantined:
    row: int
    column: str | None
    value: str | None
    reason: str
    problem: str
    fix: str


@dataclass
class Standardised:
    """A chunk in the standard: the row entity's table and each block's table, with what was set aside."""

    entity: str
    rows: pa.Table
    blocks: dict[str, list[pa.Table]]  # by entity: one table per block of the mapping
    quarantined: list[Quarantined]
    quality: Quality


def standardise_chunk(chunk: Chunk, mapping: Mapping, *, today: dt.date) -> Standardised:
    table, numbers = chunk.rows, chunk.row_numbers
    quality = Quality(rows=table.num_rows)
    columns: dict[str, pa.Array] = {"row_number": numbers}
    problems: list[tuple[str, pa.Array]] = []
    if mapping.record_id is not None:
        columns["record_id"] = _trimmed(table.column(mapping.record_id))
    country = _country(table, mapping)
    for spec in mapping.fields:
        values = _values(table, spec)
        quality.present[spec.field] += len(values) - values.null_count
        for name, array in _standard_columns(spec, values, today=today, country=country).items():
            if name.endswith("__problem"):
                problems.append((name.removesuffix("__problem"), array))
            else:
                columns[name] = array
    columns["problems"] = _problem_lists(problems, table.num_rows)
    for name, array in problems:
        for code, count in Counter(array.drop_null().to_pylist()).items():
            quality.problems[(name, code)] += count
    standard = pa.table(columns)
    keep, quarantined = _set_aside(standard, mapping, chunk)
    quality.rows = table.num_rows + len(chunk.malformed)
    blocks: dict[str, list[pa.Table]] = {}
    for block in mapping.blocks:
        rows, applies = _block_rows(block, table, standard, today=today)
        blocks.setdefault(block.entity.name, []).append(rows.filter(pc.and_(keep, applies)))
    return Standardised(mapping.entity.name, standard.filter(keep), blocks, quarantined, quality)


def _values(table: pa.Table, spec: FieldSpec) -> pa.Array:
    """A field's cells as sent, trimmed, blanks null: the original kept beside the standard value."""
    if spec.column is None:
        return pa.array([spec.value] * table.num_rows, pa.string())
    return _trimmed(table.column(spec.column).combine_chunks())


def _trimmed(values: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _country(table: pa.Table, mapping: Mapping) -> np.ndarray | None:
    """Where the mapping gives a country: whether each row's address is outside the UK."""
    spec = mapping.spec("country")
    if spec is None:
        return None
    country = pc.fill_null(pc.utf8_lower(_values(table, spec)), "")
    return ~np.isin(np.asarray(country.to_numpy(zero_copy_only=False), dtype=object), list(UK_COUNTRIES))


def _standard_columns(
    spec: FieldSpec, values: pa.Array, *, today: dt.date, country: np.ndarray | None
) -> dict[str, pa.Array]:
    """The standard columns for one field: its value, the original beside it, keys, and `__problem`."""
    name = spec.field
    kind = _kind(name, spec)
    if kind == "full_name":
        assert spec.order is not None
        split = standardise.split_full_name(values, spec.order)
        out = {"full_name_original": values}
        for part, array in (
            ("given_name", split.given),
            ("middle_names", split.middle),
            ("family_name", split.family),
        ):
            out.update(_name_columns(part, array))
        return out
    if kind == "name":
        return {f"{name}_original": values, **_name_columns(name, values)}
    checked = _checked(kind, spec, values, today=today, country=country)
    out = {name: checked.value, f"{name}_original": values, f"{name}__problem": checked.problem}
    if isinstance(checked, standardise.CheckedPostcodes):
        out["postcode_sector"], out["postcode_district"] = checked.sector, checked.district
    if country is not None and kind == "postcode":
        out["non_uk"] = pa.array(country)
    return out


def _kind(name: str, spec: FieldSpec) -> str:
    if name == "full_name":
        return "full_name"
    if name in {"given_name", "middle_names", "family_name", "previous_family_names", "other_person"}:
        return "name"
    if spec.date_format is not None:
        return "date"
    if spec.codes is not None:
        return "code"
    return {
        "postcode": "postcode",
        "nhs_number": "nhs_number",
        "ni_number": "ni_number",
        "upn": "upn",
        "uprn": "uprn",
        "phone": "phone",
        "email": "email",
        "amount": "amount",
    }.get(name, "text")


def _name_columns(name: str, values: pa.Array) -> dict[str, pa.Array]:
    parts = standardise.names(values)
    return {
        name: parts.display,
        f"{name}_key": parts.key,
        f"{name}_key_ascii": parts.key_ascii,
        f"{name}_parts": parts.parts,
        f"{name}__problem": parts.problem,
    }


def _checked(
    kind: str, spec: FieldSpec, values: pa.Array, *, today: dt.date, country: np.ndarray | None
) -> standardise.Checked:
    if kind == "date":
        assert spec.date_format is not None
        birth = spec.field == "date_of_birth"
        return standardise.dates(values, spec.date_format, today=today, kind="birth" if birth else "event")
    if kind == "code":
        assert spec.codes is not None
        return standardise.codes(values, spec.codes)
    if kind == "postcode":
        uk = standardise.postcodes(values)
        if country is None or not country.any():
            return uk
        abroad = standardise.postcodes(values, expect_uk=False)
        mask = pa.array(country)
        return standardise.CheckedPostcodes(
            value=pc.if_else(mask, abroad.value, uk.value),
            problem=pc.if_else(mask, abroad.problem, uk.problem),
            sector=pc.if_else(mask, abroad.sector, uk.sector),
            district=pc.if_else(mask, abroad.district, uk.district),
        )
    checks = {
        "nhs_number": standardise.nhs_numbers,
        "ni_number": standardise.ni_numbers,
        "upn": standardise.upns,
        "phone": standardise.phones,
        "email": standardise.emails,
        "uprn": _uprns,
        "amount": _amounts,
    }
    if kind in checks:
        return checks[kind](values)
    return standardise.Checked(value=values, problem=pa.nulls(len(values), pa.string()))


def _uprns(text: pa.Array) -> standardise.Checked:
    digits = pc.match_substring_regex(text, r"^\d{1,12}$")
    bad = pc.and_(pc.is_valid(text), pc.invert(pc.fill_null(digits, False)))
    return standardise.Checked(
        value=pc.if_else(bad, pa.scalar(None, pa.string()), text),
        problem=pc.if_else(bad, standardise.BAD_SHAPE, pa.scalar(None, pa.string())),
    )


def _amounts(values: pa.Array) -> standardise.Checked:
    text = pc.replace_substring_regex(values, r"[£,\s]", "")
    number = pc.match_substring_regex(text, r"^-?\d+(\.\d+)?$")
    usable = pc.fill_null(number, False)
    amount = pc.if_else(usable, text, pa.scalar(None, pa.string())).cast(pa.float64())
    bad = pc.and_(pc.is_valid(text), pc.invert(usable))
    return standardise.Checked(
        value=amount, problem=pc.if_else(bad, standardise.BAD_SHAPE, pa.scalar(None, pa.string()))
    )


def _problem_lists(problems: list[tuple[str, pa.Array]], rows: int) -> pa.Array:
    """Each row's problems as a list of "field:code" strings (empty where it has none)."""
    problems = [(name, array) for name, array in problems if array.null_count < len(array)]
    if not problems:
        return pa.ListArray.from_arrays(
            pa.array(np.zeros(rows + 1, dtype=np.int32)), pa.array([], pa.string())
        )
    labelled = pa.concat_arrays(
        [
            pc.binary_join_element_wise(pa.scalar(f"{name}:"), array, "").cast(pa.string())
            for name, array in problems
        ]
    )
    # `labelled` holds field after field; taking it row by row puts each row's problems together.
    row_major = (np.arange(rows)[:, None] + np.arange(len(problems))[None, :] * rows).ravel()
    taken = labelled.take(pa.array(row_major))
    present = np.asarray(pc.is_valid(taken).to_numpy(zero_copy_only=False))
    offsets = np.concatenate([[0], np.cumsum(present.reshape(rows, len(problems)).sum(axis=1))]).astype(
        np.int32
    )
    return pa.ListArray.from_arrays(pa.array(offsets), taken.filter(pa.array(present)))


def _set_aside(standard: pa.Table, mapping: Mapping, chunk: Chunk) -> tuple[pa.Array, list[Quarantined]]:
    """Which rows can be records, and a quarantine entry for each that cannot (and each malformed row)."""
    rows = standard.num_rows
    reasons = np.full(rows, None, dtype=object)
    if mapping.entity.name == "person":
        identifying = [name for name in IDENTIFYING_FIELDS if name in standard.column_names]
        present = np.zeros(rows, dtype=bool)
        for name in identifying:
            present |= np.asarray(pc.is_valid(standard.column(name)).to_numpy(zero_copy_only=False))
        reasons[~present] = "nothing_identifies"
    if "record_id" in standard.column_names:
        reasons[np.asarray(pc.is_null(standard.column("record_id")).to_numpy(zero_copy_only=False))] = (
            "no_record_id"
        )
    if mapping.entity.name == "spend_line":
        reasons[np.asarray(pc.is_null(standard.column("amount")).to_numpy(zero_copy_only=False))] = (
            "no_amount"
        )
    quarantined = [
        Quarantined(row.row, None, row.text, "malformed", row.problem, FIX_FOR["malformed"])
        for row in chunk.malformed
    ]
    numbers = standard.column("row_number").to_numpy()
    for index in np.flatnonzero(reasons != None).tolist():  # noqa: E711 - elementwise on an object array
        reason = str(reasons[index])
        column, value = _culprit(reason, standard, mapping, index)
        quarantined.append(
            Quarantined(int(numbers[index]), column, value, reason, REASON_TEXT[reason], FIX_FOR[reason])
        )
    return pa.array(reasons == None), quarantined  # noqa: E711


def _culprit(reason: str, standard: pa.Table, mapping: Mapping, index: int) -> tuple[str | None, str | None]:
    """The source column a set-aside row is about, and its value there."""
    if reason == "no_amount":
        spec = mapping.spec("amount")
        return (spec.column if spec else None), standard.column("amount_original")[index].as_py()
    if "record_id" in standard.column_names:
        return mapping.record_id, standard.column("record_id")[index].as_py()
    return None, None


def _block_rows(
    block: Block, table: pa.Table, standard: pa.Table, *, today: dt.date
) -> tuple[pa.Table, pa.Array]:
    """One row per extract row for an involvement, event or relationship block, and whether each applies."""
    columns: dict[str, pa.Array] = {"row_number": standard.column("row_number")}
    if "record_id" in standard.column_names:
        columns["record_id"] = standard.column("record_id")
    problems: list[tuple[str, pa.Array]] = []
    for spec in block.fields:
        for name, array in _standard_columns(spec, _values(table, spec), today=today, country=None).items():
            if name.endswith("__problem"):
                problems.append((name.removesuffix("__problem"), array))
            else:
                columns[name] = array
    columns["problems"] = _problem_lists(problems, table.num_rows)
    applies = (
        pc.is_valid(_trimmed(table.column(block.when_present)))
        if block.when_present is not None
        else pa.array(np.ones(table.num_rows, dtype=bool))
    )
    return pa.table(columns), applies
