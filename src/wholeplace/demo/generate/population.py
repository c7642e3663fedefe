"""The synthetic population: neighbourhoods, properties, households and people, drawn in bulk with numpy.

Every figure that shapes the population is a named constant here and is documented, with its source,
in docs/demo-place.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate import names
from wholeplace.demo.generate.calendar import (
    DAYS_PER_YEAR,
    EXTRACT_DATE,
    WINDOW_DAYS,
    Days,
    random_days_in_window,
)
from wholeplace.demo.generate.identifiers import nhs_numbers, ni_numbers, unique_integers, upns

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

RESIDENTS_PER_NEIGHBOURHOOD = 1600  # about one Lower-layer Super Output Area
HOUSEHOLDS_PER_POSTCODE = 15
HOUSEHOLDS_PER_STREET = 60
SPARE_PROPERTIES = 0.15  # empty homes and homes people moved out of
MOVE_RATE_PER_YEAR = 0.11
DEATH_GOMPERTZ = (-10.5, 0.095)  # annual mortality q = exp(a + b * age)
TWIN_SHARE_OF_SIBLINGS = 0.03
SAME_NAME_NEIGHBOUR_SHARE = 0.003
MIDDLE_NAME_SHARE = 0.55
HYPHENATED_CHILDREN_SHARE = 0.04
MARRIED_IN_WINDOW_SHARE = 0.08
PARTNER_FROM_ANOTHER_TRADITION = 0.1
SEPARATIONS_PER_YEAR = {"working_age": 0.02, "older": 0.004}  # of couples
NEW_PARTNERSHIPS_PER_YEAR = 0.035  # of single adults and lone parents of working age taking in a partner
PARTNER_AGE_GAP = 10
AFTER_SEPARATION = {
    "couple_older": "single_older",
    "couple_no_children": "single_adult",
    "couple_dependent_children": "lone_parent_dependent",
    "couple_grown_children": "lone_parent_grown",
}
AFTER_NEW_PARTNER = {
    "single_adult": "couple_no_children",
    "lone_parent_dependent": "couple_dependent_children",
}


@dataclass(frozen=True)
class HouseholdType:
    name: str
    share: float  # of households, England
    deprivation_gradient: float  # relative share in the most deprived decile vs the least, as a log-ratio
    adults: int
    adult_ages: tuple[int, int]
    dependants: float  # mean number of dependent children (Poisson, at least one where positive)
    grown_children: float  # mean number of non-dependent children (at least one where positive)
    shared: bool = False


HOUSEHOLD_TYPES = (
    HouseholdType("single_older", 0.128, -0.1, 1, (66, 96), 0, 0),
    HouseholdType("single_adult", 0.173, 0.3, 1, (18, 66), 0, 0),
    HouseholdType("couple_older", 0.092, -0.6, 2, (66, 92), 0, 0),
    HouseholdType("couple_no_children", 0.176, -0.4, 2, (20, 66), 0, 0),
    HouseholdType("couple_dependent_children", 0.188, -0.2, 2, (21, 58), 1.85, 0),
    HouseholdType("couple_grown_children", 0.067, -0.2, 2, (40, 72), 0, 1.3),
    HouseholdType("lone_parent_dependent", 0.069, 1.0, 1, (17, 56), 1.75, 0),
    HouseholdType("lone_parent_grown", 0.042, 0.5, 1, (38, 80), 0, 1.2),
    HouseholdType("shared", 0.065, 0.4, 3, (18, 45), 0, 0, shared=True),
)
TYPE_NAMES = np.array([kind.name for kind in HOUSEHOLD_TYPES])


@dataclass
class Population:
    neighbourhoods: pd.DataFrame
    properties: pd.DataFrame
    households: pd.DataFrame
    people: pd.DataFrame


def build_population(residents: int, rng: np.random.Generator) -> Population:
    neighbourhoods = _neighbourhoods(residents, rng)
    households = _households(residents, neighbourhoods, rng)
    people = _people(households, rng)
    properties, households = _homes(neighbourhoods, households, rng)
    people = _life_events(people, households, rng)
    people, households = _separations(people, households, neighbourhoods, properties, rng)
    people, households = _new_partnerships(people, households, rng)
    return Population(neighbourhoods, properties, households, people)


# ---------------------------------------------------------------- neighbourhoods


def _neighbourhoods(residents: int, rng: np.random.Generator) -> pd.DataFrame:
    count = max(4, round(residents / RESIDENTS_PER_NEIGHBOURHOOD))
    available = names.neighbourhood_names()
    picked = available[rng.permutation(len(available))[: min(count, len(available))]]
    labels = [str(name) for name in picked]
    for extra in range(count - len(labels)):  # a very large place reuses names with a quarter
        labels.append(
            f"{picked[extra % len(picked)]} {('North', 'South', 'East', 'West')[extra // len(picked) % 4]}"
        )
    # Riverford leans deprived: deciles drawn with weights falling from 0.14 (most deprived) to 0.06.
    decile_weights = np.linspace(0.14, 0.06, 10)
    deciles = rng.choice(np.arange(1, 11), size=count, p=decile_weights / decile_weights.sum())
    district = np.arange(count) // 8 + 1
    sector = np.arange(count) % 8 + 1
    return pd.DataFrame(
        {
            "neighbourhood_id": [f"N{index + 1:04d}" for index in range(count)],
            "name": labels,
            "deprivation_decile": deciles.astype(np.int64),
            "postcode_outward": [f"RF{d}" for d in district],
            "postcode_sector": sector.astype(np.int64),
            "weight": rng.gamma(20, 1 / 20, size=count),
        }
    )


# ---------------------------------------------------------------- households


def _households(residents: int, neighbourhoods: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    estimate = int(residents / 2.3 * 1.1) + 10
    weights = neighbourhoods["weight"].to_numpy()
    neighbourhood = rng.choice(len(neighbourhoods), size=estimate, p=weights / weights.sum())
    deprivation = _deprivation_score(neighbourhoods["deprivation_decile"].to_numpy()[neighbourhood])
    kind = _household_kinds(deprivation, rng)
    tradition = rng.choice(len(names.TRADITION_NAMES), size=estimate, p=list(names.TRADITIONS.values()))
    adults = np.array([t.adults for t in HOUSEHOLD_TYPES])[kind]
    shared_adults = rng.integers(2, 6, size=estimate)
    adults = np.where(np.array([t.shared for t in HOUSEHOLD_TYPES])[kind], shared_adults, adults)
    dependants = _at_least_one_if(np.array([t.dependants for t in HOUSEHOLD_TYPES])[kind], rng)
    grown = _at_least_one_if(np.array([t.grown_children for t in HOUSEHOLD_TYPES])[kind], rng)
    size = adults + dependants + grown
    keep = np.cumsum(size) - size < residents  # stop once the place has its residents
    order = np.flatnonzero(keep)
    ids = unique_integers(rng, len(order), 16**11, 16**12)
    return pd.DataFrame(
        {
            "household_id": ["H" + format(value, "012x") for value in ids],
            "neighbourhood": neighbourhood[order],
            "deprivation": deprivation[order],
            "kind": kind[order],
            "tradition": np.array(names.TRADITION_NAMES)[tradition[order]],
            "adults": adults[order],
            "dependants": dependants[order],
            "grown_children": grown[order],
        }
    )


def _deprivation_score(deciles: Ints) -> Floats:
    """1.0 in the most deprived decile, 0.0 in the least."""
    return (10 - deciles) / 9.0


def _household_kinds(deprivation: Floats, rng: np.random.Generator) -> Ints:
    shares = np.array([t.share for t in HOUSEHOLD_TYPES])
    gradients = np.array([t.deprivation_gradient for t in HOUSEHOLD_TYPES])
    weights = shares[None, :] * np.exp(np.outer(deprivation - 0.5, gradients))
    weights /= weights.sum(axis=1, keepdims=True)
    cumulative = weights.cumsum(axis=1)
    draws = rng.random(len(deprivation))[:, None]
    return (draws > cumulative).sum(axis=1).astype(np.int64)


def _at_least_one_if(means: Floats, rng: np.random.Generator) -> Ints:
    counts = 1 + rng.poisson(np.maximum(means - 1, 0))
    return np.where(means > 0, np.minimum(counts, 7), 0).astype(np.int64)


# ---------------------------------------------------------------- people


def _people(households: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    size = (households["adults"] + households["dependants"] + households["grown_children"]).to_numpy()
    member_of = np.repeat(np.arange(len(households)), size)
    position = np.arange(len(member_of)) - np.repeat(np.cumsum(size) - size, size)
    adults = households["adults"].to_numpy()[member_of]
    dependants = households["dependants"].to_numpy()[member_of]
    kind = households["kind"].to_numpy()[member_of]
    role = np.where(position < adults, np.where(position == 0, "adult", "partner"), "child")
    role = np.where(np.array([t.shared for t in HOUSEHOLD_TYPES])[kind] & (position > 0), "housemate", role)
    is_dependant = (role == "child") & (position < adults + dependants)
    sex = _sexes(kind, role, rng)
    age = _ages(kind, role, is_dependant, member_of, position, rng)
    dob = EXTRACT_DATE - (age * DAYS_PER_YEAR + rng.integers(0, 365, size=len(age))).astype("timedelta64[D]")
    people = pd.DataFrame(
        {
            "household_id": households["household_id"].to_numpy()[member_of],
            "household": member_of,
            "role": role,
            "sex": sex,
            "date_of_birth": dob,
            "dependant": is_dependant,
            "tradition": _traditions(households["tradition"].to_numpy()[member_of], role, rng),
        }
    )
    people = _twins(people, rng)
    people = _names(people, households, rng)
    return _identifiers(people, rng)


def _traditions(
    household_tradition: npt.NDArray[np.str_], role: npt.NDArray[np.str_], rng: np.random.Generator
) -> npt.NDArray[np.str_]:
    """Children share their household's naming tradition; one partner in ten comes from another."""
    other = np.array(names.TRADITION_NAMES)[
        rng.choice(len(names.TRADITIONS), size=len(role), p=list(names.TRADITIONS.values()))
    ]
    mixed = (role == "partner") & (rng.random(len(role)) < PARTNER_FROM_ANOTHER_TRADITION)
    return np.where(mixed, other, household_tradition)


