"""Signs in the access log that an information governance officer should look into, as pure functions over its
rows: casework on someone an agency has never been involved with, days on which a user looked at far more people
than usual, and bursts of refused requests. Break-glass accesses are not found here: each one already waits for
review in its own table.

The rules, with their defaults (each a parameter):

- **Casework without involvement**: a permitted access for a casework purpose by an agency that has no involvement
  on record with the person or household, at any time. Break-glass accesses are left out (they are reviewed one by
  one). A front door's first inquiry shows up here until the agency takes the case on.
- **An unusual day**: a user looked at more people (distinct subjects, whether the request was permitted or
  refused) in one UTC day than all three bars: `minimum` (30); `own_factor` (3) times the median of the user's
  own counts on their *other* active days in the period (no bar when there are none); and the place's fence,
  Q3 + `fence_iqrs` (3) times the IQR of the counts of every user-day in the period, with nearest-rank quartiles. The
  quartiles are order statistics, so looking at more people on an unusual day never makes it usual.
- **A burst of refusals**: `denials` (5) or more refused requests by one user within `window` (10 minutes),
  both ends included. Overlapping windows make one burst, reported once with its first and last refusal.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

SubjectKey = tuple[str, str, str]  # (agency, subject kind, subject id)


@dataclass(frozen=True)
class Access:
    """One access-log entry, as much of it as the checks read."""

    position: int
    at: datetime
    username: str
    agency: str
    purpose: str
    subject_kind: str
    subject_id: str
    permitted: bool
    break_glass: bool = False


@dataclass(frozen=True)
class VolumeRule:
    """When a user's day is unusual: more people looked at than every one of these bars."""

    minimum: int = 30
    own_factor: float = 3.0
    fence_iqrs: float = 3.0


@dataclass(frozen=True)
class BurstRule:
    """How many refusals within how long make a burst."""

    denials: int = 5
    window: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class UninvolvedCasework:
    """Casework accesses by one agency to one person or household it has no involvement with."""

    agency: str
    subject_kind: str
    subject_id: str
    usernames: tuple[str, ...]
    purposes: tuple[str, ...]
    accesses: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class UnusualDay:
    """A day on which one user looked at more people than the bars allow."""

    username: str
    agencies: tuple[str, ...]
    day: date
    subjects: int
    usual: float  # the median of the user's other active days; 0 when there are none
    place_fence: float
    threshold: float


@dataclass(frozen=True)
class DenialBurst:
    """Refused requests by one user, close enough together to make a burst."""

    username: str
    agencies: tuple[str, ...]
    start: datetime
    end: datetime
    denials: int
    subjects: int


@dataclass(frozen=True)
class Anomalies:
    uninvolved: list[UninvolvedCasework] = field(default_factory=list)
    unusual_days: list[UnusualDay] = field(default_factory=list)
    bursts: list[DenialBurst] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.uninvolved) + len(self.unusual_days) + len(self.bursts)


def find_anomalies(
    accesses: Iterable[Access],
    *,
    casework_purposes: Collection[str],
    involved: Collection[SubjectKey],
    volume: VolumeRule = VolumeRule(),
    burst: BurstRule = BurstRule(),
) -> Anomalies:
    """Every kind of anomaly in the accesses."""
    read = list(accesses)
    return Anomalies(
        uninvolved=uninvolved_casework(read, casework_purposes=casework_purposes, involved=involved),
        unusual_days=unusual_days(read, rule=volume),
        bursts=denial_bursts(read, rule=burst),
    )


# ---------------------------------------------------------------- casework without involvement


def uninvolved_casework(
    accesses: Iterable[Access], *, casework_purposes: Collection[str], involved: Collection[SubjectKey]
) -> list[UninvolvedCasework]:
    """Permitted casework accesses (break-glass aside) by an agency with no involvement on record with the
    subject, one finding per agency and subject, the latest first."""
    by_subject: dict[SubjectKey, list[Access]] = defaultdict(list)
    for access in accesses:
        key = (access.agency, access.subject_kind, access.subject_id)
        if (
            access.permitted
            and not access.break_glass
            and access.purpose in casework_purposes
            and key not in involved
        ):
            by_subject[key].append(access)
    found = [_uninvolved(key, group) for key, group in by_subject.items()]
    return sorted(
        found,
        key=lambda one: (one.last_at, one.agency, one.subject_kind, one.subject_id),
        reverse=True,
    )


