"""Standardising extract values: examples for each kind of value, and properties that hold for any input."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholeplace.sources import standardise
from wholeplace.sources.standardise import (
    BAD_CHECK_DIGIT,
    BAD_SHAPE,
    IN_FUTURE,
    NO_LETTERS,
    NON_UK,
    NOT_A_DATE,
    PROBLEM_CODES,
    TOO_OLD,
    UNALLOCATED_PREFIX,
    UNKNOWN_CODE,
    codes,
    date_format_drift,
    dates,
    emails,
    formula_like,
    names,
    neutralise_formulas,
    nhs_numbers,
    ni_numbers,
    phones,
    postcodes,
    split_full_name,
    upns,
)

TODAY = dt.date(2024, 6, 1)
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
ASCII_KEY = re.compile(r"[a-z]+( [a-z]+)*")
# The rules of BS 7666, written out again here so the tests do not borrow the code's pattern.
CANONICAL_POSTCODE = (
    r"(?:[ABCDEFGHIJKLMNOPRSTUWYZ](?:[0-9]|[0-9][0-9]|[0-9][ABCDEFGHJKPSTUW])"
    r"|[ABCDEFGHIJKLMNOPRSTUWYZ][ABCDEFGHKLMNOPQRSTUVWXY](?:[0-9]|[0-9][0-9]|[0-9][ABEHMNPRVWXY]))"
    r" [0-9][ABDEFGHJLNPQRSTUWXYZ]{2}"
)


def strings(*values: str | None) -> pa.Array:
    return pa.array(values, pa.string())


def one(values: pa.Array) -> Any:
    [value] = values.to_pylist()
    return value


def nhs_check_digit(body: str) -> int:
    remainder = sum(int(digit) * weight for digit, weight in zip(body, range(10, 1, -1), strict=True)) % 11
    return (11 - remainder) % 11


def upn_with_check_letter(digits: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(digits, range(2, 14), strict=True))
    return UPN_LETTERS[total % 23] + digits


# Names


def test_a_name_is_shown_trimmed_with_single_spaces_and_its_own_case() -> None:
    assert one(names(strings("  José \t Ñúñez  ")).display) == "José Ñúñez"


@pytest.mark.parametrize(
    ("name", "key", "key_ascii"),
    [
        ("José Ñúñez", "josé ñúñez", "jose nunez"),
        ("Łukasz Wójcik", "łukasz wójcik", "lukasz wojcik"),
        ("Zoë O'Brien-Smyth", "zoë obrien smyth", "zoe obrien smyth"),
        ("Nguyễn", "nguyễn", "nguyen"),
        ("STRAẞBURG", "straßburg", "strassburg"),
        ("Ægir Øster Đorđević", "ægir øster đorđević", "aegir oster dordevic"),
        ("J.P. Smith", "j p smith", "j p smith"),
    ],
)
def test_name_keys_fold_case_and_accents(name: str, key: str, key_ascii: str) -> None:
    parts = names(strings(name))
    assert (one(parts.key), one(parts.key_ascii)) == (key, key_ascii)


def test_decomposed_and_composed_accents_give_the_same_name() -> None:
    composed, decomposed = names(strings("Zoë", "Zoe\N{COMBINING DIAERESIS}")).display.to_pylist()
    assert composed == decomposed


def test_curly_and_straight_apostrophes_are_both_dropped() -> None:
    assert (
        names(strings("O'Brien", "O\N{RIGHT SINGLE QUOTATION MARK}Brien")).key.to_pylist() == ["obrien"] * 2
    )


@pytest.mark.parametrize(
    ("name", "parts"),
    [("Smith-Jones", ["smith", "jones"]), ("van der Berg", ["van", "der", "berg"]), ("Nguyễn", ["nguyen"])],
)
def test_name_parts_are_the_words_of_the_ascii_key(name: str, parts: list[str]) -> None:
    assert one(names(strings(name)).parts) == parts


def test_a_name_without_letters_is_a_problem() -> None:
    parts = names(strings("123"))
    assert (one(parts.display), one(parts.key), one(parts.problem)) == ("123", None, NO_LETTERS)


def test_a_name_in_a_script_without_ascii_spelling_keeps_its_key() -> None:
    parts = names(strings("王伟"))
    assert (one(parts.key), one(parts.key_ascii), one(parts.problem)) == ("王伟", None, None)


@pytest.mark.parametrize(
    ("order", "full_name", "expected"),
    [
        ("family_first_comma", "SMITH, John Paul", ("John", "Paul", "SMITH")),
        ("family_first_comma", "SMITH,John", ("John", None, "SMITH")),
        ("family_first_comma", "VAN DER BERG, Anna", ("Anna", None, "VAN DER BERG")),
        ("family_first_comma", "SMITH John", ("John", None, "SMITH")),
        ("given_first", "John Paul Smith", ("John", "Paul", "Smith")),
        ("given_first", "John Smith", ("John", None, "Smith")),
        ("given_first", "Anna Maria van der Berg", ("Anna", "Maria", "van der Berg")),
        ("given_first", "  Mary   Ann  Jones ", ("Mary", "Ann", "Jones")),
        ("family_first", "SMITH John", ("John", None, "SMITH")),
        ("family_first", "SMITH John Paul George", ("John", "Paul George", "SMITH")),
        ("family_first", "van der Berg Anna", ("Anna", None, "van der Berg")),
        ("family_first", "Smith", (None, None, "Smith")),
        ("given_first", "Smith", (None, None, "Smith")),
    ],
)
def test_one_column_names_split_by_their_order(
    order: standardise.NameOrder, full_name: str, expected: tuple[str | None, ...]
) -> None:
    split = split_full_name(strings(full_name), order)
    assert (one(split.given), one(split.middle), one(split.family)) == expected


def test_a_blank_full_name_splits_into_nothing() -> None:
    split = split_full_name(strings("  ", None), "given_first")
    assert split.given.to_pylist() == split.middle.to_pylist() == split.family.to_pylist() == [None, None]


# Postcodes


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("rf15ab", "RF1 5AB"),
        (" RF1  5AB ", "RF1 5AB"),
        ("ec1a1bb", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("m11ae", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("dn55 1pt", "DN55 1PT"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_uk_postcodes_are_upper_case_with_one_space_before_the_inward_code(
    written: str, canonical: str
) -> None:
    checked = postcodes(strings(written))
    assert (one(checked.value), one(checked.problem)) == (canonical, None)


def test_a_postcode_gives_its_sector_and_district() -> None:
    checked = postcodes(strings("sw1a2aa"))
    assert (one(checked.sector), one(checked.district)) == ("SW1A 2", "SW1A")


@pytest.mark.parametrize("written", ["RF1", "RFI 5AB", "QA1 1AA", "RF1 5CA", "RF1 5AB X", "12345", "RF1-5AB"])
def test_a_value_not_shaped_like_a_uk_postcode_is_a_bad_shape(written: str) -> None:
    checked = postcodes(strings(written))
    assert (one(checked.value), one(checked.problem), one(checked.sector)) == (None, BAD_SHAPE, None)


def test_a_foreign_postcode_is_kept_when_addresses_may_be_abroad() -> None:
    checked = postcodes(strings("75001  paris", "rf15ab"), expect_uk=False)
    assert checked.value.to_pylist() == ["75001 PARIS", "RF1 5AB"]
    assert checked.problem.to_pylist() == [NON_UK, None]
    assert checked.district.to_pylist() == [None, "RF1"]


# National and local identifiers


@pytest.mark.parametrize(
    "written", ["943 476 5919", "943-476-5919", " 9434765919 ", "943\N{NO-BREAK SPACE}4765919"]
)
def test_an_nhs_number_is_its_ten_digits(written: str) -> None:
    checked = nhs_numbers(strings(written))
    assert (one(checked.value), one(checked.problem)) == ("9434765919", None)


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("9434765918", BAD_CHECK_DIGIT),
        ("943476591", BAD_SHAPE),
        ("94347659190", BAD_SHAPE),
        ("943476591X", BAD_SHAPE),
    ],
)
def test_a_wrong_nhs_number_says_what_is_wrong(written: str, problem: str) -> None:
    checked = nhs_numbers(strings(written))
    assert (one(checked.value), one(checked.problem)) == (None, problem)


def test_an_nhs_number_whose_check_would_be_ten_is_never_valid() -> None:
    body = next(f"{n:09d}" for n in range(100_000_000, 100_001_000) if nhs_check_digit(f"{n:09d}") == 10)
    checked = nhs_numbers(strings(*(body + digit for digit in "0123456789")))
    assert set(checked.problem.to_pylist()) == {BAD_CHECK_DIGIT}


def test_nhs_numbers_read_as_integers_are_checked_as_their_digits() -> None:
    checked = nhs_numbers(pa.array([9434765919, None], pa.int64()))
    assert checked.value.to_pylist() == ["9434765919", None]


@pytest.mark.parametrize(
    ("written", "standard"),
    [
        ("AB123456C", "AB123456"),
        ("ab 12 34 56 c", "AB123456"),
        ("AB123456", "AB123456"),
        ("ce 654321 d", "CE654321"),
    ],
)
def test_a_national_insurance_number_is_its_prefix_and_digits(written: str, standard: str) -> None:
    checked = ni_numbers(strings(written))
    assert (one(checked.value), one(checked.problem)) == (standard, None)


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("DA123456A", BAD_SHAPE),
        ("AO123456A", BAD_SHAPE),
        ("AB123456E", BAD_SHAPE),
        ("AB12345A", BAD_SHAPE),
        ("GB123456A", UNALLOCATED_PREFIX),
        ("ZZ123456", UNALLOCATED_PREFIX),
        ("NT123456B", UNALLOCATED_PREFIX),
    ],
)
def test_a_wrong_national_insurance_number_says_what_is_wrong(written: str, problem: str) -> None:
    checked = ni_numbers(strings(written))
    assert (one(checked.value), one(checked.problem)) == (None, problem)


def test_a_unique_pupil_number_with_its_check_letter_is_valid() -> None:
    upn = upn_with_check_letter("877123456789")
    checked = upns(strings(f" {upn.lower()} "))
    assert (one(checked.value), one(checked.problem)) == (upn, None)


def test_a_wrong_unique_pupil_number_says_what_is_wrong() -> None:
    upn = upn_with_check_letter("877123456789")
    wrong_letter = next(letter for letter in UPN_LETTERS if letter != upn[0]) + upn[1:]
    checked = upns(strings(wrong_letter, upn[:-1], "I877123456789", upn[:-1] + "A"))
    assert checked.problem.to_pylist() == [BAD_CHECK_DIGIT, BAD_SHAPE, BAD_CHECK_DIGIT, BAD_SHAPE]
    assert checked.value.to_pylist() == [None] * 4


# Phones and emails


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("01234 567890", "+441234567890"),
        ("(01234) 567 890", "+441234567890"),
        ("+44 (0)1234 567890", "+441234567890"),
        ("0044 1234 567890", "+441234567890"),
        ("+44 01234 567890", "+441234567890"),
        ("07700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("7700900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("+1 (212) 555-1234", "+12125551234"),
        ("0033 1 23 45 67 89", "+33123456789"),
    ],
)
def test_phone_numbers_are_written_in_e164(written: str, e164: str) -> None:
    checked = phones(strings(written))
    assert (one(checked.value), one(checked.problem)) == (e164, None)


@pytest.mark.parametrize(
    "written",
    ["01234 56789", "+44 1234 56789", "0123456789012", "+1 234", "call 07700 900123", "04123 456789"],
)
def test_a_phone_number_of_no_known_shape_is_a_bad_shape(written: str) -> None:
    checked = phones(strings(written))
    assert (one(checked.value), one(checked.problem)) == (None, BAD_SHAPE)


def test_email_addresses_are_trimmed_and_lower_cased() -> None:
    checked = emails(strings(" Jo.Smith@Example.ORG.uk "))
    assert (one(checked.value), one(checked.problem)) == ("jo.smith@example.org.uk", None)


@pytest.mark.parametrize(
    "written", ["jo.smith", "jo@example", "jo@@example.org", "jo smith@example.org", "jo@.org"]
)
def test_an_email_address_of_the_wrong_shape_is_a_bad_shape(written: str) -> None:
    checked = emails(strings(written))
    assert (one(checked.value), one(checked.problem)) == (None, BAD_SHAPE)


# Dates


@pytest.mark.parametrize(
    ("fmt", "written"),
    [
        ("%d/%m/%Y", "05/03/2024"),
        ("%d/%m/%Y", "5/3/2024"),
        ("%Y%m%d", "20240305"),
        ("%d %b %Y", "05 Mar 2024"),
        ("%d %b %Y", "05 MAR 2024"),
        ("%d %b %Y", "5 march 2024"),
        ("%d %B %Y", "5 March 2024"),
        ("%d-%b-%y", "05-Mar-24"),
        ("%Y-%m-%d", "2024-03-05"),
        ("%d.%m.%Y", "05.03.2024"),
        ("%Y/%m/%d", "2024/03/05"),
        ("%d/%m/%Y %H:%M", "05/03/2024 14:30"),
        ("%d/%m/%Y", "2024-03-05"),
        ("%d/%m/%Y", "2024-03-05T00:00:00"),
        ("%d/%m/%Y", "2024-03-05 00:00:00"),
        ("%Y%m%d", "2024-03-05T10:15:00.000Z"),
    ],
)
def test_dates_parse_in_the_declared_format_or_iso(fmt: str, written: str) -> None:
    checked = dates(strings(written), fmt, today=TODAY)
    assert (one(checked.value), one(checked.problem)) == (dt.date(2024, 3, 5), None)


@pytest.mark.parametrize(
    "written", ["31/02/2020", "29/02/2023", "00/01/2020", "12/13/2020", "yesterday", "05/03/2024x"]
)
def test_a_date_that_cannot_be_is_not_a_date(written: str) -> None:
    checked = dates(strings(written), "%d/%m/%Y", today=TODAY)
    assert (one(checked.value), one(checked.problem)) == (None, NOT_A_DATE)


def test_the_leap_day_of_a_leap_year_is_a_date() -> None:
    assert one(dates(strings("29/02/2024"), "%d/%m/%Y", today=TODAY).value) == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("born", "problem"),
    [("02/06/2024", IN_FUTURE), ("31/05/1904", TOO_OLD), ("01/06/1904", None), ("01/06/2024", None)],
)
def test_a_birth_date_must_be_in_the_last_120_years(born: str, problem: str | None) -> None:
    checked = dates(strings(born), "%d/%m/%Y", today=TODAY, kind="birth")
    assert one(checked.problem) == problem
    assert (one(checked.value) is None) == (problem is not None)


@pytest.mark.parametrize(
    ("happened", "problem"),
    [("01/12/2024", None), ("01/06/2025", None), ("02/06/2025", IN_FUTURE), ("01/01/1850", None)],
)
def test_an_event_may_be_scheduled_up_to_a_year_ahead(happened: str, problem: str | None) -> None:
    assert one(dates(strings(happened), "%d/%m/%Y", today=TODAY).problem) == problem


@pytest.mark.parametrize(
    ("kind", "written", "year"),
    [
        ("birth", "01/01/24", 2024),
        ("birth", "01/01/25", 1925),
        ("event", "01/01/25", 2025),
        ("event", "01/01/26", 1926),
    ],
)
def test_a_two_digit_year_is_the_latest_that_could_be_meant(
    kind: standardise.DateKind, written: str, year: int
) -> None:
    assert one(dates(strings(written), "%d/%m/%y", today=TODAY, kind=kind).value).year == year


def test_month_names_do_not_depend_on_a_locale_bound_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a locale-bound parser was used")

    monkeypatch.setattr(pc, "strptime", refuse)
    monkeypatch.setattr(time, "strptime", refuse)
    assert one(dates(strings("05 Mar 2024"), "%d %b %Y", today=TODAY).value) == dt.date(2024, 3, 5)


@pytest.mark.parametrize("fmt", ["%d/%m", "%d/%m/%Y/%Y", "%j/%Y", "%d/%m/%Y%"])
def test_a_date_format_that_cannot_give_a_date_is_refused(fmt: str) -> None:
    with pytest.raises(ValueError, match="date format"):
        dates(strings("01/01/2024"), fmt, today=TODAY)


# Date format drift


def test_a_column_in_one_format_has_no_drift() -> None:
    assert date_format_drift(strings("05/03/2024", None, "06/03/2024", "31/02/2024"), "%d/%m/%Y") is None


def test_drift_names_the_row_from_which_the_format_changes() -> None:
    column = strings(*["05/03/2024"] * 6, "", *["2024.03.05"] * 3, "05/03/2024", *["2024.03.05"] * 4)
    assert date_format_drift(column, "%d/%m/%Y") == 8


def test_a_few_stray_cells_are_not_drift() -> None:
    assert date_format_drift(strings(*["05/03/2024"] * 20, "2024-03-05", "5th March"), "%d/%m/%Y") is None


def test_a_column_wholly_in_another_format_drifts_from_its_first_value() -> None:
    assert date_format_drift(strings(None, "03-05-2024", "03-06-2024", "03-07-2024"), "%d/%m/%Y") == 2


def test_iso_dates_are_accepted_under_any_format_so_they_are_not_drift() -> None:
    assert date_format_drift(strings(*["05/03/2024"] * 5, *["2024-03-05"] * 5), "%d/%m/%Y") is None


def test_a_blank_column_has_no_drift() -> None:
    assert date_format_drift(strings(None, " "), "%d/%m/%Y") is None


# Codes


SEX_CODES = {"M": "male", "F": "female", "U": "unknown", "Not Known": "unknown"}


def test_codes_translate_exactly_then_ignoring_case_and_spacing() -> None:
    checked = codes(strings("M", "f", " u ", "not   known", "X", None, ""), SEX_CODES)
    assert checked.value.to_pylist() == ["male", "female", "unknown", "unknown", None, None, None]
    assert checked.problem.to_pylist() == [None, None, None, None, UNKNOWN_CODE, None, None]


def test_an_exact_code_beats_a_loose_one() -> None:
    checked = codes(strings("m", "M", " m"), {"M": "male", "m": "mother"})
    assert checked.value.to_pylist() == ["mother", "male", "male"]


# Formulas in downloads


def test_cells_a_spreadsheet_would_run_are_formula_like() -> None:
    cells = strings("=SUM(A1)", "+44", "-1", "@cmd", "\tx", "\rx", "Smith", " =1", None)
    assert formula_like(cells).to_pylist() == [True] * 6 + [False] * 3


def test_formula_like_cells_are_neutralised_with_a_quote() -> None:
    assert neutralise_formulas(strings("=1+1", "Smith", None)).to_pylist() == ["'=1+1", "Smith", None]


# Every function


ROW_FUNCTIONS: dict[str, Callable[[pa.Array], Any]] = {
    "names": names,
    "split_full_name": lambda values: split_full_name(values, "given_first"),
    "postcodes": postcodes,
    "foreign postcodes": lambda values: postcodes(values, expect_uk=False),
    "nhs_numbers": nhs_numbers,
    "ni_numbers": ni_numbers,
    "upns": upns,
    "phones": phones,
    "emails": emails,
    "dates": lambda values: dates(values, "%d/%m/%Y", today=TODAY, kind="birth"),
    "codes": lambda values: codes(values, SEX_CODES),
}


def _columns(result: Any) -> dict[str, pa.Array]:
    return {field.name: getattr(result, field.name) for field in fields(result)}


@pytest.mark.parametrize("function", ROW_FUNCTIONS.values(), ids=ROW_FUNCTIONS.keys())
def test_an_empty_extract_gives_empty_columns(function: Callable[[pa.Array], Any]) -> None:
    assert all(len(column) == 0 for column in _columns(function(strings())).values())


@pytest.mark.parametrize("function", ROW_FUNCTIONS.values(), ids=ROW_FUNCTIONS.keys())
def test_chunked_input_gives_whole_columns(function: Callable[[pa.Array], Any]) -> None:
    chunked = pa.chunked_array([strings("a", None), strings("RF1 5AB")])
    columns = _columns(function(chunked))
    assert all(isinstance(column, pa.Array) and len(column) == 3 for column in columns.values())


@pytest.mark.parametrize("function", ROW_FUNCTIONS.values(), ids=ROW_FUNCTIONS.keys())
@given(
    cells=st.lists(
        st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["", " ", "\t \N{NO-BREAK SPACE}"]))
    )
)
def test_every_row_gives_one_row_and_blanks_stay_blank(
    function: Callable[[pa.Array], Any], cells: list[str | None]
) -> None:
    values = strings(*cells)
    before = values.to_pylist()
    columns = _columns(function(values))
    blank = [cell is None or not cell.strip() for cell in cells]
    for name, column in columns.items():
        assert len(column) == len(cells), name
        assert all(
            not is_blank or cell is None for is_blank, cell in zip(blank, column.to_pylist(), strict=True)
        )
    problems = {problem for problem in columns.get("problem", strings()).to_pylist() if problem is not None}
    assert problems <= set(PROBLEM_CODES)
    assert values.to_pylist() == before


@given(
    body=st.integers(0, 10**9 - 1).map(lambda n: f"{n:09d}").filter(lambda body: nhs_check_digit(body) != 10)
)
def test_any_body_with_its_check_digit_is_a_valid_nhs_number(body: str) -> None:
    number = body + str(nhs_check_digit(body))
    checked = nhs_numbers(strings(number))
    assert (one(checked.value), one(checked.problem)) == (number, None)


@given(
    body=st.integers(0, 10**9 - 1).map(lambda n: f"{n:09d}").filter(lambda body: nhs_check_digit(body) != 10),
    position=st.integers(0, 9),
    change=st.integers(1, 9),
)
def test_changing_any_one_digit_of_an_nhs_number_fails_its_check(
    body: str, position: int, change: int
) -> None:
    number = body + str(nhs_check_digit(body))
    changed = number[:position] + str((int(number[position]) + change) % 10) + number[position + 1 :]
    assert one(nhs_numbers(strings(changed)).problem) == BAD_CHECK_DIGIT


@given(
    digits=st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}"),
    position=st.integers(0, 11),
    change=st.integers(1, 9),
)
def test_a_unique_pupil_number_fails_when_any_one_digit_changes(
    digits: str, position: int, change: int
) -> None:
    upn = upn_with_check_letter(digits)
    changed = upn[: position + 1] + str((int(upn[position + 1]) + change) % 10) + upn[position + 2 :]
    assert upns(strings(upn, changed)).problem.to_pylist() == [None, BAD_CHECK_DIGIT]


@st.composite
def messy_spellings(draw: st.DrawFn, canonical: str) -> str:
    characters = [draw(st.sampled_from([c.lower(), c.upper()])) for c in canonical.replace(" ", "")]
    gaps = [draw(st.sampled_from(["", "", " ", "  ", "\t"])) for _ in characters]
    return "".join(gap + character for gap, character in zip(gaps, characters, strict=True)) + " "


@given(data=st.data(), canonical=st.from_regex(CANONICAL_POSTCODE, fullmatch=True))
def test_any_valid_postcode_however_written_standardises_to_its_canonical_form(
    data: st.DataObject, canonical: str
) -> None:
    written = data.draw(messy_spellings(canonical))
    checked = postcodes(strings(written, canonical))
    assert checked.value.to_pylist() == [canonical, canonical]
    assert checked.problem.to_pylist() == [None, None]


DATE_FORMATS = ["%d/%m/%Y", "%Y%m%d", "%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d-%b-%Y"]


@given(
    fmt=st.sampled_from(DATE_FORMATS),
    day=st.dates(min_value=dt.date(1000, 1, 1), max_value=TODAY),
)
def test_any_date_written_in_the_format_reads_back_as_itself(fmt: str, day: dt.date) -> None:
    checked = dates(strings(day.strftime(fmt)), fmt, today=TODAY)
    assert (one(checked.value), one(checked.problem)) == (day, None)


@given(day=st.dates(min_value=dt.date(TODAY.year - 98, 1, 1), max_value=TODAY))
def test_any_recent_date_with_a_two_digit_year_reads_back_as_itself(day: dt.date) -> None:
    assert one(dates(strings(day.strftime("%d/%m/%y")), "%d/%m/%y", today=TODAY).value) == day


@given(name=st.text(max_size=30))
def test_an_ascii_key_is_lower_case_words_and_standardises_to_itself(name: str) -> None:
    key_ascii = one(names(strings(name)).key_ascii)
    if key_ascii is not None:
        assert ASCII_KEY.fullmatch(key_ascii)
        again = names(strings(key_ascii))
        assert (one(again.key_ascii), one(again.display)) == (key_ascii, key_ascii)


@given(name=st.text(max_size=30))
def test_a_displayed_name_displays_as_itself(name: str) -> None:
    display = one(names(strings(name)).display)
    if display is not None:
        assert one(names(strings(display)).display) == display
