"""The people who do the work: each agency's practitioners, enough for its caseload, named like the town."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholeplace.demo.generate import names

# Cases a practitioner holds (children's social workers hold about 16-18, DfE children's social work
# workforce statistics; the others are typical of their services).
CASELOADS = {
    "Riverford Children's Services": ("Social worker", 17),
    "Riverford Homes": ("Housing officer", 250),
    "Vale Probation Service": ("Probation practitioner", 40),
    "Riverford Adult Social Care": ("Social worker", 60),
    "Riverford Schools": ("Pastoral lead", 400),
    "Riverford Family Action": ("Key worker", 30),
    "Riverford Borough Council": ("Early help key worker", 20),
    "Riverford Health Partnership": ("Health visitor", 250),
    "Vale Police": ("Neighbourhood officer", 1500),
    "Jobcentre Plus Riverford": ("Work coach", 120),
}


@dataclass
class Workforce:
    seed: int
    _teams: dict[str, npt.NDArray[np.object_]] = field(default_factory=dict)

    def allocate(self, agency: str, cases: int, rng: np.random.Generator) -> npt.NDArray[np.object_]:
        """A named worker for each case, from a team sized to the agency's caseload."""
        team = self.team(agency, cases=cases)
        return team[rng.integers(0, len(team), cases)] if cases else np.empty(0, dtype=object)

    def team(self, agency: str, *, cases: int = 0) -> npt.NDArray[np.object_]:
        if agency not in self._teams:
            _, caseload = CASELOADS[agency]
            self._teams[agency] = _named_team(self.seed, agency, max(3, int(np.ceil(cases / caseload))))
        return self._teams[agency]

    def staff(self) -> pd.DataFrame:
        rows = [
            {"agency": agency, "name": name, "role": CASELOADS[agency][0]}
            for agency in sorted(self._teams)
            for name in self._teams[agency]
        ]
        staff = pd.DataFrame(rows, columns=["agency", "name", "role"])
        staff.insert(0, "worker_id", [f"W{index + 1:05d}" for index in range(len(staff))])
        return staff


def _named_team(seed: int, agency: str, size: int) -> npt.NDArray[np.object_]:
    rng = np.random.default_rng(np.random.SeedSequence([seed, *agency.encode()]))
    traditions = np.array(names.TRADITION_NAMES)[
        rng.choice(len(names.TRADITIONS), size * 2, p=list(names.TRADITIONS.values()))
    ]
    sexes = np.where(rng.random(size * 2) < 0.75, "female", "male")
    full = (
        names.draw_given_names(rng, traditions, sexes).astype(object)
        + " "
        + names.draw_surnames(rng, traditions).astype(object)
    )
    return np.array(list(dict.fromkeys(full.tolist()))[:size], dtype=object)
