"""The Total Place count over hand-made spend lines: exact to the penny, nothing dropped (lines with no area are
"not placed"), per head by neighbourhood, the prevention share of each theme, the trend by financial year, and
the lines behind a figure, page by page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wholeplace.money import spend
from wholeplace.money.spend import NOT_GIVEN, LineFilter, Neighbourhood

COLUMNS = ("agency", "service", "period", "area", "cost_type", "theme", "prevention_or_response", "focus")
PLACE = [Neighbourhood("N1", "Old Town", 1_000), Neighbourhood("N2", "Eastfield", 3_000)]


def line(amount: str | float, **fields: str | None) -> dict[str, str | float | None]:
    """A spend line: Vale Police's response policing in 2025-26 in N1 unless told otherwise."""
    made: dict[str, str | float | None] = {
        "agency": "Vale Police",
        "service": "Response policing",
        "period": "2025-26",
        "area": "N1",
        "cost_type": "staff",
        "theme": "crime",
        "prevention_or_response": "response",
        "focus": "activities",
    }
    made.update(fields)
    made["amount"] = float(amount)  # the lake holds amounts as doubles, as the ingest reads them
    return made


def connection_with(
    lines: Iterable[Mapping[str, str | float | None]], columns: Iterable[str] = COLUMNS
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding the lines as `spend_line`, as the lake's view gives them."""
    names = list(columns)
    connection = duckdb.connect()
    listed = ", ".join([*(f"{name} VARCHAR" for name in names), "amount DOUBLE"])
    connection.execute(f"CREATE TABLE spend_line ({listed})")
    rows = [[one.get(name) for name in names] + [one["amount"]] for one in lines]
    if rows:
        marks = ", ".join("?" * (len(names) + 1))
        connection.executemany(f"INSERT INTO spend_line VALUES ({marks})", rows)  # noqa: S608
    return connection


def count_of(
    lines: Iterable[Mapping[str, str | float | None]],
    *,
    year: str | None = None,
    place: list[Neighbourhood] = PLACE,
) -> spend.Count:
    return spend.count(spend.read_cube(connection_with(lines)), place, year=year)


# ---------------------------------------------------------------- exact totals


def test_totals_are_exact_to_the_penny_where_floats_are_not() -> None:
    counted = count_of([*[line("0.01")] * 1_000, line("0.10"), line("0.20")])
    assert counted.amount == Decimal("10.30")
    assert sum([*[0.01] * 1_000, 0.10, 0.20]) != 10.30  # what a sum of floats would have said


def test_totals_by_agency_and_theme_and_the_flows_between_them() -> None:
    counted = count_of(
        [
            line("100.00"),
            line("50.00", theme="domestic_abuse"),
            line("70.00", agency="Riverford Homes", theme="housing"),
            line("5.00", agency="Riverford Homes", theme="crime"),
        ]
    )
    assert [(one.name, one.amount) for one in counted.agencies] == [
        ("Vale Police", Decimal("150.00")),
        ("Riverford Homes", Decimal("75.00")),
    ]
    assert {(one.name, one.amount) for one in counted.themes} == {
        ("crime", Decimal("105.00")),
        ("housing", Decimal("70.00")),
        ("domestic_abuse", Decimal("50.00")),
    }
    assert {(cell.agency, cell.theme): cell.amount for cell in counted.cells}[
        ("Riverford Homes", "crime")
    ] == (Decimal("5.00"))


def test_lines_with_no_area_are_counted_as_not_placed_and_an_unknown_area_apart() -> None:
    counted = count_of(
        [line("10.00"), line("4.00", area=None), line("6.00", area=None), line("1.50", area="Z9")]
    )
    rows = [(area.code, area.name, area.amount, area.lines) for area in counted.areas]
    assert rows == [
        ("N1", "Old Town", Decimal("10.00"), 1),
        ("N2", "Eastfield", Decimal("0.00"), 0),
        ("Z9", None, Decimal("1.50"), 1),
        (None, None, Decimal("10.00"), 2),
    ]
    assert counted.not_placed is not None and counted.not_placed.amount == Decimal("10.00")
    assert sum(area.amount for area in counted.areas) == counted.amount


def test_per_head_divides_each_neighbourhoods_spend_by_its_residents_and_the_total_by_the_place() -> None:
    counted = count_of([line("1000.00"), line("1500.00", area="N2"), line("500.00", area=None)])
    per_head = {area.code: area.per_head for area in counted.areas}
    assert per_head == {"N1": Decimal("1"), "N2": Decimal("0.5"), None: None}
    assert counted.residents == 4_000
    assert counted.per_head == Decimal("0.75")  # the unplaced £500 is the place's too


def test_without_every_population_there_is_no_spend_per_head_for_the_place() -> None:
    place = [Neighbourhood("N1", "Old Town", 1_000), Neighbourhood("N2", "Eastfield", None)]
    counted = count_of([line("1000.00"), line("10.00", area="N2")], place=place)
    assert counted.residents is None and counted.per_head is None
    assert [area.per_head for area in counted.areas] == [Decimal("1"), None]


def test_the_prevention_share_of_each_theme_keeps_unclassified_spend_in_the_total() -> None:
    counted = count_of(
        [
            line("30.00", prevention_or_response="prevention"),
            line("60.00"),
            line("10.00", prevention_or_response=None),
            line("0.00", theme="housing"),
        ]
    )
    crime = next(theme for theme in counted.prevention if theme.theme == "crime")
    assert (crime.prevention, crime.response, crime.unclassified) == (
        Decimal("30.00"),
        Decimal("60.00"),
        Decimal("10.00"),
    )
    assert crime.share == Decimal("0.3")
    housing = next(theme for theme in counted.prevention if theme.theme == "housing")
    assert housing.share is None  # nothing spent: no share to speak of


def test_a_year_counts_only_its_own_lines_and_the_trend_keeps_every_year() -> None:
    lines = [line("100.00"), line("40.00", period="2024-25"), line("7.00", period="2025-07")]
    counted = count_of(lines, year="2025-26")
    assert counted.amount == Decimal("107.00") and counted.lines == 2
    assert [(year.year, year.amount) for year in counted.years] == [
        ("2024-25", Decimal("40.00")),
        ("2025-26", Decimal("107.00")),
    ]
    assert spend.read_cube(connection_with(lines)).years == ["2024-25", "2025-26"]


def test_a_period_that_is_not_a_financial_year_is_its_own_year_in_the_trend() -> None:
    counted = count_of([line("1.00", period="Q1 2025"), line("2.00", period=None)])
    assert [(year.year, year.amount) for year in counted.years] == [
        ("Q1 2025", Decimal("1.00")),
        (None, Decimal("2.00")),
    ]


@pytest.mark.parametrize(
    ("period", "year"),
    [
        ("2025-26", "2025-26"),
        ("2025/26", "2025-26"),
        ("2025-2026", "2025-26"),
        ("FY2025-26", "2025-26"),
        ("1999-00", "1999-00"),
        ("2025-04", "2025-26"),
        ("2026-03", "2025-26"),
        ("2026-03-31", "2025-26"),
        ("2025-12", "2025-26"),
        ("2025-27", None),
        ("2025-13", None),
        ("2025", None),
        ("", None),
        (None, None),
    ],
)
def test_financial_years_are_read_from_the_usual_spellings_and_from_months(
    period: str | None, year: str | None
) -> None:
    assert spend.financial_year(period) == year


def test_a_source_that_mapped_only_amounts_is_counted_with_its_fields_blank() -> None:
    connection = connection_with([{"amount": 12.5}, {"amount": 0.5}], columns=())
    counted = spend.count(spend.read_cube(connection), PLACE)
    assert counted.amount == Decimal("13.00")
    assert [(one.name, one.amount) for one in counted.agencies] == [(None, Decimal("13.00"))]
    assert counted.not_placed is not None and counted.not_placed.lines == 2


def test_a_place_without_spend_lines_counts_nothing() -> None:
    counted = spend.count(spend.read_cube(duckdb.connect()), PLACE)
    assert (counted.amount, counted.lines, counted.agencies, counted.years) == (Decimal("0.00"), 0, [], [])
    assert [area.amount for area in counted.areas] == [Decimal("0.00"), Decimal("0.00")]


# ---------------------------------------------------------------- the lines behind a figure


def test_the_lines_behind_a_figure_come_in_order_page_by_page_with_their_total() -> None:
    lines = [line(f"{amount}.00", area=f"N{amount % 3}") for amount in range(1, 8)]
    connection = connection_with([*lines, line("99.00", agency="Riverford Homes")])
    first = spend.lines(connection, LineFilter(agency="Vale Police", theme="crime", period="2025-26"), size=3)
    assert (first.matched, first.pages, first.amount) == (7, 3, Decimal("28.00"))
    assert [(one.area, one.amount) for one in first.lines] == [
        ("N0", Decimal("6.00")),
        ("N0", Decimal("3.00")),
        ("N1", Decimal("7.00")),
    ]
    last = spend.lines(connection, LineFilter(agency="Vale Police"), page=9, size=3)
    assert last.page == 3 and [one.amount for one in last.lines] == [Decimal("2.00")]


def test_a_blank_field_is_asked_for_as_not_given() -> None:
    connection = connection_with([line("1.00"), line("2.00", area=None), line("4.00", theme=None)])
    assert spend.lines(connection, LineFilter(area=NOT_GIVEN)).amount == Decimal("2.00")
    assert spend.lines(connection, LineFilter(theme=NOT_GIVEN)).amount == Decimal("4.00")


def test_a_financial_year_finds_its_monthly_lines_too() -> None:
    connection = connection_with(
        [line("1.00", period="2025-04"), line("2.00", period="2026-03"), line("4.00")]
    )
    assert spend.lines(connection, LineFilter(period="2025-26")).amount == Decimal("7.00")
    assert spend.lines(connection, LineFilter(period="2025-04")).amount == Decimal("1.00")


def test_every_line_of_a_filter_as_arrow_has_the_standard_columns_and_decimal_amounts() -> None:
    table = spend.lines_table(connection_with([line("1.25"), line("2.50", area=None)]), LineFilter(area="N1"))
    assert table.column_names == [*COLUMNS[:3], "amount", *COLUMNS[3:]]
    assert table.column("amount").to_pylist() == [Decimal("1.25")]


# ---------------------------------------------------------------- properties

# Each example counts in a DuckDB of its own: fewer examples keep the file quick on a shared machine.
COUNTED = settings(max_examples=40)
AMOUNTS = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("100000"), places=2)
SPENDING = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2)


