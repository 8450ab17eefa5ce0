"""The production-shaped stack (docker-compose.yml) is valid and safe by default.

No Docker engine is needed: `docker-compose config` validates and interpolates the file, and
the YAML is checked for what a reviewer would otherwise catch by eye (pinned images, ports on
127.0.0.1 only, the DAG and plugin folders mounted, the required services present).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / "docker" / ".env.example"
COMPOSE_BIN = shutil.which("docker-compose")

REQUIRED_SERVICES = {
    "postgres", "redis", "minio", "minio-init", "airflow-init", "airflow-apiserver",
    "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker",
}
AIRFLOW_SERVICES = {s for s in REQUIRED_SERVICES if s.startswith("airflow-")}

needs_compose = pytest.mark.skipif(COMPOSE_BIN is None, reason="the docker-compose binary is not installed")


def _env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


def _compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert COMPOSE_BIN is not None
    # A clean environment: only what the env file provides may satisfy `${VAR:?}`.
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    return subprocess.run([COMPOSE_BIN, "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), *args],
                          cwd=REPO, env={**base, **(env or {})}, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    """The file as docker-compose interpolates it with docker/.env.example."""
    if COMPOSE_BIN is None:
        pytest.skip("the docker-compose binary is not installed")
    run = _compose("config")
    assert run.returncode == 0, run.stderr
    return dict(yaml.safe_load(run.stdout))


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


@needs_compose
def test_compose_config_is_valid_with_the_example_env() -> None:
    run = _compose("config", "-q")
    assert run.returncode == 0, run.stderr


@needs_compose
def test_missing_secret_stops_compose_with_a_message(tmp_path: Path) -> None:
    env_file = tmp_path / "incomplete.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in _env_example().items() if k != "POSTGRES_PASSWORD"))
    assert COMPOSE_BIN is not None
    run = subprocess.run([COMPOSE_BIN, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
                         cwd=REPO, env={"PATH": os.environ.get("PATH", "")}, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode != 0
    assert "POSTGRES_PASSWORD" in run.stderr


def test_required_services_exist(raw: dict[str, Any]) -> None:
    assert set(raw["services"]) >= REQUIRED_SERVICES, REQUIRED_SERVICES - set(raw["services"])


def test_images_are_pinned(resolved: dict[str, Any]) -> None:
    for name, service in resolved["services"].items():
        image = service.get("image")
        assert image, f"{name} has no image"
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and not re.fullmatch(r"\d+", tag), f"{name}: {image!r} is not pinned"
    images = {s["image"] for s in resolved["services"].values()}
    assert any(re.fullmatch(r"postgres:16\.\d+.*", i) for i in images)
    assert any(re.fullmatch(r"minio/minio:RELEASE\.\d{4}-\d\d-\d\dT[\d-]+Z", i) for i in images)
    assert any(re.fullmatch(r"minio/mc:RELEASE\.\d{4}-\d\d-\d\dT[\d-]+Z", i) for i in images)


def test_airflow_image_builds_from_the_official_3_3_2_base() -> None:
    dockerfile = (REPO / "docker" / "airflow" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python3\.11\s*$", dockerfile, re.M)
    for package in ("tesseract-ocr", "tesseract-ocr-vie", "poppler-utils", "libnss3-tools", "fonts-noto-core"):
        assert re.search(rf"\s{re.escape(package)}(\s|$)", dockerfile), package
    assert "requirements.txt" in dockerfile and "--no-deps" in dockerfile


def test_published_ports_bind_to_localhost_only(resolved: dict[str, Any]) -> None:
    for name, service in resolved["services"].items():
        for port in service.get("ports", []):
            if isinstance(port, dict):  # long syntax
                host_ip = port.get("host_ip")
            else:
                parts = str(port).split(":")
                host_ip = parts[0] if len(parts) == 3 else None
            assert host_ip == "127.0.0.1", f"{name} publishes {port!r} beyond 127.0.0.1"
    assert resolved["services"]["airflow-apiserver"].get("ports"), "the Airflow UI should be reachable locally"
    assert not resolved["services"]["postgres"].get("ports"), "PostgreSQL stays on the internal network"


def test_dags_and_plugins_are_mounted(resolved: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        targets = {}
        for volume in resolved["services"][name].get("volumes", []):
            source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) \
                else volume.split(":")[:2]
            targets[target] = source
        assert Path(targets.get("/opt/airflow/dags", "")) == REPO / "dags", name
        assert Path(targets.get("/opt/airflow/plugins", "")) == REPO / "plugins", name


def test_airflow_runs_celery_with_the_sohoa_settings(resolved: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        env = resolved["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
        assert 1 <= int(env["AIRFLOW__CORE__PARALLELISM"]) <= 64
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
        assert env["SOHOA_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["SOHOA_S3_ENDPOINT"] == "minio:9000"
        for key in ("SOHOA_S3_ACCESS_KEY", "SOHOA_S3_SECRET_KEY", "SOHOA_CONVERTER_NAME", "SOHOA_CITIZEN_WAREHOUSE_URL"):
            assert key in env, f"{name} lacks {key}"
    commands = {name: " ".join(resolved["services"][name].get("command") or []) for name in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"] == "api-server"
    # the worker serves both queues of digitise_batch, or its OCR tasks would wait for ever
    from core.settings import Settings

    defaults = Settings()
    assert commands["airflow-worker"] == f"celery worker --queues {defaults.light_queue},{defaults.ocr_queue}"
    assert "airflow db migrate" in commands["airflow-init"] and "sohoa db upgrade" in commands["airflow-init"]


def test_secrets_are_not_written_in_the_compose_file() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for key, value in _env_example().items():
        if "change-me" in value:
            assert value not in text, f"{key}'s example value is hard-coded in docker-compose.yml"
    assert re.search(r"\$\{POSTGRES_PASSWORD:\?", text) and re.search(r"\$\{MINIO_ROOT_PASSWORD:\?", text)


def test_startup_order_waits_for_health_and_init(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    for name in ("postgres", "redis", "minio", *sorted(AIRFLOW_SERVICES - {"airflow-init"})):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    init_deps = services["airflow-init"]["depends_on"]
    assert init_deps["postgres"]["condition"] == "service_healthy"
    assert init_deps["minio-init"]["condition"] == "service_completed_successfully"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", name


def test_results_and_raw_buckets_are_object_locked() -> None:
    script = (REPO / "docker" / "init" / "create-buckets.sh").read_text(encoding="utf-8")
    assert re.search(r"for name in raw results; do\n\s+mc mb --ignore-existing --with-lock \"store/\$\{prefix\}\$\{name\}\"",
                     script)
    unlocked = re.search(r"for name in ([a-z ]+); do\n\s+mc mb --ignore-existing \"store/", script)
    assert unlocked is not None
    # Every bucket the pipeline uses is made by the stack (the inbox too: batches come in through it).
    from storage.objects import BUCKETS

    assert set(unlocked.group(1).split()) | {"raw", "results"} == set(BUCKETS)
    db_script = (REPO / "docker" / "init" / "create-databases.sh").read_text(encoding="utf-8")
    assert "CREATE DATABASE sohoa" in db_script


def _run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = REPO / "docker" / "init" / "check-secrets.sh"
    return subprocess.run(["/bin/sh", str(script)], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True,
                          text=True, timeout=30)


def test_issue17_10_placeholder_secrets_stop_the_stack_before_anything_starts(resolved: dict[str, Any]) -> None:
    """check-secrets runs first (PostgreSQL and MinIO wait for it to succeed, everything else waits for
    them) and fails while any secret keeps its docker/.env.example "change-me" value."""
    services = resolved["services"]
    check = services["check-secrets"]
    for name in ("postgres", "minio"):
        assert services[name]["depends_on"]["check-secrets"]["condition"] == "service_completed_successfully", name
    for name in AIRFLOW_SERVICES | {"minio-init"}:
        assert {"postgres", "minio"} & set(services[name]["depends_on"]) or "airflow-init" in services[name][
            "depends_on"], name
    placeholders = {k for k, v in _env_example().items() if "change-me" in v}
    # every example secret reaches the check, with the value docker-compose interpolated from the example
    assert placeholders and placeholders <= set(check["environment"]), placeholders - set(check["environment"])
    env = {k: str(v) for k, v in check["environment"].items()}
    refused = _run_check(env)
    assert refused.returncode != 0
    assert all(name in refused.stderr for name in placeholders), refused.stderr
    # one placeholder left is enough to refuse; all replaced, it passes
    real = {k: f"s3cr3t-{k.lower()}" if "change-me" in v else v for k, v in env.items()}
    assert _run_check(real).returncode == 0
    left = real | {"SOHOA_SIGNING_PASSWORD": "change-me-key-password"}
    one = _run_check(left)
    assert one.returncode != 0 and "SOHOA_SIGNING_PASSWORD" in one.stderr and "POSTGRES_PASSWORD" not in one.stderr
