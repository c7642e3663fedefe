"""An agency's extract as the generator makes it: its table, its format, its mapping and its truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate.world import World


@dataclass
class Extract:
    source: str
    agency: str
    description: str
    format: dict[str, Any]  # the mapping's format block: type, encoding, delimiter, header, sheet
    entity: str
    record_id: str  # the column holding the source's own key
    table: pd.DataFrame  # exactly the columns, in the order, the agency sends
    columns: dict[str, Any]  # standard field -> source column or spec
    people: npt.NDArray[np.int64]  # the row of the population behind each row of the table
    recorded_on: npt.NDArray[np.datetime64]  # the date each row describes the person as they were
    extra: dict[str, Any] = field(default_factory=dict)  # further mapping blocks (involvement, event)

    @property
    def extension(self) -> str:
        return {"csv": "csv", "excel": "xlsx", "parquet": "parquet", "jsonl": "jsonl"}[self.format["type"]]

    @property
    def filename(self) -> str:
        return f"{self.source}.{self.extension}"

    def truth(self, world: World) -> pd.DataFrame:
        people = world.population.people
        return pd.DataFrame(
            {
                "source": self.source,
                "record_id": self.table[self.record_id].astype(str).to_numpy(),
                "person_id": people["person_id"].to_numpy()[self.people],
                "household_id": world.population.households["household_id"].to_numpy()[
                    world.household_on(self.people, self.recorded_on)
                ],
            }
        )

    def mapping(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "agency": self.agency,
            "entity": self.entity,
            "format": self.format,
            "record_id": self.record_id,
            "columns": self.columns,
            **self.extra,
        }


def with_duplicates(
    people: npt.NDArray[np.int64], rate: float, rng: np.random.Generator
) -> npt.NDArray[np.int64]:
    """A register where some people appear twice, as registers do."""
    again = people[rng.random(len(people)) < rate]
    combined = np.concatenate([people, again])
    return combined[rng.permutation(len(combined))]
