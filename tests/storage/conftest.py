"""System-of-record fixtures: a throwaway PostgreSQL cluster, DB tests over SQLite and PostgreSQL,
a signing key from a test PKI, and stored results made by the real store stage."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.settings import Settings, reset_settings
from storage import db as storage_db
from storage._exec import postgres
from storage.objects import ObjectStore
from testing import storage as testing

_databases = itertools.count(1)
_dossiers = itertools.count(1)


def _use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> Settings:
    monkeypatch.setenv("SOHOA_DATABASE_URL", url)
    reset_settings()
    storage_db.get_engine.cache_clear()
    settings = Settings()
    storage_db.upgrade(settings.db_url)
    return settings


def new_pg_database(cluster: postgres.PgCluster) -> str:
    return postgres.create_database(cluster, f"t{os.getpid()}_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_env(request: pytest.FixtureRequest, sohoa_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """`sohoa_env` whose results DB is SQLite or a fresh PostgreSQL database (both migrated)."""
    if request.param == "sqlite":
        yield sohoa_env
        return
    settings = _use_database(monkeypatch, new_pg_database(request.getfixturevalue("pg_cluster")))
    yield settings
    storage_db.get_engine(settings.db_url).dispose()
    storage_db.get_engine.cache_clear()


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return testing.throwaway_key(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def stored_result(signing_key: Any) -> Callable[..., testing.StoredResult]:
    """Make a signed result and store it through `sohoa.pipeline.store_batch` in the current env."""
    def make(settings: Settings, store: ObjectStore | None = None, **kw: Any) -> testing.StoredResult:
        dossier = kw.pop("dossier_code", None) or f"000.00.15.H34-200512-{os.getpid() % 1000:03d}{next(_dossiers):03d}"
        pdf = testing.signed_pdf(signing_key, f"Quyết định {dossier}")
        return testing.store_signed_result(settings, store or ObjectStore(settings), pdf, dossier_code=dossier, **kw)

    return make


@pytest.fixture
def new_pg_url(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Make a fresh, empty PostgreSQL database on demand (starts the cluster on first use)."""
    return lambda: new_pg_database(request.getfixturevalue("pg_cluster"))
