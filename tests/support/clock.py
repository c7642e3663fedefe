"""A clock the tests move by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.support.factories import MOMENT


@dataclass
class FakeClock:
    now: datetime = MOMENT

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
