from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from wholeplace.app import create_app  # noqa: F401 - gathers every domain's tables
from wholeplace.core.db import current_revision, downgrade_to_empty, head_revision, make_engine, upgrade
from wholeplace.core.models import Base


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_go_down_to_nothing_and_up_again(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    downgrade_to_empty(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "app_user" in inspect(engine).get_table_names()
    engine.dispose()
