"""The one seam that runs a throwaway PostgreSQL cluster from Debian's binaries (tests, benchmarks).

`initdb` refuses to run as root, so when we are root the cluster belongs to the `postgres` system
user (created by Debian's postgresql package) and every binary runs through `runuser`. The cluster
listens on 127.0.0.1 only, on a free port, with password (SCRAM) authentication, and keeps its
socket in its own directory: nothing is shared with a system cluster. Every program runs through
core.tools; a cluster that cannot be made or started is PostgresUnavailable (a ToolError).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import tools
from core.exitcodes import ExitCode
from storage._exec.weed import free_port

SUPERUSER = "sohoa"
HINT = "install the Debian package postgresql (scripts/install-system.sh)"


class PostgresUnavailable(tools.ToolError):
    """The throwaway cluster could not be initialised or started; the reason says why."""

    exit_code: ExitCode = ExitCode.SERVICE_UNAVAILABLE

    def __init__(self, reason: str) -> None:
        super().__init__("postgres", reason, exit_code=ExitCode.SERVICE_UNAVAILABLE)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason,))


@dataclass(frozen=True)
class PgCluster:
    root: Path  # holds data/, socket/, log
    port: int
    password: str
    run_as: str | None  # system user owning the cluster when we are root

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"


def bin_dir() -> Path:
    """Newest /usr/lib/postgresql/<major>/bin that has initdb (Debian's layout)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    try:
        return Path(tools.find("initdb")).parent
    except tools.ToolError:
        raise PostgresUnavailable(f"PostgreSQL binaries not found (/usr/lib/postgresql/*/bin/initdb): {HINT}") from None


def _run(cmd: list[str], run_as: str | None, timeout: float = 120) -> tools.ToolRun:
    if run_as:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    try:
        return tools.run(cmd, timeout_s=timeout, check=False, hint=HINT)
    except tools.ToolError as exc:
        raise PostgresUnavailable(str(exc)) from exc


def start(root: Path | None = None, *, port: int | None = None, startup_timeout_s: float = 60.0) -> PgCluster:
    """initdb + pg_ctl start in `root` (a new temporary directory by default)."""
    run_as = "postgres" if os.geteuid() == 0 else None
    owner = pwd.getpwnam(run_as) if run_as else None
    if run_as and owner is None:
        raise PostgresUnavailable("running as root but the 'postgres' system user does not exist")
    root = root or Path(tempfile.mkdtemp(prefix="sohoa-pg-"))
    root.mkdir(parents=True, exist_ok=True)
    (root / "socket").mkdir(exist_ok=True)
    password = secrets.token_urlsafe(18)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if owner is not None:
        for path in (root, root / "socket", pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        root.chmod(0o700)
    binaries = bin_dir()
    data = root / "data"
    init = _run([str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                 "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], run_as)
    pwfile.unlink(missing_ok=True)
    if init.returncode != 0:
        raise PostgresUnavailable(f"initdb failed in {data}: {tools.tail(init.stderr, 1500)}")
    port = port or free_port()
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root / 'socket'} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
    started = _run([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "postgres.log"), "-o", options,
                    "-w", "-t", str(int(startup_timeout_s)), "start"], run_as, timeout=startup_timeout_s + 10)
    cluster = PgCluster(root, port, password, run_as)
    if started.returncode != 0:
        log = cluster.log_file.read_text(errors="replace")[-1500:] if cluster.log_file.exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed on 127.0.0.1:{port}: {tools.tail(started.stderr)} {log}")
    _wait_for_port(port, startup_timeout_s)
    return cluster


def _wait_for_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise PostgresUnavailable(f"PostgreSQL did not open 127.0.0.1:{port} in {timeout_s} s")


def stop(cluster: PgCluster, *, remove: bool = True) -> None:
    _run([str(bin_dir() / "pg_ctl"), "-D", str(cluster.root / "data"), "-m", "fast", "-w", "stop"],
         cluster.run_as, timeout=60)
    if remove:
        shutil.rmtree(cluster.root, ignore_errors=True)


def create_database(cluster: PgCluster, name: str) -> str:
    """A fresh database in the cluster; returns its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(host="127.0.0.1", port=cluster.port, user=SUPERUSER, password=cluster.password,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name comes from the caller's own counter
    return cluster.url(name)
