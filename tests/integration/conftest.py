"""Fixtures shared by the DAG and pipeline integration tests: one test PKI and one migrated Airflow
metadata DB per session (both slow to make), a signing-ready environment with the reference warehouse
receiver, and `run_dag`, which runs a DAG for real with `airflow dags test`."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sohoa import services
from sohoa.config import Settings, reset_settings
from storage._exec.weed import free_port

REPO = Path(__file__).resolve().parents[2]
WAREHOUSE_TOKEN = "test-token"


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from signing.pki import make_test_pki

    return make_test_pki(tmp_path_factory.mktemp("pki"), converter=Settings().converter_name)


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Airflow home whose SQLite metadata DB is migrated once (`airflow db migrate` takes seconds);
    every DAG run of the session uses it (each run has its own run id)."""
    home = tmp_path_factory.mktemp("airflow")
    env = services.airflow_env(Settings(home=home), REPO) | {"AIRFLOW_HOME": str(home)}
    subprocess.run([services.airflow_bin(), "db", "migrate"], env=env, check=True, capture_output=True)
    return home


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
def run_dag(airflow_home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_dag(settings, dag_id, conf=None)`: `airflow dags test` in a subprocess, with the test's
    SOHOA_* environment and the session's Airflow metadata DB."""

    def run(settings: Settings, dag_id: str, conf: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
        env = services.airflow_env(settings, REPO) | {"AIRFLOW_HOME": str(airflow_home)}
        cmd = [services.airflow_bin(), "dags", "test", dag_id]
        if conf is not None:
            cmd += ["-c", json.dumps(conf)]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)

    return run


def copy_airflow_home(airflow_home: Path, to: Path) -> None:
    """Seed a fresh Airflow home with the migrated metadata DB, so its own `db migrate` has nothing to do."""
    to.mkdir(parents=True, exist_ok=True)
    shutil.copy2(airflow_home / "airflow.db", to / "airflow.db")
