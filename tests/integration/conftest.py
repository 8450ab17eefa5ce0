"""Fixtures shared by the DAG and pipeline integration tests: one test PKI and one migrated Airflow
metadata DB per session (both slow to make), a signing-ready environment with the reference warehouse
receiver, and `run_dag`, which runs a DAG for real with Airflow's test runner."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings, reset_settings
from sohoa import services
from storage._exec.weed import free_port

REPO = Path(__file__).resolve().parents[2]
WAREHOUSE_TOKEN = "test-token"


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from signing.pki import make_test_pki

    return make_test_pki(tmp_path_factory.mktemp("pki"), converter=Settings().converter_name)


@pytest.fixture(scope="session")
def airflow_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Airflow metadata DB of this test process, migrated once (`airflow db migrate` takes seconds).
    AIRFLOW_HOME must be known before airflow is first imported; an earlier test may have imported
    it already, so the DB is whatever airflow.settings points at, and that is what gets migrated."""
    with pytest.MonkeyPatch.context() as mp:
        if not os.environ.get("AIRFLOW_HOME"):
            mp.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
        mp.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
        mp.setenv("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
        from airflow import settings as airflow_settings

        # read once at import: an earlier import (tests/dags) saw no DAGS_FOLDER
        mp.setattr(airflow_settings, "DAGS_FOLDER", str(REPO / "dags"))
        conn = str(airflow_settings.SQL_ALCHEMY_CONN)
        env = os.environ | {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": conn}
        subprocess.run([services.airflow_bin(), "db", "migrate"], env=env, check=True, capture_output=True)
        yield conn
    # Tripwire: this process holds the DB open in WAL mode for the whole session. Anything here that
    # opens and closes the file outside SQLite (a file copy) drops SQLite's locks, and the next
    # `airflow` subprocess deletes the WAL under us: the DB ends "malformed" (tests/integration/test_demo.py).
    with contextlib.closing(sqlite3.connect(conn.removeprefix("sqlite:///"))) as db:
        check = db.execute("PRAGMA quick_check").fetchall()
    assert check == [("ok",)], f"the session's Airflow metadata DB is damaged: {check[:5]}"


@pytest.fixture
def pipeline_env(sohoa_env: Settings, test_pki: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, Any]]:
    """`sohoa_env` that can sign (the session's test PKI) and deliver (a reference receiver of its own)."""
    monkeypatch.setenv("SOHOA_SIGNING_PKCS12", str(test_pki.agency_p12))
    monkeypatch.setenv("SOHOA_SIGNING_PASSWORD", test_pki.password.decode())
    monkeypatch.setenv("SOHOA_CITIZEN_WAREHOUSE_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("SOHOA_CITIZEN_WAREHOUSE_TOKEN", WAREHOUSE_TOKEN)
    reset_settings()
    settings = Settings()
    assert services.start_receiver(settings).started_here
    try:
        yield settings, test_pki
    finally:
        services.stop_receiver(settings)


@pytest.fixture
def run_dag(airflow_db: str) -> Callable[..., Any]:
    """`run_dag(dag_id, conf=None)`: one real DAG run with Airflow's own test runner (`dag.test()`, what
    `airflow dags test` calls), in this process: its tasks see the test's SOHOA_* environment, and
    Airflow's start-up cost is paid once per session instead of once per run. Returns the DagRun."""

    def run(dag_id: str, conf: dict[str, Any] | None = None) -> Any:
        from airflow.utils.cli import get_bagged_dag

        dag = get_bagged_dag(bundle_names=None, dag_id=dag_id)
        return dag.test(run_conf=conf)

    return run


@pytest.fixture
def airflow_cli_env(airflow_db: str) -> Callable[[Settings], dict[str, str]]:
    """Environment for an `airflow …` subprocess that uses the session's migrated metadata DB."""
    return lambda settings: services.airflow_env(settings, REPO) | {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db}
