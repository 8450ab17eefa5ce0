"""The review-desk migration (branch "review", r0001) on a real PostgreSQL cluster: upgrade, use,
downgrade of the branch, upgrade again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import inspect

from storage import db as storage_db
from storage._exec import postgres
from web import auth

TABLES = {"users", "user_provinces", "web_sessions", "review_decisions", "expectation_runs"}


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    cluster = postgres.start()  # installed by `make test`: unavailable is a failure, never a skip
    try:
        yield postgres.create_database(cluster, "review_migration")
    finally:
        postgres.stop(cluster)


def test_review_branch_upgrades_and_downgrades_on_postgresql(pg_url: str) -> None:
    from alembic import command

    storage_db.upgrade(pg_url)
    engine = storage_db.get_engine(pg_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    auth.create_user("lan", "mat-khau-rat-dai-1", "steward", provinces=["Khánh Hòa"], db_url=pg_url)
    user_id = auth.authenticate("lan", "mat-khau-rat-dai-1", pg_url)
    assert user_id is not None
    user = auth.session_user(auth.open_session(user_id, pg_url), pg_url)
    assert user is not None and user.provinces == ("Khánh Hòa",)
    engine.dispose()
    command.downgrade(storage_db.alembic_config(pg_url), "r0001@0001")
    assert not TABLES & set(inspect(storage_db.get_engine(pg_url)).get_table_names())
    storage_db.get_engine(pg_url).dispose()
    storage_db.upgrade(pg_url)
    assert set(inspect(storage_db.get_engine(pg_url)).get_table_names()) >= TABLES
    storage_db.get_engine(pg_url).dispose()
    storage_db.get_engine.cache_clear()
