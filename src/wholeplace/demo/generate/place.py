"""Generates a whole demo place into a folder: place.yaml, extracts, mappings and the truth."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from wholeplace.demo.generate import spend
from wholeplace.demo.generate.activity import write_activity
from wholeplace.demo.generate.calendar import EXTRACT_DATE, FINANCIAL_YEARS, WINDOW_START
from wholeplace.demo.generate.extract import Extract
from wholeplace.demo.generate.needs import AREA_NAMES, household_needs
from wholeplace.demo.generate.noise import NoiseRates
from wholeplace.demo.generate.population import TYPE_NAMES, build_population
from wholeplace.demo.generate.sources import (
    adult_social_care,
    benefits,
    childrens_social_care,
    food_bank,
    health,
    housing,
    police,
    probation,
    schools,
)
from wholeplace.demo.generate.world import World
from wholeplace.demo.generate.writing import write_table, write_yaml

PLACE_NAME = "Riverford"
NEIGHBOURHOODS_FILE = "neighbourhoods.csv"
SOURCES: tuple[ModuleType, ...] = (
    schools,
    childrens_social_care,
    health,
    police,
    housing,
    benefits,
    adult_social_care,
    probation,
    food_bank,
)
AGENCIES = {
    "Riverford Schools": ("public", "education"),
    "Riverford Health Partnership": ("public", "health"),
    "Vale Police": ("public", "police"),
    "Jobcentre Plus Riverford": ("public", "benefits"),
    "Riverford Children's Services": ("public", "social_care"),
    "Riverford Homes": ("public", "housing"),
    "Riverford Adult Social Care": ("public", "social_care"),
    "Vale Probation Service": ("public", "justice"),
    "Riverford Family Action": ("voluntary", "voluntary"),
}


@dataclass(frozen=True)
class GeneratedPlace:
    folder: Path
    residents: int
    households: int
    rows_by_source: dict[str, int]


Progress = Callable[[str], None]


def generate_place(
    *, residents: int, seed: int, out: Path, rates: NoiseRates | None = None, progress: Progress | None = None
) -> GeneratedPlace:
    """Write the whole place to `out` (replacing what a previous run left there)."""
    say = progress or (lambda _step: None)
    streams = np.random.SeedSequence(seed).spawn(2)
    say("people and households")
    population = build_population(residents, np.random.default_rng(streams[0]))
    say("needs")
    needs = household_needs(population, np.random.default_rng(streams[1]))
    world = World(population=population, needs=needs, seed=seed, rates=rates or NoiseRates())
    _fresh_folders(out)
    extracts = _write_extracts(world, out, say)
    say("spend")
    _write_spend(world, extracts, out)
    say("practitioner activity")
    write_activity(world, extracts, out)
    _neighbourhoods(world).to_csv(out / NEIGHBOURHOODS_FILE, index=False, lineterminator="\n")
    say("truth")
    truth = pd.concat([extract.truth(world) for extract in extracts], ignore_index=True)
    truth.to_csv(out / "truth" / "records.csv", index=False, lineterminator="\n")
    _households_truth(world).to_csv(out / "truth" / "households.csv", index=False, lineterminator="\n")
    write_yaml(_place_description(world, extracts, residents=residents, seed=seed), out / "place.yaml")
    return GeneratedPlace(
        folder=out,
        residents=len(population.people),
        households=len(population.households),
        rows_by_source={extract.source: len(extract.table) for extract in extracts},
    )


def _write_extracts(world: World, out: Path, say: Progress) -> list[Extract]:
    extracts = []
    for module in SOURCES:
        say(f"extract: {module.SOURCE}")
        extract: Extract = module.build(world)
        write_table(extract.table, out / "extracts" / extract.filename, extract.format)
        write_yaml(extract.mapping(), out / "mappings" / f"{extract.source}.yaml")
        extracts.append(extract)
    return extracts


def _write_spend(world: World, extracts: list[Extract], out: Path) -> None:
    for agency, lines in spend.spend_lines(world, extracts).items():
        lines.to_csv(out / "spend" / spend.file_name(agency), index=False, lineterminator="\n")
        write_yaml(spend.mapping(agency), out / "mappings" / f"{spend.source_name(agency)}.yaml")


def generated_with(folder: Path) -> dict[str, int] | None:
    """The size and seed a place already in `folder` was generated with, if one is there whole."""
    described = folder / "place.yaml"
    if not described.exists() or not (folder / NEIGHBOURHOODS_FILE).exists():
        return None
    found = yaml.safe_load(described.read_text(encoding="utf-8")).get("generated_with")
    return found if isinstance(found, dict) else None


def _fresh_folders(out: Path) -> None:
    """Empty what a previous run wrote; place.yaml goes first and comes back last, so it marks a whole place."""
    (out / "place.yaml").unlink(missing_ok=True)
    (out / NEIGHBOURHOODS_FILE).unlink(missing_ok=True)
    for folder in ("extracts", "mappings", "truth", "spend", "activity"):
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir(parents=True)


def _neighbourhoods(world: World) -> pd.DataFrame:
    """The place's geography as a council would hand it over (core.geography's file): each neighbourhood with
    its postcode sector and its residents, standing in for the official population estimate."""
    neighbourhoods = world.population.neighbourhoods
    return pd.DataFrame(
        {
            "code": neighbourhoods["neighbourhood_id"],
            "name": neighbourhoods["name"],
            "postcode_areas": neighbourhoods["postcode_outward"]
            + " "
            + neighbourhoods["postcode_sector"].astype(str),
            "residents": _residents_per_neighbourhood(world),
        }
    )


def _residents_per_neighbourhood(world: World) -> npt.NDArray[np.int64]:
    households = world.population.households["neighbourhood"].to_numpy()
    return np.bincount(
        households[world.population.people["household"].to_numpy()],
        minlength=len(world.population.neighbourhoods),
    )


def _households_truth(world: World) -> pd.DataFrame:
    households = world.population.households
    neighbourhoods = world.population.neighbourhoods
    described = pd.DataFrame(
        {
            "household_id": households["household_id"].to_numpy(),
            "neighbourhood_id": neighbourhoods["neighbourhood_id"].to_numpy()[
                households["neighbourhood"].to_numpy()
            ],
            "household_type": TYPE_NAMES[households["kind"].to_numpy()],
        }
    )
    return described.merge(world.needs, on="household_id")[
        ["household_id", "neighbourhood_id", "household_type", "year", *AREA_NAMES, "needs"]
    ]


def _place_description(world: World, extracts: list[Extract], *, residents: int, seed: int) -> dict[str, Any]:
    neighbourhoods = world.population.neighbourhoods
    people_per = _residents_per_neighbourhood(world)
    return {
        "place": PLACE_NAME,
        "generated_with": {"residents": residents, "seed": seed},
        "extract_date": str(EXTRACT_DATE),
        "window": {
            "start": str(WINDOW_START),
            "end": str(EXTRACT_DATE),
            "financial_years": list(FINANCIAL_YEARS),
        },
        "neighbourhoods": [
            {
                "id": code,
                "name": name,
                "deprivation_decile": decile,
                "postcode_district": district,
                "residents": int(count),
            }
            for code, name, decile, district, count in zip(
                neighbourhoods["neighbourhood_id"].tolist(),
                neighbourhoods["name"].tolist(),
                neighbourhoods["deprivation_decile"].tolist(),
                neighbourhoods["postcode_outward"].tolist(),
                people_per.tolist(),
                strict=True,
            )
        ],
        "agencies": [
            {
                "name": name,
                "kind": kind,
                "sector": sector,
                "sources": [
                    *(
                        {
                            "name": e.source,
                            "file": f"extracts/{e.filename}",
                            "mapping": f"mappings/{e.source}.yaml",
                            "description": e.description,
                        }
                        for e in extracts
                        if e.agency == name
                    ),
                    {
                        "name": spend.source_name(name),
                        "file": f"spend/{spend.file_name(name)}",
                        "mapping": f"mappings/{spend.source_name(name)}.yaml",
                        "description": "Spend by service, neighbourhood, theme and year",
                    },
                ],
            }
            for name, (kind, sector) in AGENCIES.items()
        ],
    }
