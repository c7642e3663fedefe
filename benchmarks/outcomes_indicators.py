"""Compute every demo indicator over a large place, for all periods (financial years and quarters) and every
neighbourhood; print wall time and peak memory beside a pandas implementation of the same definitions, and the
ratio. The two must give the same values, to the last decimal place: the benchmark stops if they do not.

The inputs are gathered once by the service's own code (outcomes.service.computing.gather). Given --data-dir of
a place that has been linked, its latest linkage run's people are used; otherwise a place is generated, its
extracts loaded into a lake of its own, and the people and households come from the generator's truth instead
of linking (linking a million residents takes long, and is not what this measures). Each implementation then
runs in a process of its own, so peak memory is that run's alone (both hold the same inputs).

Run with the project's Python:
    .venv/bin/python benchmarks/outcomes_indicators.py [--residents 100000] [--repeats 3] [--data-dir DIR]
Target: at most 60 s at 1,000,000 residents.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

TARGET_SECONDS = 60
TABLES = ("records", "events", "involvements", "neighbourhoods")
VARIANTS = ({}, {"period": "quarter"})
PLACES = Decimal("0.0001")
NOW = datetime(2026, 4, 1, tzinfo=UTC)

Row = tuple[str, str, str, str, str, str]  # key, variant, period, neighbourhood, group, value


# ---------------------------------------------------------------- the inputs


def prepare(options: argparse.Namespace, folder: Path) -> tuple[Path, str]:
    """Gather the inputs and write them as Parquet files; say where the people came from."""
    from wholeplace.core.runtime import Runtime
    from wholeplace.core.settings import Settings
    from wholeplace.outcomes.service import computing
    from wholeplace.sources.lake import Lake

    inputs = folder / "inputs"
    inputs.mkdir()
    if options.data_dir:
        runtime = Runtime.from_settings(Settings(data_dir=options.data_dir))
        with runtime.sessions() as db:
            data = computing.gather(db, Lake.in_data_dir(options.data_dir))
        said = f"the place in {options.data_dir}, people from its latest linkage run"
    else:
        data, said = _generated(options.residents, folder)
    for name in TABLES:
        pq.write_table(getattr(data, name), inputs / f"{name}.parquet")
    return inputs, said


def _generated(residents: int, folder: Path) -> tuple[Any, str]:
    from wholeplace.core import geography
    from wholeplace.core.db import transaction
    from wholeplace.core.runtime import Runtime
    from wholeplace.core.settings import Settings
    from wholeplace.demo.generate.place import NEIGHBOURHOODS_FILE, generate_place
    from wholeplace.demo.service import demo_files, load_demo_file
    from wholeplace.outcomes.service import computing
    from wholeplace.sources.lake import Lake

    place, data_dir = folder / "place", folder / "data"
    started = time.perf_counter()
    print(f"Generating a place of {residents:,} residents ...", flush=True)
    generate_place(residents=residents, seed=1, out=place)
    print(f"  {time.perf_counter() - started:.0f} s; loading its extracts into a lake ...", flush=True)
    runtime = Runtime.from_settings(Settings(data_dir=data_dir))
    runtime.upgrade()
    lake = Lake.in_data_dir(data_dir)
    for demo_file in demo_files(place):
        with transaction(runtime.sessions) as db:
            load_demo_file(db, demo_file, lake=lake, now=NOW)
    with transaction(runtime.sessions) as db:
        rows = geography.read_neighbourhoods(place / NEIGHBOURHOODS_FILE)
        geography.replace_neighbourhoods(db, rows, now=NOW)
        truth = pa_csv.read_csv(
            place / "truth" / "records.csv",
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(["record_id"], pa.string())),
        )
        data = computing.gather(db, lake, people=truth)
    print(f"  {time.perf_counter() - started:.0f} s in all.", flush=True)
    return (
        data,
        f"a generated place of {residents:,} residents, people from the generator's truth (not linked)",
    )


def _read(inputs: Path) -> dict[str, pa.Table]:
    return {name: pq.read_table(inputs / f"{name}.parquet") for name in TABLES}


# ---------------------------------------------------------------- ours: DuckDB


def ours(inputs: Path) -> list[Row]:
    from wholeplace.outcomes import indicators

    tables = _read(inputs)
    read_kb = _peak_kb()
    started = time.perf_counter()
    found: list[Row] = []
    with indicators.workspace(indicators.LinkedData(**tables)) as connection:
        for (
            key
        ) in PANDAS:  # the demo indicators the linked data give; closed plans' measures are not among them
            for variant in VARIANTS:
                found += [
                    _row(key, variant, v.period, v.neighbourhood, v.group, v.value)
                    # Nothing withheld: small-number suppression guards what is shown, not the definitions compared.
                    for v in indicators.compute(connection, key, variant, smallest_shown=1)
                ]
    return _timed(found, started, read_kb)


# ---------------------------------------------------------------- the comparison: pandas


def with_pandas(inputs: Path) -> list[Row]:
    """The same definitions written with pandas, sharing no code with ours but the demo's default parameters."""
    from wholeplace.outcomes.indicators import REGISTRY

    tables = {name: _frame(table) for name, table in _read(inputs).items()}
    read_kb = _peak_kb()
    started = time.perf_counter()
    records, events, involvements = tables["records"], tables["events"], tables["involvements"]
    people = _people(records, events, involvements)
    keys = records[["source", "record_id", "person_id"]]
    person_events = events.dropna(subset=["date"]).merge(keys, on=["source", "record_id"])
    person_events["role"] = person_events["role"].str.strip().str.lower()
    person_involvements = involvements.merge(keys, on=["source", "record_id"])
    given = {
        "records": records,
        "people": people,
        "events": person_events,
        "involvements": person_involvements,
    }
    found: list[Row] = []
    for key in PANDAS:
        for variant in VARIANTS:
            parameters = REGISTRY[key].checked(variant)
            computed = PANDAS[key](given, tables["neighbourhoods"], parameters)
            found += [_row(key, variant, *one) for one in computed]
    return _timed(found, started, read_kb)


