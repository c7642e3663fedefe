from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import DateTime, Engine, column, inspect, select, table

from tests.coordination.test_alerts import POLICE_MAPPING
from tests.outcomes import factories as outcomes
from tests.support import factories
from tests.support.factories import MOMENT
from wholeplace.app import create_app  # noqa: F401 - gathers every domain's tables
from wholeplace.coordination.models import AlertScan, AlertScannedBatch
from wholeplace.core.db import (
    alembic_config,
    current_revision,
    downgrade_to_empty,
    head_revision,
    make_engine,
    session_factory,
    transaction,
    upgrade,
)
from wholeplace.core.models import Base
from wholeplace.core.roles import Sector
from wholeplace.outcomes.models import Result
from wholeplace.outcomes.service import partnerships
from wholeplace.sources import service as sources
from wholeplace.sources.lake import Lake
from wholeplace.sources.mapping import parse_mapping


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


def test_the_alert_scanner_keeps_the_batches_it_had_read_across_0010_both_ways(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    read_at, arrived_at = MOMENT, MOMENT + timedelta(hours=1)
    with transaction(session_factory(engine)) as db:
        police = factories.agency(db, "Testford Police", sector=Sector.POLICE)
        sources.register_source(db, mapping=parse_mapping(POLICE_MAPPING, file="p.yaml"), by="t", now=read_at)
        read, arrived = (
            sources.push_records(
                db,
                source_name="police",
                agency=police,
                records=[{"record_id": record, "given_name": "Ada"}],
                lake=Lake.in_data_dir(tmp_path),
                by="t",
                now=at,
            ).batch_id
            for record, at in (("NOM-1", read_at), ("NOM-2", arrived_at))
        )
        db.add_all([AlertScan(id=1, link_run=1, scanned_at=read_at), AlertScannedBatch(batch_id=read)])

    command.downgrade(alembic_config(engine), "0009")
    with engine.connect() as connection:
        loaded_to = column("batches_loaded_to", DateTime(timezone=True))
        marked = connection.execute(select(loaded_to).select_from(table("alert_scan"))).scalar_one()
    assert marked.replace(tzinfo=None) == read_at.replace(tzinfo=None)

    upgrade(engine)
    with transaction(session_factory(engine)) as db:
        # The batch loaded after the scan is still news.
        assert set(db.scalars(select(AlertScannedBatch.batch_id))) == {read} != {arrived}
    engine.dispose()


def test_0013_adds_the_partnerships_and_takes_them_away_leaving_the_framework(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    tables = {
        "outcomes_partnership",
        "outcomes_partnership_member",
        "outcomes_partnership_result",
        "outcomes_partnership_programme",
    }
    assert tables <= set(inspect(engine).get_table_names())
    with transaction(session_factory(engine)) as db:
        result = outcomes.result(db)
        outcomes.partnership(db, result_ids=[result.id], programme_ids=[outcomes.programme(db).id])

    command.downgrade(alembic_config(engine), "0012")
    assert not tables & set(inspect(engine).get_table_names())
    with transaction(session_factory(engine)) as db:
        assert db.scalars(select(Result.title)).all() == [result.title]

    upgrade(engine)
    with transaction(session_factory(engine)) as db:
        assert partnerships.partnerships(db) == []
        assert partnerships.partnerships_of_result(db, result.id) == []
    engine.dispose()