def _uninvolved(key: SubjectKey, group: list[Access]) -> UninvolvedCasework:
    agency, subject_kind, subject_id = key
    return UninvolvedCasework(
        agency=agency,
        subject_kind=subject_kind,
        subject_id=subject_id,
        usernames=tuple(sorted({access.username for access in group})),
        purposes=tuple(sorted({access.purpose for access in group})),
        accesses=len(group),
        first_at=min(access.at for access in group),
        last_at=max(access.at for access in group),
    )


# ---------------------------------------------------------------- unusual days


def unusual_days(accesses: Iterable[Access], *, rule: VolumeRule = VolumeRule()) -> list[UnusualDay]:
    """The user-days above every bar of the rule, earliest first."""
    subjects: dict[tuple[str, date], set[tuple[str, str]]] = defaultdict(set)
    agencies: dict[tuple[str, date], set[str]] = defaultdict(set)
    for access in accesses:
        user_day = (access.username, access.at.date())
        subjects[user_day].add((access.subject_kind, access.subject_id))
        agencies[user_day].add(access.agency)
    counts = {user_day: len(seen) for user_day, seen in subjects.items()}
    fence = place_fence(list(counts.values()), fence_iqrs=rule.fence_iqrs)
    days_of: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for (username, day), count in counts.items():
        days_of[username].append((day, count))
    found = []
    for (username, day), count in sorted(counts.items()):
        usual = _usual(days_of[username], leaving_out=day)
        threshold = max(float(rule.minimum), rule.own_factor * usual, fence)
        if count > threshold:
            found.append(
                UnusualDay(
                    username=username,
                    agencies=tuple(sorted(agencies[(username, day)])),
                    day=day,
                    subjects=count,
                    usual=usual,
                    place_fence=fence,
                    threshold=threshold,
                )
            )
    return found


def place_fence(counts: Sequence[int], *, fence_iqrs: float) -> float:
    """Q3 + fence_iqrs * (Q3 - Q1), with nearest-rank quartiles; 0 when there are no counts."""
    if not counts:
        return 0.0
    ordered = sorted(counts)
    first, third = _nearest_rank(ordered, 0.25), _nearest_rank(ordered, 0.75)
    return third + fence_iqrs * (third - first)


def _nearest_rank(ordered: Sequence[int], share: float) -> int:
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _usual(days: list[tuple[date, int]], *, leaving_out: date) -> float:
    others = [count for day, count in days if day != leaving_out]
    return float(statistics.median(others)) if others else 0.0


# ---------------------------------------------------------------- bursts of refusals


def denial_bursts(accesses: Iterable[Access], *, rule: BurstRule = BurstRule()) -> list[DenialBurst]:
    """Each burst of refusals once, per user, earliest first."""
    denials: dict[str, list[Access]] = defaultdict(list)
    for access in accesses:
        if not access.permitted:
            denials[access.username].append(access)
    found: list[DenialBurst] = []
    for username in sorted(denials):
        ordered = sorted(denials[username], key=lambda access: (access.at, access.position))
        found.extend(_burst(username, ordered[first : last + 1]) for first, last in _hot_runs(ordered, rule))
    return sorted(found, key=lambda burst: (burst.start, burst.username))


def _hot_runs(ordered: list[Access], rule: BurstRule) -> list[tuple[int, int]]:
    """The index ranges of the bursts: every window of `rule.window` from a refusal holding at least
    `rule.denials` refusals, windows that share a refusal merged."""
    runs: list[tuple[int, int]] = []
    last = 0
    for first in range(len(ordered)):
        last = max(last, first)
        while last + 1 < len(ordered) and ordered[last + 1].at - ordered[first].at <= rule.window:
            last += 1
        if last - first + 1 < rule.denials:
            continue
        if runs and first <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], last))
        else:
            runs.append((first, last))
    return runs


def _burst(username: str, run: list[Access]) -> DenialBurst:
    return DenialBurst(
        username=username,
        agencies=tuple(sorted({access.agency for access in run})),
        start=run[0].at,
        end=run[-1].at,
        denials=len(run),
        subjects=len({(access.subject_kind, access.subject_id) for access in run}),
    )
