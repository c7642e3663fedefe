"""Alembic's entry point: runs migrations on the engine the caller hands over."""

from alembic import context
from sqlalchemy import Engine

from wholeplace.core.models import Base

engine: Engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
