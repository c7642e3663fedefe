"""The watcher: the job inside the web server that turns a newly ingested batch into alerts within a minute. Each
round links the new records to the people already found (no retraining), brings the register up to the new run,
scans it for news for the workers around each household, and runs the sustainment checks that have fallen due.
Each step commits on its own; a step that fails is logged and the next round tries again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from wholeplace.coordination.service import alerts, closure, register
from wholeplace.core.db import Turns
from wholeplace.core.runtime import Runtime
from wholeplace.identity import service as identity
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake

log = logging.getLogger("wholeplace.watcher")

ACTOR = "watcher"
STOP_WAIT_SECONDS = 30

Step = TypeVar("Step")


@dataclass(frozen=True)
class WatchResult:
    linked: bool  # the new records were linked in a new run
    register_refreshed: bool
    scan: alerts.ScanResult | None  # None when the scan failed
    checks_run: int  # sustainment checks that fell due and ran
    failed: tuple[str, ...]  # the steps that failed, logged


def run_once(
    sessions: sessionmaker[Session], *, data_dir: Path, secret: str, at: datetime, turns: Turns | None = None
) -> WatchResult:
    """One round of the watcher, each step in a session of its own, taking `turns` with the server's requests."""
    lake = Lake.in_data_dir(data_dir)
    failed: list[str] = []

    def step(name: str, work: Callable[[Session], Step], otherwise: Step) -> Step:
        with turns.taken() if turns else nullcontext(), sessions() as db:
            try:
                done = work(db)
                db.commit()
                return done
            except Exception:
                db.rollback()
                log.exception("The watcher's step %r failed; the next round tries again.", name)
                failed.append(name)
                return otherwise

    linked = step("link", lambda db: _link_new_records(db, lake, secret=secret, at=at), False)
    refreshed = step("register", lambda db: register.refresh_if_stale(db, lake, at=at), False)
    scanned = step("alerts", lambda db: alerts.scan(db, data_dir=data_dir, at=at), None)
    checks = step(
        "sustainment",
        lambda db: len(closure.run_due_checks(db, data_dir=data_dir, today=at.date(), at=at)),
        0,
    )
    return WatchResult(linked, refreshed, scanned, checks, tuple(failed))


def _link_new_records(db: Session, lake: Lake, *, secret: str, at: datetime) -> bool:
    """Link the batches the latest run did not read; without a run, linking waits for a person to start it. A
    batch is known by its id, not its load time: one stamped before a run began may commit after it."""
    run = identity.latest_run(db)
    if run is None or set(alerts.batches_loaded(db)) <= identity.batches_read(db, lake, run):
        return False
    identity.link_new_records(
        db, lake, sources.lake_batches(db), secret=secret, actor=identity.Actor(ACTOR, at)
    )
    return True


@contextmanager
def watching(runtime: Runtime, *, every: float) -> Iterator[None]:
    """Run the watcher every `every` seconds on a thread of its own while the block runs."""
    stop = threading.Event()
    settings = runtime.settings

    def rounds() -> None:
        while not stop.wait(every):
            try:
                run_once(
                    runtime.sessions,
                    data_dir=settings.data_dir,
                    secret=settings.effective_secret_key(),
                    at=runtime.clock(),
                    turns=runtime.turns,
                )
            except Exception:
                log.exception("The watcher's round failed; the next round tries again.")

    thread = threading.Thread(target=rounds, name="wholeplace-watcher", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=STOP_WAIT_SECONDS)