def lines_of(amounts: st.SearchStrategy[Decimal]) -> st.SearchStrategy[list[dict[str, str | float | None]]]:
    one = st.builds(
        lambda amount, agency, theme, area, kind, period: line(
            str(amount), agency=agency, theme=theme, area=area, prevention_or_response=kind, period=period
        ),
        amounts,
        st.sampled_from(["Vale Police", "Riverford Homes", "Riverford Schools", None]),
        st.sampled_from(["crime", "housing", "education", None]),
        st.sampled_from(["N1", "N2", "Z9", None]),
        st.sampled_from(["prevention", "response", None]),
        st.sampled_from(["2024-25", "2025-26", "2025-05", None]),
    )
    return st.lists(one, max_size=40)


@COUNTED
@given(lines_of(AMOUNTS))
def test_totals_by_agency_theme_area_and_year_each_add_up_to_the_grand_total(
    lines: list[dict[str, str | float | None]],
) -> None:
    counted = count_of(lines)
    exact = sum((Decimal(str(one["amount"])) for one in lines), Decimal("0.00"))
    assert counted.amount == exact
    for parts in (counted.agencies, counted.themes, counted.areas, counted.years, counted.cells):
        assert sum((part.amount for part in parts), Decimal("0.00")) == counted.amount
    assert sum(area.lines for area in counted.areas) == len(lines) == counted.lines


