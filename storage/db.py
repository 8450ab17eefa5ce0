"""Engine, sessions and migrations of the results database (SQLite default, PostgreSQL supported)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from core.files import touch_private
from core.settings import get_settings

_MIGRATIONS = Path(__file__).parent / "migrations"


def _private_sqlite_file(url: str) -> None:
    """The results DB (user names, password hashes, sessions, every record) is created 0600; SQLite
    gives its -wal and -shm files the same mode."""
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if path and path != ":memory:":
        touch_private(Path(path))


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().db_url
    if url.startswith("sqlite:///"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the review pages read while a DAG task writes.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error."""
    session = sessionmaker(get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def serialise_on(session: Session, key: str) -> None:
    """Make a check-then-insert atomic against other workers: transactions that call this with the
    same `key` run one after another, each until it ends. Call it first in the transaction.
    PostgreSQL: a transaction-level advisory lock on the key's hash (other keys go on in parallel);
    SQLite: its one write lock, taken at once (BEGIN IMMEDIATE: every other writer waits)."""
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})
    elif session.get_bind().dialect.name == "sqlite":
        connection = session.connection()
        if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().db_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command

    url = url or get_settings().db_url
    if url.startswith("sqlite:///"):
        _private_sqlite_file(url)
    command.upgrade(alembic_config(url), "heads")  # one branch per domain (storage, review, roadmap)