def _frame(table: pa.Table) -> pd.DataFrame:
    """The table with its dates as nanosecond timestamps, as pandas' own date arithmetic gives them."""
    frame = table.to_pandas(date_as_object=False)
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = frame[name].astype("datetime64[ns]")
    return frame


def _people(records: pd.DataFrame, events: pd.DataFrame, involvements: pd.DataFrame) -> pd.DataFrame:
    days = pd.concat(
        [
            events[["source", "record_id", "date"]].rename(columns={"date": "day"}),
            involvements[["source", "record_id", "start"]].rename(columns={"start": "day"}),
            involvements[["source", "record_id", "end"]].rename(columns={"end": "day"}),
        ]
    ).dropna(subset=["day"])
    active = days.groupby(["source", "record_id"])["day"].max().rename("last_active").reset_index()
    seen = records.merge(active, on=["source", "record_id"], how="left")
    seen["seen_on"] = seen[["updated_at", "last_active"]].max(axis=1).fillna(seen["loaded_on"])
    ordered = seen.sort_values(
        ["seen_on", "source", "record_id"], ascending=[False, True, True], na_position="last"
    )
    where = ordered[ordered["postcode"].notna()].drop_duplicates("person_id")
    born = ordered[ordered["date_of_birth"].notna()].drop_duplicates("person_id")
    people = seen.groupby("person_id")["household_id"].max().reset_index()
    people = people.merge(where[["person_id", "neighbourhood"]], on="person_id", how="left")
    return people.merge(born[["person_id", "date_of_birth"]], on="person_id", how="left")