@COUNTED
@given(lines_of(AMOUNTS))
def test_per_head_times_residents_gives_back_each_neighbourhoods_total(
    lines: list[dict[str, str | float | None]],
) -> None:
    for area in count_of(lines).areas:
        if area.per_head is not None and area.residents:
            assert (area.per_head * area.residents).quantize(Decimal("0.01")) == area.amount


@COUNTED
@given(lines_of(SPENDING))
def test_the_prevention_share_of_spending_lies_between_none_and_all_of_it(
    lines: list[dict[str, str | float | None]],
) -> None:
    for theme in count_of(lines).prevention:
        if theme.amount > 0:
            assert theme.share is not None and 0 <= theme.share <= 1
            assert theme.prevention + theme.response + theme.unclassified == theme.amount


@COUNTED
@given(lines_of(AMOUNTS))
def test_a_prevention_share_is_never_outside_zero_to_one_even_with_credits(
    lines: list[dict[str, str | float | None]],
) -> None:
    for theme in count_of(lines).prevention:
        assert theme.share is None or 0 <= theme.share <= 1


@COUNTED
@given(lines_of(AMOUNTS), st.sampled_from(["2024-25", "2025-26"]))
def test_a_years_count_is_its_line_in_the_trend(
    lines: list[dict[str, str | float | None]], year: str
) -> None:
    counted = count_of(lines, year=year)
    trend = {one.year: one.amount for one in counted.years}
    assert counted.amount == trend.get(year, Decimal("0.00"))


@given(st.integers(min_value=1990, max_value=2090), st.integers(min_value=1, max_value=12))
def test_every_month_falls_in_the_financial_year_that_holds_it(year: int, month: int) -> None:
    assume(month != (year + 1) % 100)  # "2001-02" spells a financial year too: see the next test
    start = year if month >= 4 else year - 1
    assert spend.financial_year(f"{year}-{month:02d}") == f"{start}-{(start + 1) % 100:02d}"


def test_a_period_that_spells_both_a_month_and_a_financial_year_is_the_financial_year() -> None:
    assert spend.financial_year("2001-02") == "2001-02"  # not February 2001, which falls in 2000-01


def _by(lines: Iterable[Mapping[str, str | float | None]], name: str) -> dict[str | None, Decimal]:
    totals: dict[str | None, Decimal] = defaultdict(Decimal)
    for one in lines:
        value = one.get(name)
        totals[None if value is None else str(value)] += Decimal(str(one["amount"]))
    return dict(totals)


@COUNTED
@given(lines_of(AMOUNTS))
def test_each_agencys_total_is_the_sum_of_its_own_lines(lines: list[dict[str, str | float | None]]) -> None:
    counted = count_of(lines)
    assert {one.name: one.amount for one in counted.agencies} == {
        name: amount.quantize(Decimal("0.01")) for name, amount in _by(lines, "agency").items()
    }
