"""Embedded services for the demo and local runs: the SeaweedFS S3 server and the reference
citizen-warehouse receiver, both on 127.0.0.1 only, both stopped by whoever started them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from core.errors import InvalidValue
from core.exitcodes import ExitCode
from core.settings import Settings, get_settings
from core.tools import ToolError
from storage._exec import weed


@dataclass(frozen=True)
class Started:
    name: str
    address: str
    started_here: bool


def start_s3(settings: Settings | None = None) -> Started:
    settings = settings or get_settings()
    host, _, port = settings.s3_endpoint.partition(":")
    if weed.port_open(host, int(port)):
        return Started("s3", settings.s3_endpoint, False)  # someone else's server: leave it running
    # Administrator keys: SOHOA_S3_ADMIN_* when set, else made once and kept under SOHOA_HOME/s3 (0600).
    server = weed.start(settings.home / "s3", access_key=settings.s3_access_key,
                        secret_key=settings.s3_secret_key.get_secret_value(), s3_port=int(port),
                        admin_access_key=settings.s3_admin_access_key or None,
                        admin_secret_key=settings.s3_admin_secret_key.get_secret_value() or None)
    return Started("s3", server.endpoint, True)


def stop_s3(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return weed.stop(settings.home / "s3")


def start_receiver(settings: Settings | None = None, *, token_env: str = "SOHOA_CITIZEN_WAREHOUSE_TOKEN") -> Started:
    """Run the reference warehouse receiver at SOHOA_CITIZEN_WAREHOUSE_URL (a 127.0.0.1 URL)."""
    settings = settings or get_settings()
    url = urlparse(settings.citizen_warehouse_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    if host not in ("127.0.0.1", "localhost"):
        raise InvalidValue(f"SOHOA_CITIZEN_WAREHOUSE_URL: the reference receiver only runs on 127.0.0.1, not {host}")
    if weed.port_open(host, port):
        return Started("warehouse", settings.citizen_warehouse_url, False)
    data = settings.home / "warehouse"
    data.mkdir(parents=True, exist_ok=True)
    log = open(data / "receiver.log", "ab")  # noqa: SIM115 - handed to the child process
    proc = subprocess.Popen([sys.executable, "-m", "sync.receiver", "--host", host, "--port", str(port),
                             "--data", str(data), "--token-env", token_env],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ.copy())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ToolError("sync.receiver", f"exited with code {proc.returncode}; see {data / 'receiver.log'}",
                            proc.returncode, exit_code=ExitCode.SERVICE_UNAVAILABLE)
        if weed.port_open(host, port):
            (data / "receiver.pid").write_text(str(proc.pid))
            return Started("warehouse", settings.citizen_warehouse_url, True)
        time.sleep(0.2)
    weed.stop_pid(proc.pid)
    raise ToolError("sync.receiver", f"did not open {host}:{port} in 20 s; see {data / 'receiver.log'}",
                    exit_code=ExitCode.SERVICE_UNAVAILABLE)


def stop_receiver(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    pid_file = settings.home / "warehouse" / "receiver.pid"
    if not pid_file.exists():
        return False
    weed.stop_pid(int(pid_file.read_text()))
    pid_file.unlink(missing_ok=True)
    return True


def airflow_env(settings: Settings, repo: Path) -> dict[str, str]:
    """Environment for `airflow …` runs: SQLite metadata under SOHOA_HOME, this repo's dags/."""
    env = os.environ.copy()
    env.update({
        "AIRFLOW_HOME": str(settings.home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(repo / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": str(os.cpu_count() or 2),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "SOHOA_HOME": str(settings.home),
    })
    return env


def airflow_bin() -> str:
    return str(Path(sys.executable).parent / "airflow")