def _sexes(kind: Ints, role: npt.NDArray[np.str_], rng: np.random.Generator) -> npt.NDArray[np.str_]:
    male = rng.random(len(kind)) < 0.49
    lone_parent = np.isin(TYPE_NAMES[kind], ["lone_parent_dependent", "lone_parent_grown"])
    older_single = TYPE_NAMES[kind] == "single_older"
    male = np.where(lone_parent & (role == "adult"), rng.random(len(kind)) < 0.1, male)
    male = np.where(older_single, rng.random(len(kind)) < 0.35, male)
    # Partners are of the other sex in 97% of couples.
    partner = role == "partner"
    first_of_couple = np.roll(partner, -1)
    same_sex = rng.random(len(kind)) < 0.03
    male[partner] = np.where(same_sex[partner], male[first_of_couple], ~male[first_of_couple])
    return np.where(male, "male", "female")


def _ages(
    kind: Ints,
    role: npt.NDArray[np.str_],
    is_dependant: Bools,
    member_of: Ints,
    position: Ints,
    rng: np.random.Generator,
) -> Ints:
    low = np.array([t.adult_ages[0] for t in HOUSEHOLD_TYPES])[kind]
    high = np.array([t.adult_ages[1] for t in HOUSEHOLD_TYPES])[kind]
    head_age = low + (high - low) * rng.beta(1.6, 2.2, size=len(kind))
    head_age = np.repeat(head_age[position == 0], np.bincount(member_of))
    partner_age = np.clip(head_age + rng.normal(-1.5, 4.0, size=len(kind)), 18, 99)
    room = np.clip(head_age - 17, 1, 18)
    child_age = rng.random(len(kind)) * np.minimum(room, 18)
    grown_room = np.clip(head_age - 36, 1, 17)
    grown_age = 18 + rng.random(len(kind)) * grown_room
    housemate_age = 18 + 22 * rng.beta(1.3, 3.0, size=len(kind))
    age = np.select(
        [role == "adult", role == "partner", is_dependant, role == "child", role == "housemate"],
        [head_age, partner_age, child_age, grown_age, housemate_age],
    )
    return np.floor(age).astype(np.int64)


