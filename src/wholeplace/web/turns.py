"""Requests that touch the database take turns with each other and with the server's watcher, where the database
needs it (SQLite; see core.db.Turns). Static files never wait; nothing else is assumed not to touch it."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from wholeplace.core.db import Turns

STATIC_PREFIXES = ("/static/", "/assets/")


class TurnsMiddleware:
    def __init__(self, app: ASGIApp, *, turns: Turns) -> None:
        self.app = app
        self.turns = turns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(STATIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        async with self.turns.taken_async():
            await self.app(scope, receive, send)
