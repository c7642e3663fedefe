"""Turns: on SQLite a page that read before another's commit cannot write; taking turns is what lets it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from starlette.types import Receive, Scope, Send

from wholeplace.core.db import Turns, make_engine, session_factory
from wholeplace.web.turns import TurnsMiddleware

T = TypeVar("T")


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE visit (who TEXT)"))
    return engine


def _page_and_watcher(engine: Engine, turns: Turns) -> list[BaseException]:
    """A page reads, the watcher commits a write meanwhile (if it can), then the page writes."""
    sessions = session_factory(engine)
    page_has_read = threading.Event()
    failures: list[BaseException] = []

    def page() -> None:
        try:
            with turns.taken(), sessions() as db:
                db.execute(text("SELECT count(*) FROM visit")).scalar_one()
                page_has_read.set()
                time.sleep(0.3)
                db.execute(text("INSERT INTO visit VALUES ('page')"))
                db.commit()
        except OperationalError as error:
            failures.append(error)
        finally:
            page_has_read.set()

    def watcher() -> None:
        page_has_read.wait()
        with turns.taken(), sessions() as db:
            db.execute(text("INSERT INTO visit VALUES ('watcher')"))
            db.commit()

    threads = [threading.Thread(target=page), threading.Thread(target=watcher)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


def test_without_turns_a_page_that_read_before_the_watchers_commit_cannot_write(sqlite_file: Engine) -> None:
    failures = _page_and_watcher(sqlite_file, Turns(needed=False))

    assert [str(failure.orig) for failure in failures] == ["database is locked"]  # type: ignore[attr-defined]


def test_taking_turns_lets_both_the_page_and_the_watcher_write(sqlite_file: Engine) -> None:
    failures = _page_and_watcher(sqlite_file, Turns.for_engine(sqlite_file))

    assert failures == []
    with sqlite_file.connect() as connection:
        written = connection.execute(text("SELECT who FROM visit ORDER BY rowid")).scalars().all()
    assert written == ["page", "watcher"]


def test_postgresql_needs_no_turns(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    turns = Turns.for_engine(engine)
    engine.dispose()

    with turns.taken(), turns.taken():  # a turn that were held would never be given twice
        pass


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run a scenario on an event loop of its own thread: a browser test's driver may hold this one's loop."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, scenario).result()


class _Overlaps:
    """An app that notes how many requests it was serving at once."""

    def __init__(self) -> None:
        self.serving = 0
        self.most = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.serving += 1
        self.most = max(self.most, self.serving)
        await asyncio.sleep(0.05)
        self.serving -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _at_once(paths: list[str], turns: Turns) -> int:
    inner = _Overlaps()
    transport = httpx.ASGITransport(app=TurnsMiddleware(inner, turns=turns))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answers = await asyncio.gather(*(client.get(path) for path in paths))
    assert [answer.status_code for answer in answers] == [200] * len(paths)
    return inner.most


def test_requests_take_turns_when_the_database_needs_them() -> None:
    pages = ["/households/1", "/search", "/alerts", "/caseload"]

    assert _run(_at_once(pages, Turns(needed=True))) == 1
    assert _run(_at_once(pages, Turns(needed=False))) == len(pages)


def test_static_files_never_wait_for_a_turn() -> None:
    assets = ["/assets/app.css", "/static/a.js", "/assets/b.woff2"]

    assert _run(_at_once(assets, Turns(needed=True))) == len(assets)


def test_a_request_cancelled_while_waiting_never_takes_the_turn() -> None:
    turns = Turns(needed=True)

    async def scenario() -> bool:
        async def hold() -> None:
            async with turns.taken_async():
                await asyncio.sleep(0.2)

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.01)
        waiter = asyncio.create_task(hold())
        await asyncio.sleep(0.05)
        waiter.cancel()
        await holder
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        async with asyncio.timeout(1):
            async with turns.taken_async():
                return True

    assert _run(scenario())
