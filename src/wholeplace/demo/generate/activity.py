"""Practitioner activity for the demo: shared plans with a lead professional, team-around-the-family
meetings and the record look-ups they involved, so the coordination screens open on a working place.

Everything refers to people by the extracts' own record ids, never by the truth's ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.calendar import EXTRACT_DATE, FINANCIAL_YEARS
from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.needs import AREA_NAMES
from wholeplace.demo.generate.world import World

ENGAGED_SHARE = 0.4  # of families with three or more needs, working with an early help plan
COUNCIL = "Riverford Borough Council"
COUNCIL_LEADS = 0.5  # share of plans led by the council's early help key workers
LEAD_PREFERENCE = (
    "Riverford Schools",
    "Riverford Family Action",
    "Riverford Homes",
    "Riverford Health Partnership",
)
GOALS = {
    "education": "Children attend school every day they can",
    "early_years": "The youngest child is ready for nursery",
    "health": "Parents get regular support for their mental health",
    "substance_use": "Alcohol no longer gets in the way of family life",
    "family_relationships": "Fewer arguments at home, and the children feel listened to",
    "childrens_safety": "The children are safe at home and know who to talk to",
    "crime": "No further police call-outs to the family",
    "domestic_abuse": "Everyone in the home is safe from abuse",
    "housing": "The family keeps its home and the rent is up to date",
    "financial_stability": "Money coming in covers the bills, with debts under control",
}
FAMILY_WORDS = (
    "We want the kids to be happy and to stop feeling judged.",
    "Sort out the rent first, everything else follows.",
    "I want one person to talk to, not six.",
    "Help us get back to how things were before.",
)
PURPOSE_BY_NEED = {"childrens_safety": "safeguarding_children"}


def write_activity(world: World, extracts: list[Extract], out: Path) -> None:
    rng = world.rng("activity")
    records = _records_by_household(world, extracts)
    households = _engaged_households(world, rng)
    world.workforce.team(COUNCIL, cases=len(households))  # early help is sized to the families it leads for
    latest = world.needs[world.needs["year"] == FINANCIAL_YEARS[-1]][list(AREA_NAMES)].to_numpy()
    held_from = np.searchsorted(records["household"].to_numpy(), households, side="left")
    held_to = np.searchsorted(records["household"].to_numpy(), households, side="right")
    columns = {name: records[name].to_numpy(dtype=object) for name in ("agency", "source", "record_id")}
    plans, meetings, accesses = [], [], []
    for household, start, stop in zip(households.tolist(), held_from.tolist(), held_to.tolist(), strict=True):
        if start == stop:
            continue
        needs = [area for area, has in zip(AREA_NAMES, latest[household], strict=True) if has]
        held = {name: values[start:stop] for name, values in columns.items()}
        plan, plan_meetings, plan_accesses = _plan(world, int(household), needs, held, rng)
        plans.append(plan)
        meetings.extend(plan_meetings)
        accesses.extend(plan_accesses)
    folder = out / "activity"
    folder.mkdir(parents=True, exist_ok=True)
    world.workforce.staff().to_csv(folder / "workers.csv", index=False, lineterminator="\n")
    _write_jsonl(plans, folder / "plans.jsonl")
    _write_jsonl(meetings, folder / "meetings.jsonl")
    pd.DataFrame(accesses, columns=["at", "worker", "agency", "purpose", "source", "record_id"]).to_csv(
        folder / "accesses.csv", index=False, lineterminator="\n"
    )


def _records_by_household(world: World, extracts: list[Extract]) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "household": world.household_on(extract.people, extract.recorded_on),
                    "agency": extract.agency,
                    "source": extract.source,
                    "record_id": extract.table[extract.record_id].astype(str).to_numpy(),
                }
            )
            for extract in extracts
        ],
        ignore_index=True,
    ).sort_values(["household", "source", "record_id"], kind="stable", ignore_index=True)


def _engaged_households(world: World, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    latest = world.needs[world.needs["year"] == FINANCIAL_YEARS[-1]].reset_index(drop=True)
    families = world.population.households["dependants"].to_numpy() > 0
    candidates = np.flatnonzero((latest["needs"].to_numpy() >= 3) & families)
    return candidates[rng.random(len(candidates)) < ENGAGED_SHARE]


def _plan(
    world: World,
    household: int,
    needs: list[str],
    held: dict[str, npt.NDArray[np.object_]],
    rng: np.random.Generator,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[list[str]]]:
    involved = sorted(set(held["agency"]))
    lead_agency = next((agency for agency in LEAD_PREFERENCE if agency in involved), COUNCIL)
    if rng.random() < COUNCIL_LEADS:
        lead_agency = COUNCIL
    lead = str(world.workforce.team(lead_agency)[rng.integers(0, len(world.workforce.team(lead_agency)))])
    started = EXTRACT_DATE - np.timedelta64(int(rng.integers(30, 330)), "D")
    plan_id = f"PLAN-{household:07d}"
    actions = [_action(need, involved, started, world, rng) for need in needs]
    plan = {
        "plan_id": plan_id,
        "household_records": [
            {"source": source, "record_id": record}
            for source, record in zip(held["source"][:8], held["record_id"][:8], strict=True)
        ],
        "lead_professional": {"name": lead, "agency": lead_agency, "agreed_with_family": str(started)},
        "started": str(started),
        "version": int(rng.integers(1, 4)),
        "family_words": FAMILY_WORDS[int(rng.integers(0, len(FAMILY_WORDS)))],
        "needs": [
            {"area": need, "goal": GOALS[need], "actions": [action]}
            for need, action in zip(needs, actions, strict=True)
        ],
    }
    meetings = [
        _meeting(plan_id, lead, lead_agency, involved, started, number, world, rng)
        for number in range(int(rng.integers(1, 5)))
    ]
    purpose = next(
        (PURPOSE_BY_NEED[need] for need in needs if need in PURPOSE_BY_NEED), "early_help_coordination"
    )
    count = len(held["record_id"])
    accesses = [
        [
            str(started + np.timedelta64(int(rng.integers(0, 60)), "D")),
            _worker(agency, world, rng),
            agency,
            purpose,
            held["source"][row],
            held["record_id"][row],
        ]
        for agency in involved
        for row in rng.choice(count, size=min(count, 3), replace=False).tolist()
    ]
    return plan, meetings, accesses


def _action(
    need: str, involved: list[str], started: np.datetime64, world: World, rng: np.random.Generator
) -> dict[str, Any]:
    owner = involved[int(rng.integers(0, len(involved)))]
    due = started + np.timedelta64(int(rng.integers(14, 120)), "D")
    status = "done" if rng.random() < 0.4 else ("overdue" if due < EXTRACT_DATE else "open")
    return {
        "owner_agency": owner,
        "owner": _worker(owner, world, rng),
        "due": str(due),
        "status": status,
        "need": need,
    }


def _meeting(
    plan_id: str,
    lead: str,
    lead_agency: str,
    involved: list[str],
    started: np.datetime64,
    number: int,
    world: World,
    rng: np.random.Generator,
) -> dict[str, Any]:
    held_on = started + np.timedelta64(14 + 42 * number + int(rng.integers(0, 10)), "D")
    invitees = [{"name": lead, "agency": lead_agency, "attended": True}] + [
        {"name": _worker(agency, world, rng), "agency": agency, "attended": bool(rng.random() < 0.8)}
        for agency in involved
        if agency != lead_agency
    ]
    return {
        "plan_id": plan_id,
        "held_on": str(min(held_on, EXTRACT_DATE)),
        "kind": "team around the family",
        "invitees": invitees,
        "decisions": ["Review the plan's actions", "Agree who speaks to the family this week"][
            : 1 + number % 2
        ],
    }


def _worker(agency: str, world: World, rng: np.random.Generator) -> str:
    team = world.workforce.team(agency)
    return str(team[rng.integers(0, len(team))])


def _write_jsonl(rows: list[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
