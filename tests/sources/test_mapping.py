"""Mappings are checked against the standard and the file before any row is read, naming the line at fault."""

from __future__ import annotations

import pytest

from wholeplace.core.errors import IngestError
from wholeplace.sources.mapping import parse_mapping

SCHOOLS = """\
source: schools
agency: Riverford Schools
entity: person
format: {type: csv, encoding: utf-8, delimiter: ",", header: true}
record_id: pupil_ref
columns:
  given_name: forename
  family_name: surname
  date_of_birth: {column: dob, format: "%d/%m/%Y"}
  sex: {column: gender, codes: {M: male, F: female}}
  postcode: post_code
  nhs_number: null
  identifiers.upn: upn
events:
  - type: school_exclusion
    date: {column: last_exclusion, format: "%d/%m/%Y"}
    when_present: last_exclusion
"""
FILE_COLUMNS = ["pupil_ref", "forename", "surname", "dob", "gender", "post_code", "upn", "last_exclusion"]


def _error(text: str) -> IngestError:
    with pytest.raises(IngestError) as caught:
        parse_mapping(text, file="schools.yaml")
    return caught.value


def test_a_good_mapping_reads_into_specs() -> None:
    mapping = parse_mapping(SCHOOLS, file="schools.yaml")
    assert mapping.entity.name == "person"
    assert mapping.file_format.delimiter == ","
    assert mapping.spec("date_of_birth").date_format == "%d/%m/%Y"  # type: ignore[union-attr]
    assert mapping.spec("sex").codes == {"M": "male", "F": "female"}  # type: ignore[union-attr]
    assert mapping.spec("nhs_number") is None
    assert mapping.spec("identifiers.upn").column == "upn"  # type: ignore[union-attr]
    (exclusion,) = mapping.blocks
    assert exclusion.spec("type").value == "school_exclusion"  # type: ignore[union-attr]
    assert exclusion.when_present == "last_exclusion"
    mapping.check_columns(FILE_COLUMNS, file="schools.csv")


def test_the_version_is_the_declared_one_or_else_follows_the_text() -> None:
    assert parse_mapping("version: '3'\n" + SCHOOLS, file="m.yaml").version == "3"
    first = parse_mapping(SCHOOLS, file="m.yaml").version
    assert first == parse_mapping(SCHOOLS, file="m.yaml").version
    assert first != parse_mapping(SCHOOLS.replace("post_code", "postcode_"), file="m.yaml").version


def test_a_field_the_standard_lacks_is_refused_at_its_line_with_a_suggestion() -> None:
    error = _error(SCHOOLS.replace("  family_name: surname", "  famly_name: surname"))
    assert error.line == 8
    assert "famly_name" in error.problem
    assert "family_name" in error.fix
    assert "schools.yaml, line 8" in str(error)


def test_a_column_the_file_lacks_is_refused_at_its_line_before_any_row_is_read() -> None:
    mapping = parse_mapping(SCHOOLS, file="schools.yaml")
    columns = [column for column in FILE_COLUMNS if column != "dob"]
    with pytest.raises(IngestError) as caught:
        mapping.check_columns(columns, file="schools.csv")
    assert caught.value.line == 9
    assert "'dob'" in caught.value.problem
    assert "schools.csv" in caught.value.problem


def test_a_when_present_column_the_file_lacks_is_refused_too() -> None:
    mapping = parse_mapping(SCHOOLS, file="schools.yaml")
    with pytest.raises(IngestError) as caught:
        mapping.check_columns([c for c in FILE_COLUMNS if c != "last_exclusion"], file="schools.csv")
    assert caught.value.line in {15, 16}


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("entity: person", "entity: pupil"), 3, "not an entity"),
        (("type: csv,", "type: word,"), 4, "not a file type"),
        (("record_id: pupil_ref\n", ""), 1, "record_id"),
        (("{M: male, F: female}", "{M: man, F: female}"), 10, "not a standard code"),
        (("{column: dob, format", "{column: dob, style"), 9, "not an option"),
        (("  postcode: post_code", "  postcode: {format: x, column: post_code}"), 11, "only to dates"),
        (("source: schools", "source: schools\nowner: me"), 2, "not part of a mapping"),
        (("  - type: school_exclusion\n", "  - date_seen: x\n"), 15, "not a field of the standard event"),
        (("identifiers.upn: upn", "identifiers.U P N: upn"), 13, "identifier type"),
    ],
)
def test_each_fault_names_its_line(change: tuple[str, str], line: int, words: str) -> None:
    error = _error(SCHOOLS.replace(*change))
    assert error.line == line, str(error)
    assert words in str(error)


def test_broken_yaml_names_its_line() -> None:
    error = _error(SCHOOLS.replace("  postcode: post_code", "  postcode: 'post_code"))
    assert error.line is not None and error.line >= 11
    assert "not valid YAML" in error.problem


def test_an_empty_mapping_is_refused() -> None:
    assert "empty" in _error("").problem


def test_a_full_name_needs_its_order() -> None:
    text = SCHOOLS.replace("  given_name: forename\n  family_name: surname", "  full_name: {column: name}")
    assert "order" in _error(text).problem
    fine = parse_mapping(
        text.replace("{column: name}", "{column: name, order: family_first_comma}"), file="m"
    )
    assert fine.spec("full_name").order == "family_first_comma"  # type: ignore[union-attr]


def test_a_spend_mapping_has_no_record_id_and_no_blocks() -> None:
    spend = """\
source: spend_police
agency: Vale Police
entity: spend_line
format: {type: csv}
columns: {agency: agency, service: service, period: period, amount: amount}
"""
    assert parse_mapping(spend, file="s.yaml").record_id is None
    error = _error(spend + "events:\n  - type: x\n")
    assert "only be declared in a person mapping" in error.problem


@pytest.mark.parametrize("name", ["new", "upload", "a/b", "two words", ""])
def test_a_source_name_that_no_page_could_show_is_refused(name: str) -> None:
    error = _error(SCHOOLS.replace("source: schools", f"source: '{name}'"))
    assert error.line == 1
