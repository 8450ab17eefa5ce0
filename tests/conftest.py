"""Shared fixtures: a real SeaweedFS S3 server for the session and an isolated sohoa environment per test."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from core.files import touch_private
from core.settings import Settings, reset_settings
from storage import db as storage_db
from storage._exec import postgres, weed

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# SOHOA_TEST_S3_PORT pins the session's S3 server; unset, it takes a free port block (weed.free_port)
TEST_S3_PORT = int(os.environ.get("SOHOA_TEST_S3_PORT", "0"))
TEST_ACCESS_KEY = "sohoa-test"
TEST_SECRET_KEY = "sohoa-test-secret"
# The S3 administrator (bucket creation, object lock); the pipeline's key above has no admin rights.
TEST_ADMIN_ACCESS_KEY = "sohoa-test-admin"
TEST_ADMIN_SECRET_KEY = "sohoa-test-admin-secret"
_bucket_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.PgCluster]:
    """PostgreSQL from Debian's binaries on 127.0.0.1, one per test session (each user creates its own
    database). If it cannot start, the tests FAIL (never skip): `make test` installs it."""
    try:
        cluster = postgres.start()
    except postgres.PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL is required for this test and could not be started: {exc}")
    try:
        yield cluster
    finally:
        postgres.stop(cluster)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[weed.S3Server]:
    data_dir = tmp_path_factory.mktemp("seaweedfs")
    keys = {"access_key": TEST_ACCESS_KEY, "secret_key": TEST_SECRET_KEY,
            "admin_access_key": TEST_ADMIN_ACCESS_KEY, "admin_secret_key": TEST_ADMIN_SECRET_KEY}
    server = (weed.start(data_dir, s3_port=TEST_S3_PORT, **keys) if TEST_S3_PORT
              else weed.start_on_free_ports(data_dir, **keys))
    try:
        yield server
    finally:
        weed.stop(data_dir)


@pytest.fixture(scope="session", autouse=True)
def _one_argon2_hash_per_password() -> Iterator[None]:
    """argon2 is slow on purpose (a tenth of a second a hash, seconds on a loaded machine) and the web
    tests make four users a test, all with the same password: each distinct password is hashed once
    per session. The hash is a real argon2id one with the production parameters, verified for real at
    every login; only its salt is shared between the session's users."""
    from web import auth

    real = auth.hash_password
    memo: dict[str, str] = {}

    def hash_once(password: str) -> str:
        if password not in memo:
            memo[password] = real(password)
        return memo[password]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth, "hash_password", hash_once)
        yield


@pytest.fixture(scope="session")
def start_migrated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], None]:
    """`start_migrated(url)`: give the new SQLite DB at `url` the newest schema. Running every migration
    takes seconds and most tests want an empty migrated DB of their own, so the migrations run once per
    session into a template that each test's DB is copied from (SQLite's backup API: page by page,
    consistent whatever the journal mode). `upgrade` still runs on the copy, as the code runs it: it
    finds nothing to do, and the check that the DB is at the newest revision is still made."""
    template = tmp_path_factory.mktemp("migrated") / "sohoa.db"
    storage_db.upgrade(f"sqlite:///{template}")

    def start(url: str) -> None:
        if url.startswith("sqlite:///"):
            dest = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
            touch_private(dest)  # 0600 from the start, as storage.db creates it
            with closing(sqlite3.connect(template)) as src, closing(sqlite3.connect(dest)) as dst:
                src.backup(dst)
        storage_db.upgrade(url)

    return start


@pytest.fixture
def sohoa_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_server: weed.S3Server,
              start_migrated: Callable[[str], None]) -> Iterator[Settings]:
    """SOHOA_* settings for one test: its own SQLite DB and its own bucket prefix on the shared server."""
    prefix = f"t{os.getpid()}-{next(_bucket_counter)}-"
    env = {
        "SOHOA_HOME": str(tmp_path / "var"),
        "SOHOA_DATABASE_URL": "",
        "SOHOA_S3_ENDPOINT": s3_server.endpoint,
        "SOHOA_S3_ACCESS_KEY": TEST_ACCESS_KEY,
        "SOHOA_S3_SECRET_KEY": TEST_SECRET_KEY,
        # tests set their buckets up themselves (`ensure_buckets`), as `sohoa storage-setup` would
        "SOHOA_S3_ADMIN_ACCESS_KEY": TEST_ADMIN_ACCESS_KEY,
        "SOHOA_S3_ADMIN_SECRET_KEY": TEST_ADMIN_SECRET_KEY,
        "SOHOA_BUCKET_PREFIX": prefix,
        "SOHOA_CITIZEN_WAREHOUSE_URL": "",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    reset_settings()
    storage_db.get_engine.cache_clear()
    settings = Settings()
    start_migrated(settings.db_url)
    yield settings
    storage_db.get_engine.cache_clear()
    reset_settings()