def _twins(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Some younger siblings share an older sibling's date of birth: twins, distinct people."""
    dependant = people["dependant"].to_numpy()
    previous_is_sibling = np.roll(dependant, 1) & (
        people["household"].to_numpy() == np.roll(people["household"].to_numpy(), 1)
    )
    twin = dependant & previous_is_sibling & (rng.random(len(people)) < TWIN_SHARE_OF_SIBLINGS)
    twin[0] = False
    dob = people["date_of_birth"].to_numpy().copy()
    dob[twin] = dob[np.flatnonzero(twin) - 1]
    return people.assign(date_of_birth=dob, twin=twin)


def _names(people: pd.DataFrame, households: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    tradition = people["tradition"].to_numpy()
    sex = people["sex"].to_numpy()
    born = people["date_of_birth"].to_numpy().astype("datetime64[Y]").astype(np.int64) + 1970
    given = names.draw_given_names(rng, tradition, sex, born)
    twin = people["twin"].to_numpy()
    for attempt in range(5):  # twins get different given names from each other
        clash = twin & (given == np.roll(given, 1))
        if not clash.any() or attempt == 4:
            break
        given[clash] = names.draw_given_names(rng, tradition[clash], sex[clash], born[clash])
    middle = names.draw_given_names(rng, tradition, sex, born)
    middle = np.where((rng.random(len(people)) < MIDDLE_NAME_SHARE) & (middle != given), middle, None)

    household_surname = names.draw_surnames(rng, households["tradition"].to_numpy())
    own_surname = names.draw_surnames(rng, tradition)
    member_of = people["household"].to_numpy()
    role = people["role"].to_numpy()
    family = household_surname[member_of].copy()
    married = rng.random(len(households)) < 0.68
    unmarried_partner = (role == "partner") & ~married[member_of]
    family = np.where(unmarried_partner | (role == "housemate"), own_surname, family)
    took_name = (role == "partner") & married[member_of] & (sex == "female")
    previous = np.where(took_name, own_surname, None)
    hyphenate = (role == "child") & (rng.random(len(households)) < HYPHENATED_CHILDREN_SHARE)[member_of]
    partner_surname = _partner_surname_by_household(family, role, member_of, len(households))
    family = np.where(
        hyphenate & (partner_surname[member_of] != family),
        family + "-" + partner_surname[member_of].astype(object),
        family,
    )
    family = _feminine_forms(family, tradition, sex)
    previous = _feminine_forms(previous, tradition, sex)
    married_in_window = took_name & (rng.random(len(people)) < MARRIED_IN_WINDOW_SHARE)
    marriage_date = np.where(married_in_window, random_days_in_window(rng, len(people)), np.datetime64("NaT"))
    people = people.assign(
        given_name=given,
        middle_names=middle,
        family_name=family,
        previous_family_name=previous,
        name_changed_on=marriage_date.astype("datetime64[D]"),
    )
    return _same_name_neighbours(people, households, rng)


def _feminine_forms(
    family: npt.NDArray[np.object_], tradition: npt.NDArray[np.str_], sex: npt.NDArray[np.str_]
) -> npt.NDArray[np.object_]:
    """Polish surnames in -ski, -cki and -dzki take -ska, -cka and -dzka for women (hyphenated parts too)."""
    women = (tradition == "polish") & (sex == "female") & pd.notna(family)
    if not women.any():
        return family
    out = family.copy()
    out[women] = (
        pd.Series(family[women], dtype=object)
        .str.replace(r"(ski|cki|dzki)\b", lambda m: m.group(1)[:-1] + "a", regex=True)
        .to_numpy()
    )
    return out


def _partner_surname_by_household(
    family: npt.NDArray[np.object_], role: npt.NDArray[np.str_], member_of: Ints, count: int
) -> npt.NDArray[np.object_]:
    partner_surname = np.empty(count, dtype=object)
    partner_surname[:] = ""
    partners = role == "partner"
    partner_surname[member_of[partners]] = family[partners]
    return partner_surname


def _same_name_neighbours(
    people: pd.DataFrame, households: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """A few adults share a name with another adult in the same neighbourhood: distinct people all the same."""
    household = people["household"].to_numpy()
    neighbourhood = households["neighbourhood"].to_numpy()[household]
    adult = people["role"].isin(["adult", "partner", "housemate"]).to_numpy()
    male = people["sex"].to_numpy() == "male"
    chosen = np.flatnonzero(adult & (rng.random(len(people)) < SAME_NAME_NEIGHBOUR_SHARE))
    # Adults grouped by neighbourhood and sex, so each look-up searches only its own group.
    group = neighbourhood * 2 + male
    adults = np.flatnonzero(adult)
    adults = adults[np.argsort(group[adults], kind="stable")]
    bounds = np.searchsorted(group[adults], np.arange(group.max() + 2))
    same_name_of = np.full(len(people), -1, dtype=np.int64)
    given = people["given_name"].to_numpy().copy()
    family = people["family_name"].to_numpy().copy()
    for index in chosen.tolist():  # a few thousand at a million residents
        neighbours = adults[bounds[group[index]] : bounds[group[index] + 1]]
        neighbours = neighbours[household[neighbours] != household[index]]
        if len(neighbours):
            source = neighbours[rng.integers(0, len(neighbours))]
            given[index], family[index] = given[source], family[source]
            same_name_of[index] = source
    return people.assign(given_name=given, family_name=family, same_name_as=same_name_of)


def _identifiers(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    count = len(people)
    ids = unique_integers(rng, count, 16**11, 16**12)
    age = _age_years(people["date_of_birth"].to_numpy())
    ni = np.full(count, None, dtype=object)
    adult = age >= 16
    ni[adult] = ni_numbers(rng, int(adult.sum()))
    pupil = (age >= 4) & (age <= 18)
    upn = np.full(count, None, dtype=object)
    upn[pupil] = upns(rng, int(pupil.sum()))
    return people.assign(
        person_id=["P" + format(value, "012x") for value in ids],
        nhs_number=nhs_numbers(rng, count),
        ni_number=ni,
        upn=upn,
    )


def _age_years(dob: npt.NDArray[np.datetime64]) -> Ints:
    return ((EXTRACT_DATE - dob.astype("datetime64[D]")).astype(np.int64) / DAYS_PER_YEAR).astype(np.int64)


# ---------------------------------------------------------------- homes and moves


def _homes(
    neighbourhoods: pd.DataFrame, households: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    count = len(households)
    per_neighbourhood = np.bincount(households["neighbourhood"].to_numpy(), minlength=len(neighbourhoods))
    homes = np.ceil(per_neighbourhood * (1 + SPARE_PROPERTIES)).astype(np.int64) + 2
    properties = _properties(neighbourhoods, homes, rng)
    first_home = np.cumsum(homes) - homes
    slot = _shuffled_slots(households["neighbourhood"].to_numpy(), homes, rng)
    current = first_home[households["neighbourhood"].to_numpy()] + slot
    moved = (
        rng.random(count)
        < 1 - (1 - MOVE_RATE_PER_YEAR * (0.8 + 0.5 * households["deprivation"].to_numpy())) ** 3
    )
    move_date = np.where(moved, random_days_in_window(rng, count), np.datetime64("NaT")).astype(
        "datetime64[D]"
    )
    previous = _previous_homes(current, move_date, homes, households["neighbourhood"].to_numpy(), rng)
    moved = previous >= 0
    move_date = np.where(moved, move_date, np.datetime64("NaT"))
    uprn = properties["uprn"].to_numpy()
    households = households.assign(
        uprn=uprn[current],
        previous_uprn=np.where(moved, uprn[np.maximum(previous, 0)], None),
        moved_in_on=move_date,
    )
    return properties, households


def _properties(neighbourhoods: pd.DataFrame, homes: Ints, rng: np.random.Generator) -> pd.DataFrame:
    total = int(homes.sum())
    neighbourhood = np.repeat(np.arange(len(neighbourhoods)), homes)
    within = np.arange(total) - np.repeat(np.cumsum(homes) - homes, homes)
    streets = names.street_names()
    street_offset = rng.integers(0, len(streets), size=len(neighbourhoods))
    street = streets[(street_offset[neighbourhood] + within // HOUSEHOLDS_PER_STREET * 7) % len(streets)]
    house_number = within % HOUSEHOLDS_PER_STREET + 1
    is_flat = rng.random(total) < 0.2
    flat_number = rng.integers(1, 9, size=total)
    line_1 = np.where(
        is_flat,
        "Flat "
        + flat_number.astype(str).astype(object)
        + ", "
        + house_number.astype(str).astype(object)
        + " "
        + street.astype(object),
        house_number.astype(str).astype(object) + " " + street.astype(object),
    )
    unit = within // HOUSEHOLDS_PER_POSTCODE
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    inward = (
        neighbourhoods["postcode_sector"].to_numpy()[neighbourhood].astype(str).astype(object)
        + letters[(unit // len(letters)) % len(letters)].astype(object)
        + letters[unit % len(letters)].astype(object)
    )
    postcode = neighbourhoods["postcode_outward"].to_numpy()[neighbourhood].astype(object) + " " + inward
    return pd.DataFrame(
        {
            "uprn": unique_integers(rng, total, 10**11, 10**12).astype(str),
            "neighbourhood_id": neighbourhoods["neighbourhood_id"].to_numpy()[neighbourhood],
            "address_line_1": line_1,
            "town": "Riverford",
            "postcode": postcode,
        }
    )


def _shuffled_slots(neighbourhood: Ints, homes: Ints, rng: np.random.Generator) -> Ints:
    """A distinct home slot within its neighbourhood for each household."""
    order = np.argsort(neighbourhood, kind="stable")
    rank = np.empty(len(neighbourhood), dtype=np.int64)
    counts = np.bincount(neighbourhood, minlength=len(homes))
    rank[order] = np.arange(len(neighbourhood)) - np.repeat(np.cumsum(counts) - counts, counts)
    offset = rng.integers(0, homes)  # rotate so occupied homes are not always the first numbers
    return (rank + offset[neighbourhood]) % homes[neighbourhood]


def _previous_homes(
    current: Ints, moved_on: Days, homes: Ints, neighbourhood: Ints, rng: np.random.Generator
) -> Ints:
    """The home each household that moved lived in before, usually nearby, sometimes across town, and -1 for the
    rest. It is a home nobody else lived in then, so that no two households are at one address at once: one empty
    now, or one whose household moved in after this one moved out. A mover with no such home left stays put."""
    empty = np.ones(int(homes.sum()), dtype=bool)  # nobody lives there now
    empty[current] = False
    vacated = np.zeros_like(empty)  # a household moved in there later than the movers still to place
    across_town = rng.random(len(current)) < 0.4
    elsewhere = rng.integers(0, len(homes), size=len(current))
    origin = np.where(across_town, elsewhere, neighbourhood)
    first_home = np.cumsum(homes) - homes
    previous = np.full(len(current), -1, dtype=np.int64)
    movers = np.flatnonzero(~np.isnat(moved_on))
    # Latest move first, so a home its household moved into is free for those who moved out earlier; such a home
    # is taken before an empty one, keeping empty homes for people who leave a household.
    latest_first = movers[np.lexsort((rng.random(len(movers)), -moved_on[movers].astype(np.int64)))]
    for mover in latest_first:
        nearby = slice(first_home[origin[mover]], first_home[origin[mover]] + homes[origin[mover]])
        for free in (vacated[nearby], empty[nearby], vacated, empty):
            choices = np.flatnonzero(free) + (nearby.start if len(free) < len(empty) else 0)
            if len(choices):
                previous[mover] = choices[rng.integers(len(choices))]
                empty[previous[mover]] = vacated[previous[mover]] = False
                vacated[current[mover]] = True
                break
    return previous


# ---------------------------------------------------------------- births and deaths


def _life_events(people: pd.DataFrame, households: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    age = _age_years(people["date_of_birth"].to_numpy())  # on the extract date
    a, b = DEATH_GOMPERTZ
    annual = np.minimum(np.exp(a + b * age), 0.5)
    died = rng.random(len(people)) < 1 - (1 - annual) ** (WINDOW_DAYS / DAYS_PER_YEAR)
    died_on = np.where(died, random_days_in_window(rng, len(people)), np.datetime64("NaT")).astype(
        "datetime64[D]"
    )
    return people.assign(died_on=died_on, age=age)


# ---------------------------------------------------------------- separations and new partnerships


def _kind_index(name: str) -> int:
    return int(np.flatnonzero(name == TYPE_NAMES)[0])


def _separations(
    people: pd.DataFrame,
    households: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
    properties: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Some couples part: one partner leaves on a date for a home of their own; the other keeps the household.

    Records made before the date find the leaver in the couple's household; records after, in the new one.
    """
    people = people.assign(previous_household=np.int64(-1), joined_on=np.datetime64("NaT", "D"))
    role = people["role"].to_numpy()
    partner = np.flatnonzero(role == "partner")
    head = partner - 1  # members are contiguous and the head comes first
    household = people["household"].to_numpy()[partner]
    older = people["age"].to_numpy()[head] >= 66
    deprivation = households["deprivation"].to_numpy()[household]
    annual = np.where(older, SEPARATIONS_PER_YEAR["older"], SEPARATIONS_PER_YEAR["working_age"])
    annual = annual * (0.7 + 0.6 * deprivation)
    on = random_days_in_window(rng, len(partner))
    died = people["died_on"].to_numpy().astype("datetime64[D]")
    both_alive = (np.isnat(died[partner]) | (died[partner] > on)) & (np.isnat(died[head]) | (died[head] > on))
    parts = both_alive & (rng.random(len(partner)) < 1 - (1 - annual) ** 3)
    partner, head, household, on = partner[parts], head[parts], household[parts], on[parts]
    if not len(partner):
        return people, households
    sex = people["sex"].to_numpy()
    with_children = households["dependants"].to_numpy()[household] > 0
    # Where children stay, they usually stay with their mother.
    man_leaves = np.where(sex[head] == "male", head, partner)
    leaves_by_custom = with_children & (sex[head] != sex[partner]) & (rng.random(len(partner)) < 0.85)
    leaver = np.where(leaves_by_custom, man_leaves, np.where(rng.random(len(partner)) < 0.5, head, partner))
    stayer = np.where(leaver == head, partner, head)
    new_homes = _vacant_homes(properties, households, on, rng)
    new_households = _households_of_one(
        people, households, neighbourhoods, properties, leaver, new_homes, rng
    )
    first_new = len(households)
    households = households.copy()
    kind = households["kind"].to_numpy().copy()
    kind[household] = [_kind_index(AFTER_SEPARATION[name]) for name in TYPE_NAMES[kind[household]]]
    adults = households["adults"].to_numpy().copy()
    adults[household] -= 1
    households = pd.concat([households.assign(kind=kind, adults=adults), new_households], ignore_index=True)
    people = _moved(
        people, leaver, to=first_new + np.arange(len(leaver)), on=on, role="adult", households=households
    )
    role = people["role"].to_numpy().copy()
    role[stayer] = "adult"
    return people.assign(role=role), households


def _vacant_homes(
    properties: pd.DataFrame, households: pd.DataFrame, on: Days, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """Rows of `properties` nobody lives in, one for each date in `on`, chosen at random across the town: a home
    empty throughout, or one whose household had moved out by that date."""
    uprn = properties["uprn"].to_numpy()
    left = households.dropna(subset=["previous_uprn"])
    moved_out = pd.Series(left["moved_in_on"].to_numpy(), index=left["previous_uprn"].to_numpy())
    moved_out_on = pd.Series(uprn).map(moved_out).to_numpy().astype("datetime64[D]")
    free_from = np.where(np.isnat(moved_out_on), np.datetime64("0001-01-01", "D"), moved_out_on)
    vacant = np.flatnonzero(~properties["uprn"].isin(households["uprn"]).to_numpy())
    vacant = vacant[np.argsort(free_from[vacant], kind="stable")]
    free_by = np.searchsorted(free_from[vacant], on, side="right")  # vacant[:free_by[i]] are free on on[i]
    pool: list[int] = []
    opened = 0
    chosen = np.empty(len(on), dtype=np.int64)
    for one in np.argsort(on, kind="stable"):
        pool.extend(vacant[opened : free_by[one]].tolist())
        opened = max(opened, int(free_by[one]))
        if not pool:
            raise ValueError("The place has too few empty homes for the people who leave a household.")
        pick = int(rng.integers(len(pool)))
        chosen[one], pool[pick] = pool[pick], pool[-1]
        pool.pop()
    return chosen


def _households_of_one(
    people: pd.DataFrame,
    households: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
    properties: pd.DataFrame,
    members: Ints,
    homes: Ints,
    rng: np.random.Generator,
) -> pd.DataFrame:
    neighbourhood = pd.Index(neighbourhoods["neighbourhood_id"]).get_indexer(
        properties["neighbourhood_id"].to_numpy()[homes]
    )
    older = people["age"].to_numpy()[members] >= 66
    taken = set(households["household_id"])
    ids = [
        identifier
        for identifier in (
            "H" + format(value, "012x") for value in unique_integers(rng, len(members) * 2, 16**11, 16**12)
        )
        if identifier not in taken
    ][: len(members)]
    return pd.DataFrame(
        {
            "household_id": ids,
            "neighbourhood": neighbourhood.astype(np.int64),
            "deprivation": _deprivation_score(neighbourhoods["deprivation_decile"].to_numpy()[neighbourhood]),
            "kind": np.where(older, _kind_index("single_older"), _kind_index("single_adult")).astype(
                np.int64
            ),
            "tradition": people["tradition"].to_numpy()[members],
            "adults": np.int64(1),
            "dependants": np.int64(0),
            "grown_children": np.int64(0),
            "uprn": properties["uprn"].to_numpy()[homes],
            "previous_uprn": None,
            "moved_in_on": np.datetime64("NaT", "D"),
        }
    )


def _moved(
    people: pd.DataFrame,
    movers: Ints,
    *,
    to: Ints,
    on: npt.NDArray[np.datetime64],
    role: str,
    households: pd.DataFrame,
) -> pd.DataFrame:
    """Movers belong to household `to` from the date `on`, and before it to the household they were in."""
    household = people["household"].to_numpy().copy()
    previous = people["previous_household"].to_numpy().copy()
    joined = people["joined_on"].to_numpy().copy()
    roles = people["role"].to_numpy().copy()
    previous[movers] = household[movers]
    household[movers] = to
    joined[movers] = on
    roles[movers] = role
    return people.assign(
        household=household,
        household_id=households["household_id"].to_numpy()[household],
        previous_household=previous,
        joined_on=joined,
        role=roles,
    )


def _new_partnerships(
    people: pd.DataFrame, households: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Some single adults and lone parents take in a partner, who leaves a home of their own on the day."""
    kind_name = TYPE_NAMES[households["kind"].to_numpy()]
    household = people["household"].to_numpy()
    age = people["age"].to_numpy()
    sex = people["sex"].to_numpy()
    died = people["died_on"].to_numpy().astype("datetime64[D]")
    settled = (people["role"].to_numpy() == "adult") & (age >= 20) & (age < 60) & np.isnat(died)
    previous = people["previous_household"].to_numpy()
    settled &= (previous < 0) & ~np.isin(household, previous[previous >= 0])  # no one moved in or out already
    single = settled & (kind_name[household] == "single_adult")
    hosts = np.flatnonzero(
        settled
        & np.isin(kind_name[household], list(AFTER_NEW_PARTNER))
        & (rng.random(len(people)) < 1 - (1 - NEW_PARTNERSHIPS_PER_YEAR) ** 3)
    )
    pairs = _partners_for(hosts, np.flatnonzero(single), age, sex, rng)
    if not len(pairs):
        return people, households
    host_of, joiner = pairs[:, 0], pairs[:, 1]
    joined_on = random_days_in_window(rng, len(joiner))
    target = household[host_of]
    households = households.copy()
    kind = households["kind"].to_numpy().copy()
    kind[target] = [_kind_index(AFTER_NEW_PARTNER[name]) for name in TYPE_NAMES[kind[target]]]
    adults = households["adults"].to_numpy().copy()
    adults[target] += 1
    households = households.assign(kind=kind, adults=adults)
    return _moved(people, joiner, to=target, on=joined_on, role="partner", households=households), households


def _partners_for(
    hosts: Ints, candidates: Ints, age: Ints, sex: npt.NDArray[np.str_], rng: np.random.Generator
) -> Ints:
    """Pairs (host, partner): a partner of about the host's age, of the other sex in 97 couples in 100."""
    by_sex = {}
    for value in ("female", "male"):
        group = candidates[sex[candidates] == value]
        by_sex[value] = group[np.argsort(age[group], kind="stable")]
    taken = np.zeros(len(age), dtype=bool)
    taken[hosts] = True
    pairs = []
    for host in rng.permutation(hosts).tolist():  # thousands at a million residents
        other = "female" if sex[host] == "male" else "male"
        group = by_sex[other if rng.random() < 0.97 else str(sex[host])]
        low, high = np.searchsorted(
            age[group], [age[host] - PARTNER_AGE_GAP, age[host] + PARTNER_AGE_GAP + 1]
        )
        window = group[low:high]
        window = window[~taken[window]]
        if len(window):
            partner = int(window[rng.integers(0, len(window))])
            taken[partner] = True
            pairs.append((host, partner))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)