def _start(days: pd.Series, kind: str) -> pd.Series:
    if kind == "quarter":
        return pd.to_datetime(
            pd.DataFrame({"year": days.dt.year, "month": (days.dt.month - 1) // 3 * 3 + 1, "day": 1})
        )
    return pd.to_datetime(
        pd.DataFrame({"year": days.dt.year - (days.dt.month < 4).astype(int), "month": 4, "day": 1})
    )


def _starts(first: pd.Timestamp, last: pd.Timestamp, kind: str) -> list[pd.Timestamp]:
    return list(pd.date_range(first, last, freq="3MS" if kind == "quarter" else "12MS"))


def _months_later(days: pd.Series, months: int) -> pd.Series:
    shifted = days.dt.to_period("M") + months
    last_day = shifted.dt.days_in_month
    return pd.to_datetime(
        pd.DataFrame(
            {"year": shifted.dt.year, "month": shifted.dt.month, "day": days.dt.day.clip(upper=last_day)}
        )
    )


def _text(start: pd.Timestamp, kind: str) -> str:
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}/{(start.year + 1) % 100:02d}"


def _ratio(numerator: int, denominator: int, per: int) -> Decimal:
    return (Decimal(int(numerator)) * per / Decimal(int(denominator))).quantize(
        PLACES, rounding=ROUND_HALF_UP
    )


def _shares(counted: pd.DataFrame, kind: str, per: int) -> list[tuple[Any, ...]]:
    """Rows of start, neighbourhood (None for the place), numerator, denominator, as values."""
    return [
        (_text(start, kind), place, None, _ratio(top, bottom, per))
        for start, place, top, bottom in counted.itertuples(index=False)
        if bottom > 0
    ]


def _place_and_neighbourhoods(units: pd.DataFrame, numerator: str, denominator: str) -> pd.DataFrame:
    whole = units.groupby("start")[[numerator, denominator]].sum().reset_index().assign(neighbourhood=None)
    parts = units.dropna(subset=["neighbourhood"]).groupby(["start", "neighbourhood"])[
        [numerator, denominator]
    ]
    both = pd.concat([whole, parts.sum().reset_index()], ignore_index=True)
    return both[["start", "neighbourhood", numerator, denominator]]


def _share_of_people(
    given: dict[str, pd.DataFrame], _: pd.DataFrame, p: dict[str, Any]
) -> list[tuple[Any, ...]]:
    records, people, events = given["records"], given["people"], given["events"]
    roll = set(records.loc[records["source"] == p["population_source"], "person_id"])
    hits = events[(events["type"] == p["event_type"]) & events["person_id"].isin(roll)][["person_id", "date"]]
    if hits.empty:
        return []
    hits = hits.assign(start=_start(hits["date"], p["period"]))[["person_id", "start"]].drop_duplicates()
    on_roll = people[people["person_id"].isin(roll)]
    units = pd.DataFrame({"start": _starts(hits["start"].min(), hits["start"].max(), p["period"])}).merge(
        on_roll[["person_id", "neighbourhood"]], how="cross"
    )
    units = units.merge(hits.assign(had=1), on=["person_id", "start"], how="left").fillna({"had": 0})
    return _shares(_place_and_neighbourhoods(units.assign(one=1), "had", "one"), p["period"], p["per"])


def _repeats(given: dict[str, pd.DataFrame], _: pd.DataFrame, p: dict[str, Any]) -> list[tuple[Any, ...]]:
    events, people = given["events"], given["people"]
    of_type = events[events["type"] == p["event_type"]]
    chosen = of_type if not p["role"] else of_type[of_type["role"] == p["role"]]
    incidents = chosen[["person_id", "date"]].drop_duplicates().sort_values(["person_id", "date"])
    if incidents.empty:
        return []
    incidents["next"] = incidents.groupby("person_id")["date"].shift(-1)
    incidents["until"] = _months_later(incidents["date"], p["months"])
    eligible = incidents[incidents["until"] <= of_type["date"].max()].copy()
    eligible["repeated"] = (eligible["next"].notna() & (eligible["next"] <= eligible["until"])).astype(int)
    eligible["start"] = _start(eligible["date"], p["period"])
    victims = eligible.groupby(["person_id", "start"])["repeated"].max().reset_index()
    units = victims.merge(people[["person_id", "neighbourhood"]], on="person_id").assign(one=1)
    return _shares(_place_and_neighbourhoods(units, "repeated", "one"), p["period"], p["per"])


def _households(
    given: dict[str, pd.DataFrame], neighbourhoods: pd.DataFrame, p: dict[str, Any]
) -> list[tuple[Any, ...]]:
    events, involvements, people, kind = given["events"], given["involvements"], given["people"], p["period"]
    if events.empty:
        return []
    members = people.assign(household=people["household_id"].fillna("person " + people["person_id"]))
    homes = (
        members.dropna(subset=["neighbourhood"])
        .groupby(["household", "neighbourhood"])
        .size()
        .rename("living")
        .reset_index()
        .sort_values(["household", "living", "neighbourhood"], ascending=[True, False, True])
        .drop_duplicates("household")[["household", "neighbourhood"]]
    )
    starts = _starts(_start(events["date"], kind).min(), _start(events["date"], kind).max(), kind)
    months = 3 if kind == "quarter" else 12
    listed = pd.DataFrame(
        {"start": starts, "end": [start + pd.DateOffset(months=months) for start in starts]}
    )
    types = pd.DataFrame(
        [(area, one) for area, kinds in p["needs"].items() for one in kinds], columns=["area", "type"]
    )
    from_events = events.merge(types, on="type").assign(start=lambda frame: _start(frame["date"], kind))
    open_then = involvements.merge(types, on="type").merge(listed, how="cross", suffixes=("_involvement", ""))
    open_then = open_then[
        (open_then["start_involvement"].isna() | (open_then["start_involvement"] < open_then["end"]))
        & (open_then["end_involvement"].isna() | (open_then["end_involvement"] >= open_then["start"]))
    ]
    signals = pd.concat(
        [from_events[["person_id", "area", "start"]], open_then[["person_id", "area", "start"]]]
    )
    needs = (
        signals.merge(members[["person_id", "household"]], on="person_id")
        .groupby(["household", "start"])["area"]
        .nunique()
    )
    flagged = needs[needs >= p["at_least"]].reset_index().merge(homes, on="household", how="left")
    whole = flagged.groupby("start").size()
    parts = flagged.dropna(subset=["neighbourhood"]).groupby(["start", "neighbourhood"]).size()
    codes = sorted(neighbourhoods["code"])
    return [
        (
            _text(start, kind),
            place,
            None,
            Decimal(int(whole.get(start, 0) if place is None else parts.get((start, place), 0))),
        )
        for start in starts
        for place in [None, *codes]
    ]


def _per_thousand(
    given: dict[str, pd.DataFrame], neighbourhoods: pd.DataFrame, p: dict[str, Any]
) -> list[tuple[Any, ...]]:
    events, people, kind = given["events"], given["people"], p["period"]
    placed = neighbourhoods[neighbourhoods["residents"] > 0]
    attended = events[events["type"] == p["event_type"]][["person_id", "date"]].drop_duplicates()
    if attended.empty:
        return []
    attended = attended.assign(start=_start(attended["date"], kind)).merge(
        people[["person_id", "neighbourhood"]], on="person_id"
    )
    counted = attended.groupby(["start", "neighbourhood"]).size().rename("events").reset_index()
    units = pd.DataFrame({"start": _starts(attended["start"].min(), attended["start"].max(), kind)}).merge(
        placed.rename(columns={"code": "neighbourhood"}), how="cross"
    )
    units = units.merge(counted, on=["start", "neighbourhood"], how="left").fillna({"events": 0})
    return _shares(_place_and_neighbourhoods(units, "events", "residents"), kind, p["per"])


PANDAS = {
    "share_of_people_with_event": _share_of_people,
    "repeat_events_within": _repeats,
    "households_with_needs": _households,
    "events_per_thousand": _per_thousand,
}


# ---------------------------------------------------------------- running and comparing


def _row(
    key: str, variant: dict[str, str], period: str, place: str | None, group: str | None, value: Decimal
) -> Row:
    return (key, variant.get("period", "financial_year"), period, place or "", group or "", str(value))


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _timed(found: list[Row], started: float, read_kb: int) -> list[Row]:
    """Say the seconds since `started`, the peak memory, and the peak once the inputs were read."""
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_kb": _peak_kb(), "read_kb": read_kb}))
    return found


def run(which: str, inputs: Path, out: Path) -> tuple[float, float, float, list[Row]]:
    """One implementation in a process of its own: its seconds, its peak memory and the peak once it had read
    its inputs, in GB, and its values."""
    finished = subprocess.run(
        [sys.executable, __file__, "--run", which, "--inputs", str(inputs), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        sys.exit(finished.stderr)
    said = json.loads(finished.stdout.strip().splitlines()[-1])
    rows = [tuple(row) for row in json.loads(out.read_text(encoding="utf-8"))]
    gigabytes = 1024 * 1024
    return said["seconds"], said["peak_kb"] / gigabytes, said["read_kb"] / gigabytes, rows  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="a linked place to read instead of generating one")
    parser.add_argument("--run", choices=("ours", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.run:
        found = ours(options.inputs) if options.run == "ours" else with_pandas(options.inputs)
        options.out.write_text(json.dumps(found), encoding="utf-8")
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        inputs, said = prepare(options, folder)
        sizes = {name: pq.read_metadata(inputs / f"{name}.parquet").num_rows for name in TABLES}
        results = {
            name: [run(name, inputs, folder / f"{name}-{attempt}.json") for attempt in range(options.repeats)]
            for name in ("ours", "pandas")
        }
    values = {name: sorted(runs[0][3]) for name, runs in results.items()}
    if values["ours"] != values["pandas"]:
        differing = sorted(set(values["ours"]) ^ set(values["pandas"]))[:10]
        sys.exit(f"The two implementations disagree, for example: {differing}")
    print(f"\nInputs: {said}.")
    print(
        ", ".join(f"{count:,} {name}" for name, count in sizes.items())
        + f"; {len(values['ours']):,} values, the same from both."
    )
    print(
        f"Every demo indicator by financial year and by quarter; median of {options.repeats} runs, each its own process"
    )
    print(f"{'':>20} {'median s':>9} {'peak GB':>8} {'inputs GB':>10}  runs (s)")
    medians = {}
    for name, runs in results.items():
        medians[name] = statistics.median(one[0] for one in runs)
        peak, read = max(one[1] for one in runs), max(one[2] for one in runs)
        label = "wholeplace (DuckDB)" if name == "ours" else "pandas"
        shown = ", ".join(f"{one[0]:.2f}" for one in runs)
        print(f"{label:>20} {medians[name]:9.2f} {peak:8.2f} {read:10.2f}  {shown}")
    print("(inputs GB: the process's peak once it had read the inputs, before the clock started.)")
    print(
        f"\nratio {medians['pandas'] / medians['ours']:.1f}x (pandas time / ours); target <= {TARGET_SECONDS} s at 1M residents"
    )


if __name__ == "__main__":
    main()
