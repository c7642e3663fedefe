"""What every command and the web app share: the settings, an engine, a session factory, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from wholeplace.core.db import Turns, make_engine, session_factory, upgrade
from wholeplace.core.models import utcnow
from wholeplace.core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = field(default=utcnow)
    turns: Turns = field(init=False)

    def __post_init__(self) -> None:
        self.turns = Turns.for_engine(self.engine)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Runtime:
        settings = settings or Settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine))

    @classmethod
    def upgraded(cls) -> Runtime:
        """The runtime the settings describe, its database schema brought up to date."""
        runtime = cls.from_settings()
        runtime.upgrade()
        return runtime

    def upgrade(self) -> None:
        upgrade(self.engine)
